// lib/store/deferred_indexes.cpp: see deferred_indexes.hpp.
//
// Why: a Task row touches six B-trees (the table, its key and four indexes). Loading an empty
// table with only the first two and sorting each index once at the end is the fast path of a
// fresh device's first sync (docs/performance.md).
#include "lib/store/deferred_indexes.hpp"

#include "ferry/error.hpp"
#include "lib/store/capture.hpp"
#include "lib/store/store_impl.hpp"

namespace ferry::detail {

void defer_secondary_indexes(Store::Impl& impl, const std::vector<std::string>& tables) {
    for (const auto& table : tables) {
        if (!impl.query("SELECT 1 FROM " + quote_ident(table) + " LIMIT 1", {}).rows.empty()) continue;
        // origin 'c': made by CREATE INDEX, not by a PRIMARY KEY or UNIQUE constraint.
        const auto plain = impl.query(
            "SELECT m.name, m.sql FROM pragma_index_list(?1) l JOIN sqlite_master m "
            "ON m.type = 'index' AND m.name = l.name WHERE l.origin = 'c' AND l.\"unique\" = 0 AND m.sql IS NOT NULL",
            {table});
        for (const auto& index : plain.rows) {
            impl.execute("INSERT OR REPLACE INTO ferry_deferred_indexes(name, tbl, sql) VALUES (?, ?, ?)",
                         {index[0], table, index[1]});
            impl.exec("DROP INDEX " + quote_ident(index[0].as_text()));
        }
    }
}

std::vector<std::string> build_deferred_indexes(Store::Impl& impl) {
    std::vector<std::string> failures;
    const auto deferred = impl.query("SELECT name, tbl, sql FROM ferry_deferred_indexes ORDER BY name", {});
    for (const auto& index : deferred.rows) {
        const std::string name = index[0].as_text();
        const bool table_exists =
            !impl.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {index[1]}).rows.empty();
        const bool name_taken = !impl.query("SELECT 1 FROM sqlite_master WHERE name = ?", {name}).rows.empty();
        if (table_exists && !name_taken) {
            try {
                impl.exec(index[2].as_text());
            } catch (const Error& e) {
                // Only a statement that no longer fits the schema is given up; a full disk or a
                // busy file rolls the transaction back, and the index stays listed.
                if (e.domain() != ErrorDomain::sqlite || e.code() != ErrorCode::sql) throw;
                failures.push_back("index " + name + " of table " + index[1].as_text() +
                                   " could not be built again after the first sync: " + e.what());
            }
        }
        impl.execute("DELETE FROM ferry_deferred_indexes WHERE name = ?", {name});
    }
    return failures;
}

bool has_deferred_indexes(Store::Impl& impl) {
    return !impl.query("SELECT 1 FROM ferry_deferred_indexes LIMIT 1", {}).rows.empty();
}

}  // namespace ferry::detail
