// sync/gateway/zstd.hpp: zstd compression of the gateway's answers (Content-Encoding: zstd).
#pragma once

#include <string>

namespace ferry::detail {

/// zstd's level 1: a page of rows in a third of zlib's fastest level's time, and smaller.
constexpr int k_zstd_fast = 1;

/// `data` as one zstd frame (RFC 8878) at `level`. Throws Error(internal) if zstd fails.
std::string zstd(const std::string& data, int level = k_zstd_fast);

}  // namespace ferry::detail
