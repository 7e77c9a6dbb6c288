// ferry/postgres_transport.hpp: a Transport that talks to PostgreSQL directly and runs the server
// side of the protocol in-process. For trusted processes (the sync daemon, tools, tests): it
// acts with the database role of its connection and applies no per-user authorization.
// Linked from the ferry_server library (libpqxx), never from the device library.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ferry/sync.hpp"
#include "ferry/sync_service.hpp"

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

/// A SyncService feed from PostgreSQL: one dedicated connection to `conninfo` (directly, not
/// through a transaction pooler) that LISTENs on ferry_changes and wakes the service at the commit
/// of every change to a synced table. It connects in the background and reconnects with backoff
/// (0.1 s doubling to 5 s); each (re)connection wakes the service too, since a change may have
/// been missed. `on_log` (optional, called on the feed's own thread) receives one line per
/// connection state change; the connection string's password never appears in it.
std::unique_ptr<RemoteChanges> postgres_changes(const std::string& conninfo,
                                                std::function<void(const std::string&)> on_log = {});

}  // namespace ferry
