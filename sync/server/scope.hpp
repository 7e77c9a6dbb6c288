// sync/server/scope.hpp: who may read and who may write a row, as SQL over a row alias, generated
// from the app's sync rules (DESIGN.md decision 10). The capture triggers record both with every
// change (ferry.changes.readers: the readers before and after the change) and keep the current
// ones in ferry.rows (readers, owner), so pulls know a row's scope at the time of each change,
// also for a deleted row or one that left a user's scope.
//
// readers: text[] of user ids, '*' meaning every user; '{}' nobody but trusted processes.
// owner:   the user id who may write the row, '*' anyone, NULL nobody but trusted processes.
#pragma once

#include <string>
#include <vector>

#include "lib/schema/sync_rules.hpp"
#include "sync/server/table_meta.hpp"

namespace ferry::detail {

struct ScopeSql {
    std::string readers;  ///< text[] expression
    std::string owner;    ///< text expression
};

/// The scope of row alias `row` of table `t` under `rules` (`tables`: every synced table, for a
/// parent's key form). A via-owned row has its parent's current scope (read from ferry.rows).
ScopeSql scope_sql(const PgTable& t, const SyncRules& rules, const std::vector<PgTable>& tables,
                   const std::string& row);

/// The synced tables whose owner is `parent` through a via column: {child table, via column}.
std::vector<std::pair<const PgTable*, std::string>> via_children(const PgTable& parent, const SyncRules& rules,
                                                                 const std::vector<PgTable>& tables);

}  // namespace ferry::detail
