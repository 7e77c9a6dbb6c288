// tests/support/store_checks.hpp: checks on a device Store shared by the test suites: row counts,
// column lists, first values, statements the schema must reject, and the ferry::Error a call throws.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/store.hpp"

namespace ferry::test {

/// The number of rows of `table` (a quoted identifier) that match the SQL condition `where`.
std::int64_t count(Store& s, const std::string& table, const std::string& where = "1");

/// The column names of `table`, in declaration order.
std::vector<std::string> columns_of(Store& s, const std::string& table);

/// The first column of the first row, rendered ("NULL" for NULL, "<no row>" when there is none).
std::string text(Store& s, const std::string& sql, const std::vector<Value>& params = {});

/// Runs a statement that must fail with a constraint error whose message contains `needle`,
/// and checks that `table` holds the same rows as before.
void require_rejected(Store& s, const std::string& table, const std::string& sql, const std::vector<Value>& params,
                      const std::string& needle);

/// Runs f, which must fail with a constraint error whose message contains `needle`.
void require_constraint(const std::function<void()>& f, const std::string& needle);

/// The code of the ferry::Error that f throws; fails the test when f throws none.
ErrorCode code_of(const std::function<void()>& f);

/// The message of the ferry::Error that f throws; fails the test when f throws none.
std::string message_of(const std::function<void()>& f);

}  // namespace ferry::test
