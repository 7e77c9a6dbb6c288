// lib/sync/sync_client.cpp: the device side of the protocol (docs/protocol.md).
//
// Push: the lean change log is folded per row into one change (insert, update of some columns,
// or delete), each column carrying the clock of its latest local write; values are read from the
// row as it is now. The batch's sequence number and the log position it covers are recorded
// before sending, so a lost response is answered by sending the same batch again.
// Pull: the server sends rows as they are now; a column with a pending local write is left alone
// (the push decides it), everything else takes the server's value, in the same transaction as
// the cursor that covers it.
#include "ferry/sync.hpp"

#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <sqlite3.h>

#include "ferry/error.hpp"
#include "lib/core/ids.hpp"
#include "lib/store/capture.hpp"
#include "lib/store/store_impl.hpp"
#include "lib/sync/id_leases.hpp"

namespace ferry {
namespace {
using nlohmann::json;
using detail::CapturedTable;
using detail::quote_ident;

json to_json(const Value& v) {
    switch (v.type()) {
    case Value::Type::null: return nullptr;
    case Value::Type::integer: return v.as_int();
    case Value::Type::real: return v.as_real();
    case Value::Type::text: return v.as_text();
    case Value::Type::blob: {
        static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const auto& d = v.as_blob();
        std::string out;
        for (std::size_t i = 0; i < d.size(); i += 3) {
            unsigned n = d[i] << 16;
            if (i + 1 < d.size()) n |= d[i + 1] << 8;
            if (i + 2 < d.size()) n |= d[i + 2];
            out += t[n >> 18];
            out += t[(n >> 12) & 63];
            out += i + 1 < d.size() ? t[(n >> 6) & 63] : '=';
            out += i + 2 < d.size() ? t[n & 63] : '=';
        }
        return json{{"b64", out}};
    }
    }
    return nullptr;
}

Value from_json(const json& j, const std::string& where) {
    if (j.is_null()) return Value();
    if (j.is_boolean()) return Value(j.get<bool>());
    if (j.is_number_integer()) return Value(j.get<std::int64_t>());
    if (j.is_number()) return Value(j.get<double>());
    if (j.is_string()) return Value(j.get<std::string>());
    if (j.is_object() && j.contains("b64") && j["b64"].is_string()) {
        const std::string& s = j["b64"].get_ref<const std::string&>();
        Blob out;
        unsigned buf = 0;
        int bits = 0;
        for (char c : s) {
            int v;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
            else if (c >= '0' && c <= '9') v = c - '0' + 52;
            else if (c == '+') v = 62;
            else if (c == '/') v = 63;
            else continue;
            buf = (buf << 6) | static_cast<unsigned>(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out.push_back(static_cast<std::uint8_t>((buf >> bits) & 0xff));
            }
        }
        return Value(std::move(out));
    }
    throw Error(ErrorDomain::ferry, ErrorCode::protocol, "unexpected value " + j.dump() + " for " + where);
}

json parse_response(const std::string& text, const char* endpoint) {
    try {
        auto j = json::parse(text);
        if (!j.is_object()) throw json::type_error::create(302, "not an object", nullptr);
        return j;
    } catch (const json::exception& e) {
        throw Error(ErrorDomain::ferry, ErrorCode::protocol,
                    std::string("the server's ") + endpoint + " response is not valid: " + e.what());
    }
}

const char* op_name(int op) { return op == 1 ? "insert" : op == 2 ? "update" : "delete"; }

struct TableIndex {
    std::vector<CapturedTable> tables;
    std::map<std::int64_t, const CapturedTable*> by_id;
    std::map<std::string, const CapturedTable*> by_name;
    explicit TableIndex(Store::Impl& impl) : tables(detail::captured_tables(impl)) {
        for (const auto& t : tables) {
            by_id[t.id] = &t;
            by_name[t.name] = &t;
        }
    }
};

std::string where_key(const CapturedTable& t) {
    std::string s;
    for (std::size_t i = 0; i < t.pk_columns.size(); ++i) s += (i ? " AND " : "") + quote_ident(t.pk_columns[i]) + " = ?";
    return s;
}

std::vector<Value> key_values(const CapturedTable& t, const json& pk) {
    if (!pk.is_array() || pk.size() != t.pk_columns.size())
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, "bad key " + pk.dump() + " for table " + t.name);
    std::vector<Value> out;
    for (std::size_t i = 0; i < pk.size(); ++i) out.push_back(from_json(pk[i], t.name + "." + t.pk_columns[i]));
    return out;
}

/// Local writes not yet acknowledged by the server, per row: which columns, and how they began/ended.
struct Pending {
    std::int64_t mask = 0;
    bool inserted = false;
    int last_op = 0;
};
using PendingMap = std::map<std::pair<std::int64_t, std::string>, Pending>;

PendingMap load_pending(Store::Impl& impl) {
    PendingMap out;
    auto r = impl.query("SELECT tbl, pk, op, mask FROM ferry_changes ORDER BY seq", {});
    for (const auto& row : r.rows) {
        auto& p = out[{row[0].as_int(), row[1].as_text()}];
        p.mask |= row[3].as_int();
        p.inserted = p.inserted || row[2].as_int() == 1;
        p.last_op = static_cast<int>(row[2].as_int());
    }
    return out;
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

/// A row as the server has it now (`row` null: it does not exist there).
struct RemoteRow {
    const CapturedTable* table = nullptr;
    json pk;
    json row;
};

bool is_unique_violation(const Error& e) {
    return e.code() == ErrorCode::constraint && std::string(e.what()).find("UNIQUE constraint failed") != std::string::npos;
}

/// Brings one local row to the server's state, leaving columns with pending local writes alone;
/// a counter becomes the server's total plus what was added here since the last agreement.
/// Runs with capture suppressed. One write statement, so a failure leaves the row as it was.
void apply_remote_row(Store::Impl& impl, const RemoteRow& r, const PendingMap& pending) {
    const CapturedTable& t = *r.table;
    const std::string key_text = r.pk.dump();
    const auto keys = key_values(t, r.pk);
    auto it = pending.find({t.id, key_text});
    const Pending* p = it == pending.end() ? nullptr : &it->second;
    if (r.row.is_null()) {
        if (p && p->inserted && p->last_op != 3) return;  // created here again; the push decides
        impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + where_key(t), keys);
        impl.execute("DELETE FROM ferry_changes WHERE tbl = ? AND pk = ?", {t.id, key_text});
        if (!t.counters.empty()) impl.execute("DELETE FROM ferry_counter_base WHERE tbl = ? AND pk = ?", {t.id, key_text});
        return;
    }
    if (!r.row.is_object()) throw Error(ErrorDomain::ferry, ErrorCode::protocol, "bad row for table " + t.name);
    if (p && (p->last_op == 3 || p->mask == -1)) return;  // deleted or (re)created locally: the push decides
    std::optional<Row> local;
    if (!t.counters.empty()) {
        auto q = impl.query("SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t), keys);
        if (!q.rows.empty()) local = q.rows[0];
    }
    std::vector<std::string> cols;
    std::vector<Value> vals;
    std::vector<std::pair<std::string, std::int64_t>> bases;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const auto& c = t.columns[i];
        if (!r.row.contains(c)) continue;
        const bool pending_col = p && (p->mask & detail::column_bit(i));
        if (t.is_counter(c) && r.row[c].is_number_integer()) {
            const std::int64_t server = r.row[c].get<std::int64_t>();
            std::int64_t value = server;
            if (local && (*local)[i].type() == Value::Type::integer) {
                const std::int64_t here = (*local)[i].as_int();
                value += here - counter_base(impl, t, key_text, c).value_or(here);
            }
            bases.emplace_back(c, server);
            cols.push_back(c);
            vals.push_back(Value(value));
            continue;
        }
        if (pending_col) continue;
        cols.push_back(c);
        vals.push_back(from_json(r.row[c], t.name + "." + c));
    }
    if (cols.empty()) return;
    if (p) {
        std::string sets;
        for (const auto& c : cols) sets += (sets.empty() ? "" : ", ") + quote_ident(c) + " = ?";
        for (const auto& k : keys) vals.push_back(k);
        impl.execute("UPDATE " + quote_ident(t.name) + " SET " + sets + " WHERE " + where_key(t), vals);
    } else {
        std::string names, marks, updates, conflict;
        for (const auto& c : cols) {
            names += (names.empty() ? "" : ", ") + quote_ident(c);
            marks += marks.empty() ? "?" : ", ?";
            bool is_key = std::find(t.pk_columns.begin(), t.pk_columns.end(), c) != t.pk_columns.end();
            if (!is_key) updates += (updates.empty() ? "" : ", ") + quote_ident(c) + " = excluded." + quote_ident(c);
        }
        for (const auto& k : t.pk_columns) conflict += (conflict.empty() ? "" : ", ") + quote_ident(k);
        impl.execute("INSERT INTO " + quote_ident(t.name) + " (" + names + ") VALUES (" + marks + ") ON CONFLICT (" +
                         conflict + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates),
                     vals);
    }
    for (const auto& [c, base] : bases) set_counter_base(impl, t, key_text, c, base);
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

/// A remote row could not be applied because a local row holds one of its unique values. The
/// server's rows are consistent with each other, so the local row is out of date: if it is
/// itself among the rows still to apply it is removed now and comes back with its server values
/// (its pending local values restored afterwards); otherwise it is removed, its local writes (if
/// any) are recorded as rejected since they clash with the server, and the next pull fetches its
/// server state (ferry_refetch).
/// Returns false when no local row is in the way (then the failure is real).
struct Parked {
    const CapturedTable* table;
    json pk;
    std::vector<std::pair<std::string, Value>> pending_values;
};

bool make_room(Store::Impl& impl, const RemoteRow& r, const std::vector<RemoteRow>& waiting, PendingMap& pending,
               std::vector<Parked>& parked) {
    const CapturedTable& t = *r.table;
    bool moved = false;
    for (const auto& cols : unique_keys(impl, t)) {
        std::string where;
        std::vector<Value> args;
        bool usable = true;
        for (const auto& c : cols) {
            if (c.empty() || !r.row.contains(c) || r.row[c].is_null()) usable = false;
            if (!usable) break;
            where += (where.empty() ? "" : " AND ") + quote_ident(c) + " = ?";
            args.push_back(from_json(r.row[c], t.name + "." + c));
        }
        if (!usable) continue;
        std::string key_expr = "json_array(";
        for (std::size_t i = 0; i < t.pk_columns.size(); ++i) key_expr += (i ? ", " : "") + quote_ident(t.pk_columns[i]);
        key_expr += ")";
        for (const auto& row : impl.query("SELECT " + key_expr + " FROM " + quote_ident(t.name) + " WHERE " + where, args).rows) {
            const std::string other = row[0].as_text();
            if (other == r.pk.dump()) continue;
            const json other_pk = json::parse(other);
            const auto other_keys = key_values(t, other_pk);
            auto p = pending.find({t.id, other});
            const bool is_waiting = std::any_of(waiting.begin(), waiting.end(), [&](const RemoteRow& w) {
                return w.table == &t && w.pk.dump() == other;
            });
            Parked park{&t, other_pk, {}};
            if (p != pending.end() && is_waiting) {
                auto local = impl.query("SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t), other_keys);
                for (std::size_t i = 0; i < t.columns.size() && !local.rows.empty(); ++i)
                    if (p->second.mask & detail::column_bit(i)) park.pending_values.emplace_back(t.columns[i], local.rows[0][i]);
            } else if (p != pending.end()) {
                auto local = impl.query("SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t), other_keys);
                json values = json::object();
                for (std::size_t i = 0; i < t.columns.size() && !local.rows.empty(); ++i)
                    values[t.columns[i]] = to_json(local.rows[0][i]);
                impl.execute("INSERT INTO ferry_rejected(tbl, pk, op, code, reason, row_values, hlc, rejected_at) "
                             "VALUES (?, ?, ?, 'constraint', ?, ?, ?, ?)",
                             {t.name, other, op_name(p->second.inserted ? 1 : 2),
                              "unique key already taken: the server holds this value in " + t.name + " " + r.pk.dump(),
                              values.dump(), impl.clock.last(), Store::now_timestamp()});
                impl.execute("DELETE FROM ferry_changes WHERE tbl = ? AND pk = ?", {t.id, other});
                pending.erase(p);
            }
            impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + where_key(t), other_keys);
            if (!t.counters.empty()) impl.execute("DELETE FROM ferry_counter_base WHERE tbl = ? AND pk = ?", {t.id, other});
            if (is_waiting && !park.pending_values.empty()) parked.push_back(std::move(park));
            // Its server state comes back with the next pull (or now, if it is among the rows).
            if (!is_waiting) impl.execute("INSERT OR IGNORE INTO ferry_refetch(tbl, pk) VALUES (?, ?)", {t.id, other});
            moved = true;
        }
    }
    return moved;
}

/// Applies rows from the server. Rows whose unique values are still held by another local row
/// are retried after the rest; when no row can move (values swapped between rows), make_room
/// clears the way.
void apply_remote_rows(Store::Impl& impl, const std::vector<RemoteRow>& rows, PendingMap& pending) {
    std::vector<RemoteRow> todo = rows;
    std::vector<Parked> parked;
    while (!todo.empty()) {
        std::vector<RemoteRow> failed;
        std::optional<Error> first_error;
        for (const auto& r : todo) {
            try {
                apply_remote_row(impl, r, pending);
            } catch (const Error& e) {
                if (!is_unique_violation(e)) throw;
                failed.push_back(r);
                if (!first_error) first_error = e;
            }
        }
        if (!failed.empty() && failed.size() == todo.size() && !make_room(impl, failed.front(), failed, pending, parked))
            throw *first_error;
        todo = std::move(failed);
    }
    // Local values of rows that were cleared out of the way: back on top of their server state.
    for (const auto& p : parked) {
        std::string sets;
        std::vector<Value> vals;
        for (const auto& [c, v] : p.pending_values) {
            sets += (sets.empty() ? "" : ", ") + quote_ident(c) + " = ?";
            vals.push_back(v);
        }
        for (const auto& k : key_values(*p.table, p.pk)) vals.push_back(k);
        impl.execute("UPDATE " + quote_ident(p.table->name) + " SET " + sets + " WHERE " + where_key(*p.table), vals);
    }
}

/// Runs `body` as one transaction that applies remote data: capture off, and foreign keys off
/// because the server already enforced them and pages may bring a child before its parent.
void remote_transaction(Store::Impl& impl, const std::function<void()>& body) {
    if (impl.transaction_depth > 0 || !sqlite3_get_autocommit(impl.handle()))
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "sync cannot run inside an open transaction");
    impl.exec("PRAGMA foreign_keys = OFF");
    try {
        detail::with_remote_apply(impl, [&] { impl.transaction(body); });
    } catch (...) {
        impl.exec("PRAGMA foreign_keys = ON");
        throw;
    }
    impl.exec("PRAGMA foreign_keys = ON");
}

void report(const SyncOptions& o, const char* phase, std::int64_t done, std::int64_t pending) {
    if (o.on_progress) o.on_progress(SyncProgress{phase, done, pending});
}

/// Folds the change log up to `upto` into one change per row, with current values.
json fold_changes(Store::Impl& impl, const TableIndex& index, std::int64_t upto) {
    struct Folded {
        const CapturedTable* table = nullptr;
        json pk;
        std::string pk_text;
        bool inserted = false;
        int last_op = 0;
        std::int64_t hlc = 0;
        std::map<std::size_t, std::int64_t> col_hlc;
    };
    std::vector<Folded> rows;
    std::map<std::pair<std::int64_t, std::string>, std::size_t> slot;
    for (const auto& r : impl.query("SELECT tbl, pk, op, mask, hlc FROM ferry_changes WHERE seq <= ? ORDER BY seq", {upto}).rows) {
        auto t = index.by_id.find(r[0].as_int());
        if (t == index.by_id.end()) continue;  // a table no longer synced
        auto key = std::make_pair(r[0].as_int(), r[1].as_text());
        auto [pos, fresh] = slot.emplace(key, rows.size());
        if (fresh) {
            Folded f;
            f.table = t->second;
            f.pk = json::parse(r[1].as_text());
            f.pk_text = r[1].as_text();
            rows.push_back(std::move(f));
        }
        Folded& f = rows[pos->second];
        const int op = static_cast<int>(r[2].as_int());
        const std::int64_t h = r[4].as_int();
        f.hlc = std::max(f.hlc, h);
        f.last_op = op;
        if (op == 1) {
            f.inserted = true;
            for (std::size_t i = 0; i < f.table->columns.size(); ++i) f.col_hlc[i] = h;
        } else if (op == 2) {
            const std::int64_t mask = r[3].as_int();
            for (std::size_t i = 0; i < f.table->columns.size(); ++i)
                if (mask & detail::column_bit(i)) f.col_hlc[i] = h;
        } else {
            f.inserted = false;
            f.col_hlc.clear();
        }
    }

    json changes = json::array();
    for (auto& f : rows) {
        const CapturedTable& t = *f.table;
        auto current = impl.query("SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t), key_values(t, f.pk));
        json ch = {{"t", t.name}, {"pk", f.pk}, {"hlc", f.hlc}};
        if (current.rows.empty()) {
            if (f.last_op != 3) continue;  // deleted by a later write or by the server: nothing to say
            ch["op"] = 3;
        } else {
            if (f.last_op == 3) {  // deleted, then created again by a write after this batch
                f.inserted = true;
                for (std::size_t c = 0; c < t.columns.size(); ++c) f.col_hlc[c] = f.hlc;
            }
            ch["op"] = f.inserted ? 1 : 2;
            json vals = json::object(), clocks = json::object(), deltas = json::object();
            for (const auto& [col, h] : f.col_hlc) {
                const auto& name = t.columns[col];
                const Value& v = current.rows[0][col];
                if (!f.inserted && t.is_counter(name) && v.type() == Value::Type::integer) {
                    const auto base = counter_base(impl, t, f.pk_text, name).value_or(0);
                    if (v.as_int() != base) deltas[name] = v.as_int() - base;
                    continue;
                }
                vals[name] = to_json(v);
                clocks[name] = h;
            }
            // Columns past the 62nd share one mask bit: send them all.
            if (!f.inserted && f.col_hlc.count(62))
                for (std::size_t c = 63; c < t.columns.size(); ++c) {
                    vals[t.columns[c]] = to_json(current.rows[0][c]);
                    clocks[t.columns[c]] = f.col_hlc[62];
                }
            if (!deltas.empty()) ch["deltas"] = deltas;
            ch["vals"] = vals;
            ch["clocks"] = clocks;
        }
        changes.push_back(std::move(ch));
    }
    return changes;
}
/// The highest log entry of a parent row that changes in `changes` point to (through a foreign
/// key) and that is still queued after `upto`: such a parent (a user created after the project
/// that now names it) must travel in the same batch, or the child is refused for a missing parent.
std::int64_t queued_parents(Store::Impl& impl, const TableIndex& index, const json& changes, std::int64_t upto) {
    std::int64_t top = upto;
    for (const auto& ch : changes) {
        if (!ch.contains("vals")) continue;
        const json& vals = ch["vals"];
        std::map<std::int64_t, std::vector<std::pair<std::string, std::string>>> fks;  // id -> (from, to)
        std::map<std::int64_t, std::string> parent_of;
        for (const auto& r : impl.query("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                                        {ch["t"].get<std::string>()}).rows) {
            fks[r[0].as_int()].emplace_back(r[2].as_text(), r[3].is_null() ? "" : r[3].as_text());
            parent_of[r[0].as_int()] = r[1].as_text();
        }
        for (const auto& [id, cols] : fks) {
            auto parent = index.by_name.find(parent_of[id]);
            if (parent == index.by_name.end()) continue;
            const CapturedTable& p = *parent->second;
            json key = json::array();
            std::string where;
            std::vector<Value> args;
            bool usable = true;
            for (std::size_t i = 0; i < cols.size() && usable; ++i) {
                const auto& [from, to] = cols[i];
                if (!vals.contains(from) || vals[from].is_null()) usable = false;
                if (!usable) break;
                key.push_back(vals[from]);
                const std::string target = to.empty() && i < p.pk_columns.size() ? p.pk_columns[i] : to;
                where += (where.empty() ? "" : " AND ") + quote_ident(target) + " = ?";
                args.push_back(from_json(vals[from], ch["t"].get<std::string>() + "." + from));
            }
            if (!usable) continue;
            std::string parent_key = key.dump();
            const bool by_pk = std::all_of(cols.begin(), cols.end(), [](const auto& c) { return c.second.empty(); });
            if (!by_pk) {
                std::string expr = "json_array(";
                for (std::size_t i = 0; i < p.pk_columns.size(); ++i) expr += (i ? ", " : "") + quote_ident(p.pk_columns[i]);
                auto r = impl.query("SELECT " + expr + ") FROM " + quote_ident(p.name) + " WHERE " + where, args);
                if (r.rows.empty()) continue;
                parent_key = r.rows[0][0].as_text();
            }
            auto m = impl.query("SELECT max(seq) FROM ferry_changes WHERE tbl = ? AND pk = ?", {p.id, parent_key});
            if (!m.rows[0][0].is_null()) top = std::max(top, m.rows[0][0].as_int());
        }
    }
    return top;
}
}  // namespace

SyncClient::SyncClient(Store& store, Transport& transport, SyncOptions options)
    : m_store(store), m_transport(transport), m_options(std::move(options)) {
    if (m_options.push_batch < 1 || m_options.pull_page < 1 || m_options.lease_block < 1)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "sync batch, page and lease sizes must be positive");
}

SyncReport SyncClient::sync() {
    SyncReport total;
    total.leased = lease_ids();
    auto p = push();
    auto q = pull();
    total.pushed = p.pushed;
    total.applied = p.applied;
    total.superseded = p.superseded;
    total.rejected = p.rejected;
    total.pulled = q.pulled;
    total.cursor = q.cursor;
    return total;
}

SyncReport SyncClient::push() {
    auto& impl = m_store.impl();
    SyncReport rep;
    TableIndex index(impl);
    for (;;) {
        // 1. The batch: the one in flight, exactly as it was sent (its answer was lost), or the
        //    next one, recorded before it is sent.
        json batch;
        if (auto inflight = impl.meta("push_inflight")) {
            batch = json::parse(*inflight);
        } else {
            auto any = impl.query("SELECT max(seq) FROM ferry_changes", {});
            if (any.rows[0][0].is_null()) break;
            auto last = impl.query("SELECT seq FROM ferry_changes ORDER BY seq LIMIT 1 OFFSET ?",
                                   {static_cast<std::int64_t>(m_options.push_batch - 1)});
            std::int64_t upto = last.rows.empty() ? any.rows[0][0].as_int() : last.rows[0][0].as_int();
            json changes = fold_changes(impl, index, upto);
            // Parents still queued after the cut join the batch (bounded: each round moves the cut).
            for (int round = 0; round < 32; ++round) {
                const std::int64_t with_parents = queued_parents(impl, index, changes, upto);
                if (with_parents <= upto) break;
                upto = with_parents;
                changes = fold_changes(impl, index, upto);
            }
            if (changes.empty()) {  // e.g. rows created and deleted again offline
                impl.transaction([&] { impl.execute("DELETE FROM ferry_changes WHERE seq <= ?", {upto}); });
                continue;
            }
            const std::int64_t seq = std::stoll(impl.meta("push_seq").value_or("0")) + 1;
            batch = {{"seq", seq}, {"upto", upto}, {"changes", std::move(changes)}};
            impl.transaction([&] { impl.set_meta("push_inflight", batch.dump()); });
        }
        const std::int64_t seq = batch.at("seq");
        const std::int64_t upto = batch.at("upto");
        const json& changes = batch.at("changes");

        // 2. Send. A failure here leaves push_inflight set: the next push sends this batch again.
        json request = {{"app", impl.app}, {"site", impl.site_id}, {"seq", seq}, {"changes", changes}};
        json response = parse_response(m_transport.call("push", request.dump()), "push");
        if (response.value("seq", std::int64_t(0)) != seq)
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server answered another push batch");
        const json results = response.value("results", json());
        if (!results.is_array() || results.size() != changes.size())
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's push results do not match the batch");
        if (response.contains("server_hlc") && response["server_hlc"].is_number_integer())
            impl.clock.observe(response["server_hlc"].get<std::int64_t>());

        // 3. Acknowledge: clear the covered log, keep rejections, take the server's rows.
        remote_transaction(impl, [&] {
            impl.execute("DELETE FROM ferry_changes WHERE seq <= ?", {upto});
            PendingMap pending = load_pending(impl);
            std::vector<RemoteRow> rows;
            for (std::size_t i = 0; i < changes.size(); ++i) {
                rep.pushed++;
                const json& ch = changes[i];
                const json& res = results[i];
                auto t = index.by_name.find(ch.at("t").get<std::string>());
                if (t == index.by_name.end()) continue;
                const std::string status = res.is_object() ? res.value("status", std::string("applied")) : "applied";
                const std::string key = ch["pk"].dump();
                // Counter bases move by what this batch sent, accepted or not: an accepted delta
                // is in the server's total, a refused one is dropped.
                if (ch.contains("deltas"))
                    for (auto d = ch["deltas"].begin(); d != ch["deltas"].end(); ++d)
                        set_counter_base(impl, *t->second, key, d.key(),
                                         counter_base(impl, *t->second, key, d.key()).value_or(0) + d.value().get<std::int64_t>());
                if (ch["op"] == 1 && ch.contains("vals"))
                    for (const auto& c : t->second->counters)
                        if (ch["vals"].contains(c) && ch["vals"][c].is_number_integer())
                            set_counter_base(impl, *t->second, key, c, ch["vals"][c].get<std::int64_t>());
                if (status == "applied") {
                    rep.applied++;
                } else if (status == "rejected") {
                    rep.rejected++;
                    impl.execute(
                        "INSERT INTO ferry_rejected(tbl, pk, op, code, reason, row_values, hlc, rejected_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        {t->first, key, op_name(ch["op"].get<int>()), res.value("code", std::string("rejected")),
                         res.value("reason", std::string()), ch.contains("vals") ? Value(ch["vals"].dump()) : Value(),
                         ch["hlc"].get<std::int64_t>(), Store::now_timestamp()});
                } else {
                    rep.superseded++;
                }
                if (res.is_object() && res.contains("row")) rows.push_back(RemoteRow{t->second, ch["pk"], res["row"]});
            }
            apply_remote_rows(impl, rows, pending);
            impl.set_meta("push_seq", std::to_string(seq));
            impl.execute("DELETE FROM ferry_meta WHERE key = 'push_inflight'", {});
            impl.save_clock();
        });
        auto left = impl.query("SELECT count(*) FROM ferry_changes", {}).rows[0][0].as_int();
        report(m_options, "push", rep.pushed, left);
    }
    return rep;
}

namespace {
/// Ends a snapshot: synced rows the snapshot did not bring and that have no local writes were
/// deleted on the server meanwhile; the pull goes on from the snapshot's cursor.
void finish_snapshot(Store::Impl& impl, const TableIndex& index, const std::string& cursor) {
    for (const auto& t : index.tables) {
        std::string key = "json_array(";
        for (std::size_t i = 0; i < t.pk_columns.size(); ++i) key += (i ? ", " : "") + quote_ident(t.pk_columns[i]);
        key += ")";
        impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + key +
                         " NOT IN (SELECT pk FROM ferry_snapshot_seen WHERE tbl = ?1) AND " + key +
                         " NOT IN (SELECT pk FROM ferry_changes WHERE tbl = ?1)",
                     {t.id});
    }
    impl.execute("DELETE FROM ferry_snapshot_seen", {});
    impl.execute("DELETE FROM ferry_meta WHERE key = 'snapshot'", {});
    impl.set_meta("pull_cursor", cursor);
}
}  // namespace

SyncReport SyncClient::pull() {
    auto& impl = m_store.impl();
    SyncReport rep;
    TableIndex index(impl);
    for (;;) {
        const std::string cursor = impl.meta("pull_cursor").value_or("");
        std::optional<json> snapshot;
        if (auto s = impl.meta("snapshot")) snapshot = json::parse(*s);
        // A fresh store starts with a snapshot of the current data rather than the whole history.
        if (!snapshot && cursor.empty()) {
            impl.transaction([&] {
                impl.execute("DELETE FROM ferry_snapshot_seen", {});
                impl.set_meta("snapshot", "{}");
            });
            snapshot = json::object();
        }
        json request = {{"app", impl.app}, {"site", impl.site_id}, {"cursor", cursor}, {"limit", m_options.pull_page}};
        if (snapshot) request["snapshot"] = *snapshot;
        // Rows cleared out of the way earlier: ask for their current state too (a snapshot
        // brings every row anyway).
        json fetch = json::array();
        if (!snapshot)
            for (const auto& row : impl.query("SELECT tbl, pk FROM ferry_refetch LIMIT ?", {static_cast<std::int64_t>(m_options.pull_page)}).rows) {
            auto t = index.by_id.find(row[0].as_int());
            if (t != index.by_id.end()) fetch.push_back({{"t", t->second->name}, {"pk", json::parse(row[1].as_text())}});
        }
        if (!fetch.empty()) request["fetch"] = fetch;
        json response;
        try {
            response = parse_response(m_transport.call("pull", request.dump()), "pull");
        } catch (const Error& e) {
            if (e.code() != ErrorCode::resync_required || snapshot) throw;
            // Fell behind the server's trimmed change log: take a fresh snapshot.
            impl.transaction([&] {
                impl.execute("DELETE FROM ferry_snapshot_seen", {});
                impl.set_meta("snapshot", "{}");
            });
            report(m_options, "resync", 0, 1);
            continue;
        }
        if (!response.contains("rows") || !response["rows"].is_array() || !response.contains("cursor") ||
            !response["cursor"].is_string())
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's pull response lacks rows or cursor");
        if (response.contains("server_hlc") && response["server_hlc"].is_number_integer())
            impl.clock.observe(response["server_hlc"].get<std::int64_t>());
        std::vector<RemoteRow> rows;
        for (const auto& r : response["rows"]) {
            auto t = index.by_name.find(r.value("t", std::string()));
            if (t == index.by_name.end()) continue;  // a table this device does not sync
            rows.push_back(RemoteRow{t->second, r.at("pk"), r.value("row", json())});
        }
        remote_transaction(impl, [&] {
            for (const auto& f : fetch)
                impl.execute("DELETE FROM ferry_refetch WHERE tbl = ? AND pk = ?",
                             {index.by_name.at(f["t"].get<std::string>())->id, f["pk"].dump()});
            PendingMap pending = load_pending(impl);
            apply_remote_rows(impl, rows, pending);
            if (snapshot) {
                for (const auto& r : rows)
                    impl.execute("INSERT OR IGNORE INTO ferry_snapshot_seen(tbl, pk) VALUES (?, ?)", {r.table->id, r.pk.dump()});
                const json next = response.value("snapshot", json());
                if (next.is_object())
                    impl.set_meta("snapshot", next.dump());
                else
                    finish_snapshot(impl, index, response["cursor"].get<std::string>());
            } else {
                impl.set_meta("pull_cursor", response["cursor"].get<std::string>());
            }
            impl.set_meta("last_sync_at", Store::now_timestamp());
            impl.save_clock();
        });
        rep.pulled += static_cast<std::int64_t>(response["rows"].size());
        rep.cursor = impl.meta("pull_cursor").value_or("");
        const bool more = response.value("more", false);
        report(m_options, "pull", rep.pulled, more ? 1 : 0);
        const auto refetch = impl.query("SELECT count(*) FROM ferry_refetch", {}).rows[0][0].as_int();
        // Go on while the server has more, or while rows to fetch remain and their number shrinks.
        if (!more && (refetch == 0 || refetch >= static_cast<std::int64_t>(fetch.size()))) break;
    }
    return rep;
}

std::int64_t SyncClient::lease_ids() {
    auto& impl = m_store.impl();
    json requests = json::array();
    for (const auto& need : detail::lease_needs(impl, m_options.lease_low_water))
        requests.push_back({{"t", need.table}, {"column", need.column}, {"count", m_options.lease_block}});
    if (requests.empty()) return 0;
    json request = {{"app", impl.app}, {"site", impl.site_id}, {"requests", requests}};
    json response = parse_response(m_transport.call("lease", request.dump()), "lease");
    std::int64_t leased = 0;
    impl.transaction([&] {
        for (const auto& l : response.value("leases", json::array())) {
            auto ids = l.at("ids").get<std::vector<std::int64_t>>();
            leased += static_cast<std::int64_t>(ids.size());
            detail::add_lease(impl, l.at("t").get<std::string>(), l.at("column").get<std::string>(), ids);
        }
    });
    report(m_options, "lease", leased, 0);
    return leased;
}

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
    return store.execute("DELETE FROM ferry_rejected WHERE id = ?", {id}) > 0;
}

}  // namespace ferry
