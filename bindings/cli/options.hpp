// bindings/cli/options.hpp: what the `ferry` commands share for reading their options: HOST:PORT
// addresses and token files.
#pragma once

#include <string>
#include <utility>

namespace ferry::cli {

/// `s` without surrounding whitespace.
std::string trimmed(const std::string& s);

/// HOST:PORT ("[::1]:8080" for IPv6; port 0: any free port) of option `option`. Throws
/// Error(invalid_argument) naming the option.
std::pair<std::string, int> host_port(const std::string& listen, const std::string& option);

/// A token file's content without surrounding whitespace. Throws Error(io) when it cannot be read
/// and Error(invalid_argument) when it is empty. The token is never part of a message.
std::string read_token_file(const std::string& path);

}  // namespace ferry::cli
