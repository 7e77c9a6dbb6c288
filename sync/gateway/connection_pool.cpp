// sync/gateway/connection_pool.cpp: a small blocking pool of pqxx connections.
#include "sync/gateway/connection_pool.hpp"

#include "ferry/error.hpp"
#include "sync/server/pg_error.hpp"

namespace ferry::detail {

ConnectionPool::ConnectionPool(std::string conninfo, std::string app, ServerOptions options, int size,
                               std::chrono::milliseconds acquire_timeout)
    : m_conninfo(std::move(conninfo)),
      m_app(std::move(app)),
      m_options(options),
      m_size(size < 1 ? 1 : size),
      m_acquire_timeout(acquire_timeout) {}

ConnectionPool::Lease::~Lease() {
    if (m_c) m_pool->give_back(std::move(m_c), m_discard || !m_c->connection->is_open());
}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(m_mutex);
    ++m_waiting;
    const bool free = m_returned.wait_for(lock, timeout, [&] { return !m_idle.empty() || m_open < m_size; });
    --m_waiting;
    if (!free) {
        ++m_acquire_timeouts;
        throw Error(ErrorDomain::http, ErrorCode::busy,
                    "all " + std::to_string(m_size) + " database connections of this gateway are in use; try again shortly");
    }
    if (!m_idle.empty()) {
        auto c = std::move(m_idle.back());
        m_idle.pop_back();
        return Lease(*this, std::move(c), true);
    }
    ++m_open;  // reserved while it is being opened, outside the lock
    lock.unlock();
    try {
        return Lease(*this, open(), false);
    } catch (...) {
        lock.lock();
        --m_open;
        m_returned.notify_one();
        throw;
    }
}

std::unique_ptr<PooledConnection> ConnectionPool::open() {
    auto c = std::make_unique<PooledConnection>();
    translate_pg("connecting to " + redact_conninfo(m_conninfo),
                 [&] { c->connection = std::make_unique<pqxx::connection>(m_conninfo); });
    c->server = std::make_unique<SyncServer>(m_app, m_options);
    return c;
}

ConnectionPool::Figures ConnectionPool::figures() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return Figures{m_size, m_open, static_cast<int>(m_idle.size()), m_waiting, m_acquire_timeouts};
}

void ConnectionPool::give_back(std::unique_ptr<PooledConnection> c, bool discard) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (discard) {
        --m_open;  // `c` closes when this function returns, outside the lock; the next acquire opens another
    } else {
        m_idle.push_back(std::move(c));
    }
    m_returned.notify_one();
}

}  // namespace ferry::detail
