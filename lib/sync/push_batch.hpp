// lib/sync/push_batch.hpp: what a push sends: the change log folded into one change per row,
// with current values, and a cut that keeps queued parents with the rows that name them.
#pragma once

#include "lib/sync/rows.hpp"

namespace ferry::detail {

/// Folds the change log up to entry `upto` into one change per row (docs/protocol.md, push).
json fold_changes(Store::Impl& impl, const TableIndex& index, std::int64_t upto);

/// The highest log entry of a parent row that `changes` point to (through a foreign key) and
/// that is still queued after `upto`: such a parent must travel in the same batch.
std::int64_t queued_parents(Store::Impl& impl, const TableIndex& index, const json& changes, std::int64_t upto);

}  // namespace ferry::detail
