// tests/support/device.hpp: a device for sync tests: a real store file in its own temp dir,
// synced with a real PostgreSQL database through the PostgreSQL transport.
#pragma once

#include <memory>
#include <string>

#include "ferry/postgres_transport.hpp"
#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::test {

class Device {
public:
    Device(const PgDatabase& db, const std::string& app, Clock* clock = nullptr, ServerOptions server = {})
        : m_app(app), m_conninfo(db.conninfo()), m_server(server) {
        StoreOptions o;
        o.clock = clock;
        m_store = std::make_unique<Store>(Store::open(m_dir.file("device.db"), app, o));
        m_transport = connect_postgres(m_conninfo, app, server);
    }

    Store& store() { return *m_store; }
    Transport& transport() { return *m_transport; }
    SyncReport sync(SyncOptions options = {}) {
        SyncClient client(*m_store, *m_transport, options);
        return client.sync();
    }
    /// Closes and reopens the store file, as after an app restart.
    void reopen(Clock* clock = nullptr) {
        const auto path = m_store->path();
        m_store.reset();
        StoreOptions o;
        o.clock = clock;
        m_store = std::make_unique<Store>(Store::open(path, m_app, o));
    }

private:
    std::string m_app;
    std::string m_conninfo;
    ServerOptions m_server;
    TempDir m_dir;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<Transport> m_transport;
};

}  // namespace ferry::test
