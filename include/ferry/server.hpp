// ferry/server.hpp: the cloud side as a library: install or upgrade an app's schema (and Ferry's
// own metadata) in a PostgreSQL database. Linked by the CLI, the daemon and the gateway only.
#pragma once

#include <string>
#include <vector>

namespace ferry::server {

/// What install_app_schema did.
struct InstallResult {
    int from_version = 0;              ///< the app's recorded version before (0: none)
    int to_version = 0;                ///< after
    std::vector<std::string> applied;  ///< names of the migrations applied, in order
};

/// Installs or upgrades `app`'s cloud schema, and Ferry's metadata schema, in the database named
/// by the libpq connection string `conninfo` (URL or key=value; empty: libpq's PG* variables).
/// Each migration runs in its own transaction under an advisory lock, so concurrent installs
/// serialise and the second one finds nothing to do. Existing data is never dropped.
/// Throws ferry::Error(unknown_app), (schema_too_new), (connection), (migration_failed).
InstallResult install_app_schema(const std::string& conninfo, const std::string& app);

/// The recorded cloud schema version of `app` in the database (0 when not installed).
int installed_version(const std::string& conninfo, const std::string& app);

/// What trim_changes did.
struct TrimResult {
    std::int64_t deleted = 0;  ///< change-log entries removed
    std::string horizon;       ///< the highest position trimmed so far ("" if never)
    std::int64_t tombstones = 0;  ///< clocks of rows deleted more than `inactive_days` ago, forgotten
};

/// Deletes the change-log entries that every device seen in the last `inactive_days` days has
/// pulled, and the tombstones (delete clocks in ferry.rows) of rows deleted longer ago than that.
/// A device inactive for longer gets "resync required" on its next pull and takes a fresh
/// snapshot (it never misses a delete). Throws Error(connection), Error(invalid_argument).
TrimResult trim_changes(const std::string& conninfo, int inactive_days = 30);

}  // namespace ferry::server
