// ferry/server.hpp: the cloud side as a library: install or upgrade an app's schema (and Ferry's
// own metadata) in a PostgreSQL database. Linked by the CLI, the daemon and the gateway only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ferry::server {

/// What install_app_schema did.
struct InstallResult {
    int from_version = 0;              ///< the app's recorded version before (0: none)
    int to_version = 0;                ///< after
    std::vector<std::string> applied;  ///< names of the migrations applied, in order
    /// Rows already in the database that Ferry had not seen (an adopted database): each is
    /// logged once as an insert, so every device's first pull receives it.
    std::int64_t backfilled = 0;
};

/// One step of install_app_schema, reported as it starts ("migration") or ends ("capture").
struct InstallProgress {
    std::string step;       ///< "migration" (name: scope/file) or "capture" (name: table)
    std::string name;
    std::int64_t rows = 0;  ///< for "capture": rows of the table logged for the first time
};

/// Installs or upgrades `app`'s cloud schema, and Ferry's metadata schema, in the database named
/// by the libpq connection string `conninfo` (URL or key=value; empty: libpq's PG* variables).
/// Each migration runs in its own transaction under an advisory lock, so concurrent installs
/// serialise and the second one finds nothing to do. Existing data is never dropped.
/// `on_progress` (optional) is called on this thread for each migration and each table, so a
/// long adoption of a large database shows where it is.
/// Throws ferry::Error(unknown_app), (schema_too_new), (connection), (migration_failed).
InstallResult install_app_schema(const std::string& conninfo, const std::string& app,
                                 const std::function<void(const InstallProgress&)>& on_progress = {});

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
