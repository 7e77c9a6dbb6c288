// sync/server/device_role.hpp: the database's second line of defence for users' requests
// (DESIGN.md decision 10). A user's request runs as the role `ferry_device` (SET LOCAL ROLE) with
// the user's claims in `request.jwt.claims`: not a superuser, not an owner, no BYPASSRLS, granted
// only what a merge, pull and lease need, and under row-level security policies that say, as the
// sync rules do, which rows each user may read and write. So a bug in the gateway's own checks
// still cannot touch another user's rows.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "lib/schema/sync_rules.hpp"
#include "sync/server/table_meta.hpp"

namespace ferry::detail {

inline constexpr const char* k_device_role = "ferry_device";

/// Creates the role if needed (NOLOGIN), grants it what sync needs, makes it a member of the
/// app's own roles (rules.device_role_member_of), and, unless the app brings its own policies,
/// enables row-level security on every synced table with ownership policies generated from the
/// rules, plus one that keeps every other role's access as it was. Idempotent.
void install_device_role(pqxx::work& tx, const SyncRules& rules, const std::vector<PgTable>& tables);

}  // namespace ferry::detail
