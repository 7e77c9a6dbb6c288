// sync/client/remote_apply.cpp: applying the server's rows on the device.
#include "sync/client/remote_apply.hpp"

#include <algorithm>
#include <set>
#include <sqlite3.h>
#include <tuple>

#include "ferry/error.hpp"
#include "ferry/store.hpp"
#include "lib/store/store_impl.hpp"

namespace ferry::detail {

namespace {
void add_entry(std::optional<Pending>& slot, std::int64_t op, std::int64_t mask) {
    if (!slot) slot = Pending{};
    slot->mask |= mask;
    slot->inserted = slot->inserted || op == 1;
    slot->last_op = static_cast<int>(op);
}
}  // namespace

PendingWrites::PendingWrites(Store::Impl& impl, const std::vector<RemoteRow>& rows, const std::string& entries_sql)
    : m_impl(impl) {
    if (rows.empty()) return;
    // Nothing queued (a fresh device's snapshot, a device that pushed everything): no row has
    // pending writes, and none can get any while capture is off for the apply.
    m_log_empty = impl.query("SELECT 1 FROM ferry_changes LIMIT 1", {}).rows.empty();
    if (m_log_empty) return;
    json keys = json::array();
    for (const auto& r : rows) {
        auto [it, fresh] = m_rows.emplace(std::make_pair(r.table->id, r.pk.dump()), std::nullopt);
        if (fresh) keys.push_back({it->first.first, it->first.second});
    }
    // One pass over the log in seq order; the IN list becomes a temporary index SQLite probes
    // for each entry (a join could loop over the key list for every entry instead).
    auto found = impl.query(entries_sql.empty() ? "SELECT tbl, pk, op, mask FROM ferry_changes "
                                                  "WHERE (tbl, pk) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?)) ORDER BY seq"
                                                : entries_sql,
                            {keys.dump()});
    for (const auto& row : found.rows)
        add_entry(m_rows[{row[0].as_int(), row[1].as_text()}], row[2].as_int(), row[3].as_int());
}

const Pending* PendingWrites::find(std::int64_t table_id, const std::string& pk) {
    if (m_log_empty) return nullptr;
    auto it = m_rows.find({table_id, pk});
    if (it == m_rows.end()) {
        it = m_rows.emplace(std::make_pair(table_id, pk), std::nullopt).first;
        for (const auto& row :
             m_impl.query("SELECT op, mask FROM ferry_changes WHERE tbl = ? AND pk = ? ORDER BY seq", {table_id, pk}).rows)
            add_entry(it->second, row[0].as_int(), row[1].as_int());
    }
    return it->second ? &*it->second : nullptr;
}

void PendingWrites::clear(std::int64_t table_id, const std::string& pk) {
    // Known to have no entries: nothing to delete (the log has no index on the key; skip the scan).
    if (m_log_empty) return;
    auto it = m_rows.find({table_id, pk});
    if (it != m_rows.end() && !it->second) return;
    m_impl.execute("DELETE FROM ferry_changes WHERE tbl = ? AND pk = ?", {table_id, pk});
    m_rows[{table_id, pk}] = std::nullopt;
}

std::optional<std::int64_t> counter_base(Store::Impl& impl, const CapturedTable& t, const std::string& key,
                                         const std::string& col) {
    auto r = impl.query("SELECT base FROM ferry_counter_base WHERE tbl = ? AND pk = ? AND col = ?", {t.id, key, col});
    if (r.rows.empty()) return std::nullopt;
    return r.rows[0][0].as_int();
}

void set_counter_base(Store::Impl& impl, const CapturedTable& t, const std::string& key, const std::string& col,
                      std::int64_t base) {
    impl.execute("INSERT INTO ferry_counter_base(tbl, pk, col, base) VALUES (?1, ?2, ?3, ?4) "
                 "ON CONFLICT(tbl, pk, col) DO UPDATE SET base = ?4",
                 {t.id, key, col, base});
}

const json* RemoteRow::value(std::size_t i) const {
    if (!slots || i >= slots->size() || (*slots)[i] < 0) return nullptr;
    return &values[static_cast<std::size_t>((*slots)[i])];
}

std::vector<RemoteRow> remote_rows(const TableIndex& index, std::vector<protocol::TableRows>& tables) {
    std::vector<RemoteRow> out;
    for (auto& page : tables) {
        auto found = index.by_name.find(page.table);
        if (found == index.by_name.end()) continue;  // a table this device does not sync
        const CapturedTable& t = *found->second;
        auto slots = std::make_shared<std::vector<int>>(t.columns.size(), -1);
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            auto at = std::find(page.cols.begin(), page.cols.end(), t.columns[i]);
            if (at != page.cols.end()) (*slots)[i] = static_cast<int>(at - page.cols.begin());
        }
        std::vector<int> key_slots;
        for (const auto& k : t.pk_columns) {
            auto at = std::find(t.columns.begin(), t.columns.end(), k);
            const int slot = at == t.columns.end() ? -1 : (*slots)[static_cast<std::size_t>(at - t.columns.begin())];
            if (slot < 0 && !page.rows.empty())
                throw Error(ErrorDomain::ferry, ErrorCode::protocol,
                            "the server's rows of table " + t.name + " lack its key column " + k);
            key_slots.push_back(slot);
        }
        for (auto& key : page.gone) out.push_back(RemoteRow{&t, std::move(key), json(), slots});
        for (auto& values : page.rows) {
            json pk = json::array();
            for (int slot : key_slots) pk.push_back(values[static_cast<std::size_t>(slot)]);
            out.push_back(RemoteRow{&t, std::move(pk), std::move(values), slots});
        }
    }
    return out;
}

namespace {
bool is_unique_violation(const Error& e) {
    return e.domain() == ErrorDomain::sqlite &&
           (e.native_code() == SQLITE_CONSTRAINT_UNIQUE || e.native_code() == SQLITE_CONSTRAINT_PRIMARYKEY);
}

/// The SQL of the writes apply_remote_row makes, built once per table and set of columns (a page
/// brings many rows of one table with the same columns).
class WriteSql {
public:
    /// UPDATE of `cols` by key (a row with pending writes: only the columns it may take).
    const std::string& update(const CapturedTable& t, const std::vector<std::size_t>& cols) {
        std::string& sql = m_sql[{&t, true, cols}];
        if (sql.empty()) {
            std::string sets;
            for (auto i : cols) sets += (sets.empty() ? "" : ", ") + quote_ident(t.columns[i]) + " = ?";
            sql = "UPDATE " + quote_ident(t.name) + " SET " + sets + " WHERE " + where_key(t);
        }
        return sql;
    }

    /// INSERT of `cols`, or UPDATE of its non-key columns when the key is there already.
    const std::string& upsert(const CapturedTable& t, const std::vector<std::size_t>& cols) {
        std::string& sql = m_sql[{&t, false, cols}];
        if (sql.empty()) {
            std::string names, marks, updates, conflict;
            for (auto i : cols) {
                const std::string& c = t.columns[i];
                names += (names.empty() ? "" : ", ") + quote_ident(c);
                marks += marks.empty() ? "?" : ", ?";
                const bool is_key = std::find(t.pk_columns.begin(), t.pk_columns.end(), c) != t.pk_columns.end();
                if (!is_key) updates += (updates.empty() ? "" : ", ") + quote_ident(c) + " = excluded." + quote_ident(c);
            }
            for (const auto& k : t.pk_columns) conflict += (conflict.empty() ? "" : ", ") + quote_ident(k);
            sql = "INSERT INTO " + quote_ident(t.name) + " (" + names + ") VALUES (" + marks + ") ON CONFLICT (" +
                  conflict + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
        }
        return sql;
    }

    /// The local row by key, every column.
    const std::string& select(const CapturedTable& t) {
        std::string& sql = m_select[&t];
        if (sql.empty()) sql = "SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t);
        return sql;
    }

private:
    std::map<std::tuple<const CapturedTable*, bool, std::vector<std::size_t>>, std::string> m_sql;
    std::map<const CapturedTable*, std::string> m_select;
};

/// Brings one local row to the server's state, leaving columns with pending local writes alone;
/// a counter becomes the server's total plus what was added here since the last agreement.
/// Runs with capture suppressed. One write statement, so a failure leaves the row as it was.
void apply_remote_row(Store::Impl& impl, const RemoteRow& r, PendingWrites& pending, WriteSql& sql, Apply mode) {
    const CapturedTable& t = *r.table;
    // The key as text and as values, made once and only when used: a fresh device's snapshot
    // (nothing queued, no counters) needs neither for most rows.
    std::string key_text;
    std::optional<std::vector<Value>> key_vals;
    auto key = [&]() -> const std::string& {
        if (key_text.empty()) key_text = r.pk.dump();
        return key_text;
    };
    auto keys = [&]() -> const std::vector<Value>& {
        if (!key_vals) key_vals = key_values(t, r.pk);
        return *key_vals;
    };
    const Pending* p = pending.any() ? pending.find(t.id, key()) : nullptr;
    if (!r.exists()) {
        if (p && p->inserted && p->last_op != 3) return;  // created here again; the push decides
        impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + where_key(t), keys());
        // A local delete not yet pushed still travels: its clock may be newer than the server's
        // tombstone, and then it must beat a re-creation of the row made before it elsewhere.
        if (p && p->last_op == 3) return;
        pending.clear(t.id, key());
        if (!t.counters.empty()) impl.execute("DELETE FROM ferry_counter_base WHERE tbl = ? AND pk = ?", {t.id, key()});
        return;
    }
    if (p && (p->last_op == 3 || p->mask == -1)) return;  // deleted or (re)created locally: the push decides
    // Rows the device has already (a pull's, a push answer's) are compared with the local row
    // and only the columns that differ are written: writing every column rewrote each of the
    // table's indexes for a row of which one or two columns changed.
    const bool only_changed = mode == Apply::changed_columns && !p;
    std::optional<Row> local;
    if (!t.counters.empty() || only_changed) {
        auto q = impl.query(sql.select(t), keys());
        if (!q.rows.empty()) local = std::move(q.rows[0]);
    }
    std::vector<std::size_t> cols;
    std::vector<Value> vals;
    std::vector<std::pair<std::string, std::int64_t>> bases;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const auto& c = t.columns[i];
        const json* v = r.value(i);
        if (!v) continue;
        const bool pending_col = p && (p->mask & detail::column_bit(i));
        if (t.is_counter(c) && v->is_number_integer()) {
            const std::int64_t server = v->get<std::int64_t>();
            std::int64_t value = server;
            if (local && (*local)[i].type() == Value::Type::integer) {
                const std::int64_t here = (*local)[i].as_int();
                value += here - counter_base(impl, t, key(), c).value_or(here);
            }
            bases.emplace_back(c, server);
            cols.push_back(i);
            vals.push_back(Value(value));
            continue;
        }
        if (pending_col) continue;
        cols.push_back(i);
        vals.push_back(from_json(*v, t.name, c));
    }
    if (cols.empty()) return;
    if (only_changed && local) {
        std::vector<std::size_t> changed;
        std::vector<Value> changed_vals;
        for (std::size_t k = 0; k < cols.size(); ++k)
            if (!((*local)[cols[k]] == vals[k])) {
                changed.push_back(cols[k]);
                changed_vals.push_back(vals[k]);
            }
        if (!changed.empty()) {
            for (const auto& k : keys()) changed_vals.push_back(k);
            impl.execute(sql.update(t, changed), changed_vals);
        }
    } else if (p) {
        for (const auto& k : keys()) vals.push_back(k);
        if (impl.execute(sql.update(t, cols), vals) == 0)
            throw Error(ErrorDomain::ferry, ErrorCode::internal,
                        "a row of " + t.name + " with local writes not yet pushed is missing: " + key());
    } else {
        impl.execute(sql.upsert(t, cols), vals);
    }
    for (const auto& [c, base] : bases) set_counter_base(impl, t, key(), c, base);
}

/// The device's UNIQUE keys of a table (other than the primary key), as column lists.
std::vector<std::vector<std::string>> unique_keys(Store::Impl& impl, const CapturedTable& t) {
    std::map<std::string, std::vector<std::string>> keys;
    for (const auto& row : impl.query("SELECT il.name, ii.name FROM pragma_index_list(?) il "
                                      "JOIN pragma_index_info(il.name) ii WHERE il.\"unique\" AND il.origin <> 'pk' "
                                      "ORDER BY il.name, ii.seqno",
                                      {t.name}).rows)
        keys[row[0].as_text()].push_back(row[1].is_null() ? "" : row[1].as_text());
    std::vector<std::vector<std::string>> out;
    for (auto& [name, cols] : keys) out.push_back(cols);
    return out;
}

/// What make_room did for a remote row that a local row's unique value is in the way of.
enum class Room {
    none,      ///< no local row is in the way: the failure is real
    made,      ///< the rows in the way were removed; they come back with their server state
    deferred,  ///< a row in the way has local writes not yet pushed: the remote row waits
};

/// A remote row could not be applied because a local row holds one of its unique values. The
/// server's rows are consistent with each other, so the local row is out of date. Without local
/// writes it is removed: it comes back with its server state, in this page if it is among the
/// rows still to apply, or else by key in the next pull (ferry_refetch). With local writes not
/// yet pushed it is left alone (removing it would lose them, or take them for refused): the
/// remote row waits instead (ferry_refetch), until the push of those writes brings the local
/// row's server state, which frees the value.
Room make_room(Store::Impl& impl, const RemoteRow& r, const std::vector<const RemoteRow*>& waiting,
               PendingWrites& pending) {
    const CapturedTable& t = *r.table;
    std::vector<std::string> in_the_way;
    for (const auto& cols : unique_keys(impl, t)) {
        std::string where;
        std::vector<Value> args;
        bool usable = true;
        for (const auto& c : cols) {
            auto at = std::find(t.columns.begin(), t.columns.end(), c);
            const json* v = c.empty() || at == t.columns.end() ? nullptr : r.value(static_cast<std::size_t>(at - t.columns.begin()));
            if (!v || v->is_null()) usable = false;
            if (!usable) break;
            where += (where.empty() ? "" : " AND ") + quote_ident(c) + " = ?";
            args.push_back(from_json(*v, t.name, c));
        }
        if (!usable) continue;
        std::string key_expr = "json_array(";
        for (std::size_t i = 0; i < t.pk_columns.size(); ++i) key_expr += (i ? ", " : "") + quote_ident(t.pk_columns[i]);
        key_expr += ")";
        for (const auto& row : impl.query("SELECT " + key_expr + " FROM " + quote_ident(t.name) + " WHERE " + where, args).rows)
            if (row[0].as_text() != r.pk.dump()) in_the_way.push_back(row[0].as_text());
    }
    if (in_the_way.empty()) return Room::none;
    for (const auto& other : in_the_way)
        if (pending.find(t.id, other)) {
            impl.execute("INSERT OR IGNORE INTO ferry_refetch(tbl, pk) VALUES (?, ?)", {t.id, r.pk.dump()});
            return Room::deferred;
        }
    for (const auto& other : in_the_way) {
        impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + where_key(t), key_values(t, json::parse(other)));
        if (!t.counters.empty()) impl.execute("DELETE FROM ferry_counter_base WHERE tbl = ? AND pk = ?", {t.id, other});
        const bool is_waiting = std::any_of(waiting.begin(), waiting.end(), [&](const RemoteRow* w) {
            return w->table == &t && w->pk.dump() == other;
        });
        if (!is_waiting) impl.execute("INSERT OR IGNORE INTO ferry_refetch(tbl, pk) VALUES (?, ?)", {t.id, other});
    }
    return Room::made;
}

}  // namespace

void apply_remote_rows(Store::Impl& impl, const std::vector<RemoteRow>& rows, PendingWrites& pending, Apply mode) {
    WriteSql sql;
    std::vector<const RemoteRow*> todo;
    todo.reserve(rows.size());
    for (const auto& r : rows) todo.push_back(&r);
    while (!todo.empty()) {
        std::vector<const RemoteRow*> failed;
        std::optional<Error> first_error;
        for (const RemoteRow* r : todo) {
            try {
                apply_remote_row(impl, *r, pending, sql, mode);
            } catch (const Error& e) {
                if (!is_unique_violation(e)) throw;
                failed.push_back(r);
                if (!first_error) first_error = e;
            }
        }
        if (!failed.empty() && failed.size() == todo.size()) {
            const Room room = make_room(impl, *failed.front(), failed, pending);
            if (room == Room::none) throw *first_error;
            if (room == Room::deferred) failed.erase(failed.begin());
        }
        todo = std::move(failed);
    }
}

/// Runs `body` as one transaction that applies remote data. Capture is off. So are foreign keys
/// (the server enforced them, and pages may bring a child before its parent) and CHECK
/// constraints: the server validated these rows, and a device CHECK the server lacks must not
/// stop the device from taking the server's state (it would refuse the same row at every sync).
void remote_transaction(Store::Impl& impl, const std::function<void()>& body) {
    if (impl.transaction_depth > 0 || !sqlite3_get_autocommit(impl.handle()))
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "sync cannot run inside an open transaction");
    // Set around the transaction, never inside it: foreign_keys is a no-op in a transaction, and
    // ignore_check_constraints expires every prepared statement, which are compiled again.
    impl.exec("PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON");
    auto restore = [&] { impl.exec("PRAGMA foreign_keys = ON; PRAGMA ignore_check_constraints = OFF"); };
    try {
        detail::with_remote_apply(impl, [&] { impl.transaction(body); });
    } catch (...) {
        restore();
        throw;
    }
    restore();
}

namespace {
std::string key_json_expr(const CapturedTable& t) {
    std::string key = "json_array(";
    for (std::size_t i = 0; i < t.pk_columns.size(); ++i) key += (i ? ", " : "") + quote_ident(t.pk_columns[i]);
    return key + ")";
}

bool has_unseen(Store::Impl& impl, std::int64_t table_id) {
    return !impl.query("SELECT 1 FROM ferry_snapshot_unseen WHERE tbl = ? LIMIT 1", {table_id}).rows.empty();
}
}  // namespace

void start_snapshot_marks(Store::Impl& impl, const TableIndex& index) {
    impl.execute("DELETE FROM ferry_snapshot_unseen", {});
    for (const auto& t : index.tables)
        impl.execute("INSERT INTO ferry_snapshot_unseen(tbl, pk) SELECT ?, " + key_json_expr(t) + " FROM " +
                         quote_ident(t.name),
                     {t.id});
}

void mark_seen(Store::Impl& impl, const std::vector<RemoteRow>& rows) {
    std::map<std::int64_t, bool> unseen;  // per table: are any of its rows still unseen?
    for (const auto& r : rows) {
        auto [it, fresh] = unseen.emplace(r.table->id, false);
        if (fresh) it->second = has_unseen(impl, r.table->id);
        if (it->second) impl.execute("DELETE FROM ferry_snapshot_unseen WHERE tbl = ? AND pk = ?", {r.table->id, r.pk.dump()});
    }
}

std::vector<RemoteRow> finish_snapshot(Store::Impl& impl, const TableIndex& index, const std::string& cursor) {
    std::vector<RemoteRow> deleted;
    for (const auto& t : index.tables) {
        if (!has_unseen(impl, t.id)) continue;  // a table that was empty when the snapshot began
        const auto gone = impl.query("SELECT pk FROM ferry_snapshot_unseen WHERE tbl = ?1 AND pk NOT IN "
                                     "(SELECT pk FROM ferry_changes WHERE tbl = ?1)",
                                     {t.id});
        for (const auto& row : gone.rows) {
            json pk = json::parse(row[0].as_text());
            if (impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + where_key(t), key_values(t, pk)) > 0)
                deleted.push_back(RemoteRow{&t, std::move(pk), json(), nullptr});
        }
    }
    impl.execute("DELETE FROM ferry_snapshot_unseen", {});
    impl.execute("DELETE FROM ferry_meta WHERE key = 'snapshot'", {});
    impl.set_meta("pull_cursor", cursor);
    return deleted;
}

}  // namespace ferry::detail
