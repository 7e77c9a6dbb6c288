// sync/server/sync_server.hpp: the server side of the sync protocol (docs/protocol.md): push
// (merge a batch with per-column last-writer-wins, exactly once), pull (commit-order-safe
// cursor), lease (integer ids for offline inserts). Shared by the PostgreSQL transport and the
// HTTP gateway.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "ferry/postgres_transport.hpp"
#include "sync/protocol/messages.hpp"
#include "sync/server/principal.hpp"
#include "sync/server/table_meta.hpp"

namespace ferry::detail {

class SyncServer {
public:
    SyncServer(std::string app, ServerOptions options);

    /// Handles one request for `who`, decoding and encoding it with the protocol codec
    /// (sync/protocol). Throws ferry::Error(protocol) for a malformed request or another version,
    /// Error(not_permitted) for a site id of another user; per-change problems in a push
    /// (including writes outside the user's rows) are results, not errors. For a user, every
    /// statement runs as the app's device role with the user's claims (row-level security).
    nlohmann::json handle(pqxx::connection& c, const Principal& who, const std::string& endpoint,
                          const nlohmann::json& request);
    /// The same for a request that is already a message: a server in the device's own process
    /// (the direct transport) takes its client's messages as they are, with no encoding, decoding
    /// or copy of every value in between. The caller vouches for their shape (Ferry's client
    /// builds them); everything else is checked as for handle().
    protocol::PushAnswer serve(pqxx::connection& c, const Principal& who, const protocol::PushRequest& request);
    protocol::PullAnswer serve(pqxx::connection& c, const Principal& who, const protocol::PullRequest& request);
    protocol::LeaseAnswer serve(pqxx::connection& c, const Principal& who, const protocol::LeaseRequest& request);

private:
    // The endpoints, for the principal that handle() or serve() set: private, so that no caller
    // can reach one without a principal.
    protocol::PushAnswer push(pqxx::connection& c, const protocol::PushRequest& request);
    protocol::PullAnswer pull(pqxx::connection& c, const protocol::PullRequest& request);
    protocol::LeaseAnswer lease(pqxx::connection& c, const protocol::LeaseRequest& request);
    /// One page of a full snapshot (a fresh device, or one that fell behind the trim horizon).
    protocol::PullAnswer snapshot(pqxx::connection& c, const std::string& site, std::int64_t limit,
                                  const protocol::SnapshotState& state);

    const std::vector<PgTable>& tables(pqxx::transaction_base& tx);
    /// The current rows of the given keys per table, each a JSON array of its synced columns in
    /// device form (device_values); absent keys are missing.
    std::map<std::pair<std::string, std::string>, nlohmann::json> current_rows(
        pqxx::transaction_base& tx, const std::map<std::string, nlohmann::json>& keys);
    /// The current row of every change's key (table-grouped, as answers carry them), and each
    /// change's [table, key] appended to `keys`.
    std::vector<protocol::TableRows> rows_of_changes(pqxx::transaction_base& tx,
                                                     const std::vector<protocol::Change>& changes, nlohmann::json& keys);
    /// An answer's clocks: server_hlc, max_hlc (the greatest clock recorded for any of `keys`,
    /// [table, key] pairs, and at least `at_least`: what a device receiving these rows must
    /// ratchet past) and max_skew_ms.
    protocol::Clocks clocks_for(pqxx::transaction_base& tx, const nlohmann::json& keys, std::int64_t at_least = 0);
    /// Refuses a request made for no one (neither a user nor a trusted process).
    static void require_principal(const Principal& who);
    /// Takes `who` as the principal of the request's statements; refuses a request for another
    /// app, and checks the database (check_database).
    void admit(pqxx::connection& c, const Principal& who, const std::string& app);

    /// One push batch as received.
    struct Batch {
        std::string site;
        std::int64_t seq = 0;
        const std::vector<protocol::Change>* changes = nullptr;
        std::string text;    ///< the changes' canonical record (protocol::changes_record): the digest is taken from it
        std::string digest;  ///< set by replay: SHA-256 of `text`, recorded with the batch
    };
    /// The answer to a batch already applied, if this is it again; throws Error(site_reused) for
    /// another batch under a recorded sequence number. Nothing when the batch is new.
    std::optional<protocol::PushAnswer> replay(pqxx::work& tx, Batch& batch);
    /// One change as the stage holds it (merge_batch copies these into ferry_stage).
    struct StagedChange {
        int ord = 0;                 ///< the change's place in the batch
        const protocol::Change* change = nullptr;
        nlohmann::json vals;         ///< the change's values, with an insert's key columns
        nlohmann::json clocks;       ///< column -> its clock, one per vals column
        nlohmann::json deltas;       ///< counter column -> increment
    };
    /// A batch checked change by change: Ferry's own refusals as results, the rest to stage.
    struct Staging {
        std::vector<protocol::PushResult> results;  ///< one per change; set for the refused ones
        std::vector<StagedChange> staged;
        std::map<std::string, std::vector<int>> upserts, deletes;  ///< ords per table
        std::set<std::string> tables;                               ///< tables with staged changes
        std::int64_t max_hlc = 0;
    };
    Staging validate(pqxx::work& tx, const std::vector<protocol::Change>& changes);
    /// Copies the staged changes into the session's ferry_stage (COPY FROM).
    static void stage(pqxx::work& tx, const std::vector<StagedChange>& staged, const std::string& site);
    /// Applies a new batch in one transaction (or answers its replay).
    protocol::PushAnswer merge_batch(pqxx::connection& c, Batch& batch);
    /// Locks the staged rows against other merges and plain-SQL writers, in a fixed order.
    void lock_staged_rows(pqxx::work& tx, const std::set<std::string>& tables_in_batch);
    /// Checks once per connection that the database holds this server's app.
    void check_database(pqxx::connection& c);
    /// How a user's statements may be planned: as PostgreSQL likes, or (a snapshot page) only as
    /// walks of an index in key order.
    enum class Plans { any, key_walk };
    /// Starts a transaction's work for the current principal, in one statement: for a user, the
    /// app's database role and the user's claims, so the database's row-level security applies
    /// too, and the planner settings of `plans`.
    void act_as(pqxx::work& tx, Plans plans = Plans::any);
    /// Records the site as the current user's on first use; throws Error(not_permitted) when it
    /// belongs to another user.
    void claim_site(pqxx::work& tx, const std::string& site);
    /// Records a pull's (or snapshot page's) position as the site's progress, claiming and
    /// checking the site in the same statement.
    void record_progress(pqxx::work& tx, const std::string& site, const std::string& cursor);
    /// Throws Error(not_permitted) unless `owner` (a site's user_id) is the current user's.
    void require_own_site(const std::string& site, const pqxx::field& owner) const;
    /// For a user: refuses staged changes to rows the user may not write (checked against the
    /// rows' recorded owner, after the rows are locked) and to rows under another user's parent.
    void authorize_staged(pqxx::work& tx, const std::set<std::string>& tables_in_batch);
    /// NULL for a trusted process, else the user: the parameter the scope filters take.
    std::optional<std::string> reader() const;
    const PgTable* find_table(pqxx::transaction_base& tx, const std::string& name);

    std::string m_app;
    ServerOptions m_options;
    Principal m_who = Principal::trusted_process();  // the request being handled
    std::vector<PgTable> m_tables;  // read from the catalog once per server
    bool m_tables_loaded = false;
    const pqxx::connection* m_checked_connection = nullptr;  // check_database passed for it
    int m_checked_backend = 0;
};

}  // namespace ferry::detail
