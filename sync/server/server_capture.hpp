// sync/server/server_capture.hpp: Ferry's capture in the cloud: triggers on every synced table
// that log each change, from any writer, into ferry.changes.
#pragma once

#include <pqxx/pqxx>
#include <cstdint>
#include <functional>
#include <string>

namespace ferry::detail {

/// Installs (or refreshes) capture for every synced table of `app`, and logs once the rows Ferry
/// has not seen. Idempotent. Calls `on_table(table, rows logged)` after each table; returns the
/// total of rows logged.
std::int64_t install_server_capture(pqxx::connection& c, const std::string& app,
                                    const std::function<void(const std::string&, std::int64_t)>& on_table = {});

}  // namespace ferry::detail
