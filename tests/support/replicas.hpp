// tests/support/replicas.hpp: snapshots of a device's synced tables for replica comparisons.
// A dump holds every synced table (Store::synced_tables()) with its rows ordered by primary key,
// so two replicas of one database compare row by row.
#pragma once

#include <string>
#include <vector>

#include "ferry/store.hpp"

namespace ferry::test {

/// How a device column compares across replicas.
enum class ColumnKind {
    exact,    ///< byte for byte
    json,     ///< json/jsonb and arrays: the parsed JSON values (PostgreSQL normalises jsonb text)
    decimal,  ///< numeric: the number ('1.5' equals '1.500000')
};

/// One synced table of one replica.
struct TableDump {
    std::string name;
    std::vector<std::string> columns;
    std::vector<ColumnKind> kinds;
    std::vector<std::string> key;  ///< primary-key columns, in key order
    std::vector<Row> rows;         ///< ordered by the primary key
};

/// Every synced table of a store.
using Dump = std::vector<TableDump>;

/// The kind of each column of `table`, read from the device schema's named CHECK constraints
/// ("<table>_<column>_json", "_array", "_decimal"; sql/README.md).
std::vector<ColumnKind> column_kinds(Store& store, const std::string& table, const std::vector<std::string>& columns);

/// Dumps every synced table of `store`.
Dump dump_synced(Store& store);

/// The differences between two dumps, one line each (at most `max_lines`), or "" when they
/// hold the same tables and rows. With `semantic`, JSON and decimal columns compare by value;
/// without it, every value compares byte for byte.
std::string diff_dumps(const Dump& a, const Dump& b, bool semantic, std::size_t max_lines = 40);

/// Row counts per table, "table=n, ..." (for messages).
std::string dump_summary(const Dump& d);

/// Rows of one table in a dump (throws std::out_of_range when absent).
const TableDump& table_of(const Dump& d, const std::string& name);

/// Whether two JSON texts hold the same value (objects compare without regard to key order,
/// numbers by value). False when either is not valid JSON.
bool same_json(const std::string& a, const std::string& b);

/// Whether two decimal texts hold the same number ('-0.50' equals '-0.5'; '-0' equals '0').
bool same_decimal(const std::string& a, const std::string& b);

}  // namespace ferry::test
