// sync/client/outcomes.cpp: the write-outcome ledger (docs/outcomes.md): recording outcomes from
// push answers, the watch and pruning policy, and the app's actions on an outcome (retry a
// rejected write, restore a superseded one, discard either).
#include "sync/client/outcomes.hpp"

#include <algorithm>

#include "ferry/error.hpp"
#include "ferry/outcomes.hpp"
#include "ferry/sync.hpp"
#include "lib/core/ids.hpp"
#include "lib/store/store_impl.hpp"

namespace ferry {
namespace detail {
namespace {

constexpr int k_default_max_age_days = 30;
constexpr std::int64_t k_default_max_count = 10000;

Error bad_argument(const std::string& what) { return Error(ErrorDomain::ferry, ErrorCode::invalid_argument, what); }

/// The values of `columns` in the server's row, as a JSON object (for the columns it sent).
json row_values(const CapturedTable& t, const RemoteRow& row, const std::vector<std::string>& columns) {
    json out = json::object();
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const bool wanted = columns.empty() || std::find(columns.begin(), columns.end(), t.columns[i]) != columns.end();
        if (!wanted) continue;
        if (const json* v = row.value(i)) out[t.columns[i]] = *v;
    }
    return out;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

std::string outcome_of(const protocol::PushResult& result) {
    if (result.status == "rejected") return "rejected";
    if (result.status == "superseded" || !result.lost.empty()) return "superseded";
    return "applied";
}

OutcomeRecorder::OutcomeRecorder(Store::Impl& impl) : m_impl(impl) {
    for (const auto& r : impl.query("SELECT tbl FROM ferry_outcome_watch", {}).rows) m_watch.insert(r[0].as_text());
}

bool OutcomeRecorder::keeps(const std::string& table, const std::string& outcome) const {
    return outcome == "rejected" || m_watch.count("*") || m_watch.count(table);
}

std::int64_t OutcomeRecorder::record(const CapturedTable& table, const protocol::Change& change,
                                     const protocol::PushResult& result, const std::string& outcome, std::int64_t batch,
                                     const RemoteRow* row) {
    Value code, reason, columns, local, winner, winner_site, winner_at;
    if (outcome == "rejected") {
        code = result.code.empty() ? std::string("invalid_argument") : result.code;
        reason = result.reason;
        if (change.op != 3) local = change.vals.dump();
    } else if (outcome == "superseded") {
        code = std::string("superseded");
        reason = result.status == "superseded" ? result.reason
                                               : "column(s) " + joined(result.lost) + " already held newer values";
        columns = json(result.lost).dump();
        if (change.op != 3) {
            json mine = json::object();
            for (const auto& c : result.lost)
                if (change.vals.contains(c)) mine[c] = change.vals[c];
            local = mine.dump();
        }
        // The winner's values: of the columns that lost, or the whole row that outlived a delete.
        if (row && row->exists()) winner = row_values(table, *row, result.lost).dump();
        if (!result.winner_site.empty()) {
            winner_site = result.winner_site;
            winner_at = iso_timestamp(result.winner_hlc >> 16);
        }
    }
    ++m_recorded;
    return m_impl
        .query("INSERT INTO ferry_outcomes(tbl, pk, op, outcome, code, reason, columns, local_values, winner_values, "
               "winner_site, winner_at, hlc, batch, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
               {table.name, change.pk.dump(), op_name(change.op), outcome, code, reason, columns, local, winner,
                winner_site, winner_at, change.hlc, batch, Store::now_timestamp()})
        .rows.at(0)
        .at(0)
        .as_int();
}

void prune_outcomes(Store::Impl& impl) {
    const std::int64_t days = std::stoll(impl.meta("outcomes_max_age_days").value_or(std::to_string(k_default_max_age_days)));
    const std::int64_t count = std::stoll(impl.meta("outcomes_max_count").value_or(std::to_string(k_default_max_count)));
    const std::string prunable = "(outcome <> 'rejected' OR resolution IS NOT NULL)";
    impl.transaction([&] {
        impl.execute("DELETE FROM ferry_outcomes WHERE " + prunable + " AND recorded_at < ?",
                     {iso_timestamp(SystemClock::instance().now_ms() - days * 86400000)});
        impl.execute("DELETE FROM ferry_outcomes WHERE " + prunable + " AND id <= (SELECT id FROM ferry_outcomes WHERE " +
                         prunable + " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                     {static_cast<std::int64_t>(count)});
    });
}

}  // namespace detail

using namespace detail;

namespace {

WriteOutcome outcome_from(const Row& r) {
    WriteOutcome o;
    o.id = r[0].as_int();
    o.table = r[1].as_text();
    o.key_json = r[2].as_text();
    o.op = r[3].as_text();
    o.outcome = r[4].as_text();
    auto text = [&](std::size_t i) { return r[i].is_null() ? std::string() : r[i].as_text(); };
    o.code = text(5);
    o.reason = text(6);
    if (!r[7].is_null())
        for (const auto& c : json::parse(r[7].as_text())) o.columns.push_back(c.get<std::string>());
    o.local_values_json = text(8);
    o.winner_values_json = text(9);
    o.winner_site = text(10);
    o.winner_at = text(11);
    o.recorded_at = text(12);
    o.resolution = text(13);
    return o;
}

const char* k_outcome_columns =
    "id, tbl, pk, op, outcome, code, reason, columns, local_values, winner_values, winner_site, winner_at, recorded_at, "
    "resolution";

WriteOutcome load_outcome(Store& store, std::int64_t id) {
    auto r = store.query(std::string("SELECT ") + k_outcome_columns + " FROM ferry_outcomes WHERE id = ?", {id});
    if (r.rows.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::not_found, "no write outcome " + std::to_string(id) + " in the ledger");
    return outcome_from(r.rows[0]);
}

/// The values to write again: the recorded ones with `changes` on top, each checked against the
/// table's columns.
std::vector<std::pair<std::string, Value>> values_to_write(const CapturedTable& t, const WriteOutcome& o,
                                                          const std::string& changes_json) {
    json values = o.local_values_json.empty() ? json::object() : json::parse(o.local_values_json);
    if (!changes_json.empty()) {
        json changes;
        try {
            changes = json::parse(changes_json);
        } catch (const json::exception& e) {
            throw bad_argument(std::string("the changes to retry with are not JSON: ") + e.what());
        }
        if (!changes.is_object()) throw bad_argument("the changes to retry with must be a JSON object of column values");
        for (auto& [c, v] : changes.items()) values[c] = v;
    }
    std::vector<std::pair<std::string, Value>> out;
    for (const auto& [c, v] : values.items()) {
        if (std::find(t.columns.begin(), t.columns.end(), c) == t.columns.end())
            throw bad_argument("table " + t.name + " has no column " + c);
        if (std::find(t.pk_columns.begin(), t.pk_columns.end(), c) != t.pk_columns.end()) continue;
        out.emplace_back(c, from_json(v, t.name, c));
    }
    return out;
}

using ColumnValues = std::vector<std::pair<std::string, Value>>;

void update_row(Store::Impl& impl, const CapturedTable& t, const std::vector<Value>& key, const ColumnValues& values) {
    std::string sets;
    std::vector<Value> params;
    for (const auto& [c, v] : values) {
        sets += (sets.empty() ? "" : ", ") + quote_ident(c) + " = ?";
        params.push_back(v);
    }
    if (sets.empty()) return;
    params.insert(params.end(), key.begin(), key.end());
    impl.execute("UPDATE " + quote_ident(t.name) + " SET " + sets + " WHERE " + where_key(t), params);
}

void insert_row(Store::Impl& impl, const CapturedTable& t, const std::vector<Value>& key, const ColumnValues& values) {
    std::string cols, marks;
    std::vector<Value> params;
    for (std::size_t k = 0; k < t.pk_columns.size(); ++k) {
        cols += (cols.empty() ? "" : ", ") + quote_ident(t.pk_columns[k]);
        marks += marks.empty() ? "?" : ", ?";
        params.push_back(key[k]);
    }
    for (const auto& [c, v] : values) {
        cols += ", " + quote_ident(c);
        marks += ", ?";
        params.push_back(v);
    }
    impl.execute("INSERT INTO " + quote_ident(t.name) + " (" + cols + ") VALUES (" + marks + ")", params);
}

/// Makes the outcome's write again as a new local write (captured, with a new clock) and marks
/// the outcome with `resolution`: a delete deletes the row, an insert or update writes its values
/// over the row, an insert of a row that is gone inserts it again.
void write_again(Store& store, std::int64_t id, const char* expected, const char* resolution, const std::string& changes_json) {
    auto& impl = impl_of(store);
    impl.transaction([&] {
        const WriteOutcome o = load_outcome(store, id);
        if (o.outcome != expected || !o.resolution.empty())
            throw bad_argument("write outcome " + std::to_string(id) + " is " + o.outcome +
                               (o.resolution.empty() ? "" : " and already " + o.resolution) + ", not an unresolved " +
                               expected + " write");
        TableIndex index(impl);
        auto t = index.by_name.find(o.table);
        if (t == index.by_name.end()) throw bad_argument("table " + o.table + " is no longer synced");
        const CapturedTable& table = *t->second;
        const std::vector<Value> key = key_values(table, json::parse(o.key_json));
        const bool present = !impl.query("SELECT 1 FROM " + quote_ident(table.name) + " WHERE " + where_key(table), key).rows.empty();
        const ColumnValues values = values_to_write(table, o, changes_json);
        if (o.op == "delete") {
            if (present) impl.execute("DELETE FROM " + quote_ident(table.name) + " WHERE " + where_key(table), key);
        } else if (present) {
            update_row(impl, table, key, values);
        } else if (o.op == "insert") {
            insert_row(impl, table, key, values);
        } else {
            throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                        "row " + o.table + " " + o.key_json + " no longer exists on this device: its update cannot be "
                        "written again (insert the row anew instead)");
        }
        impl.execute("UPDATE ferry_outcomes SET resolution = ?, resolved_at = ? WHERE id = ?",
                     {std::string(resolution), Store::now_timestamp(), id});
    });
}

}  // namespace

std::vector<WriteOutcome> write_outcomes(Store& store, const OutcomeFilter& filter) {
    if (!filter.outcome.empty() && filter.outcome != "applied" && filter.outcome != "superseded" && filter.outcome != "rejected")
        throw bad_argument("an outcome is applied, superseded or rejected, not '" + filter.outcome + "'");
    std::string where = "1";
    std::vector<Value> params;
    if (!filter.outcome.empty()) {
        where += " AND outcome = ?";
        params.push_back(filter.outcome);
    }
    if (!filter.table.empty()) {
        where += " AND tbl = ?";
        params.push_back(filter.table);
    }
    if (!filter.include_resolved) where += " AND resolution IS NULL";
    std::string sql = std::string("SELECT ") + k_outcome_columns + " FROM ferry_outcomes WHERE " + where + " ORDER BY id";
    if (filter.limit > 0) {
        sql = std::string("SELECT * FROM (SELECT ") + k_outcome_columns + " FROM ferry_outcomes WHERE " + where +
              " ORDER BY id DESC LIMIT ?) ORDER BY id";
        params.push_back(filter.limit);
    }
    std::vector<WriteOutcome> out;
    for (const auto& r : store.query(sql, params).rows) out.push_back(outcome_from(r));
    return out;
}

std::string write_outcomes_json(Store& store, const OutcomeFilter& filter) {
    using ordered = nlohmann::ordered_json;
    auto parsed = [](const std::string& text) { return text.empty() ? json() : json::parse(text); };
    ordered out = ordered::array();
    for (const auto& o : write_outcomes(store, filter)) {
        ordered j = {{"id", o.id}, {"table", o.table}, {"key", json::parse(o.key_json)}, {"op", o.op}, {"outcome", o.outcome}};
        if (!o.code.empty()) j["code"] = o.code;
        if (!o.reason.empty()) j["reason"] = o.reason;
        if (!o.columns.empty()) j["columns"] = o.columns;
        if (!o.local_values_json.empty()) j["local_values"] = parsed(o.local_values_json);
        if (o.outcome == "superseded") {
            j["winner_values"] = parsed(o.winner_values_json);
            j["winner_site"] = o.winner_site;
            j["winner_at"] = o.winner_at;
        }
        j["recorded_at"] = o.recorded_at;
        j["resolution"] = o.resolution.empty() ? json() : json(o.resolution);
        out.push_back(std::move(j));
    }
    return out.dump(2);
}

OutcomePolicy outcome_policy(Store& store) {
    auto& impl = impl_of(store);
    OutcomePolicy p;
    for (const auto& r : impl.query("SELECT tbl FROM ferry_outcome_watch ORDER BY tbl", {}).rows) p.watch.push_back(r[0].as_text());
    p.max_age_days = static_cast<int>(std::stoll(impl.meta("outcomes_max_age_days").value_or(std::to_string(k_default_max_age_days))));
    p.max_count = std::stoll(impl.meta("outcomes_max_count").value_or(std::to_string(k_default_max_count)));
    return p;
}

void set_outcome_policy(Store& store, const OutcomePolicy& policy) {
    auto& impl = impl_of(store);
    if (policy.max_age_days < 1 || policy.max_count < 1)
        throw bad_argument("the outcome ledger's max_age_days and max_count must be at least 1");
    const auto synced = store.synced_tables();
    for (const auto& t : policy.watch)
        if (t != "*" && std::find(synced.begin(), synced.end(), t) == synced.end())
            throw bad_argument("cannot watch the outcomes of table " + t + ": it is not a synced table of app " + store.app());
    impl.transaction([&] {
        impl.execute("DELETE FROM ferry_outcome_watch", {});
        for (const auto& t : policy.watch) impl.execute("INSERT OR IGNORE INTO ferry_outcome_watch(tbl) VALUES (?)", {t});
        impl.set_meta("outcomes_max_age_days", std::to_string(policy.max_age_days));
        impl.set_meta("outcomes_max_count", std::to_string(policy.max_count));
    });
}

void retry_write(Store& store, std::int64_t id, const std::string& changes_json) {
    write_again(store, id, "rejected", "retried", changes_json);
}

void restore_write(Store& store, std::int64_t id) { write_again(store, id, "superseded", "restored", ""); }

bool discard_write(Store& store, std::int64_t id) {
    return store.execute("UPDATE ferry_outcomes SET resolution = 'discarded', resolved_at = ? WHERE id = ? AND resolution IS NULL",
                         {Store::now_timestamp(), id}) > 0;
}

// The rejected-write functions of ferry/sync.hpp, from before the ledger: its rejected entries.

std::vector<RejectedWrite> rejected_writes(Store& store) {
    std::vector<RejectedWrite> out;
    auto r = store.query(
        "SELECT id, tbl, pk, op, code, reason, coalesce(row_values, ''), rejected_at FROM ferry_rejected ORDER BY id");
    for (const auto& row : r.rows)
        out.push_back(RejectedWrite{row[0].as_int(), row[1].as_text(), row[2].as_text(), row[3].as_text(),
                                    row[4].as_text(), row[5].as_text(), row[6].as_text(), row[7].as_text()});
    return out;
}

bool dismiss_rejected_write(Store& store, std::int64_t id) {
    const auto outcome = store.query_value("SELECT outcome FROM ferry_outcomes WHERE id = ?", {id});
    return outcome && outcome->as_text() == "rejected" && discard_write(store, id);
}

std::string write_status(Store& store, const std::string& table, const std::string& key_json) {
    const auto synced = store.synced_tables();
    if (std::find(synced.begin(), synced.end(), table) == synced.end())
        throw bad_argument("table " + table + " is not a synced table of app " + store.app());
    json key;
    try {
        key = json::parse(key_json);
    } catch (const json::exception&) {
        key = nullptr;
    }
    if (!key.is_array() || key.empty()) throw bad_argument("a row's key is a JSON array of its key values, not '" + key_json + "'");
    auto v = store.query_value(
        "SELECT outcome FROM ferry_write_status WHERE tbl = ? AND pk = ? ORDER BY outcome = 'pending' DESC LIMIT 1",
        {table, key.dump()});
    return v ? v->as_text() : "unknown";
}

}  // namespace ferry
