// sync/transport/gzip.cpp: gzip compression with zlib (see gzip.hpp).
#include "sync/transport/gzip.hpp"

#include <zlib.h>

#include "ferry/error.hpp"

namespace ferry::detail {

std::string gzip(const std::string& data, int level) {
    if (data.size() > 0xFFFFFFFFu)  // one deflate() call takes at most uInt bytes
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "gzip: a body over 4 GiB");
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error(ErrorDomain::ferry, ErrorCode::internal, "gzip: zlib could not start a stream");
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    // deflateBound guarantees one Z_FINISH call completes the stream.
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        throw Error(ErrorDomain::ferry, ErrorCode::internal,
                    "gzip: zlib could not compress " + std::to_string(data.size()) + " bytes");
    return out;
}

}  // namespace ferry::detail
