// lib/store/deferred_indexes.hpp: secondary indexes set aside while a first snapshot loads an
// empty table, and built again over the loaded rows.
#pragma once

#include <string>
#include <vector>

#include "ferry/store.hpp"

namespace ferry::detail {

/// Drops the plain (non-unique) secondary indexes of each of `tables` that holds no row, and
/// records their definitions in ferry_deferred_indexes. Unique indexes and the primary key stay:
/// they are constraints, and a row written meanwhile must still obey them. Runs inside the
/// caller's transaction.
void defer_secondary_indexes(Store::Impl& impl, const std::vector<std::string>& tables);

/// Builds every index recorded in ferry_deferred_indexes and forgets it. An index whose table is
/// gone, or whose name is now taken, is forgotten; one that cannot be built (a migration changed
/// its table meanwhile) is forgotten too, and its message returned, so that it never blocks the
/// store. Runs inside the caller's transaction.
std::vector<std::string> build_deferred_indexes(Store::Impl& impl);

/// True when ferry_deferred_indexes lists an index.
bool has_deferred_indexes(Store::Impl& impl);

}  // namespace ferry::detail
