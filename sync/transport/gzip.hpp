// sync/transport/gzip.hpp: gzip compression (zlib) for Content-Encoding: gzip: the client's request
// bodies and the gateway's answers.
#pragma once

#include <string>

namespace ferry::detail {

/// zlib's fastest level: less than half the default's CPU on a page of rows, for an answer about
/// 20% larger. What a server answering many requests uses.
constexpr int k_gzip_fast = 1;
/// zlib's default level (6).
constexpr int k_gzip_default = -1;

/// `data` as a gzip stream (RFC 1952) at zlib `level`. Throws Error(internal) if zlib fails.
std::string gzip(const std::string& data, int level = k_gzip_default);

}  // namespace ferry::detail
