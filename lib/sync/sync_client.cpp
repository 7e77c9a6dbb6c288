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

/// How a remote row meets local counter increments not yet pushed.
enum class CounterMode {
    keep_local_delta,  ///< pull: counter = server value + (local - base)
    discard_local,     ///< restoring a refused write: counter = server value
};

/// Brings one local row to the server's state (`row` null: the row does not exist on the
/// server), leaving columns with pending local writes alone. Runs with capture suppressed.
void apply_remote_row(Store::Impl& impl, const CapturedTable& t, const json& pk, const json& row, const PendingMap& pending,
                      CounterMode counters = CounterMode::keep_local_delta) {
    const std::string key_text = pk.dump();
    const auto keys = key_values(t, pk);
    auto it = pending.find({t.id, key_text});
    const Pending* p = it == pending.end() ? nullptr : &it->second;
    if (row.is_null()) {
        if (p && p->inserted && p->last_op != 3) return;  // created here again; the push decides
        impl.execute("DELETE FROM " + quote_ident(t.name) + " WHERE " + where_key(t), keys);
        impl.execute("DELETE FROM ferry_changes WHERE tbl = ? AND pk = ?", {t.id, key_text});
        if (!t.counters.empty()) impl.execute("DELETE FROM ferry_counter_base WHERE tbl = ? AND pk = ?", {t.id, key_text});
        return;
    }
    if (!row.is_object()) throw Error(ErrorDomain::ferry, ErrorCode::protocol, "bad row for table " + t.name);
    if (p && (p->last_op == 3 || p->mask == -1)) return;  // deleted or (re)created locally: the push decides
    std::optional<Row> local;
    if (!t.counters.empty()) {
        auto r = impl.query("SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t), keys);
        if (!r.rows.empty()) local = r.rows[0];
    }
    std::vector<std::string> cols;
    std::vector<Value> vals;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const auto& c = t.columns[i];
        if (!row.contains(c)) continue;
        if (t.is_counter(c) && row[c].is_number_integer()) {
            // Counters merge by deltas: the server's total plus what was added here since.
            const std::int64_t server = row[c].get<std::int64_t>();
            std::int64_t value = server;
            if (counters == CounterMode::keep_local_delta && local && (*local)[i].type() == Value::Type::integer)
                value += (*local)[i].as_int() - counter_base(impl, t, key_text, c).value_or(server);
            set_counter_base(impl, t, key_text, c, server);
            cols.push_back(c);
            vals.push_back(Value(value));
            continue;
        }
        if (p && (p->mask & detail::column_bit(i))) continue;
        cols.push_back(c);
        vals.push_back(from_json(row[c], t.name + "." + c));
    }
    if (cols.empty()) return;
    if (p) {
        std::string sets;
        for (const auto& c : cols) sets += (sets.empty() ? "" : ", ") + quote_ident(c) + " = ?";
        for (const auto& k : keys) vals.push_back(k);
        impl.execute("UPDATE " + quote_ident(t.name) + " SET " + sets + " WHERE " + where_key(t), vals);
        return;
    }
    std::string names, marks, updates;
    for (const auto& c : cols) {
        names += (names.empty() ? "" : ", ") + quote_ident(c);
        marks += marks.empty() ? "?" : ", ?";
        bool is_key = std::find(t.pk_columns.begin(), t.pk_columns.end(), c) != t.pk_columns.end();
        if (!is_key) updates += (updates.empty() ? "" : ", ") + quote_ident(c) + " = excluded." + quote_ident(c);
    }
    std::string conflict;
    for (const auto& k : t.pk_columns) conflict += (conflict.empty() ? "" : ", ") + quote_ident(k);
    impl.execute("INSERT INTO " + quote_ident(t.name) + " (" + names + ") VALUES (" + marks + ") ON CONFLICT (" +
                     conflict + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates),
                 vals);
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
        // 1. The batch: the one in flight (its response was lost), or the next one.
        std::int64_t seq = 0, upto = 0;
        if (auto inflight = impl.meta("push_inflight")) {
            auto j = json::parse(*inflight);
            seq = j.at("seq");
            upto = j.at("upto");
        } else {
            auto last = impl.query("SELECT seq FROM ferry_changes ORDER BY seq LIMIT 1 OFFSET ?",
                                   {static_cast<std::int64_t>(m_options.push_batch - 1)});
            auto any = impl.query("SELECT max(seq) FROM ferry_changes", {});
            if (any.rows[0][0].is_null()) break;
            upto = last.rows.empty() ? any.rows[0][0].as_int() : last.rows[0][0].as_int();
            seq = std::stoll(impl.meta("push_seq").value_or("0")) + 1;
            impl.transaction([&] { impl.set_meta("push_inflight", json{{"seq", seq}, {"upto", upto}}.dump()); });
        }

        // 2. Fold the log per row.
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
        std::vector<std::size_t> sent;  // index into rows of each change sent
        for (std::size_t i = 0; i < rows.size(); ++i) {
            Folded& f = rows[i];
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
                    const Value& v = current.rows[0][current.column_index(name)];
                    if (!f.inserted && t.is_counter(name) && v.type() == Value::Type::integer) {
                        const auto base = counter_base(impl, t, f.pk_text, name).value_or(0);
                        if (v.as_int() != base) deltas[name] = v.as_int() - base;
                        continue;
                    }
                    vals[name] = to_json(v);
                    clocks[name] = h;
                }
                if (!deltas.empty()) ch["deltas"] = deltas;
                // Columns past the 62nd share one mask bit: send them all.
                if (!f.inserted && f.col_hlc.count(62))
                    for (std::size_t c = 63; c < t.columns.size(); ++c) {
                        vals[t.columns[c]] = to_json(current.rows[0][c]);
                        clocks[t.columns[c]] = f.col_hlc[62];
                    }
                ch["vals"] = vals;
                ch["clocks"] = clocks;
            }
            changes.push_back(std::move(ch));
            sent.push_back(i);
        }

        // 3. Send. A failure here leaves push_inflight set: the next push sends this batch again.
        json results = json::array();
        json response;
        if (!changes.empty()) {
            json request = {{"app", impl.app}, {"site", impl.site_id}, {"seq", seq}, {"changes", changes}};
            response = parse_response(m_transport.call("push", request.dump()), "push");
            if (response.value("seq", std::int64_t(0)) != seq)
                throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server answered another push batch");
            results = response.value("results", json());
            if (!results.is_null() && (!results.is_array() || results.size() != changes.size()))
                throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's push results do not match the batch");
            if (response.contains("server_hlc") && response["server_hlc"].is_number_integer())
                impl.clock.observe(response["server_hlc"].get<std::int64_t>());
        }

        // 4. Acknowledge: clear the covered log, keep rejections, restore refused rows.
        remote_transaction(impl, [&] {
            impl.execute("DELETE FROM ferry_changes WHERE seq <= ?", {upto});
            const PendingMap pending = load_pending(impl);
            for (std::size_t i = 0; i < changes.size(); ++i) {
                rep.pushed++;
                const json& res = results.is_array() ? results[i] : json();
                const std::string status = res.is_object() ? res.value("status", std::string("applied")) : "applied";
                const CapturedTable& t = *rows[sent[i]].table;
                if (status == "applied") {
                    rep.applied++;
                    // The server now holds what was pushed: it becomes the counters' base.
                    const std::string key = changes[i]["pk"].dump();
                    if (changes[i].contains("deltas"))
                        for (auto d = changes[i]["deltas"].begin(); d != changes[i]["deltas"].end(); ++d)
                            set_counter_base(impl, t, key,  d.key(),
                                             counter_base(impl, t, key, d.key()).value_or(0) + d.value().get<std::int64_t>());
                    if (changes[i]["op"] == 1 && changes[i].contains("vals"))
                        for (const auto& c : t.counters)
                            if (changes[i]["vals"].contains(c) && changes[i]["vals"][c].is_number_integer())
                                set_counter_base(impl, t, key, c, changes[i]["vals"][c].get<std::int64_t>());
                    continue;
                }
                if (status == "rejected") {
                    rep.rejected++;
                    impl.execute(
                        "INSERT INTO ferry_rejected(tbl, pk, op, code, reason, row_values, hlc, rejected_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        {t.name, changes[i]["pk"].dump(), op_name(changes[i]["op"].get<int>()),
                         res.value("code", std::string("rejected")), res.value("reason", std::string()),
                         changes[i].contains("vals") ? Value(changes[i]["vals"].dump()) : Value(),
                         changes[i]["hlc"].get<std::int64_t>(), Store::now_timestamp()});
                } else {
                    rep.superseded++;
                }
                if (res.contains("row"))
                    apply_remote_row(impl, t, changes[i]["pk"], res["row"], pending, CounterMode::discard_local);
            }
            impl.set_meta("push_seq", std::to_string(seq));
            impl.execute("DELETE FROM ferry_meta WHERE key = 'push_inflight'", {});
            impl.save_clock();
        });
        auto left = impl.query("SELECT count(*) FROM ferry_changes", {}).rows[0][0].as_int();
        report(m_options, "push", rep.pushed, left);
    }
    return rep;
}

SyncReport SyncClient::pull() {
    auto& impl = m_store.impl();
    SyncReport rep;
    TableIndex index(impl);
    for (;;) {
        const std::string cursor = impl.meta("pull_cursor").value_or("");
        json request = {{"app", impl.app}, {"site", impl.site_id}, {"cursor", cursor}, {"limit", m_options.pull_page}};
        json response = parse_response(m_transport.call("pull", request.dump()), "pull");
        if (!response.contains("rows") || !response["rows"].is_array() || !response.contains("cursor") ||
            !response["cursor"].is_string())
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's pull response lacks rows or cursor");
        if (response.contains("server_hlc") && response["server_hlc"].is_number_integer())
            impl.clock.observe(response["server_hlc"].get<std::int64_t>());
        const json& rows = response["rows"];
        remote_transaction(impl, [&] {
            const PendingMap pending = load_pending(impl);
            for (const auto& r : rows) {
                auto t = index.by_name.find(r.value("t", std::string()));
                if (t == index.by_name.end()) continue;  // a table this device does not sync
                apply_remote_row(impl, *t->second, r.at("pk"), r.value("row", json()), pending);
            }
            impl.set_meta("pull_cursor", response["cursor"].get<std::string>());
            impl.set_meta("last_sync_at", Store::now_timestamp());
            impl.save_clock();
        });
        rep.pulled += static_cast<std::int64_t>(rows.size());
        rep.cursor = response["cursor"].get<std::string>();
        const bool more = response.value("more", false);
        report(m_options, "pull", rep.pulled, more ? 1 : 0);
        if (!more) break;
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
