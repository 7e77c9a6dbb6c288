// sync/gateway/zstd.cpp: zstd compression (see zstd.hpp).
#include "sync/gateway/zstd.hpp"

#include <zstd.h>

#include "ferry/error.hpp"

namespace ferry::detail {

std::string zstd(const std::string& data, int level) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
    if (ZSTD_isError(n))
        throw Error(ErrorDomain::ferry, ErrorCode::internal,
                    "zstd could not compress " + std::to_string(data.size()) + " bytes: " + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
}

}  // namespace ferry::detail
