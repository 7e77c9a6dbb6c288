// ferry/sync_service.hpp: live sync. A SyncService owns one store's sync on a background thread:
// it pushes soon after local writes, pulls when the server says something changed, retries with
// backoff while offline, and stops cleanly. What `ferry daemon` runs for each store, and what an
// app runs to stay in sync by itself (docs/daemon.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ferry/error.hpp"
#include "ferry/sync.hpp"

namespace ferry {

/// Tells a SyncService when the server may have changes for this device, so it pulls at once
/// instead of on a timer: PostgreSQL's LISTEN (postgres_changes(), direct) or the gateway's long
/// poll (gateway_changes()). Its wait() runs on the service's own feed thread.
class RemoteChanges {
public:
    /// Where the device stands, for a feed that asks the server about it (the long poll).
    struct Position {
        std::string app;
        std::string site;
        std::string cursor;  ///< empty: not pulled yet (the feed then waits for a position)
    };
    virtual ~RemoteChanges() = default;
    /// Blocks until the server may have changes past `at`, `timeout_ms` passes or interrupt() is
    /// called. True when something may have changed (a reconnection counts: a change may have been
    /// missed). Throws ferry::Error; the service waits with backoff and calls it again.
    virtual bool wait(const Position& at, int timeout_ms) = 0;
    /// Makes a wait() in progress on another thread return soon. Thread-safe.
    virtual void interrupt() = 0;
};

/// What a SyncService is doing.
enum class SyncState {
    starting,  ///< not synced yet since start()
    syncing,   ///< a round is running
    idle,      ///< the last round succeeded; waiting for a change
    retrying,  ///< the last round failed; the next one is due at next_attempt_in_ms
    stopped,   ///< stop() returned, or start() was never called
};

/// "starting", "syncing", "idle", "retrying", "stopped".
const char* sync_state_name(SyncState s) noexcept;

/// A SyncService's counters and last outcome. Counters count from start().
struct SyncServiceStatus {
    SyncState state = SyncState::stopped;
    std::int64_t rounds = 0;         ///< rounds finished, successful or not
    std::int64_t failed_rounds = 0;
    int consecutive_failures = 0;    ///< since the last successful round
    std::int64_t pushed = 0, applied = 0, superseded = 0, rejected = 0, pulled = 0;
    std::int64_t pending_changes = 0;         ///< local changes not yet acknowledged, after the last round
    std::int64_t oldest_pending_unix_ms = 0;  ///< when the oldest of them was made (0: none)
    std::int64_t last_success_unix_ms = 0;    ///< 0: none since start()
    std::int64_t last_failure_unix_ms = 0;
    ErrorCode last_error_code = ErrorCode::internal;  ///< meaningful when last_error is not empty
    std::string last_error;                   ///< the last failed round's message ("" after a success)
    std::map<ErrorCode, std::int64_t> errors_by_code;  ///< failed rounds by what failed them
    std::int64_t next_attempt_in_ms = 0;      ///< retrying: time left before the next round
    std::int64_t remote_wakes = 0;            ///< rounds the server's feed asked for
    std::int64_t local_wakes = 0;             ///< rounds local writes asked for
    std::string cursor;                       ///< the pull cursor after the last successful round
    std::optional<std::int64_t> clock_skew_ms;  ///< this device's clock minus the server's (SyncReport)
};

struct SyncServiceOptions {
    /// Batch sizes, lock timeout and the callbacks of each round (called on the service thread).
    SyncOptions sync;
    /// After a local write is seen, wait this long for more before pushing (a burst of writes
    /// goes in one round).
    int debounce_ms = 5;
    /// How often the service reads the store's data version to see writes made by other
    /// connections and processes (a cheap read of shared memory, not of the file).
    int local_check_ms = 25;
    /// Longest single wait of the remote feed (a long poll's wait_ms; at most 30000).
    int remote_wait_ms = 25000;
    /// A round at least this often even when nothing woke the service (0: never).
    int idle_round_ms = 300000;
    /// After a failed round the next waits a random time in
    /// [backoff/2, backoff], backoff = min(backoff_max_ms, backoff_initial_ms * 2^(failures-1)).
    int backoff_initial_ms = 500;
    int backoff_max_ms = 30000;
    /// Called on the service thread whenever the status changes (a round starts or ends).
    std::function<void(const SyncServiceStatus&)> on_status;
};

/// Keeps one store in sync on a background thread until stop().
///
/// The service opens the store file itself, on its own connection: the app keeps using its own
/// Store (or another process does, e.g. `ferry daemon` beside the app). That is safe: SQLite's WAL
/// lets readers and one writer work at once, every write is captured by the triggers whatever
/// connection made it, and one sync runs at a time per file (SyncOptions::lock_timeout_ms).
///
/// Ownership: the service owns the store connection, the transport `connect` returns and the
/// feed `feed` returns (both called on the service's threads; `feed` may be empty: rounds then
/// come from local writes and idle_round_ms only). Thread-safety: every member function may be
/// called from any thread, but not from inside the service's own callbacks (stop() would wait for
/// itself). Failure: a failed round never stops the service; it is reported in status() and
/// retried with backoff. start() throws ferry::Error when the store cannot be opened.
class SyncService {
public:
    using TransportFactory = std::function<std::unique_ptr<Transport>()>;
    using FeedFactory = std::function<std::unique_ptr<RemoteChanges>()>;

    SyncService(std::string store_path, TransportFactory connect, FeedFactory feed, SyncServiceOptions options = {});
    ~SyncService();  ///< stop()
    SyncService(const SyncService&) = delete;
    SyncService& operator=(const SyncService&) = delete;

    /// Opens the store (checking it here, on the caller's thread) and starts the threads; the
    /// first round starts at once. Calling it on a running service does nothing.
    void start();
    /// Stops: a round in progress ends after the batch or page it is applying (each is its own
    /// transaction, so nothing is half-applied; what was not sent is sent by the next start),
    /// then the threads end. Idempotent.
    void stop();
    /// Asks for a round now (ignores the debounce and the backoff).
    void sync_now();
    SyncServiceStatus status() const;
    const std::string& store_path() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace ferry
