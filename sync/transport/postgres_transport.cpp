// sync/transport/postgres_transport.cpp: Transport over a direct PostgreSQL connection, running the server
// side of the protocol in this process. Reconnects once when the connection was lost.
#include <memory>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "ferry/postgres_transport.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/server/pg_error.hpp"
#include "sync/server/sync_server.hpp"
#include "sync/transport/in_process.hpp"

namespace ferry {
namespace {
class PostgresTransport final : public detail::InProcessTransport {
public:
    PostgresTransport(std::string conninfo, std::string app, ServerOptions options)
        : m_conninfo(std::move(conninfo)), m_server(std::move(app), options) {
        connect();
    }

    nlohmann::json call_json(const std::string& endpoint, const nlohmann::json& request) override {
        nlohmann::json response;
        detail::translate_pg("sync " + endpoint, [&] {
            if (!m_connection || !m_connection->is_open()) connect();
            response = m_server.handle(*m_connection, detail::Principal::trusted_process(), endpoint, request);
        });
        return response;
    }

private:
    void connect() {
        detail::translate_pg("connecting to " + detail::redact_conninfo(m_conninfo), [&] {
            m_connection = std::make_unique<pqxx::connection>(m_conninfo);
        });
    }

    std::string m_conninfo;
    std::unique_ptr<pqxx::connection> m_connection;
    detail::SyncServer m_server;
};
}  // namespace

std::unique_ptr<Transport> connect_postgres(const std::string& conninfo, const std::string& app, ServerOptions options) {
    return std::make_unique<PostgresTransport>(conninfo, app, options);
}

}  // namespace ferry
