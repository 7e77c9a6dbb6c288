// lib/store/store_impl.hpp: the state behind ferry::Store, shared with the sync engine.
#pragma once

#include <SQLiteCpp/Database.h>

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/store.hpp"
#include "lib/core/hlc.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ferry {
namespace detail {

/// Prepared statements kept by their SQL text, least recently used first out. Preparing costs
/// more than running a one-row INSERT, and apps and the sync engine run the same few statements
/// over and over. A statement is reset and its bindings cleared as soon as a use ends, so no
/// cached statement holds a read transaction open. A statement still in use (the same SQL run
/// again from inside a SQL function it called) is not shared: that use gets its own. SQLite
/// prepares a statement again by itself after a schema change, so column lists are read from
/// the statement after its first step, never remembered.
class StatementCache {
public:
    explicit StatementCache(std::size_t capacity) : m_capacity(capacity) {}

    /// Runs use(stmt) with a prepared statement for `sql` (null when `sql` holds no statement).
    template <class F>
    auto with(sqlite3* db, const std::string& sql, F&& use) {
        Entry* entry = acquire(db, sql);
        if (!entry) {
            StatementPtr own = prepare(db, sql);
            return use(own.get());
        }
        struct Release {
            Entry* e;
            ~Release() { release(*e); }
        } release{entry};
        return use(entry->statement.get());
    }

private:
    struct Finalize {
        void operator()(sqlite3_stmt* s) const noexcept;
    };
    using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalize>;
    struct Entry {
        StatementPtr statement;
        std::list<std::string>::iterator position;
        bool busy = false;
    };
    static StatementPtr prepare(sqlite3* db, const std::string& sql);
    Entry* acquire(sqlite3* db, const std::string& sql);
    static void release(Entry& entry) noexcept;

    std::size_t m_capacity;
    std::list<std::string> m_order;  // most recently used first
    std::unordered_map<std::string, Entry> m_entries;
};

}  // namespace detail

struct Store::Impl {
    Impl(const std::string& path, int flags);

    std::string path;
    std::string app;
    SQLite::Database db;
    /// Declared after db: its statements are finalized before the connection closes.
    detail::StatementCache statements{128};
    detail::HybridClock clock{SystemClock::instance()};
    std::string site_id;
    int schema_version = 0;
    /// Set while Ferry applies remote changes: ferry_capturing() returns 0, so neither capture
    /// nor the apps' maintenance triggers fire for synced values.
    bool applying_remote = false;
    /// What the update capture trigger's WHEN found, for its INSERT (ferry_changed_columns and
    /// ferry_taken_changed_columns in store.cpp): -1 when nothing is waiting to be taken.
    std::int64_t changed_columns = -1;
    int transaction_depth = 0;
    /// The file's data version when the clock last caught up with the stored one (see
    /// observe_stored_clock).
    unsigned int clock_data_version = 0;
    /// Another handle on the same file (a second Store, the daemon) may have ratcheted the stored
    /// clock past this one's, by pulling values with newer clocks: before a local write takes a
    /// clock, this handle catches up with the stored one. Cheap: it reads the clock only when the
    /// file changed since the last time (SQLITE_FCNTL_DATA_VERSION).
    void observe_stored_clock();

    sqlite3* handle() const { return db.getHandle(); }

    void exec(const std::string& sql);
    std::int64_t execute(const std::string& sql, const std::vector<Value>& params);
    QueryResult query(const std::string& sql, const std::vector<Value>& params);
    void transaction(const std::function<void()>& body);

    /// One level of transaction(), for a caller whose body is not a function (a Python `with`
    /// block): BEGIN IMMEDIATE outside any transaction, else a savepoint.
    struct TransactionLevel {
        std::string savepoint;
        bool outer = false;
    };
    TransactionLevel begin_level();
    /// Commits the level; a COMMIT that fails rolls it back and throws.
    void commit_level(const TransactionLevel& level);
    /// Rolls the level back. Never throws: SQLite may have rolled back by itself (SQLITE_FULL).
    void rollback_level(const TransactionLevel& level) noexcept;

    std::optional<std::string> meta(const std::string& key);
    void set_meta(const std::string& key, const std::string& value);

    /// Persists the clock's high-water mark (called in sync transactions and on close). The
    /// stored clock only moves forward: a handle whose clock is behind it (another handle pulled
    /// newer values) must not set it back, or the app's next write could be ordered before a
    /// value it has seen. Only a deliberate rewind (rewind_clock) stores a lower value.
    void save_clock();
    /// Sets the clock back (a clock past the server's skew bound) and stores it as it is.
    void rewind_clock(std::int64_t value);
    bool clock_rewound = false;  // the next save_clock stores the clock even if it is lower
    /// Indexes an interrupted first sync had set aside that opening the store could not build
    /// again (build_deferred_indexes); the next sync reports them as warnings.
    std::vector<std::string> index_warnings;
    /// This device's clock minus the server's, at the last answer that carried the server's
    /// clock (network time included); meaningful once clock_skew_seen.
    std::int64_t clock_skew_ms = 0;
    bool clock_skew_seen = false;
};

namespace detail {
/// How Ferry's own engine (sync, bindings, benchmarks, tests) reaches a Store's implementation;
/// the public header exposes no accessor.
struct StoreAccess {
    static Store::Impl& impl(Store& s) { return *s.m_impl; }
};
inline Store::Impl& impl_of(Store& s) { return StoreAccess::impl(s); }

/// Runs `body` with capture suppressed (ferry_capturing() = 0), restoring the flag afterwards.
void with_remote_apply(Store::Impl& impl, const std::function<void()>& body);
}  // namespace detail

}  // namespace ferry
