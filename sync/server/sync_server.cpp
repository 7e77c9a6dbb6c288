// sync/server/sync_server.cpp: push, pull and lease on PostgreSQL.
//
// A push batch is staged into a temporary table with one COPY, then merged with a handful
// of set-based statements per table (classify, insert, update, delete, record clocks). If a
// table's statements fail (a unique key taken offline, a parent deleted, a bad value), that
// table's changes are merged again one by one, each in a savepoint, so exactly the bad ones are
// rejected and the rest of the batch is applied.
#include "sync/server/sync_server.hpp"

#include <algorithm>
#include <chrono>
#include <regex>
#include <thread>

#include "ferry/clock.hpp"
#include "ferry/error.hpp"
#include "lib/schema/sync_rules.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/server/pg_error.hpp"
#include "sync/server/device_role.hpp"
#include "sync/server/scope.hpp"

namespace ferry::detail {
namespace {
using nlohmann::json;

// A batch that meets a deadlock or a serialization failure is merged again from the start this
// many times before the device is told busy (and sends it again on its next sync).
constexpr int k_push_attempts = 5;

// Changes are handed out only below a bound that no transaction which may still write our change
// log is older than: the oldest in-progress xid of a fresh snapshot, leaving out only the xids
// positively known to belong to another database (they cannot write here); anything uncertain
// holds the bound back. The other databases' xids are read *before* the snapshot is taken: read
// after it (as one statement would), a transaction there that commits in between is in the
// snapshot but no longer listed, and would hold the bound back for nothing. Changes below the
// bound are all committed when the caller's next statement takes its own snapshot.
struct PullBound {
    std::string xid;         // hand out changes of transactions below this
    bool in_progress = false;  // the bound is a transaction still running (not the snapshot's xmax)
};

PullBound pull_bound(pqxx::work& tx) {
    const auto others = tx.exec(
        "SELECT coalesce(array_agg(backend_xid::text), '{}')::text FROM pg_stat_activity "
        "WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()");
    const auto r = tx.exec_params(
        "WITH snap AS (SELECT pg_current_snapshot() AS s), "
        "running AS (SELECT min(x) AS x FROM snap, pg_snapshot_xip(snap.s) x WHERE x::xid <> ALL($1::text::xid[])) "
        "SELECT coalesce(running.x, pg_snapshot_xmax(snap.s))::text, running.x IS NOT NULL FROM snap, running",
        others[0][0].c_str());
    return {r[0][0].c_str(), r[0][1].as<bool>()};
}

/// When a running transaction holds the bound back, changes are waiting behind it, and it has
/// been open for at least `notice_ms`: who it is, for the device to pass on to its operator.
std::optional<protocol::HeldBack> held_back(pqxx::work& tx, const PullBound& bound, std::int64_t notice_ms) {
    if (!bound.in_progress) return std::nullopt;
    auto r = tx.exec_params(
        "SELECT a.pid, floor(extract(epoch FROM now() - a.xact_start) * 1000)::bigint, a.state, a.application_name "
        "FROM pg_stat_activity a WHERE a.backend_xid = $1::text::xid8::xid AND a.datname = current_database() "
        "AND EXISTS (SELECT 1 FROM ferry.changes c WHERE c.xid >= $1::text::xid8)",
        bound.xid);
    if (r.empty() || r[0][1].is_null() || r[0][1].as<std::int64_t>() < notice_ms) return std::nullopt;
    return protocol::HeldBack{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>(), r[0][2].is_null() ? "" : r[0][2].c_str(),
                              r[0][3].is_null() ? "" : r[0][3].c_str()};
}

struct Position {
    std::uint64_t xid = 0;
    std::int64_t id = 0;
    bool operator<(const Position& o) const { return std::tie(xid, id) < std::tie(o.xid, o.id); }
};

std::optional<Position> parse_position(const std::string& text) {
    static const std::regex re("([0-9]{1,20}):([0-9]{1,20})");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return std::nullopt;
    return Position{std::stoull(m[1].str()), std::stoll(m[2].str())};
}

[[noreturn]] void bad_request(const std::string& what) {
    throw Error(ErrorDomain::ferry, ErrorCode::protocol, "bad request: " + what);
}

std::string ord_array(const std::vector<int>& ords) {
    std::string s = "{";
    for (std::size_t i = 0; i < ords.size(); ++i) s += (i ? "," : "") + std::to_string(ords[i]);
    return s + "}";
}

struct Rejection {
    std::string code;
    std::string reason;
};

/// The rejection of one change for an error about its data (is_data_sqlstate): the only errors
/// that become per-change results.
Rejection rejection_for(const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    std::string msg = e.what();
    // "ERROR:  x\nDETAIL:  y\n" -> "x (y)"
    auto strip = [](std::string s) {
        s = std::regex_replace(s, std::regex("^ERROR:\\s+"), "");
        s = std::regex_replace(s, std::regex("\\n(DETAIL|HINT|CONTEXT):\\s+"), " | ");
        s = std::regex_replace(s, std::regex("\\s+$"), "");
        return s;
    };
    msg = strip(msg);
    if (state == "23505") return {"constraint", "unique key already taken: " + msg};
    if (state == "23503") return {"constraint", "a referenced row does not exist (deleted elsewhere?): " + msg};
    if (state.rfind("23", 0) == 0) return {"constraint", msg};
    if (state == "42501") return {"not_permitted", msg};
    return {"invalid_argument", "bad value: " + msg};
}

/// Where a change holds text PostgreSQL refuses to store (a NUL character: jsonb and text both
/// refuse U+0000), as "table.column" or "the key of table"; nothing when it holds none.
std::optional<std::string> unstorable_text(const PgTable& t, const protocol::Change& change) {
    auto has_nul = [](const json& v) { return v.is_string() && v.get_ref<const std::string&>().find('\0') != std::string::npos; };
    for (const auto& k : change.pk)
        if (has_nul(k)) return "the key of " + t.name;
    for (auto it = change.vals.begin(); it != change.vals.end(); ++it)
        if (has_nul(it.value())) return t.name + "." + it.key();
    return std::nullopt;
}

std::string iso_from_hlc(std::int64_t h) {
    std::time_t secs = static_cast<std::time_t>(hlc::physical_ms(h) / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/// The SQL of one table's merge, for the staged changes whose ord is in $1 (site is $2).
struct MergeSql {
    std::vector<std::string> upsert;  // in order
    std::vector<std::string> remove;
};

/// Marks the statements between it and merge_logs_end as the merge's own writes of table `tl`:
/// their rows' capture triggers return at once (server_capture.cpp), the statement logs them.
/// Transaction-local, and undone with the savepoint of a failed statement.
std::string merge_logs_begin(const std::string& tl) { return "SELECT set_config('ferry.merge_logs', " + tl + ", true)"; }
const char* const k_merge_logs_end = "SELECT set_config('ferry.merge_logs', '', true)";

/// The stage's changes of `t` as subquery `s`, each with its key as typed columns (k0, k1...)
/// that join `t` by plain equality. Under row-level security (a user's merge) PostgreSQL takes
/// a join clause with jsonb operators for a leaky one and will not use it for an index scan of
/// t: each merge statement of a 1,000-row batch scanned the whole table (0.2-0.3 s at 100k rows).
std::string staged_keys(const PgTable& t) {
    return "(SELECT s.*, " + key_columns_expr(t, "s.pk") + " FROM ferry_stage s WHERE s.tbl = " + pg_literal(t.name) +
           " OFFSET 0) s";
}

MergeSql merge_sql(const PgTable& t, const std::vector<std::string>& counters, const SyncRules& rules,
                   const std::vector<PgTable>& tables) {
    const std::string T = pg_ident(t.name);
    const std::string tl = pg_literal(t.name);
    // Who may read and write a row the merge wrote (its RETURNING row "t"), as the capture trigger
    // computes it: the change's readers are the row's recorded ones before it and these after.
    const ScopeSql scope = scope_sql(t, rules, tables, "t");
    const std::string key = device_key_expr(t, "t");
    const std::string mine = "s.ord = ANY($1::int[]) AND s.tbl = " + tl;
    const std::string rows_join =
        "(SELECT s2.ord AS o, r.clocks AS rc, r.created_hlc AS ch, r.created_site AS cs, r.deleted_hlc AS dh, "
        "r.deleted_site AS ds FROM ferry_stage s2 LEFT JOIN ferry.rows r ON r.tbl = s2.tbl AND r.pk = s2.pk "
        "WHERE s2.ord = ANY($1::int[])) x";
    const std::string exists = "EXISTS (SELECT 1 FROM " + T + " t WHERE " + key_match_expr(t, "t", "s.pk") + ")";
    MergeSql m;

    // Classify: does the row exist, is there a newer tombstone, which columns win.
    m.upsert.push_back(
        "UPDATE ferry_stage s SET ex = " + exists +
        ", dead = (x.dh IS NOT NULL AND (s.hlc, $2::text) <= (x.dh, x.ds))"
        ", win = CASE WHEN NOT " + exists + " THEN s.clocks ELSE coalesce((SELECT jsonb_object_agg(c.key, c.value) "
        // A column without a clock of its own was set by the row's (re)insert: it has that clock
        // (rows Ferry adopted or seeded have only that).
        "FROM jsonb_each(s.clocks) c WHERE x.rc IS NULL OR "
        "((c.value #>> '{}')::bigint, $2::text) > (coalesce(((x.rc -> c.key) ->> 0)::bigint, x.ch), "
        "coalesce((x.rc -> c.key) ->> 1, x.cs))), '{}') END "
        "FROM " + rows_join + " WHERE s.ord = x.o AND " + mine + " AND s.status IS NULL AND s.op IN (1, 2)");
    m.upsert.push_back(
        "UPDATE ferry_stage s SET status = 'superseded', code = 'superseded', reason = CASE "
        "WHEN NOT s.ex AND s.op = 2 THEN 'the row was deleted' "
        "WHEN NOT s.ex THEN 'the row was deleted after this insert was made' "
        "ELSE 'every column already holds a newer value' END "
        "WHERE " + mine + " AND s.status IS NULL AND s.op IN (1, 2) AND "
        "((NOT s.ex AND (s.op = 2 OR s.dead)) OR (s.ex AND s.win = '{}'::jsonb AND s.deltas = '{}'::jsonb))");

    std::string cols, vals, sets;
    for (const auto& c : t.columns) {
        if (!c.synced) continue;
        const std::string from = from_device_expr(c, "s.vals -> " + pg_literal(c.name));
        cols += (cols.empty() ? "" : ", ") + pg_ident(c.name);
        vals += (vals.empty() ? "" : ", ") + std::string("CASE WHEN s.vals ? ") + pg_literal(c.name) + " THEN " + from +
                " ELSE " + (c.default_expr.empty() ? std::string("NULL") : c.default_expr) + " END";
        if (std::find(t.pk.begin(), t.pk.end(), c.name) != t.pk.end()) continue;
        std::string value = "CASE WHEN s.win ? " + pg_literal(c.name) + " THEN " + from + " ELSE t." + pg_ident(c.name) + " END";
        // A counter adds the pushed delta to whatever the server holds.
        if (std::find(counters.begin(), counters.end(), c.name) != counters.end())
            value = "(" + value + ") + coalesce((s.deltas ->> " + pg_literal(c.name) + ")::" + c.type + ", 0)";
        sets += (sets.empty() ? "" : ", ") + pg_ident(c.name) + " = " + value;
    }
    // The insert logs its own rows (one entry each, origin the pushing device: $2, batch $3) and
    // records their clocks, scope and owner in one upsert of ferry.rows; their capture triggers
    // return at once. A clock of its own only for the columns written after the insert (s.own,
    // built by the server beside the stage); the insert's clock is the row's creation. Any entry
    // of an earlier incarnation goes: every column's value is the insert's. A row inserted under
    // a key no staged change names (an app's BEFORE trigger changed it) is the server's write,
    // with the clock the trigger would give it.
    std::string returned, staged_match;
    for (std::size_t i = 0; i < t.pk.size(); ++i) {
        const std::string ki = "ferry_k" + std::to_string(i);
        returned += ", t." + pg_ident(t.pk[i]) + " AS " + ki;
        staged_match += " AND w." + ki + " = " + from_device_expr(t.column(t.pk[i]), "(s.pk -> " + std::to_string(i) + ")");
    }
    m.upsert.push_back(merge_logs_begin(tl));
    m.upsert.push_back(
        "WITH w AS (INSERT INTO " + T + " AS t (" + cols + ") SELECT " + vals + " FROM ferry_stage s WHERE " + mine +
        " AND s.status IS NULL AND s.op = 1 AND NOT s.ex RETURNING " + key + " AS k, " + scope.readers + " AS nr, " +
        scope.owner + " AS nw" + returned + "), "
        // Each inserted row's staged change, found by the key as the server spells it (an index
        // lookup), or else by the key's value (a scan, only for a key the device spelled otherwise).
        "j AS MATERIALIZED (SELECT w.k, w.nr, w.nw, s.spk, s.hlc, s.own, r.readers AS br, r.clocks AS rc, "
        "r.created_hlc AS ch, r.deleted_hlc AS dh FROM w "
        "LEFT JOIN LATERAL (SELECT s.pk AS spk, s.hlc, s.own FROM ferry_stage s WHERE " + mine +
        " AND s.status IS NULL AND s.op = 1 AND NOT s.ex AND s.pk = w.k UNION ALL "
        "SELECT s.pk, s.hlc, s.own FROM ferry_stage s WHERE " + mine + " AND s.status IS NULL AND s.op = 1 AND NOT s.ex" +
        staged_match + " LIMIT 1) s ON true "
        "LEFT JOIN LATERAL (SELECT r.readers, r.clocks, r.created_hlc, r.deleted_hlc FROM ferry.rows r WHERE r.tbl = " + tl +
        " AND r.pk = w.k) r ON true), "
        "logged AS (INSERT INTO ferry.changes(tbl, pk, op, readers, origin, origin_seq) SELECT " + tl +
        ", k, 1, ferry.union_readers(br, nr), CASE WHEN spk IS NOT NULL THEN $2::text END, "
        "CASE WHEN spk IS NOT NULL THEN $3::bigint END FROM j), "
        // The device spelled the key otherwise than the server does: the scope goes with the
        // server's spelling (the one pulls read), as the trigger recorded it.
        "scoped AS (INSERT INTO ferry.rows AS r (tbl, pk, readers, owner) SELECT " + tl +
        ", k, nr, nw FROM j WHERE spk IS NOT NULL AND spk <> k "
        "ON CONFLICT (tbl, pk) DO UPDATE SET readers = EXCLUDED.readers, owner = EXCLUDED.owner) "
        "INSERT INTO ferry.rows AS r (tbl, pk, clocks, created_hlc, created_site, readers, owner) SELECT " + tl +
        ", coalesce(spk, k), coalesce(own, '{}'), CASE WHEN spk IS NOT NULL THEN hlc ELSE "
        "greatest(ferry.next_hlc(rc, ch, dh), coalesce((SELECT m.hlc FROM ferry.merges m "
        "WHERE m.xid = pg_current_xact_id()), 0) + 1) END, CASE WHEN spk IS NOT NULL THEN $2::text ELSE 'server' END, "
        "nr, nw FROM j "
        "ON CONFLICT (tbl, pk) DO UPDATE SET clocks = EXCLUDED.clocks, created_hlc = EXCLUDED.created_hlc, "
        "created_site = EXCLUDED.created_site, readers = EXCLUDED.readers, owner = EXCLUDED.owner");
    m.upsert.push_back(k_merge_logs_end);
    if (!sets.empty())
        m.upsert.push_back("UPDATE " + T + " t SET " + sets + " FROM " + staged_keys(t) + " WHERE " + mine +
                           " AND s.status IS NULL AND s.ex AND s.op IN (1, 2) AND " + key_join_expr(t, "t", "s"));
    // Clocks, compactly: a column without a clock of its own has its row's (re)insert's (the
    // insert above records them). (Per-column objects of every column, built per row, cost most
    // of a merge.) Updates are logged by the capture trigger (which compares the old row).
    // A row that existed keeps its other columns' clocks; the won columns get theirs.
    m.upsert.push_back(
        "INSERT INTO ferry.rows AS r (tbl, pk, clocks, created_hlc, created_site) "
        "SELECT s.tbl, s.pk, coalesce((SELECT jsonb_object_agg(w.key, jsonb_build_array((w.value #>> '{}')::bigint, $2::text)) "
        "FROM jsonb_each(s.win) w), '{}'), CASE WHEN s.op = 1 THEN s.hlc ELSE 0 END, CASE WHEN s.op = 1 THEN $2::text ELSE '' END "
        "FROM ferry_stage s WHERE " + mine + " AND s.status IS NULL AND s.op IN (1, 2) AND s.ex "
        "ON CONFLICT (tbl, pk) DO UPDATE SET clocks = r.clocks || EXCLUDED.clocks, "
        "created_site = CASE WHEN (EXCLUDED.created_hlc, EXCLUDED.created_site) > (r.created_hlc, r.created_site) "
        "THEN EXCLUDED.created_site ELSE r.created_site END, "
        "created_hlc = greatest(r.created_hlc, EXCLUDED.created_hlc)");
    // A staged change left without a status was applied (merge_batch reads it so): no statement
    // rewrites every stage row to say so.

    // Deletes: a delete wins over updates; only a re-insert with a newer clock outlives it.
    m.remove.push_back("UPDATE ferry_stage s SET ex = " + exists +
                       ", dead = (x.ch IS NOT NULL AND x.ch > 0 AND (s.hlc, $2::text) < (x.ch, x.cs)) FROM " + rows_join +
                       " WHERE s.ord = x.o AND " + mine + " AND s.status IS NULL AND s.op = 3");
    m.remove.push_back("UPDATE ferry_stage s SET status = 'superseded', code = 'superseded', "
                       "reason = 'the row was inserted again after this delete was made' WHERE " + mine +
                       " AND s.status IS NULL AND s.op = 3 AND s.ex AND s.dead");
    // The delete logs its own rows (their capture triggers return at once): readers are the
    // row's recorded ones. Cascades to other rows are the capture trigger's, with clocks.
    m.remove.push_back(merge_logs_begin(tl));
    m.remove.push_back("WITH w AS (DELETE FROM " + T + " t USING " + staged_keys(t) + " WHERE " + mine +
                       " AND s.status IS NULL AND s.op = 3 AND " + key_join_expr(t, "t", "s") + " RETURNING " + key +
                       " AS k) INSERT INTO ferry.changes(tbl, pk, op, readers, origin, origin_seq) SELECT " + tl +
                       ", w.k, 3, ferry.union_readers((SELECT r.readers FROM ferry.rows r WHERE r.tbl = " + tl +
                       " AND r.pk = w.k), NULL), $2::text, $3::bigint FROM w");
    m.remove.push_back(k_merge_logs_end);
    m.remove.push_back(
        "INSERT INTO ferry.rows AS r (tbl, pk, deleted_hlc, deleted_site) SELECT s.tbl, s.pk, s.hlc, $2::text "
        "FROM ferry_stage s WHERE " + mine + " AND s.status IS NULL AND s.op = 3 "
        "ON CONFLICT (tbl, pk) DO UPDATE SET "
        "deleted_site = CASE WHEN r.deleted_hlc IS NULL OR (EXCLUDED.deleted_hlc, EXCLUDED.deleted_site) > "
        "(r.deleted_hlc, r.deleted_site) THEN EXCLUDED.deleted_site ELSE r.deleted_site END, "
        "deleted_hlc = greatest(r.deleted_hlc, EXCLUDED.deleted_hlc)");

    return m;
}

/// The newest of `columns`' clocks in a ferry.rows entry (a column without its own clock has the
/// row's (re)insert's), as (hlc, site).
std::pair<std::int64_t, std::string> newest_clock(const json& clocks, const std::vector<std::string>& columns,
                                                  std::int64_t created_hlc, const std::string& created_site) {
    std::pair<std::int64_t, std::string> out{0, ""};
    for (const auto& c : columns) {
        std::pair<std::int64_t, std::string> clock{created_hlc, created_site};
        auto it = clocks.find(c);
        if (it != clocks.end() && it->is_array() && it->size() == 2)
            clock = {(*it)[0].get<std::int64_t>(), (*it)[1].get<std::string>()};
        out = std::max(out, clock);
    }
    return out;
}

/// The merged stage's outcome of every staged change into `results`: its status, and for a
/// change that lost last-writer-wins (wholly or some columns), which columns lost and the newest
/// write that beat them, from the rows' clocks as the merge left them.
void read_results(pqxx::work& tx, std::vector<protocol::PushResult>& results) {
    for (const auto& r : tx.exec("SELECT ord, status, code, reason FROM ferry_stage"))
        results[r[0].as<int>()] = protocol::PushResult{r[1].is_null() ? "applied" : r[1].c_str(),
                                                       r[2].is_null() ? "" : r[2].c_str(), r[3].is_null() ? "" : r[3].c_str()};
    // Only the changes that may have lost (superseded, or an update of a row that exists), with
    // one index lookup of ferry.rows each: a batch of new rows reads nothing more.
    const auto lost = tx.exec(
        "SELECT s.ord, s.op, coalesce(s.ex, false), "
        "(SELECT jsonb_agg(c.key ORDER BY c.key) FROM jsonb_each(s.clocks) c WHERE s.status = 'superseded' OR "
        "NOT coalesce(s.win, '{}'::jsonb) ? c.key)::text, "
        "r.clocks::text, coalesce(r.created_hlc, 0), coalesce(r.created_site, ''), r.deleted_hlc, coalesce(r.deleted_site, '') "
        "FROM ferry_stage s LEFT JOIN LATERAL (SELECT r.clocks, r.created_hlc, r.created_site, r.deleted_hlc, r.deleted_site "
        "FROM ferry.rows r WHERE r.tbl = s.tbl AND r.pk = s.pk LIMIT 1) r ON true "
        "WHERE s.status = 'superseded' OR (s.status IS NULL AND s.ex AND s.op IN (1, 2))");
    for (const auto& r : lost) {
        protocol::PushResult& res = results[r[0].as<int>()];
        const int op = r[1].as<int>();
        if (op != 3 && !r[3].is_null())
            for (const auto& c : json::parse(r[3].c_str())) res.lost.push_back(c.get<std::string>());
        std::pair<std::int64_t, std::string> winner{0, ""};
        const std::int64_t created_hlc = r[5].as<std::int64_t>();
        if (res.status == "superseded" && op == 3)
            winner = {created_hlc, r[6].c_str()};  // re-inserted after this delete
        else if (res.status == "superseded" && !r[2].as<bool>() && !r[7].is_null())
            winner = {r[7].as<std::int64_t>(), r[8].c_str()};  // deleted
        else if (!res.lost.empty() && !r[4].is_null())
            winner = newest_clock(json::parse(r[4].c_str()), res.lost, created_hlc, r[6].c_str());
        if (winner.first > 0 && !winner.second.empty()) {
            res.winner_hlc = winner.first;
            res.winner_site = winner.second;
        }
    }
}

/// For a change refused for a bad value: the first column whose value does not convert, so the
/// reason can name it (the set-based statement only knows the value).
std::string bad_column(pqxx::work& tx, const PgTable& t, int ord) {
    // A probe per column: its value converts to the column's type, and a counter's delta added to
    // the server's total stays in range.
    auto fails = [&](const std::string& sql) {
        tx.exec("SAVEPOINT ferry_probe");
        try {
            tx.exec_params(sql, ord);
            tx.exec("RELEASE SAVEPOINT ferry_probe");
            return false;
        } catch (const pqxx::sql_error& e) {
            tx.exec("ROLLBACK TO SAVEPOINT ferry_probe");
            tx.exec("RELEASE SAVEPOINT ferry_probe");
            if (!is_data_sqlstate(e.sqlstate())) throw;
            return true;
        }
    };
    for (const auto& c : t.columns) {
        if (!c.synced) continue;
        const std::string name = pg_literal(c.name);
        if (fails("SELECT " + from_device_expr(c, "s.vals -> " + name) + " FROM ferry_stage s WHERE s.ord = $1 AND s.vals ? " +
                  name))
            return c.name;
        if (c.kind == PgKind::integer && fails("SELECT coalesce(t." + pg_ident(c.name) + ", 0) + (s.deltas ->> " + name + ")::" + c.type +
                  " FROM ferry_stage s LEFT JOIN " + pg_ident(t.name) + " t ON " + key_match_expr(t, "t", "s.pk") +
                  " WHERE s.ord = $1 AND s.deltas ? " + name))
            return c.name;
    }
    return {};
}

/// Runs `statements` for `ords` in a savepoint; on failure retries each ord alone and marks the
/// ones that fail as rejected. With `defer`, changes failing on a unique key or a missing parent
/// are not rejected but returned: a delete later in the batch may free the key, and a parent
/// deferred that way may then exist.
std::vector<int> run_with_fallback(pqxx::work& tx, const PgTable& t, const std::vector<std::string>& statements,
                                   const std::vector<int>& ords, const std::string& site, std::int64_t seq, bool defer) {
    std::vector<int> deferred;
    if (ords.empty()) return deferred;
    // Plain savepoints: a failed statement is rolled back to the savepoint and the transaction
    // goes on with the next change.
    auto run = [&](const std::vector<int>& subset) {
        tx.exec("SAVEPOINT ferry_merge");
        try {
            for (const auto& sql : statements) {
                if (sql.find("$3") != std::string::npos)
                    tx.exec_params(sql, ord_array(subset), site, seq);
                else if (sql.find("$2") != std::string::npos)
                    tx.exec_params(sql, ord_array(subset), site);
                else if (sql.find("$1") != std::string::npos)
                    tx.exec_params(sql, ord_array(subset));
                else
                    tx.exec(sql);
            }
        } catch (const pqxx::sql_error&) {
            tx.exec("ROLLBACK TO SAVEPOINT ferry_merge");
            tx.exec("RELEASE SAVEPOINT ferry_merge");
            throw;
        }
        tx.exec("RELEASE SAVEPOINT ferry_merge");
    };
    // Only an error about the data falls back to finding the change(s) responsible; anything else
    // (a lock or statement timeout, a deadlock, a lost connection) fails the whole push.
    try {
        run(ords);
        return deferred;
    } catch (const pqxx::sql_error& e) {
        if (!is_data_sqlstate(e.sqlstate())) throw;
    }
    for (int ord : ords) {
        try {
            run({ord});
        } catch (const pqxx::sql_error& e) {
            if (!is_data_sqlstate(e.sqlstate())) throw;
            if (defer && (e.sqlstate() == "23505" || e.sqlstate() == "23503")) {
                deferred.push_back(ord);
                continue;
            }
            auto r = rejection_for(e);
            if (r.code == "invalid_argument") {
                const auto column = bad_column(tx, t, ord);
                if (!column.empty()) r.reason = t.name + "." + column + ": " + r.reason;
            }
            tx.exec_params("UPDATE ferry_stage SET status = 'rejected', code = $2, reason = $3 WHERE ord = $1", ord,
                           r.code, r.reason);
        }
    }
    return deferred;
}
/// Why a user may not make this change, by the table's rules alone (the rows' owners are checked
/// after staging): nothing when they may. A row owned by a column gets the user as its owner on
/// insert (the device need not know its user id) and keeps it: the owner cannot be changed.
std::optional<std::string> user_write_refusal(const TableRule* rule, const std::string& user, int op, json& vals,
                                              const json& deltas, json& clocks, std::int64_t hlc) {
    if (!rule) return std::nullopt;
    if (rule->global) {
        // Users read shared rows; they may only add to their counters (a usage count).
        if (op == 2 && vals.empty() && !deltas.empty()) return std::nullopt;
        return "table " + rule->name + " is shared by all users and written only by the server (its counters excepted)";
    }
    if (!rule->owner_column) return std::nullopt;
    const std::string& column = *rule->owner_column;
    const bool names_other = vals.contains(column) && !vals[column].is_null() && vals[column] != json(user);
    if (op == 1 && names_other)
        return "column " + rule->name + "." + column + " must be your own user id on insert (it names another user)";
    if (op == 2 && vals.contains(column) && vals[column] != json(user))
        return "column " + rule->name + "." + column + " is the row's owner and cannot be changed";
    if (op == 1) {
        vals[column] = user;
        if (!clocks.contains(column)) clocks[column] = hlc;
    }
    return std::nullopt;
}

/// The newest clock recorded for the ferry.rows entry `r`: its columns' (a column without a
/// clock of its own has the row's insert's), its insert's and its tombstone's.
constexpr const char* k_newest_clock =
    "greatest(r.created_hlc, coalesce(r.deleted_hlc, 0), "
    "CASE WHEN r.clocks = '{}' THEN 0 ELSE coalesce((SELECT max((c.value ->> 0)::bigint) FROM jsonb_each(r.clocks) c), 0) END)";

/// "The newest clock of the ferry.rows entries of the keys in jsonb array `keys`" (0 for none),
/// as a select list and FROM: one index lookup per key (LATERAL ... LIMIT 1, which the planner
/// cannot turn into a join), the entry's table `tbl` and key `pk`, expressions of element k.
std::string newest_clock_by_key(const std::string& keys, const std::string& tbl, const std::string& pk) {
    return "coalesce(max(" + std::string(k_newest_clock) + "), 0) FROM jsonb_array_elements(" + keys +
           ") k CROSS JOIN LATERAL (SELECT r.* FROM ferry.rows r WHERE r.tbl = " + tbl + " AND r.pk = " + pk +
           " LIMIT 1) r";
}

/// "ferry.rows `alias` WHERE it is the entry of table t's row `row`": one index lookup by key.
std::string rows_entry_of(const PgTable& t, const std::string& alias, const std::string& row) {
    return "ferry.rows " + alias + " WHERE " + alias + ".tbl = " + pg_literal(t.name) + " AND " + alias +
           ".pk = " + device_key_expr(t, row);
}

/// "row t may be read by the reader in parameter `user`" (NULL: a trusted process, which reads
/// everything). For a user, the row's readers are read by key, a scalar subquery: PostgreSQL runs
/// it as one index lookup per row it considers and cannot turn it into a join. An EXISTS under
/// an OR was hashed over every ferry.rows entry of the user for each page (94 ms a page of 1,000
/// rows at 100k rows), and a plain EXISTS, as a semi-join, depended on statistics a table just
/// loaded does not have yet (up to 8.6 s a page).
std::string readable_expr(const PgTable& t, const std::string& user, bool trusted) {
    if (trusted) return user + "::text IS NULL";
    return "(SELECT fr.readers FROM " + rows_entry_of(t, "fr", "t") + ") && ARRAY[" + user + "::text, '*']";
}

/// The rest of a snapshot page's SELECT after its data columns, with the reader in parameter $3:
/// for a user, the row's newest clock, the FROM and the readable test, the row's ferry.rows entry
/// read once for both (LATERAL ... LIMIT 1: one index lookup per row, which the planner cannot
/// turn into a join), where two scalar subqueries read it twice. A row with no entry is not
/// readable (its readers are NULL), so the inner join drops no row the user may read. For a
/// trusted process, the row's key as ferry.rows spells it: newest_clock_of_keys reads the clocks
/// of the whole page at once.
std::string snapshot_source(const PgTable& t, bool trusted) {
    const std::string from = " FROM " + pg_ident(t.name) + " t";
    if (trusted) return device_key_expr(t, "t") + "::text" + from + " WHERE " + readable_expr(t, "$3", true);
    return "fr.newest" + from + " CROSS JOIN LATERAL (SELECT r.readers, " + std::string(k_newest_clock) +
           " AS newest FROM " + rows_entry_of(t, "r", "t") + " LIMIT 1) fr WHERE fr.readers && ARRAY[$3::text, '*']";
}

/// The newest clock recorded for any of `keys` (a JSON array of keys of table t as ferry.rows
/// spells them, `count` of them), or greater: the HLC receive rule needs a bound at least as new
/// as each of them. A snapshot page's keys are neighbours in ferry.rows too (its index orders
/// them as jsonb, the page walks the table's key), so one range scan between the least and the
/// greatest of them (compared as jsonb, so every key of the page lies inside) reads the page's
/// entries in index order, where a lookup per key cost most of the page's statement. Entries
/// between them that are not the page's (tombstones, rows of other pages when the two orders
/// differ) can only make the bound newer, which the receive rule allows. When they are more
/// than the page's own again (a key whose jsonb order is not the table's, e.g. numeric keys as
/// text), the range is not read to its end: one lookup per key instead.
std::int64_t newest_clock_of_keys(pqxx::work& tx, const PgTable& t, const std::string& keys, std::size_t count) {
    if (count == 0) return 0;
    const auto most = static_cast<std::int64_t>(2 * count + 1);
    auto span = tx.exec_params(
        "WITH k AS (SELECT value AS pk FROM jsonb_array_elements($2::jsonb)) "
        "SELECT count(*), coalesce(max(newest), 0) FROM (SELECT " + std::string(k_newest_clock) +
            " AS newest FROM ferry.rows r WHERE r.tbl = $1 AND r.pk >= (SELECT pk FROM k ORDER BY pk LIMIT 1) "
            "AND r.pk <= (SELECT pk FROM k ORDER BY pk DESC LIMIT 1) ORDER BY r.tbl, r.pk LIMIT $3) s",
        t.name, keys, most);
    if (span[0][0].as<std::int64_t>() < most) return span[0][1].as<std::int64_t>();
    auto each = tx.exec_params("SELECT " + newest_clock_by_key("$2::jsonb", "$1", "k.value"), t.name, keys);
    return each[0][0].as<std::int64_t>();
}

/// The rows of an answer grouped per table (protocol::TableRows), the tables in sync-rules order
/// (parents first) and each table's rows in the order they were added.
class RowsBuilder {
public:
    explicit RowsBuilder(const std::vector<PgTable>& tables) : m_tables(tables) {}

    /// The current row of `pk` in `t` (null: there is none), its values in the order of t's
    /// synced columns (device_values): a row's key columns hold `pk`, the key as it was logged or
    /// asked for, so the receiver finds each key's row by its own spelling. The row is moved
    /// from.
    void add(const PgTable& t, const json& pk, json* row) {
        Group& g = group(t);
        if (!row) {
            g.rows.gone.push_back(pk);
            return;
        }
        json values = std::move(*row);
        for (std::size_t i = 0; i < g.key_index.size(); ++i)
            if (g.key_index[i] >= 0) values[i] = pk[static_cast<std::size_t>(g.key_index[i])];
        g.rows.rows.push_back(std::move(values));
    }

    /// A row read by a snapshot: its key is its own.
    void add_row(const PgTable& t, json values) { group(t).rows.rows.push_back(std::move(values)); }

    /// The key of a row as device_values read it.
    json key_of(const PgTable& t, const json& values) {
        const Group& g = group(t);
        json pk = json::array();
        for (std::size_t k = 0; k < t.pk.size(); ++k)
            for (std::size_t i = 0; i < g.key_index.size(); ++i)
                if (g.key_index[i] == static_cast<int>(k)) pk.push_back(values[i]);
        return pk;
    }

    std::vector<protocol::TableRows> take() {
        std::vector<protocol::TableRows> out;
        for (const auto& t : m_tables) {
            auto it = m_groups.find(t.name);
            if (it != m_groups.end()) out.push_back(std::move(it->second.rows));
        }
        return out;
    }

private:
    struct Group {
        protocol::TableRows rows;
        std::vector<int> key_index;  // per column of rows.cols: its place in the key, or -1
    };

    Group& group(const PgTable& t) {
        auto [it, fresh] = m_groups.emplace(t.name, Group{});
        if (fresh) {
            it->second.rows.table = t.name;
            for (const auto& c : t.columns) {
                if (!c.synced) continue;
                it->second.rows.cols.push_back(c.name);
                auto k = std::find(t.pk.begin(), t.pk.end(), c.name);
                it->second.key_index.push_back(k == t.pk.end() ? -1 : static_cast<int>(k - t.pk.begin()));
            }
        }
        return it->second;
    }

    const std::vector<PgTable>& m_tables;
    std::map<std::string, Group> m_groups;
};
}  // namespace

SyncServer::SyncServer(std::string app, ServerOptions options) : m_app(std::move(app)), m_options(options) {}

const std::vector<PgTable>& SyncServer::tables(pqxx::transaction_base& tx) {
    if (!m_tables_loaded) {
        m_tables = read_tables(tx, m_app);
        m_tables_loaded = true;
    }
    return m_tables;
}

std::map<std::pair<std::string, std::string>, json> SyncServer::current_rows(pqxx::transaction_base& tx,
                                                                            const std::map<std::string, json>& keys) {
    std::map<std::pair<std::string, std::string>, json> out;
    for (const auto& [name, list] : keys) {
        const PgTable* t = find_table(tx, name);
        if (!t) continue;
        // A row a user may not read is 'no row' for them: a push answer or pull never shows it.
        auto rows = tx.exec_params("SELECT p.k::text, " + device_columns_expr(*t, "t") + " FROM (SELECT k, " +
                                       key_columns_expr(*t, "k") + " FROM jsonb_array_elements($1::jsonb) k OFFSET 0) p JOIN " +
                                       pg_ident(name) + " t ON " + key_join_expr(*t, "t", "p") + " WHERE " +
                                       readable_expr(*t, "$2", m_who.trusted),
                                   list.dump(), reader());
        for (const auto& r : rows) out[{name, json::parse(r[0].c_str()).dump()}] = device_values(*t, r, 1);
    }
    return out;
}

std::vector<protocol::TableRows> SyncServer::rows_of_changes(pqxx::transaction_base& tx,
                                                             const std::vector<protocol::Change>& changes, json& keys_out) {
    std::map<std::string, json> keys;
    std::vector<const PgTable*> table_of(changes.size(), nullptr);
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const PgTable* t = find_table(tx, changes[i].table);
        if (!t || changes[i].pk.size() != t->pk.size()) continue;
        table_of[i] = t;
        keys[t->name].push_back(changes[i].pk);
        keys_out.push_back({t->name, changes[i].pk});
    }
    auto rows = current_rows(tx, keys);
    RowsBuilder out(tables(tx));
    std::set<std::pair<std::string, std::string>> sent;
    for (std::size_t i = 0; i < changes.size(); ++i) {
        if (!table_of[i]) continue;
        std::pair<std::string, std::string> key{table_of[i]->name, changes[i].pk.dump()};
        if (!sent.insert(key).second) continue;
        auto it = rows.find(key);
        out.add(*table_of[i], changes[i].pk, it == rows.end() ? nullptr : &it->second);
    }
    return out.take();
}

protocol::Clocks SyncServer::clocks_for(pqxx::transaction_base& tx, const json& keys, std::int64_t at_least) {
    // HLC's receive rule (DESIGN.md decision 1): the device ratchets past every clock it receives
    // (max_hlc, the greatest recorded for any of the answer's rows), so an edit it makes after
    // seeing them is ordered after each of their values. One statement with the server's clock.
    if (keys.empty()) {  // a snapshot page read its rows' clocks itself; a lease has no rows
        const auto now = tx.exec("SELECT ferry.now_hlc()");
        return protocol::Clocks{now[0][0].as<std::int64_t>(), at_least, m_options.max_clock_skew_ms};
    }
    // One index lookup per key (LATERAL ... LIMIT 1): as a join, the planner hashed the whole of
    // ferry.rows for every push answer and pull page whenever its statistics were stale (a table
    // growing through a first big push), so each batch's cost grew with the table.
    auto r = tx.exec_params("SELECT ferry.now_hlc(), " + newest_clock_by_key("$1::jsonb", "k ->> 0", "k -> 1"), keys.dump());
    return protocol::Clocks{r[0][0].as<std::int64_t>(), std::max(r[0][1].as<std::int64_t>(), at_least),
                            m_options.max_clock_skew_ms};
}

std::optional<std::string> SyncServer::reader() const {
    if (m_who.trusted) return std::nullopt;
    return m_who.user;
}

void SyncServer::act_as(pqxx::work& tx, Plans plans) {
    if (m_who.trusted) return;
    // Transaction-local (set_config(..., true) is SET LOCAL): nothing outlives the transaction, so
    // a connection pooler may hand the connection to anyone next.
    // JIT off: a sync's statements are short, and compiling one took 300 ms where its plan's
    // cost estimate (row-level security, a stage table without statistics) crossed jit_above_cost.
    // Plans::key_walk: a snapshot page is the next `limit` readable rows in key order, a walk of
    // the primary key that stops when the page is full. PostgreSQL cannot estimate how many rows
    // a user may read and guessed few: it fetched every row after the page's start and sorted
    // them, checking each (0.6-0.9 s a page of 1,000 at 100k rows). Then it may only walk indexes.
    const std::string walk = plans != Plans::key_walk ? ""
                             : ", set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true), "
                               "set_config('enable_seqscan', 'off', true)";
    tx.exec_params("SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), "
                   "set_config('jit', 'off', true)" + walk,
                   std::string(k_device_role), m_who.claims_json);
}

void SyncServer::require_own_site(const std::string& site, const pqxx::field& owner) const {
    if (m_who.trusted || (!owner.is_null() && m_who.user == owner.c_str())) return;
    throw Error(ErrorDomain::ferry, ErrorCode::not_permitted,
                "site " + site + " belongs to another user: every store has its own site id, and a site is "
                                 "kept by the user who first synced it (is this store a copy of another user's?)");
}

void SyncServer::claim_site(pqxx::work& tx, const std::string& site) {
    auto owner = tx.exec_params(
        "WITH claimed AS (INSERT INTO ferry.sites(site, user_id) VALUES ($1, $2) ON CONFLICT (site) DO NOTHING "
        "RETURNING user_id) SELECT user_id FROM claimed UNION ALL SELECT user_id FROM ferry.sites WHERE site = $1",
        site, reader());
    require_own_site(site, owner[0][0]);
}

void SyncServer::record_progress(pqxx::work& tx, const std::string& site, const std::string& cursor) {
    // One statement: the site is claimed on first use and its owner checked with the same upsert
    // (a site of another user throws, and the transaction's work is not committed).
    auto owner = tx.exec_params(
        "INSERT INTO ferry.sites AS s (site, user_id, pull_cursor) VALUES ($1, $3, $2) "
        "ON CONFLICT (site) DO UPDATE SET pull_cursor = $2, last_seen = now() RETURNING s.user_id",
        site, cursor, reader());
    require_own_site(site, owner[0][0]);
}

void SyncServer::authorize_staged(pqxx::work& tx, const std::set<std::string>& tables_in_batch) {
    const auto& rules = sync_rules(m_app);
    // A row that exists (or existed: its tombstone keeps its owner) belongs to its recorded owner;
    // nobody takes a row over by pushing its key. Global rows are checked in validate().
    std::vector<std::string> owned;
    for (const auto& name : tables_in_batch) {
        const auto* rule = rules.find(name);
        if (rule && !rule->global) owned.push_back(name);
    }
    // Correlated scalar subqueries: one index lookup of ferry.rows per staged change. As a join,
    // the planner (without statistics of the stage) scanned ferry.rows for every batch: a 1,000-
    // change batch of a user's push took 0.2-0.4 s at 10k rows and grew with the table.
    tx.exec_params(
        "UPDATE ferry_stage s SET status = 'rejected', code = 'not_permitted', reason = 'row ' || s.tbl || ' ' || "
        "s.pk::text || ' belongs to another user' WHERE s.status IS NULL AND "
        "s.tbl IN (SELECT jsonb_array_elements_text($2::jsonb)) AND (SELECT r.owner IS DISTINCT FROM $1 AND "
        "r.owner IS DISTINCT FROM '*' FROM ferry.rows r WHERE r.tbl = s.tbl AND r.pk = s.pk)",
        m_who.user, json(owned).dump());
    // A row owned through its parent may only name a parent the user owns (or inserts in this batch).
    for (const auto& t : tables(tx)) {
        const auto* rule = rules.find(t.name);
        if (!tables_in_batch.count(t.name) || !rule || !rule->owner_via || !rule->owner_parent) continue;
        const std::string via = pg_literal(*rule->owner_via);
        const std::string parent_key = "jsonb_build_array(s.vals -> " + via + ")";
        tx.exec_params(
            "UPDATE ferry_stage s SET status = 'rejected', code = 'not_permitted', reason = " +
                pg_literal(t.name + "." + *rule->owner_via + " must name a row of " + *rule->owner_parent +
                           " that belongs to you") +
                " WHERE s.tbl = " + pg_literal(t.name) + " AND s.status IS NULL AND (s.op = 1 OR (s.op = 2 AND s.vals ? " +
                via + "))" +
                " AND NOT coalesce((SELECT true FROM ferry.rows p WHERE p.tbl = " + pg_literal(*rule->owner_parent) +
                " AND p.pk = " + parent_key + " AND p.owner IN ($1, '*') LIMIT 1), false) AND NOT EXISTS (SELECT 1 FROM ferry_stage q "
                "WHERE q.tbl = " + pg_literal(*rule->owner_parent) + " AND q.pk = " + parent_key +
                " AND q.op = 1 AND q.status IS NULL)",
            m_who.user);
    }
}

const PgTable* SyncServer::find_table(pqxx::transaction_base& tx, const std::string& name) {
    for (const auto& t : tables(tx))
        if (t.name == name) return &t;
    return nullptr;
}

void SyncServer::check_database(pqxx::connection& c) {
    if (m_checked_connection == &c && m_checked_backend == c.backendpid()) return;
    pqxx::nontransaction tx(c);
    const bool installed = tx.exec("SELECT to_regclass('ferry.meta') IS NOT NULL")[0][0].as<bool>();
    auto app = installed ? tx.exec("SELECT value FROM ferry.meta WHERE key = 'app'") : pqxx::result();
    if (app.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                    "this database holds no Ferry app: install app '" + m_app + "' into it first (ferry server init --app " +
                        m_app + ")");
    const std::string holds = app[0][0].c_str();
    if (holds != m_app)
        throw Error(ErrorDomain::ferry, ErrorCode::wrong_app,
                    "this database holds app '" + holds + "', not '" + m_app + "': point the store of app '" + m_app +
                        "' at its own database (a database holds one app)");
    m_checked_connection = &c;
    m_checked_backend = c.backendpid();
}

json SyncServer::handle(pqxx::connection& c, const Principal& who, const std::string& endpoint, const json& request) {
    require_principal(who);  // before the request is read
    if (endpoint == "push") return protocol::encode(serve(c, who, protocol::decode_push_request(request)));
    if (endpoint == "pull") return protocol::encode(serve(c, who, protocol::decode_pull_request(request)));
    if (endpoint == "lease") return protocol::encode(serve(c, who, protocol::decode_lease_request(request)));
    bad_request("unknown endpoint '" + endpoint + "' (push, pull, lease)");
}

protocol::PushAnswer SyncServer::serve(pqxx::connection& c, const Principal& who, const protocol::PushRequest& request) {
    admit(c, who, request.app);
    return push(c, request);
}

protocol::PullAnswer SyncServer::serve(pqxx::connection& c, const Principal& who, const protocol::PullRequest& request) {
    admit(c, who, request.app);
    return pull(c, request);
}

protocol::LeaseAnswer SyncServer::serve(pqxx::connection& c, const Principal& who, const protocol::LeaseRequest& request) {
    admit(c, who, request.app);
    return lease(c, request);
}

void SyncServer::require_principal(const Principal& who) {
    if (!who.trusted && who.user.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::unauthenticated, "a request must be made for a user or a trusted process");
}

void SyncServer::admit(pqxx::connection& c, const Principal& who, const std::string& app) {
    require_principal(who);
    m_who = who;
    if (!app.empty() && app != m_app)
        throw Error(ErrorDomain::ferry, ErrorCode::wrong_app, "this server syncs app '" + m_app + "', not '" + app + "'");
    check_database(c);
}

protocol::PushAnswer SyncServer::push(pqxx::connection& c, const protocol::PushRequest& req) {
    Batch batch;
    batch.site = req.site;
    batch.seq = req.seq;
    batch.changes = &req.changes;
    batch.text = protocol::changes_record(req.changes).dump();
    // Deadlocks and serialization failures are the merge's own business: the rows are locked in a
    // fixed order, but the app's triggers and cascades may touch others. Merge again from scratch.
    for (int attempt = 1;; ++attempt) {
        try {
            return merge_batch(c, batch);
        } catch (const pqxx::sql_error& e) {
            if (!is_retry_sqlstate(e.sqlstate()) || attempt == k_push_attempts) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt * attempt));
    }
}

std::optional<protocol::PushAnswer> SyncServer::replay(pqxx::work& tx, Batch& batch) {
    tx.exec_params("INSERT INTO ferry.sites(site, user_id) VALUES ($1, $2) ON CONFLICT (site) DO NOTHING", batch.site,
                   reader());
    auto ledger = tx.exec_params(
        "SELECT last_seq, last_results::text, last_digest, encode(sha256(convert_to($2, 'UTF8')), 'hex'), user_id "
        "FROM ferry.sites WHERE site = $1 FOR UPDATE",
        batch.site, batch.text);
    require_own_site(batch.site, ledger[0][4]);
    const auto last_seq = ledger[0][0].as<std::int64_t>();
    const std::string digest = ledger[0][3].c_str();
    batch.digest = digest;
    if (batch.seq > last_seq) return std::nullopt;
    // The same batch again (its answer was lost): answer as before, apply nothing. A batch recorded
    // before digests were kept is taken at its word.
    const bool same = batch.seq == last_seq && (ledger[0][2].is_null() || digest == ledger[0][2].c_str());
    if (!same)
        throw Error(ErrorDomain::ferry, ErrorCode::site_reused,
                    "site " + batch.site + " already pushed batch " + std::to_string(batch.seq) +
                        " with other changes (the last batch recorded is " + std::to_string(last_seq) +
                        "): this store is a copy, or was restored from a backup; it must take a new site id and "
                        "push its pending changes again (the client does this by itself)");
    const std::string recorded = "the recorded results of batch " + std::to_string(batch.seq) + " of site " + batch.site;
    const json stored = ledger[0][1].is_null() ? json() : json::parse(ledger[0][1].c_str());
    if (!stored.is_array() || stored.size() != batch.changes->size())
        throw Error(ErrorDomain::ferry, ErrorCode::internal, recorded + " do not match it");
    protocol::PushAnswer out;
    out.seq = batch.seq;
    out.duplicate = true;
    out.results = protocol::results_from_record(stored, recorded);
    json keys = json::array();
    out.tables = rows_of_changes(tx, *batch.changes, keys);
    out.clocks = clocks_for(tx, keys);
    tx.commit();
    return out;
}

void SyncServer::lock_staged_rows(pqxx::work& tx, const std::set<std::string>& tables_in_batch) {
    // Ferry's merges serialise per row on an advisory lock of (table, key), taken in one global
    // order, so two pushes of one row never interleave and never deadlock with each other; the
    // rows that exist are then locked against plain-SQL writers, table by table in key order.
    // Classification below reads the clocks only after both, so it sees every committed write.
    tx.exec("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtextextended(tbl || ' ' || pk::text, 0) "
            "AS k FROM ferry_stage ORDER BY k) keys");
    for (const auto& t : tables(tx)) {
        if (!tables_in_batch.count(t.name)) continue;
        std::string order;
        for (const auto& k : t.pk) order += (order.empty() ? "t." : ", t.") + pg_ident(k);
        tx.exec("SELECT 1 FROM " + staged_keys(t) + " JOIN " + pg_ident(t.name) + " t ON " + key_join_expr(t, "t", "s") +
                " ORDER BY " + order + " FOR UPDATE OF t");
    }
}

SyncServer::Staging SyncServer::validate(pqxx::work& tx, const std::vector<protocol::Change>& changes) {
    const auto& rules = sync_rules(m_app);
    const auto now_ms = tx.exec("SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint")[0][0].as<std::int64_t>();
    Staging out;
    out.results.assign(changes.size(), protocol::PushResult{});
    auto& results = out.results;
    auto& staged = out.staged;
    auto& upserts = out.upserts;
    auto& deletes = out.deletes;
    auto& tables_in_batch = out.tables;
    auto& max_hlc = out.max_hlc;

    for (std::size_t i = 0; i < changes.size(); ++i) {
        // The change's shape was checked by the codec (protocol::decode_push_request).
        const protocol::Change& ch = changes[i];
        auto reject = [&](const std::string& code, const std::string& reason) {
            results[i] = protocol::PushResult{"rejected", code, reason};
        };
        const std::string& name = ch.table;
        const PgTable* t = find_table(tx, name);
        if (!t) {
            bool server_only = std::find(rules.server_only_tables.begin(), rules.server_only_tables.end(), name) !=
                               rules.server_only_tables.end();
            reject(server_only ? "not_permitted" : "invalid_argument",
                   server_only ? "table " + name + " never leaves the server"
                               : "unknown table " + name + " (not synced by app " + m_app + ")");
            continue;
        }
        const int op = ch.op;
        const std::int64_t h = ch.hlc;
        if (ch.pk.size() != t->pk.size()) {
            reject("invalid_argument", "the key of " + name + " has " + std::to_string(t->pk.size()) + " columns");
            continue;
        }
        if (auto where = unstorable_text(*t, ch)) {
            reject("invalid_argument", *where + " holds a NUL character (U+0000), which PostgreSQL cannot store in text");
            continue;
        }
        const std::int64_t ahead = hlc::physical_ms(h) - now_ms;
        if (ahead > m_options.max_clock_skew_ms) {
            reject("clock_skew", "the change's clock (" + iso_from_hlc(h) + ") is " + std::to_string(ahead / 1000) +
                                     " s ahead of the server's; the limit is " +
                                     std::to_string(m_options.max_clock_skew_ms / 1000) +
                                     " s. Set the device's clock right; the change was not applied");
            continue;
        }
        json vals = ch.vals;
        json clocks = json::object();
        // A refusal is decided with its code, where the check knows what it found.
        std::string bad, bad_code;
        for (auto it = vals.begin(); it != vals.end(); ++it) {
            if (!t->has_synced_column(it.key())) {
                bool exists = false;
                for (const auto& col : t->columns) exists = exists || col.name == it.key();
                bad_code = exists ? "not_permitted" : "invalid_argument";
                bad = exists ? "column " + name + "." + it.key() + " never leaves the server and cannot be written by devices"
                             : "unknown column " + name + "." + it.key();
                break;
            }
            auto ck = ch.clocks.find(it.key());
            const std::int64_t col_hlc = ck == ch.clocks.end() ? h : ck->second;
            if (hlc::physical_ms(col_hlc) - now_ms > m_options.max_clock_skew_ms) {
                bad_code = "clock_skew";
                bad = "clock of column " + it.key() + " is too far ahead of the server's";
                break;
            }
            clocks[it.key()] = col_hlc;
        }
        if (!bad.empty()) {
            reject(bad_code, bad);
            continue;
        }
        json deltas = json::object();
        const auto* rule = rules.find(name);
        for (const auto& [column, delta] : ch.deltas) {
            deltas[column] = delta;
            if (bad.empty() && (!rule || std::find(rule->counters.begin(), rule->counters.end(), column) == rule->counters.end()))
                bad = "column " + name + "." + column + " is not a counter: send its value, not a delta";
        }
        if (!bad.empty()) {
            reject("invalid_argument", bad);
            continue;
        }
        if (op == 1)
            for (std::size_t k = 0; k < t->pk.size(); ++k) vals[t->pk[k]] = ch.pk[k];
        if (!m_who.trusted) {
            if (auto refusal = user_write_refusal(rule, m_who.user, op, vals, deltas, clocks, h)) {
                reject("not_permitted", *refusal);
                continue;
            }
        }
        max_hlc = std::max(max_hlc, h);
        staged.push_back({static_cast<int>(i), &ch, std::move(vals), std::move(clocks), std::move(deltas)});
        (op == 3 ? deletes : upserts)[name].push_back(static_cast<int>(i));
        tables_in_batch.insert(name);
    }

    return out;
}

void SyncServer::stage(pqxx::work& tx, const std::vector<StagedChange>& staged, const std::string& site) {
    // COPY, one line per change: no document of the whole batch to build, send and take apart.
    pqxx::stream_to copy(tx, "ferry_stage",
                         std::vector<std::string>{"ord", "tbl", "pk", "op", "hlc", "vals", "clocks", "deltas", "own"});
    for (const auto& s : staged) {
        const protocol::Change& ch = *s.change;
        // An insert's columns whose clock is not the insert's own, as ferry.rows records them (merge_sql).
        json own = json::object();
        if (ch.op == 1)
            for (const auto& [column, clock] : s.clocks.items())
                if (clock.get<std::int64_t>() != ch.hlc) own[column] = json::array({clock, site});
        copy << std::make_tuple(s.ord, ch.table, ch.pk.dump(), ch.op, ch.hlc, s.vals.dump(), s.clocks.dump(), s.deltas.dump(),
                                own.dump());
    }
    copy.complete();
}

protocol::PushAnswer SyncServer::merge_batch(pqxx::connection& c, Batch& batch) {
    pqxx::work tx(c);
    act_as(tx);
    if (auto answer = replay(tx, batch)) return *answer;
    const std::string& site = batch.site;
    const auto& changes = *batch.changes;
    Staging st = validate(tx, changes);
    auto& results = st.results;
    if (!st.staged.empty()) {
        // The merge's mark (ferry.log_change): side effects of this batch on other rows get clocks
        // newer than the batch's greatest.
        tx.exec_params("INSERT INTO ferry.merges(site, hlc) VALUES ($1, $2)", site, st.max_hlc);
        // The stage lives as long as the session: created (and made readable to schema ferry's
        // owner, whose capture triggers read it) once per database session, in one round trip.
        tx.exec(
            "DO $$ BEGIN IF to_regclass('pg_temp.ferry_stage') IS NULL THEN "
            "CREATE TEMP TABLE ferry_stage (ord int PRIMARY KEY, tbl text, pk jsonb, op smallint, "
            "hlc bigint, vals jsonb, clocks jsonb, deltas jsonb, own jsonb, ex boolean, dead boolean, win jsonb, status text, "
            "code text, reason text) ON COMMIT DELETE ROWS; "
            "CREATE INDEX ferry_stage_key ON ferry_stage (tbl, pk); "
            "EXECUTE format('GRANT SELECT ON pg_temp.ferry_stage TO %I', "
            "(SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'ferry')); END IF; END $$");
        stage(tx, st.staged, site);
        lock_staged_rows(tx, st.tables);
        if (!m_who.trusted) authorize_staged(tx, st.tables);

        std::map<std::string, MergeSql> sql;
        for (const auto& t : tables(tx)) {
            const auto* rule = sync_rules(m_app).find(t.name);
            sql.emplace(t.name, merge_sql(t, rule ? rule->counters : std::vector<std::string>{}, sync_rules(m_app), tables(tx)));
        }
        // Parents before children for inserts and updates; children before parents for deletes.
        // An upsert that clashes on a unique key (or misses a parent) is tried again after the
        // deletes, which may free the key (a row replaced by another with the same email in one
        // local transaction), parents first.
        std::map<std::string, std::vector<int>> retry;
        for (const auto& t : tables(tx))
            if (st.upserts.count(t.name))
                retry[t.name] = run_with_fallback(tx, t, sql[t.name].upsert, st.upserts[t.name], site, batch.seq, true);
        for (auto it = tables(tx).rbegin(); it != tables(tx).rend(); ++it)
            if (st.deletes.count(it->name)) run_with_fallback(tx, *it, sql[it->name].remove, st.deletes[it->name], site, batch.seq,
                                                      false);
        for (const auto& t : tables(tx))
            if (!retry[t.name].empty()) run_with_fallback(tx, t, sql[t.name].upsert, retry[t.name], site, batch.seq, false);

        // Entries of this transaction for the rows pushed: the answer carries their final rows.
        // The merge's inserts and deletes logged theirs with the origin; the capture trigger's
        // (updates, and side effects on a pushed row) get it here.
        tx.exec_params("UPDATE ferry.changes c SET origin = $1, origin_seq = $2 FROM ferry_stage s "
                       "WHERE c.xid = pg_current_xact_id() AND c.origin IS NULL AND c.tbl = s.tbl AND c.pk = s.pk",
                       site, batch.seq);
        read_results(tx, results);
        tx.exec("DELETE FROM ferry.merges WHERE xid = pg_current_xact_id()");
    }

    // Statuses are the ledger's record; rows are read fresh for every answer (a retry included),
    // so the device always ends at the server's current state of every row it pushed.
    protocol::PushAnswer out;
    out.seq = batch.seq;
    json keys = json::array();
    out.tables = rows_of_changes(tx, changes, keys);
    tx.exec_params("UPDATE ferry.sites SET last_seq = $2, last_results = $3::jsonb, last_seen = now(), "
                   "last_digest = $4 WHERE site = $1",
                   batch.site, batch.seq, protocol::results_record(results).dump(), batch.digest);
    out.results = std::move(results);
    out.clocks = clocks_for(tx, keys, st.max_hlc);
    tx.commit();
    return out;
}

protocol::PullAnswer SyncServer::pull(pqxx::connection& c, const protocol::PullRequest& req) {
    const std::string& site = req.site;
    const auto limit = req.limit;
    if (req.snapshot) return snapshot(c, site, limit, *req.snapshot);
    std::string cursor = req.cursor.empty() ? "0:0" : req.cursor;
    const auto position = parse_position(cursor);
    if (!position) bad_request("'cursor' must be empty or XID:ID as returned by a pull");

    pqxx::work tx(c);
    act_as(tx);
    auto horizon = tx.exec("SELECT value FROM ferry.meta WHERE key = 'trim_horizon'");
    if (!horizon.empty() && !req.cursor.empty()) {
        const auto h = parse_position(horizon[0][0].c_str());
        if (h && *position < *h)
            throw Error(ErrorDomain::ferry, ErrorCode::resync_required,
                        "this device last pulled at " + cursor + ", before the server trimmed its change log (up to " +
                            horizon[0][0].c_str() +
                            "): it needs a fresh snapshot, which the next sync takes by itself; local writes not "
                            "yet pushed are kept");
    }
    // Handed out in (xid, id) order below the bound: a transaction that started earlier but
    // commits later is still ahead of the cursor.
    const PullBound bound = pull_bound(tx);
    // The device's own pushes are skipped only up to the batch it has acknowledged: a batch of a
    // copy of the store that pushed under the same site id is not its own.
    const std::optional<std::int64_t> acked = req.acked_seq;
    // A user's pull reads only the entries whose row they could read before or after the change
    // (readers, 0009): their rows' deletes and removals included, nobody else's keys.
    auto page = tx.exec_params(
        "SELECT c.xid::text, c.id, c.tbl, c.pk::text, c.origin IS NOT DISTINCT FROM $4 AND "
        "($6::bigint IS NULL OR c.origin_seq IS NULL OR c.origin_seq <= $6::bigint) FROM ferry.changes c "
        "WHERE (c.xid, c.id) > ($1::text::xid8, $2::bigint) AND c.xid < $5::text::xid8 "
        "AND ($7::text IS NULL OR c.readers && ARRAY[$7::text, '*']) "
        "ORDER BY c.xid, c.id LIMIT $3",
        std::to_string(position->xid), position->id, limit, site, bound.xid, acked, reader());

    protocol::PullAnswer out;
    out.cursor = cursor;
    out.more = page.size() == static_cast<std::size_t>(limit);
    // Who holds a pull back (a backend's pid, its application) is for operators, not for users.
    if (page.size() < static_cast<std::size_t>(limit) && m_who.trusted)
        out.held_back = held_back(tx, bound, m_options.held_back_notice_ms);
    std::vector<std::pair<std::string, std::string>> order;  // (table, pk) by first appearance
    std::map<std::string, json> keys_by_table;
    std::map<std::pair<std::string, std::string>, bool> seen;
    for (const auto& r : page) {
        out.cursor = std::string(r[0].c_str()) + ":" + r[1].c_str();
        if (r[4].as<bool>()) continue;  // this device's own push: it has the row already
        std::pair<std::string, std::string> key{r[2].c_str(), r[3].c_str()};
        if (seen.emplace(key, true).second) {
            order.push_back(key);
            keys_by_table[key.first].push_back(json::parse(key.second));
        }
    }
    // A user's page that is not full holds every entry for them below the bound: the cursor
    // moves past the other users' entries too, so the next pull does not read them again.
    if (!m_who.trusted && page.size() < static_cast<std::size_t>(limit)) {
        auto last = tx.exec_params("SELECT c.xid::text || ':' || c.id FROM ferry.changes c WHERE c.xid < $1::text::xid8 "
                                   "AND (c.xid, c.id) > ($2::text::xid8, $3::bigint) ORDER BY c.xid DESC, c.id DESC LIMIT 1",
                                   bound.xid, std::to_string(position->xid), position->id);
        if (!last.empty()) out.cursor = last[0][0].c_str();
    }
    // Rows the device asks for by key (ones it had to clear out of the way): sent as they are now.
    for (const auto& f : req.fetch) {
        const PgTable* t = find_table(tx, f.table);
        if (!t) continue;
        for (const auto& pk : f.keys) {
            if (pk.size() != t->pk.size()) continue;
            std::pair<std::string, std::string> key{t->name, pk.dump()};
            if (seen.emplace(key, true).second) {
                order.push_back(key);
                keys_by_table[key.first].push_back(pk);
            }
        }
    }
    auto current = current_rows(tx, keys_by_table);
    json keys = json::array();
    RowsBuilder rows(tables(tx));
    for (const auto& [name, pk] : order) {
        const PgTable* t = find_table(tx, name);
        if (!t) continue;
        auto pk_json = json::parse(pk);
        auto it = current.find({name, pk_json.dump()});
        rows.add(*t, pk_json, it == current.end() ? nullptr : &it->second);
        keys.push_back({name, std::move(pk_json)});
    }
    out.tables = rows.take();
    out.clocks = clocks_for(tx, keys);
    record_progress(tx, site, out.cursor);
    tx.commit();
    return out;
}

protocol::PullAnswer SyncServer::snapshot(pqxx::connection& c, const std::string& site, std::int64_t limit,
                                          const protocol::SnapshotState& state) {
    pqxx::work tx(c);
    act_as(tx, Plans::key_walk);
    const auto& all = tables(tx);
    std::string cursor = state.cursor;
    std::string table = state.table;
    json after = state.after;
    if (cursor.empty()) {
        // The snapshot starts: everything logged below the bound is in the data it reads, so
        // pulling continues from there afterwards (later changes are applied again: harmless).
        auto r = tx.exec_params(
            "SELECT c.xid::text || ':' || c.id FROM ferry.changes c WHERE c.xid < $1::text::xid8 "
            "ORDER BY c.xid DESC, c.id DESC LIMIT 1",
            pull_bound(tx).xid);
        cursor = r.empty() ? "0:0" : r[0][0].c_str();
        table = all.empty() ? "" : all.front().name;
        after = json();
    }
    if (!parse_position(cursor)) bad_request("bad snapshot cursor");
    auto it = std::find_if(all.begin(), all.end(), [&](const PgTable& t) { return t.name == table; });
    if (it == all.end() && !all.empty()) bad_request("bad snapshot table '" + table + "'");

    // A page fills up across tables (parents first, the order the device applies them in), so
    // a fresh device with many small tables needs few round trips.
    protocol::PullAnswer out;
    out.cursor = cursor;
    out.is_snapshot = true;
    RowsBuilder page(all);
    std::int64_t newest = 0;  // the newest clock of the page's rows
    std::int64_t room = limit;
    for (; it != all.end(); ++it, after = json()) {
        const PgTable& t = *it;
        std::string order, from_after;
        for (std::size_t i = 0; i < t.pk.size(); ++i) {
            order += (i ? ", " : "") + std::string("t.") + pg_ident(t.pk[i]);
            from_after += (i ? ", " : "") + from_device_expr(t.column(t.pk[i]), "($1::jsonb -> " + std::to_string(i) + ")");
        }
        const bool resume = after.is_array() && after.size() == t.pk.size();
        // $1: the key to go on after (NULL at a table's start), $2: room, $3: the reader.
        // The last column is the row's newest clock, read by key beside the row (one statement
        // a page, where a second one joining the page's keys cost three times the page's read).
        const std::string select = "SELECT " + device_columns_expr(t, "t") + ", " + snapshot_source(t, m_who.trusted) +
                                   (resume ? " AND (" + order + ") > (" + from_after + ")" : " AND $1::jsonb IS NULL");
        auto rows = tx.exec_params(select + " ORDER BY " + order + " LIMIT $2",
                                   resume ? std::optional<std::string>(after.dump()) : std::nullopt, room, reader());
        json last;
        // The last column: the row's newest clock (a user's page), or its key (a trusted one's).
        const auto extra_at = static_cast<pqxx::row::size_type>(rows.columns() - 1);
        std::string keys = "[";
        for (const auto& r : rows) {
            json values = device_values(t, r, 0);
            last = page.key_of(t, values);
            page.add_row(t, std::move(values));
            if (r[extra_at].is_null()) continue;
            if (m_who.trusted) keys.append(keys.size() > 1 ? "," : "").append(r[extra_at].c_str());
            else newest = std::max(newest, r[extra_at].as<std::int64_t>());
        }
        if (m_who.trusted) newest = std::max(newest, newest_clock_of_keys(tx, t, keys + "]", rows.size()));
        room -= static_cast<std::int64_t>(rows.size());
        if (room == 0) {
            out.snapshot = protocol::SnapshotState{cursor, t.name, last};
            break;
        }
    }
    out.more = out.snapshot.has_value();
    out.tables = page.take();
    // Every page records the snapshot's starting position as the site's progress, so trimming
    // keeps the changes the device pulls after the snapshot, however long the snapshot takes.
    record_progress(tx, site, cursor);
    out.clocks = clocks_for(tx, json::array(), newest);
    tx.commit();
    return out;
}

protocol::LeaseAnswer SyncServer::lease(pqxx::connection& c, const protocol::LeaseRequest& req) {
    pqxx::work tx(c);
    act_as(tx);
    claim_site(tx, req.site);
    protocol::LeaseAnswer out;
    for (const auto& r : req.requests) {
        const auto& name = r.table;
        const auto& column = r.column;
        const auto count = r.count;
        const PgTable* t = find_table(tx, name);
        if (!t || t->pk.size() != 1 || t->pk[0] != column || t->column(column).kind != PgKind::integer)
            bad_request(name + "." + column + " is not an integer key of a synced table");
        auto seq = tx.exec_params("SELECT pg_get_serial_sequence(quote_ident($1), $2)", name, column);
        if (seq[0][0].is_null()) bad_request(name + "." + column + " has no sequence to lease from");
        protocol::Lease lease{name, column, {}};
        for (const auto& row : tx.exec_params("SELECT ferry.lease_ids($1::regclass, $2)", seq[0][0].c_str(), count))
            lease.ids.push_back(row[0].as<std::int64_t>());
        out.leases.push_back(std::move(lease));
    }
    out.clocks = clocks_for(tx, json::array());
    tx.commit();
    return out;
}

}  // namespace ferry::detail
