// sync/client/id_leases.hpp: integer keys for rows created offline (seed 004's autoincrement ids).
// Blocks of ids are leased from the server's sequences while online; the SQL function
// ferry_next_id('<table>'), the DEFAULT of such a key on the device, hands them out.
#pragma once

#include <string>
#include <vector>

#include "ferry/store.hpp"

struct sqlite3_context;
struct sqlite3_value;

namespace ferry::detail {

struct LeaseNeed {
    std::string table;
    std::string column;
    std::int64_t left = 0;
};

/// The integer-key tables whose key DEFAULT is ferry_next_id(...), with the ids each has left.
std::vector<LeaseNeed> leased_tables(Store::Impl& impl);
/// Those of them with fewer than `low_water` ids left.
std::vector<LeaseNeed> lease_needs(Store::Impl& impl, int low_water);
/// Records leased ids (any order, any gaps) as runs in ferry_id_leases.
void add_lease(Store::Impl& impl, const std::string& table, const std::string& column, std::vector<std::int64_t> ids);
/// Ids left for a table.
std::int64_t lease_left(Store::Impl& impl, const std::string& table);

/// The SQL function ferry_next_id(table): the next leased id, or an error naming the remedy.
void sql_next_id(sqlite3_context* ctx, int argc, sqlite3_value** argv);

}  // namespace ferry::detail
