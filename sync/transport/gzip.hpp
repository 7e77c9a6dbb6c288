// sync/transport/gzip.hpp: gzip compression of request bodies (zlib), for Content-Encoding: gzip.
#pragma once

#include <string>

namespace ferry::detail {

/// `data` as a gzip stream (RFC 1952). Throws Error(internal) if zlib fails.
std::string gzip(const std::string& data);

}  // namespace ferry::detail
