// sync/gateway/exclusive_port.hpp: the socket options of Ferry's HTTP listeners (the gateway's
// public and operator ports, the daemon's): httplib's defaults add SO_REUSEPORT, with which a
// second process of the same user binds the same port and the kernel splits the connections
// between the two (a stale gateway keeps serving, or another program reads users' tokens). A
// port in use must be refused instead; SO_REUSEADDR alone still allows a quick restart.
#pragma once

#include <httplib.h>

namespace ferry::detail {

inline void use_exclusive_port(httplib::Server& server) {
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
}

}  // namespace ferry::detail
