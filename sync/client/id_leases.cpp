// sync/client/id_leases.cpp: leased id blocks on the device.
#include "sync/client/id_leases.hpp"

#include <algorithm>
#include <sqlite3.h>

#include "lib/store/store_impl.hpp"

namespace ferry::detail {

std::vector<LeaseNeed> leased_tables(Store::Impl& impl) {
    std::vector<LeaseNeed> out;
    auto r = impl.query(
        "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
        "WHERE m.type = 'table' AND c.pk = 1 AND c.dflt_value LIKE 'ferry_next_id(%'",
        {});
    for (const auto& row : r.rows) out.push_back({row[0].as_text(), row[1].as_text(), lease_left(impl, row[0].as_text())});
    return out;
}

std::vector<LeaseNeed> lease_needs(Store::Impl& impl, int low_water) {
    auto out = leased_tables(impl);
    out.erase(std::remove_if(out.begin(), out.end(), [&](const LeaseNeed& n) { return n.left >= low_water; }), out.end());
    return out;
}

std::int64_t lease_left(Store::Impl& impl, const std::string& table) {
    auto r = impl.query("SELECT coalesce(sum(last_id - next_id + 1), 0) FROM ferry_id_leases WHERE tbl = ?", {table});
    return r.rows[0][0].as_int();
}

void add_lease(Store::Impl& impl, const std::string& table, const std::string& column, std::vector<std::int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    std::size_t i = 0;
    while (i < ids.size()) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
        impl.execute("INSERT OR IGNORE INTO ferry_id_leases(tbl, column, next_id, last_id) VALUES (?, ?, ?, ?)",
                     {table, column, ids[i], ids[j]});
        i = j + 1;
    }
}

void sql_next_id(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    auto& impl = *static_cast<Store::Impl*>(sqlite3_user_data(ctx));
    if (argc != 1 || sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_error(ctx, "ferry_next_id(table) takes the table name", -1);
        return;
    }
    const std::string table = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    try {
        auto r = impl.query("SELECT next_id, last_id FROM ferry_id_leases WHERE tbl = ? ORDER BY next_id LIMIT 1", {table});
        if (r.rows.empty()) {
            const std::string msg = "no leased ids left for table " + table +
                                    ": rows with integer keys created offline use ids leased from the server; "
                                    "sync once while online (ferry sync) to lease a new block";
            sqlite3_result_error(ctx, msg.c_str(), -1);
            return;
        }
        const auto next = r.rows[0][0].as_int(), last = r.rows[0][1].as_int();
        if (next == last)
            impl.execute("DELETE FROM ferry_id_leases WHERE tbl = ? AND next_id = ?", {table, next});
        else
            impl.execute("UPDATE ferry_id_leases SET next_id = ? WHERE tbl = ? AND next_id = ?", {next + 1, table, next});
        sqlite3_result_int64(ctx, next);
    } catch (const std::exception& e) {
        sqlite3_result_error(ctx, e.what(), -1);
    }
}

}  // namespace ferry::detail
