// lib/store/capture.hpp: the device's change capture: triggers on every synced table that append
// (table, key, op, changed-column mask, hlc) to ferry_changes for every local write.
#pragma once

#include <string>
#include <vector>

#include "ferry/store.hpp"

namespace ferry::detail {

/// A synced table as capture sees it.
struct CapturedTable {
    std::int64_t id = 0;
    std::string name;
    std::vector<std::string> columns;     ///< in table order; bit i of a mask is columns[i]
    std::vector<std::string> pk_columns;  ///< in key order
    std::vector<std::string> counters;    ///< columns merged by adding deltas (sync rules)
    bool is_counter(const std::string& column) const;
};

/// Bit of column index i in a change mask (columns past the 62nd share bit 62).
inline std::int64_t column_bit(std::size_t i) { return std::int64_t(1) << (i < 62 ? i : 62); }

/// The synced tables as recorded in ferry_tables, in sync-rules order.
std::vector<CapturedTable> captured_tables(Store::Impl& impl);

/// True when the installed capture triggers match the current schema and sync rules.
bool capture_is_current(Store::Impl& impl);

/// (Re)creates ferry_tables rows and the capture triggers of every synced table; when a table's
/// columns changed, the masks of its pending updates are remapped to the new column order by
/// name. Runs inside the caller's transaction. Throws Error(internal) when the rules name a
/// table the schema lacks.
void install_capture(Store::Impl& impl);

/// "name" with embedded quotes doubled: a safe SQL identifier.
std::string quote_ident(const std::string& name);

}  // namespace ferry::detail
