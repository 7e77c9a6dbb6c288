// sync/transport/curl_error.hpp: the one place where libcurl result codes become ferry::Error,
// decided by the code alone (never by curl's message text).
#pragma once

#include <curl/curl.h>

#include <string>

#include "ferry/error.hpp"

namespace ferry::detail {

/// The error for a failed transfer to `url`. `detail` is curl's error buffer (it never holds
/// request headers, so no token); it only adds to the message.
Error curl_error(CURLcode code, const std::string& detail, const std::string& url);

/// True for failures that sending the same request again soon may cure: the connection was
/// refused, reset or lost, the name did not resolve, or the transfer timed out.
bool is_retry_curl(CURLcode code);

}  // namespace ferry::detail
