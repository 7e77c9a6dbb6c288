// bindings/cli/daemon.hpp: `ferry daemon` (docs/daemon.md): keeps device stores in sync with a
// SyncService each, serves health, metrics and a status page, and follows systemd's conventions.
#pragma once

#include <string>
#include <vector>

namespace ferry::cli {

/// One store the daemon keeps in sync: through the gateway when `gateway` is set (the user's
/// token from `token_file`, else $FERRY_TOKEN), else directly (`database_url`, else $DATABASE_URL).
struct DaemonStore {
    std::string db;
    std::string gateway;
    std::string token_file;
    std::string database_url;
};

struct DaemonConfig {
    std::vector<DaemonStore> stores;
    std::string http;  ///< HOST:PORT of health, metrics and the status page; "" for none
};

/// Reads a daemon config file (JSON, docs/daemon.md). Throws Error(invalid_argument) naming the
/// file and what is wrong with it.
DaemonConfig load_daemon_config(const std::string& path);

/// Runs until SIGTERM or SIGINT; SIGHUP reloads `config_path` (when given). Returns the exit code.
int run_daemon(DaemonConfig config, const std::string& config_path);

}  // namespace ferry::cli
