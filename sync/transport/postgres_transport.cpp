// sync/transport/postgres_transport.cpp: Transport over a direct PostgreSQL connection, running the server
// side of the protocol in this process. Reconnects once when the connection was lost.
#include <memory>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "ferry/postgres_transport.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/server/change_notifier.hpp"
#include "sync/server/pg_error.hpp"
#include "sync/server/sync_server.hpp"
#include "sync/transport/in_process.hpp"

namespace ferry {
namespace {
class PostgresTransport final : public detail::InProcessTransport {
    // (Defined before their callers: their return types are deduced.)
    /// Runs `body` on the connection (opened again when it was lost), PostgreSQL's errors translated.
    template <class F>
    auto serve(const std::string& what, F&& body) {
        decltype(body()) answer;
        detail::translate_pg(what, [&] {
            if (!m_connection || !m_connection->is_open()) connect();
            answer = body();
        });
        return answer;
    }
    template <class Request>
    auto typed(const std::string& what, const Request& request) {
        return serve(what, [&] { return m_server.serve(*m_connection, detail::Principal::trusted_process(), request); });
    }

public:
    PostgresTransport(std::string conninfo, std::string app, ServerOptions options)
        : m_conninfo(std::move(conninfo)), m_server(std::move(app), options) {
        connect();
    }

    nlohmann::json call_json(const std::string& endpoint, const nlohmann::json& request) override {
        return serve("sync " + endpoint, [&] {
            return m_server.handle(*m_connection, detail::Principal::trusted_process(), endpoint, request);
        });
    }
    protocol::PushAnswer call(const protocol::PushRequest& request) override { return typed("sync push", request); }
    protocol::PullAnswer call(const protocol::PullRequest& request) override { return typed("sync pull", request); }
    protocol::LeaseAnswer call(const protocol::LeaseRequest& request) override { return typed("sync lease", request); }
    using detail::InProcessTransport::call;

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
/// PostgreSQL's LISTEN as a SyncService feed: a dedicated connection (ChangeNotifier) that wakes
/// the service at the commit of every change to a synced table.
class PostgresChanges final : public RemoteChanges {
public:
    PostgresChanges(const std::string& conninfo, std::function<void(const std::string&)> log)
        : m_notifier(conninfo, log ? std::move(log) : [](const std::string&) {}), m_seen(m_notifier.generation()) {}

    bool wait(const Position&, int timeout_ms) override {
        const bool changed = m_notifier.wait_for_change(
            m_seen, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
        m_seen = m_notifier.generation();
        return changed;
    }
    /// Ends the feed (its LISTEN connection closes): the service is stopping.
    void interrupt() override { m_notifier.stop(); }

private:
    detail::ChangeNotifier m_notifier;
    std::uint64_t m_seen;
};

}  // namespace

std::unique_ptr<Transport> connect_postgres(const std::string& conninfo, const std::string& app, ServerOptions options) {
    return std::make_unique<PostgresTransport>(conninfo, app, options);
}

std::unique_ptr<RemoteChanges> postgres_changes(const std::string& conninfo,
                                                std::function<void(const std::string&)> on_log) {
    return std::make_unique<PostgresChanges>(conninfo, std::move(on_log));
}

}  // namespace ferry
