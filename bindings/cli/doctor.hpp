// bindings/cli/doctor.hpp: `ferry doctor` (docs/cli.md): checks a store, and the server it syncs
// with, without changing either.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ferry/sync.hpp"

namespace ferry::cli {

/// Connects to the server of a store of `app` (it may throw: the server check then fails).
using ServerFactory = std::function<std::unique_ptr<Transport>(const std::string& app)>;

/// Runs the checks of `db` and, when `connect` is set, of the server it reaches; prints one line
/// per check ("LEVEL<TAB>CHECK<TAB>DETAIL", or a JSON array with `json`). Returns the exit code:
/// 0 when nothing failed (warnings allowed), 1 otherwise.
int run_doctor(const std::string& db, const ServerFactory& connect, bool json);

struct DaemonStore;
/// The server of one store of a daemon config, from that store's settings.
using StoreServerFactory = std::function<ServerFactory(const DaemonStore&)>;

/// Checks a `ferry daemon` config file (it parses, names stores) and then every store it names as
/// run_doctor() does, its server through `connect` (when set) with that store's settings. Each
/// check's name is prefixed by the store's path. Returns the exit code as run_doctor().
int run_doctor_config(const std::string& config_path, const StoreServerFactory& connect, bool json);

}  // namespace ferry::cli
