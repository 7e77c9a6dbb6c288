// sync/gateway/connection_pool.hpp: the gateway's PostgreSQL connections. Each pooled connection
// has its own SyncServer, which caches per-connection state (the database check, the catalog).
// Connections are opened on demand up to the pool size; a broken one is dropped and replaced.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "ferry/postgres_transport.hpp"
#include "sync/server/sync_server.hpp"

namespace ferry::detail {

/// One pooled connection and the server that uses it.
struct PooledConnection {
    std::unique_ptr<pqxx::connection> connection;
    std::unique_ptr<SyncServer> server;
};

class ConnectionPool {
public:
    /// Nothing is opened here: a gateway starts (and answers /readyz with 503) while the
    /// database is down.
    ConnectionPool(std::string conninfo, std::string app, ServerOptions options, int size,
                   std::chrono::milliseconds acquire_timeout);

    /// A connection lent to one request; returned to the pool at scope end, or dropped when the
    /// request found it broken (discard()).
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<PooledConnection> c, bool reused)
            : m_pool(&pool), m_c(std::move(c)), m_reused(reused) {}
        Lease(Lease&&) = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        pqxx::connection& connection() { return *m_c->connection; }
        SyncServer& server() { return *m_c->server; }
        /// The connection is not returned: the next request opens a new one.
        void discard() { m_discard = true; }
        /// It was idle in the pool (the server may have closed it meanwhile), not opened just now.
        bool reused() const { return m_reused; }

    private:
        ConnectionPool* m_pool;
        std::unique_ptr<PooledConnection> m_c;
        bool m_reused = false;
        bool m_discard = false;
    };

    /// An open connection, waiting up to the acquire timeout for one to be free. Throws
    /// Error(busy) when every connection stays in use, Error(connection) when a new one cannot be
    /// opened. Thread-safe.
    Lease acquire() { return acquire(m_acquire_timeout); }
    /// The same, waiting up to `timeout` instead of the pool's acquire timeout.
    Lease acquire(std::chrono::milliseconds timeout);

    /// How the pool is used now, and since it was made (for the operator's metrics).
    struct Figures {
        int size = 0;     ///< the most connections it opens
        int open = 0;     ///< idle, lent, or being opened
        int idle = 0;
        int waiting = 0;  ///< acquire() calls waiting for a connection now
        std::uint64_t acquire_timeouts = 0;  ///< acquire() calls that gave up (busy)
    };
    /// Thread-safe; takes the pool's lock briefly.
    Figures figures() const;

    const std::string& conninfo() const { return m_conninfo; }

private:
    void give_back(std::unique_ptr<PooledConnection> c, bool discard);
    std::unique_ptr<PooledConnection> open();

    std::string m_conninfo;
    std::string m_app;
    ServerOptions m_options;
    int m_size;
    std::chrono::milliseconds m_acquire_timeout;

    mutable std::mutex m_mutex;
    std::condition_variable m_returned;
    std::vector<std::unique_ptr<PooledConnection>> m_idle;
    int m_open = 0;  ///< idle + lent + being opened
    int m_waiting = 0;
    std::uint64_t m_acquire_timeouts = 0;
};

}  // namespace ferry::detail
