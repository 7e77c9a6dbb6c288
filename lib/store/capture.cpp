// lib/store/capture.cpp: generation of the capture triggers from the live catalog.
//
// The log is lean (key + column mask + hlc, about 1.3-1.6x a plain write in research/perf.md)
// rather than a copy of the row: values are read from the row when the change is pushed, so the
// push always sends the current value of each changed column.
#include "lib/store/capture.hpp"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "lib/schema/sync_rules.hpp"
#include "lib/store/store_impl.hpp"

namespace ferry::detail {
namespace {
// Bump when the trigger text changes, so existing stores get the new triggers on open.
constexpr int k_capture_format = 3;

struct TableInfo {
    std::string name;
    std::vector<std::string> columns;
    std::vector<std::string> pk_columns;
};

TableInfo table_info(Store::Impl& impl, const std::string& table) {
    auto r = impl.query("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", {table});
    if (r.rows.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::internal,
                    "sync rules of app '" + impl.app + "' name table '" + table + "', which the device schema lacks");
    TableInfo t;
    t.name = table;
    std::vector<std::pair<std::int64_t, std::string>> pk;
    for (const auto& row : r.rows) {
        t.columns.push_back(row[0].as_text());
        if (row[1].as_int() > 0) pk.emplace_back(row[1].as_int(), row[0].as_text());
    }
    std::sort(pk.begin(), pk.end());
    for (auto& p : pk) t.pk_columns.push_back(p.second);
    if (t.pk_columns.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::internal, "synced table '" + table + "' has no primary key");
    return t;
}

std::vector<TableInfo> current_tables(Store::Impl& impl) {
    std::vector<TableInfo> out;
    for (const auto& rule : sync_rules(impl.app).tables) out.push_back(table_info(impl, rule.name));
    return out;
}

std::string signature(const std::vector<TableInfo>& tables) {
    nlohmann::json j = nlohmann::json::array();
    j.push_back(k_capture_format);
    for (const auto& t : tables) j.push_back({t.name, t.columns, t.pk_columns});
    return std::to_string(std::hash<std::string>{}(j.dump()));
}

std::string key_array(const std::vector<std::string>& pk, const char* row) {
    std::string s = "json_array(";
    for (std::size_t i = 0; i < pk.size(); ++i) s += (i ? ", " : "") + std::string(row) + "." + quote_ident(pk[i]);
    return s + ")";
}

std::string key_changed(const std::vector<std::string>& pk) {
    std::string s;
    for (std::size_t i = 0; i < pk.size(); ++i)
        s += (i ? " OR " : "") + std::string("NEW.") + quote_ident(pk[i]) + " IS NOT OLD." + quote_ident(pk[i]);
    return "(" + s + ")";
}

std::string column_list(const std::vector<std::string>& columns) {
    std::string s;
    for (std::size_t i = 0; i < columns.size(); ++i) s += (i ? ", " : "") + quote_ident(columns[i]);
    return s;
}

bool is_key_column(const TableInfo& t, const std::string& column) {
    return std::find(t.pk_columns.begin(), t.pk_columns.end(), column) != t.pk_columns.end();
}

void create_triggers(Store::Impl& impl, std::int64_t id, const TableInfo& t) {
    const std::string q = quote_ident(t.name);
    const std::string tid = std::to_string(id);
    auto trig = [&](const char* kind) { return quote_ident("ferry_capture_" + std::string(kind) + "_" + t.name); };

    // The update trigger's WHEN compares OLD and NEW once, in C (ferry_changed_columns, in
    // lib/store/store.cpp): false when nothing changed (an update that changed nothing stays out of
    // the log) or when the key changed (the key-change trigger logs it); the INSERT takes the mask
    // the WHEN found. In SQL the 15 comparisons of a Task row ran for the WHEN and again for the mask.
    // Columns from the 63rd on share the mask's last bit (column_bit): a key column among them is
    // tested in SQL instead, so that no other column's change passes for the key's.
    std::string compared, key_guard;
    std::int64_t key_bits = 0;
    bool has_other_columns = false;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const std::string c = quote_ident(t.columns[i]);
        compared += ", NEW." + c + ", OLD." + c;
        if (!is_key_column(t, t.columns[i]))
            has_other_columns = true;
        else if (column_bit(i) == column_bit(i + 1))
            key_guard = " AND NOT " + key_changed(t.pk_columns);
        else
            key_bits |= column_bit(i);
    }
    const std::string new_key = key_array(t.pk_columns, "NEW");
    const std::string old_key = key_array(t.pk_columns, "OLD");
    const std::string moved = key_changed(t.pk_columns);

    impl.exec("CREATE TRIGGER " + trig("ins") + " AFTER INSERT ON " + q +
              " WHEN ferry_capturing() BEGIN INSERT INTO ferry_changes(tbl, pk, op, mask, hlc) VALUES (" + tid + ", " +
              new_key + ", 1, -1, ferry_hlc()); END");
    if (has_other_columns)  // a table of key columns only has no update that keeps its key and changes anything
        impl.exec("CREATE TRIGGER " + trig("upd") + " AFTER UPDATE ON " + q +
                  " WHEN ferry_capturing()" + key_guard + " AND ferry_changed_columns(" + std::to_string(key_bits) + compared +
                  ") BEGIN INSERT INTO ferry_changes(tbl, pk, op, mask, hlc) VALUES (" + tid + ", " + new_key +
                  ", 2, ferry_taken_changed_columns(), ferry_hlc()); END");
    // A key that changes is, for sync, the old row deleted and a new row inserted. `UPDATE OF` the
    // key's columns: SQLite leaves the trigger out of every UPDATE whose SET names none of them
    // (an ON UPDATE CASCADE of a foreign key in the key names them, so it is kept for those).
    impl.exec("CREATE TRIGGER " + trig("rekey") + " AFTER UPDATE OF " + column_list(t.pk_columns) + " ON " + q +
              " WHEN ferry_capturing() AND " + moved +
              " BEGIN INSERT INTO ferry_changes(tbl, pk, op, mask, hlc) VALUES (" + tid + ", " + old_key +
              ", 3, 0, ferry_hlc()); INSERT INTO ferry_changes(tbl, pk, op, mask, hlc) VALUES (" + tid + ", " +
              new_key + ", 1, -1, ferry_hlc()); END");
    impl.exec("CREATE TRIGGER " + trig("del") + " AFTER DELETE ON " + q +
              " WHEN ferry_capturing() BEGIN INSERT INTO ferry_changes(tbl, pk, op, mask, hlc) VALUES (" + tid + ", " +
              old_key + ", 3, 0, ferry_hlc()); END");
}

/// SQL that turns a mask over the columns `before` into the same columns' bits in `after`, by
/// name; a column `after` lacks loses its bit. Bit 62 stands for every column from the 63rd on.
std::string remapped_mask(const std::vector<std::string>& before, const std::vector<std::string>& after) {
    std::string expr;
    for (std::size_t i = 0; i < before.size() && i <= 62; ++i) {
        const std::size_t last = i < 62 ? i : before.size() - 1;
        std::int64_t bits = 0;
        for (std::size_t k = i; k <= last; ++k) {
            const auto at = std::find(after.begin(), after.end(), before[k]);
            if (at != after.end()) bits |= column_bit(static_cast<std::size_t>(at - after.begin()));
        }
        if (bits != 0)
            expr += (expr.empty() ? "" : " | ") + std::string("(CASE WHEN mask & ") + std::to_string(column_bit(i)) +
                    " THEN " + std::to_string(bits) + " ELSE 0 END)";
    }
    return expr.empty() ? "0" : expr;
}

/// Pending updates of a table record column positions; when a migration dropped, added or
/// moved columns, they are rewritten to the new positions (one statement, so each mask is read
/// in the old order only). An insert's -1 means every column and stays. An update left with no
/// column that still exists changed nothing that can be pushed, and goes.
void remap_pending_masks(Store::Impl& impl, std::int64_t id, const std::vector<std::string>& before,
                         const std::vector<std::string>& after) {
    if (before == after) return;
    impl.execute("UPDATE ferry_changes SET mask = " + remapped_mask(before, after) +
                     " WHERE tbl = ? AND op = 2 AND mask != -1",
                 {id});
    impl.execute("DELETE FROM ferry_changes WHERE tbl = ? AND op = 2 AND mask = 0", {id});
}

/// Records a synced table's key and column order in ferry_tables (remapping the masks of its
/// pending updates when the order changed) and returns its id. Ids are stable once given:
/// pending changes refer to tables by id.
std::int64_t record_table(Store::Impl& impl, const TableInfo& t) {
    auto recorded = impl.query("SELECT id, columns FROM ferry_tables WHERE name=?", {t.name});
    nlohmann::json cols = t.columns, pk = t.pk_columns;
    impl.execute(
        "INSERT INTO ferry_tables(name, pk_columns, columns) VALUES (?1, ?2, ?3) "
        "ON CONFLICT(name) DO UPDATE SET pk_columns = ?2, columns = ?3",
        {t.name, pk.dump(), cols.dump()});
    if (recorded.rows.empty()) return impl.query("SELECT id FROM ferry_tables WHERE name=?", {t.name}).rows[0][0].as_int();
    const auto id = recorded.rows[0][0].as_int();
    remap_pending_masks(impl, id, nlohmann::json::parse(recorded.rows[0][1].as_text()).get<std::vector<std::string>>(),
                        t.columns);
    return id;
}
}  // namespace

std::string quote_ident(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

bool CapturedTable::is_counter(const std::string& column) const {
    return std::find(counters.begin(), counters.end(), column) != counters.end();
}

std::vector<CapturedTable> captured_tables(Store::Impl& impl) {
    std::vector<CapturedTable> out;
    for (const auto& rule : sync_rules(impl.app).tables) {
        auto r = impl.query("SELECT id, columns, pk_columns FROM ferry_tables WHERE name=?", {rule.name});
        if (r.rows.empty())
            throw Error(ErrorDomain::ferry, ErrorCode::internal, "table '" + rule.name + "' has no capture installed");
        CapturedTable t;
        t.id = r.rows[0][0].as_int();
        t.name = rule.name;
        t.columns = nlohmann::json::parse(r.rows[0][1].as_text()).get<std::vector<std::string>>();
        t.pk_columns = nlohmann::json::parse(r.rows[0][2].as_text()).get<std::vector<std::string>>();
        t.counters = rule.counters;
        out.push_back(std::move(t));
    }
    return out;
}

bool capture_is_current(Store::Impl& impl) {
    return impl.meta("capture_signature") == signature(current_tables(impl));
}

void install_capture(Store::Impl& impl) {
    const auto tables = current_tables(impl);
    auto old = impl.query("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'ferry_capture_%'", {});
    for (const auto& row : old.rows) impl.exec("DROP TRIGGER " + quote_ident(row[0].as_text()));
    for (const auto& t : tables) {
        const auto id = record_table(impl, t);
        create_triggers(impl, id, t);
        // Counter columns of rows already here (seed rows) start agreed at their current value.
        if (const auto* rule = sync_rules(impl.app).find(t.name))
            for (const auto& c : rule->counters)
                impl.execute("INSERT OR IGNORE INTO ferry_counter_base(tbl, pk, col, base) SELECT ?, " +
                                 key_array(t.pk_columns, quote_ident(t.name).c_str()) + ", ?, " + quote_ident(c) +
                                 " FROM " + quote_ident(t.name) + " WHERE typeof(" + quote_ident(c) + ") = 'integer'",
                             {id, c});
    }
    impl.set_meta("capture_signature", signature(tables));
}

}  // namespace ferry::detail
