// sync/client/push_batch.cpp: folding the change log into push batches.
#include "sync/client/push_batch.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "lib/store/store_impl.hpp"
#include "sync/client/remote_apply.hpp"

namespace ferry::detail {

LogIndex::LogIndex(Store::Impl& impl) : m_impl(impl) {
    impl.execute("DROP TABLE IF EXISTS temp.ferry_push_log", {});
    impl.execute("CREATE TEMP TABLE ferry_push_log (seq INTEGER PRIMARY KEY, tbl INTEGER NOT NULL, pk TEXT NOT NULL)", {});
    impl.execute("CREATE INDEX temp.ferry_push_log_row ON ferry_push_log (tbl, pk)", {});
}

LogIndex::~LogIndex() {
    try {
        m_impl.execute("DROP TABLE IF EXISTS temp.ferry_push_log", {});
    } catch (...) {
        // A connection that cannot drop it now drops it at the next push's start.
    }
}

void LogIndex::catch_up() {
    // Entries are numbered in commit order (one writer at a time, AUTOINCREMENT), so the entries
    // not yet mirrored are exactly those past the greatest mirrored one: a range read of the log.
    m_impl.execute("INSERT INTO temp.ferry_push_log(seq, tbl, pk) SELECT seq, tbl, pk FROM main.ferry_changes "
                   "WHERE seq > (SELECT coalesce(max(seq), 0) FROM temp.ferry_push_log)",
                   {});
}

const std::string& LogIndex::entries_sql() {
    catch_up();
    // The keys drive the join (CROSS JOIN keeps them outside), each probing the row index; every
    // mirrored entry is checked against the log by its seq.
    static const std::string sql =
        "SELECT c.tbl, c.pk, c.op, c.mask, c.hlc, c.seq FROM (SELECT DISTINCT value ->> 0 AS t, value ->> 1 AS p "
        "FROM json_each(?1)) k CROSS JOIN temp.ferry_push_log l JOIN main.ferry_changes c ON c.seq = l.seq "
        "WHERE l.tbl = k.t AND l.pk = k.p AND c.tbl = l.tbl AND c.pk = l.pk ORDER BY c.seq";
    return sql;
}

json LogIndex::queued_after(const json& keys, std::int64_t after) {
    const auto r = m_impl.query("SELECT json_group_array(json_array(tbl, pk, top)) FROM (SELECT tbl, pk, max(seq) AS top "
                                "FROM (" + entries_sql() + ") WHERE seq > ?2 GROUP BY tbl, pk)",
                                {keys.dump(), after});
    return json::parse(r.rows[0][0].as_text());
}

std::vector<protocol::Change> fold_changes(Store::Impl& impl, const TableIndex& index, std::int64_t upto,
                                           const json& extra, std::int64_t extra_upto, LogIndex* log) {
    struct Folded {
        const CapturedTable* table = nullptr;
        json pk;
        std::string pk_text;
        bool inserted = false;
        int last_op = 0;
        std::int64_t hlc = 0;
        std::int64_t insert_hlc = 0;  // the clock of the row's latest insert: what a delete is ordered against
        std::map<std::size_t, std::int64_t> col_hlc;
    };
    std::vector<Folded> rows;
    std::map<std::pair<std::int64_t, std::string>, std::size_t> slot;
    // The entries up to the cut are a range of the log; the extra rows' later entries are found
    // by key (through the index when there is one), and both are folded in log order.
    auto entries = impl.query("SELECT tbl, pk, op, mask, hlc, seq FROM ferry_changes WHERE seq <= ?1 ORDER BY seq", {upto});
    if (!extra.empty()) {
        const std::string later =
            log ? "SELECT * FROM (" + log->entries_sql() + ") WHERE seq > ?2 AND seq <= ?3"
                : "SELECT tbl, pk, op, mask, hlc, seq FROM ferry_changes WHERE seq > ?2 AND seq <= ?3 AND (tbl, pk) IN "
                  "(SELECT value ->> 0, value ->> 1 FROM json_each(?1))";
        auto more = impl.query(later, {extra.dump(), upto, extra_upto});
        for (auto& r : more.rows) entries.rows.push_back(std::move(r));
        std::stable_sort(entries.rows.begin(), entries.rows.end(),
                         [](const Row& a, const Row& b) { return a[5].as_int() < b[5].as_int(); });
    }
    for (const auto& r : entries.rows) {
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
            f.insert_hlc = h;
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

    std::vector<protocol::Change> changes;
    for (auto& f : rows) {
        const CapturedTable& t = *f.table;
        auto current = impl.query("SELECT * FROM " + quote_ident(t.name) + " WHERE " + where_key(t), key_values(t, f.pk));
        protocol::Change ch;
        ch.table = t.name;
        ch.pk = f.pk;
        ch.hlc = f.hlc;
        if (current.rows.empty()) {
            if (f.last_op != 3) continue;  // deleted by a later write or by the server: nothing to say
            ch.op = 3;
        } else {
            if (f.last_op == 3) {  // deleted, then created again by a write after this batch
                f.inserted = true;
                f.insert_hlc = f.hlc;
                for (std::size_t c = 0; c < t.columns.size(); ++c) f.col_hlc[c] = f.hlc;
            }
            ch.op = f.inserted ? 1 : 2;
            // An insert travels with its own clock, not that of later updates: a delete made
            // between the two on another device is newer than the insert and must win over it.
            if (f.inserted && f.insert_hlc > 0) ch.hlc = f.insert_hlc;
            for (const auto& [col, h] : f.col_hlc) {
                const auto& name = t.columns[col];
                const Value& v = current.rows[0][col];
                if (!f.inserted && t.is_counter(name) && v.type() == Value::Type::integer) {
                    const auto base = counter_base(impl, t, f.pk_text, name).value_or(0);
                    if (v.as_int() != base) ch.deltas[name] = v.as_int() - base;
                    continue;
                }
                ch.vals[name] = to_json(v);
                ch.clocks[name] = h;
            }
            // Columns past the 62nd share one mask bit: send them all.
            if (!f.inserted && f.col_hlc.count(62))
                for (std::size_t c = 63; c < t.columns.size(); ++c) {
                    ch.vals[t.columns[c]] = to_json(current.rows[0][c]);
                    ch.clocks[t.columns[c]] = f.col_hlc[62];
                }
        }
        changes.push_back(std::move(ch));
    }
    // One table's changes together (the request sends the table's name once per run); the order
    // within a table, which the server's one-by-one fallback follows, stays the log's.
    std::stable_sort(changes.begin(), changes.end(), [&](const protocol::Change& a, const protocol::Change& b) {
        return index.by_name.at(a.table)->id < index.by_name.at(b.table)->id;
    });
    return changes;
}
namespace {
/// The parent rows that rows of `changes` point to (through a foreign key) and that have log
/// entries after `upto`, as [table id, key text], leaving out those in `known`: such a parent (a
/// user created after the project that now names it) must travel in the same batch, or the child
/// is refused for a missing parent. Each as [table id, key text, its greatest seq].
json queued_parent_keys(Store::Impl& impl, const TableIndex& index, const std::vector<protocol::Change>& changes,
                        std::int64_t upto,
                        const std::set<std::pair<std::int64_t, std::string>>& known, LogIndex* log) {
    if (impl.query("SELECT 1 FROM ferry_changes WHERE seq > ? LIMIT 1", {upto}).rows.empty()) return json::array();
    // The batch's parent keys first (bounded by the batch), then their entries after the cut:
    // through the push's index of the log, or (a push of one batch) one scan of the log's tail.
    std::set<std::pair<std::int64_t, std::string>> parents;
    struct ForeignKeys {
        std::map<std::int64_t, std::vector<std::pair<std::string, std::string>>> columns;  // id -> (from, to)
        std::map<std::int64_t, std::string> parent_of;
    };
    std::map<std::string, ForeignKeys> fks_of;  // per table, read once per batch
    for (const auto& ch : changes) {
        if (ch.vals.empty()) continue;
        const json& vals = ch.vals;
        const std::string& table = ch.table;
        auto [slot, fresh] = fks_of.emplace(table, ForeignKeys{});
        if (fresh)
            for (const auto& r : impl.query("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                                            {table}).rows) {
                slot->second.columns[r[0].as_int()].emplace_back(r[2].as_text(), r[3].is_null() ? "" : r[3].as_text());
                slot->second.parent_of[r[0].as_int()] = r[1].as_text();
            }
        const ForeignKeys& fks = slot->second;
        for (const auto& [id, cols] : fks.columns) {
            auto parent = index.by_name.find(fks.parent_of.at(id));
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
                args.push_back(from_json(vals[from], table, from));
            }
            if (!usable) continue;
            std::string parent_key = key.dump();
            // A key naming the parent's primary key columns in order is the parent's key itself.
            bool by_pk = cols.size() == p.pk_columns.size();
            for (std::size_t i = 0; i < cols.size() && by_pk; ++i)
                by_pk = cols[i].second.empty() || cols[i].second == p.pk_columns[i];
            if (!by_pk) {
                std::string expr = "json_array(";
                for (std::size_t i = 0; i < p.pk_columns.size(); ++i) expr += (i ? ", " : "") + quote_ident(p.pk_columns[i]);
                auto r = impl.query("SELECT " + expr + ") FROM " + quote_ident(p.name) + " WHERE " + where, args);
                if (r.rows.empty()) continue;
                parent_key = r.rows[0][0].as_text();
            }
            parents.emplace(p.id, parent_key);
        }
    }
    for (const auto& k : known) parents.erase(k);
    if (parents.empty()) return json::array();
    json keys = json::array();
    for (const auto& [table_id, key] : parents) keys.push_back({table_id, key});
    if (log) return log->queued_after(keys, upto);
    const auto queued = impl.query(
        "SELECT json_group_array(json_array(tbl, pk, top)) FROM (SELECT tbl, pk, max(seq) AS top FROM ferry_changes "
        "WHERE seq > ? AND (tbl, pk) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?)) GROUP BY tbl, pk)",
        {upto, keys.dump()});
    return json::parse(queued.rows[0][0].as_text());
}

/// The batch of the first `count` log entries (all of them when fewer), folded.
BatchCut first_entries(Store::Impl& impl, const TableIndex& index, std::int64_t count, std::int64_t top, LogIndex* log) {
    BatchCut cut;
    auto last = impl.query("SELECT seq FROM ferry_changes ORDER BY seq LIMIT 1 OFFSET ?", {count - 1});
    cut.upto = last.rows.empty() ? top : last.rows[0][0].as_int();
    cut.changes = fold_changes(impl, index, cut.upto, json::array(), 0, log);
    return cut;
}

/// The batch of the first `count` log entries, the cut moved past the entries of their queued
/// parents (and theirs): the batch keeps the log's order, so a delete that frees a unique value
/// before a parent takes it travels with it.
BatchCut cut_moving(Store::Impl& impl, const TableIndex& index, std::int64_t count, std::int64_t top, LogIndex* log) {
    BatchCut cut = first_entries(impl, index, count, top, log);
    for (int round = 0; round < 32; ++round) {
        const json parents = queued_parent_keys(impl, index, cut.changes, cut.upto, {}, log);
        if (parents.empty()) break;
        for (const auto& p : parents) cut.upto = std::max(cut.upto, p[2].get<std::int64_t>());
        cut.changes = fold_changes(impl, index, cut.upto, json::array(), 0, log);
    }
    return cut;
}

/// The batch of the first `count` log entries, with their queued parents (and theirs) as extras:
/// for when moving the cut would make the batch too large.
BatchCut cut_with_parents(Store::Impl& impl, const TableIndex& index, std::int64_t count, std::int64_t top, LogIndex* log) {
    BatchCut cut = first_entries(impl, index, count, top, log);
    cut.extra_upto = top;
    std::set<std::pair<std::int64_t, std::string>> known;
    for (int round = 0; round < 32; ++round) {  // each round adds a generation of parents
        const json more = queued_parent_keys(impl, index, cut.changes, cut.upto, known, log);
        if (more.empty()) break;
        for (const auto& k : more) {
            known.emplace(k[0].get<std::int64_t>(), k[1].get<std::string>());
            cut.extra.push_back({k[0], k[1]});
        }
        cut.changes = fold_changes(impl, index, cut.upto, cut.extra, top, log);
    }
    return cut;
}
}  // namespace

BatchCut cut_batch(Store::Impl& impl, const TableIndex& index, int limit, LogIndex* log) {
    limit = std::max(1, std::min(limit, k_max_push_batch));
    auto top_row = impl.query("SELECT max(seq) FROM ferry_changes", {});
    if (top_row.rows[0][0].is_null()) return {};
    const std::int64_t top = top_row.rows[0][0].as_int();
    // The cut moved past queued parents, when that fits; else the parents by key, and fewer
    // entries when even they make the batch too large ...
    BatchCut moved = cut_moving(impl, index, limit, top, log);
    if (moved.changes.size() <= static_cast<std::size_t>(limit)) return moved;
    std::int64_t count = limit;
    BatchCut cut = cut_with_parents(impl, index, count, top, log);
    while (cut.changes.size() > static_cast<std::size_t>(limit) && count > 1) {
        count = std::max<std::int64_t>(1, count / 2);
        cut = cut_with_parents(impl, index, count, top, log);
    }
    if (cut.changes.size() <= static_cast<std::size_t>(limit)) return cut;
    // ... and when even one entry's parents are too many, the parents go first, by themselves.
    BatchCut parents;
    parents.extra_upto = top;
    for (std::size_t i = 0; i < cut.extra.size() && parents.extra.size() < static_cast<std::size_t>(limit); ++i)
        parents.extra.push_back(cut.extra[i]);
    parents.changes = fold_changes(impl, index, 0, parents.extra, top, log);
    return parents;
}

std::int64_t clear_batch(Store::Impl& impl, const BatchCut& cut, LogIndex* log) {
    std::int64_t cleared = impl.execute("DELETE FROM ferry_changes WHERE seq <= ?", {cut.upto});
    if (!cut.extra.empty())
        cleared += impl.execute(
            log ? "DELETE FROM ferry_changes WHERE seq IN (SELECT seq FROM (" + log->entries_sql() + ") WHERE seq <= ?2)"
                : std::string("DELETE FROM ferry_changes WHERE seq <= ?2 AND (tbl, pk) IN "
                              "(SELECT value ->> 0, value ->> 1 FROM json_each(?1))"),
            {cut.extra.dump(), cut.extra_upto});
    return cleared;
}

}  // namespace ferry::detail
