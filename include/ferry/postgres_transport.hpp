// ferry/postgres_transport.hpp: a Transport that talks to PostgreSQL directly and runs the server
// side of the protocol in-process. For trusted processes (the sync daemon, tools, tests): it
// acts with the database role of its connection and applies no per-user authorization.
// Linked from the ferry_server library (libpqxx), never from the device library.
#pragma once

#include <memory>
#include <string>

#include "ferry/sync.hpp"

namespace ferry {

struct ServerOptions {
    /// Changes whose clock is further ahead of the server's clock than this are rejected.
    std::int64_t max_clock_skew_ms = 5 * 60 * 1000;
    /// A pull held back by a transaction in the app's database open longer than this says so
    /// (SyncReport::warnings): changes committed after it began wait until it ends.
    std::int64_t held_back_notice_ms = 10 * 1000;
};

/// Connects to the database named by `conninfo` (URL or key=value; "" uses libpq's PG*
/// variables), which must hold `app`'s cloud schema (ferry server init). Throws
/// Error(connection) when the server cannot be reached.
std::unique_ptr<Transport> connect_postgres(const std::string& conninfo, const std::string& app,
                                            ServerOptions options = {});

}  // namespace ferry
