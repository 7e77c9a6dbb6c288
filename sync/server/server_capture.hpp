// sync/server/server_capture.hpp: Ferry's capture in the cloud: triggers on every synced table
// that log each change, from any writer, into ferry.changes.
#pragma once

#include <pqxx/pqxx>
#include <string>

namespace ferry::detail {

/// Installs (or refreshes) capture for every synced table of `app`. Idempotent.
void install_server_capture(pqxx::connection& c, const std::string& app);

}  // namespace ferry::detail
