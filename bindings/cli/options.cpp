// bindings/cli/options.cpp: see options.hpp.
#include "bindings/cli/options.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ferry/error.hpp"

namespace ferry::cli {

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    return first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::pair<std::string, int> host_port(const std::string& listen, const std::string& option) {
    auto bad = [&] {
        return Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                     option + " must be HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free port), not '" + listen + "'");
    };
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) throw bad();
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
    }
    if (port < 0 || port > 65535) throw bad();
    return {host, port};
}

std::string read_token_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorDomain::io, ErrorCode::io, "cannot read the token file " + path + ": " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    std::string token = trimmed(content.str());
    if (token.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "the token file " + path + " is empty; mint a token with: ferry token");
    return token;
}

}  // namespace ferry::cli
