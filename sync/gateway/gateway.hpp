// sync/gateway/gateway.hpp: `ferry gateway`, the stateless HTTP sync gateway (docs/gateway.md):
// authenticates each request with the user's JWT and runs the server side of the protocol for
// that user on a pooled PostgreSQL connection. Any number of gateway processes can share a database.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "ferry/postgres_transport.hpp"
#include "sync/gateway/jwt.hpp"

namespace ferry::detail {

/// The tunable limits (the JSON config file of `ferry gateway --config`).
struct GatewayLimits {
    std::size_t body_limit_bytes = 8 * 1024 * 1024;  ///< request bodies, on the wire and decompressed (413)
    int pool_size = 8;                                ///< PostgreSQL connections per process
    int threads = 32;               ///< HTTP worker threads: each waiting long poll holds one
    int acquire_timeout_ms = 5000;  ///< wait for a free connection before answering 503 busy
    double rate_per_second = 20;    ///< per user; 0 turns the limit off
    double rate_burst = 40;
    int read_timeout_s = 30;  ///< reading a request; a long poll's wait is not bounded by it
    int write_timeout_s = 30;
    int keep_alive_timeout_s = 5;
    int max_wait_ms = 30000;  ///< the longest long poll ("wait_ms") accepted
};

struct GatewayOptions {
    std::string host = "127.0.0.1";
    int port = 8080;  ///< 0: any free port (bind() says which)
    std::string database_url;         ///< the pooled connections ("" = libpq's PG* variables)
    std::string listen_database_url;  ///< LISTEN ferry_changes; must be direct, not via a transaction pooler ("" = database_url)
    std::string app;                  ///< the app the database holds
    /// The operator listener (/metrics and the status page), apart from the public port so that
    /// clients never reach it; keep it on loopback. Port -1: none; 0: any free port.
    std::string metrics_host = "127.0.0.1";
    int metrics_port = -1;
    GatewayLimits limits;
    ServerOptions server;
};

class Gateway {
public:
    /// Throws Error(invalid_argument) for a bad JWT configuration or limit. Connects to nothing:
    /// the database may be down when the gateway starts.
    Gateway(GatewayOptions options, JwtConfig jwt);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    /// Binds the listening socket and starts the change listener; returns the port. With a
    /// metrics port, also binds the operator listener and serves it on a thread of its own from
    /// now on. Throws Error(io) when an address cannot be bound.
    int bind();
    /// The operator listener's port once bound; -1 without one.
    int metrics_port() const;
    /// Serves requests on this thread until stop().
    void run();
    /// Stops accepting requests, wakes waiting long polls; run() returns once the requests in
    /// progress are answered. Thread-safe; idempotent.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

/// The app recorded in the database (ferry.meta key 'app'). Throws Error(connection) when the
/// database cannot be reached, Error(not_found) when it holds no Ferry app.
std::string app_of_database(const std::string& conninfo);

/// `limits` with the values of the JSON config file at `path` ({"body_limit_bytes": ..., ...},
/// the fields of GatewayLimits plus "leeway_s" into `leeway_s` and "metrics_listen" (HOST:PORT
/// text, parsed by the caller) into `metrics_listen`). Throws Error(invalid_argument) for an
/// unknown key or a value out of range, Error(io) for an unreadable file.
void load_gateway_config(const std::string& path, GatewayLimits& limits, int& leeway_s, std::string& metrics_listen);

/// The JWT configuration from the environment: FERRY_JWT_SECRET (HS256), or
/// FERRY_JWT_PUBLIC_KEY_FILE with FERRY_JWT_ALGORITHM (RS256, the default, or ES256);
/// FERRY_JWT_AUDIENCE (default "authenticated"). Throws Error(invalid_argument) when no key or
/// both are configured, Error(io) when the key file cannot be read.
JwtConfig jwt_config_from_environment();

}  // namespace ferry::detail
