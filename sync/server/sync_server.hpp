// sync/server/sync_server.hpp: the server side of the sync protocol (docs/protocol.md): push
// (merge a batch with per-column last-writer-wins, exactly once), pull (commit-order-safe
// cursor), lease (integer ids for offline inserts). Shared by the PostgreSQL transport and the
// HTTP gateway.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "ferry/postgres_transport.hpp"
#include "sync/server/table_meta.hpp"

namespace ferry::detail {

class SyncServer {
public:
    SyncServer(std::string app, ServerOptions options);

    /// Handles one request. Throws ferry::Error(protocol) for a malformed request; per-change
    /// problems in a push are results, not errors.
    nlohmann::json handle(pqxx::connection& c, const std::string& endpoint, const nlohmann::json& request);

    nlohmann::json push(pqxx::connection& c, const nlohmann::json& request);
    nlohmann::json pull(pqxx::connection& c, const nlohmann::json& request);
    nlohmann::json lease(pqxx::connection& c, const nlohmann::json& request);
    /// One page of a full snapshot (a fresh device, or one that fell behind the trim horizon).
    nlohmann::json snapshot(pqxx::connection& c, const std::string& site, std::int64_t limit,
                            const nlohmann::json& state);

private:
    const std::vector<PgTable>& tables(pqxx::transaction_base& tx);
    /// The current rows, in device form, of the given keys per table; absent keys are missing.
    std::map<std::pair<std::string, std::string>, nlohmann::json> current_rows(
        pqxx::transaction_base& tx, const std::map<std::string, nlohmann::json>& keys);
    /// Sets results[i]["row"] to the current row of changes[i] (null when it does not exist).
    void attach_current_rows(pqxx::transaction_base& tx, const nlohmann::json& changes, nlohmann::json& results);
    const PgTable* find_table(pqxx::transaction_base& tx, const std::string& name);

    std::string m_app;
    ServerOptions m_options;
    std::vector<PgTable> m_tables;  // read from the catalog once per server
    bool m_tables_loaded = false;
};

}  // namespace ferry::detail
