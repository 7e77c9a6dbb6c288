// ferry/store.hpp: the on-device store: one SQLite file holding one app's schema, its data,
// and Ferry's sync metadata. Open it, use SQL, and every local write is captured for sync.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/clock.hpp"
#include "ferry/value.hpp"

namespace ferry {

namespace detail {
struct StoreAccess;  // Ferry's own engine reaches the implementation through it
}  // namespace detail

/// Counts of one table, as shown by status().
struct TableStatus {
    std::string name;
    std::int64_t rows = 0;
    bool synced = false;  ///< captured and synced (false for device-only and Ferry tables)
    /// For a table whose integer key comes from ids leased from the server (devlog): how many
    /// are left for inserts made offline. -1 for other tables.
    std::int64_t leased_ids_left = -1;
};

/// A snapshot of a store's state, for `ferry status` and monitoring.
struct StoreStatus {
    std::string path;
    std::string app;
    int schema_version = 0;         ///< highest applied app migration
    int latest_schema_version = 0;  ///< highest migration this build of Ferry knows
    std::string site_id;            ///< this device's site id (hex)
    std::int64_t pending_changes = 0;
    std::int64_t rejected_writes = 0;
    std::string pull_cursor;        ///< opaque; empty before the first pull
    std::string last_sync_at;       ///< ISO-8601 UTC, empty if never synced
    std::vector<TableStatus> tables;
};

/// Options for Store::open.
struct StoreOptions {
    /// Create the file if it does not exist (otherwise a missing file is an error).
    bool create = true;
    /// Apply pending migrations on open. With false, an out-of-date store is opened as it is.
    bool migrate = true;
    /// Milliseconds to wait on a locked database before failing with ErrorCode::busy.
    int busy_timeout_ms = 5000;
    /// The wall clock behind the store's hybrid logical clock and ferry_now(); nullptr: the
    /// system clock. Borrowed: it must outlive the store. Tests pass a FakeClock.
    Clock* clock = nullptr;
};

class Transaction;

/// An open device store.
///
/// Ownership: movable, not copyable; closing happens in the destructor.
/// Thread-safety: one Store per thread. Several Stores (in one or several processes) may open
/// the same file; SQLite's WAL mode serialises writers.
/// Failure: every method throws ferry::Error; a failed statement leaves the database as it was.
class Store {
public:
    /// Opens (and by default creates and migrates) the store at `path` for `app`.
    /// Throws Error(unknown_app) for an app Ferry does not ship, Error(wrong_app) if the file
    /// belongs to another app, Error(schema_too_new) if it was written by a newer Ferry,
    /// Error(corrupt) for a file that is not a SQLite database.
    static Store open(const std::string& path, const std::string& app, StoreOptions options = {});
    /// Opens an existing store, reading the app name from the file.
    static Store open_existing(const std::string& path, StoreOptions options = {});

    /// The app schemas this build ships ("agentchat", "december", ...), sorted.
    static std::vector<std::string> available_apps();

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    const std::string& path() const;
    const std::string& app() const;
    int schema_version() const;

    /// Runs one or more SQL statements separated by semicolons, without parameters, all or
    /// nothing. A single statement runs as it is (so VACUUM and PRAGMA wal_checkpoint work).
    void exec(const std::string& sql);
    /// Runs one statement with positional parameters (?1, ?2 or ?); returns the rows changed.
    std::int64_t execute(const std::string& sql, const std::vector<Value>& params = {});
    /// Runs one query and returns all of its rows.
    QueryResult query(const std::string& sql, const std::vector<Value>& params = {});
    /// The first column of the first row, or std::nullopt when there is no row.
    std::optional<Value> query_value(const std::string& sql, const std::vector<Value>& params = {});
    /// Runs one query and returns a JSON array of objects keyed by column name.
    /// Integers and reals become numbers, text strings, blobs base64 strings, NULL null.
    std::string query_json(const std::string& sql, const std::vector<Value>& params = {});

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Nested calls use savepoints.
    void transaction(const std::function<void()>& body);

    /// State of the store: app, version, site id, pending changes and table row counts.
    StoreStatus status();

    /// Names of the tables whose changes Ferry captures and syncs, in dependency order.
    std::vector<std::string> synced_tables() const;

    /// A new random id in the form the app's keys use: "uuid" (RFC 4122 v4) or "cuid".
    static std::string new_id(const std::string& kind = "uuid");
    /// The current time as ISO-8601 UTC with milliseconds, the device form of a timestamp.
    static std::string now_timestamp();

    struct Impl;  ///< the implementation; opaque (lib/store/store_impl.hpp)

private:
    friend struct detail::StoreAccess;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace ferry
