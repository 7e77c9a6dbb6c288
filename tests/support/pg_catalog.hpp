// tests/support/pg_catalog.hpp: a test database's catalog and query results as plain text, for the
// cloud schema tests (installing again or adopting an existing database must change nothing).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tests/support/pg.hpp"

namespace ferry::test {

/// Every field of every row of a query, as text ("NULL" for NULL).
using PgRows = std::vector<std::vector<std::string>>;

/// Everything the migrations define in schema public, one sorted line per object: columns (with
/// position, type, length/precision, nullability and default), indexes, constraints, triggers,
/// enum types and their labels, views and materialized views with their definitions, functions
/// (signature, source digest, SECURITY DEFINER), policies and row-level security switches.
std::string catalog_snapshot(const PgDatabase& db);

/// The first column of a query's rows, as a set ("" for NULL).
std::set<std::string> pg_set(const PgDatabase& db, const std::string& sql);

/// A query's rows, each field as text ("NULL" for NULL).
PgRows pg_rows(const PgDatabase& db, const std::string& sql);

/// The first field of `sql` ("" for NULL or no row), run in a transaction that commits
/// (PgDatabase::scalar rolls back).
std::string scalar_committed(const PgDatabase& db, const std::string& sql);

}  // namespace ferry::test
