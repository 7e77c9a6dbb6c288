// ferry/sync.hpp: the device side of sync: push local changes, pull cloud changes, lease ids for
// offline inserts. A SyncClient drives one store over one Transport; the transport carries
// protocol messages (docs/protocol.md) to a Ferry server: PostgreSQL directly
// (ferry/postgres_transport.hpp, for trusted daemons) or the HTTP gateway (ferry/http_transport.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/store.hpp"

namespace ferry {

/// Carries one protocol request to a Ferry server and returns its response (both JSON text).
/// Endpoints: "push", "pull", "lease". Implementations throw ferry::Error; errors with
/// is_transient() (connection lost, timeout) leave the store ready to retry the same call.
/// Thread-safety: one call at a time.
class Transport {
public:
    virtual ~Transport() = default;
    virtual std::string call(const std::string& endpoint, const std::string& request_json) = 0;
};

/// Progress of a long sync, reported after each batch or page.
struct SyncProgress {
    std::string phase;         ///< "push", "pull", "lease" or "resync"
    std::int64_t done = 0;     ///< changes pushed / rows pulled so far in this phase
    std::int64_t pending = 0;  ///< push: local changes still queued; pull: 1 while more pages exist
};

/// A row that sync brought to the server's state on this device: for an app to refresh what it
/// shows. The values are in the store; `deleted` means the row is gone.
struct RemoteChange {
    std::string table;
    std::string key_json;  ///< the row's primary key as a JSON array
    bool deleted = false;
    /// For the row of a pushed local write that did not win: "superseded" (it lost
    /// last-writer-wins, wholly or the columns in `lost_columns`; the row holds the winner's
    /// values) or "rejected" (the server refused it; the row holds the server's state). Empty
    /// for a write that was applied and for a row a pull brought.
    std::string lost;
    std::vector<std::string> lost_columns;
    /// Its entry in the write-outcome ledger (ferry/outcomes.hpp), 0 when none was kept.
    std::int64_t outcome_id = 0;
};

struct SyncOptions {
    /// Local changes per push batch.
    int push_batch = 1000;
    /// Changes per pull page; memory use is bounded by one page.
    int pull_page = 1000;
    /// Integer-key tables: lease more ids when fewer than this many are left ...
    int lease_low_water = 100;
    /// ... and then this many.
    int lease_block = 1000;
    /// One sync runs at a time per store file, whichever process runs it: a second one waits up
    /// to this long for the first to finish, then fails with ErrorCode::busy.
    int lock_timeout_ms = 60000;
    /// Called on the syncing thread after each batch or page.
    std::function<void(const SyncProgress&)> on_progress;
    /// Called on the syncing thread after each pull page and each push answer is committed, with
    /// the rows it applied from the server (rows whose server state replaced the local one).
    std::function<void(const std::vector<RemoteChange>&)> on_remote_changes;
};

/// What one sync round did.
struct SyncReport {
    std::int64_t pushed = 0;      ///< changes sent
    std::int64_t applied = 0;     ///< ... applied by the server
    std::int64_t superseded = 0;  ///< ... that lost last-writer-wins (the local row now has the winner)
    std::int64_t rejected = 0;    ///< ... refused (listed by rejected_writes())
    std::int64_t pulled = 0;      ///< rows received from the server
    std::int64_t leased = 0;      ///< ids leased
    std::string cursor;           ///< the pull cursor after the round
    /// This device's clock minus the server's, from the round's last answer that carried the
    /// server's clock (the network's delay included); empty when none did.
    std::optional<std::int64_t> clock_skew_ms;
    /// Things the operator should know that did not stop the round, e.g. a long transaction in
    /// the cloud database holding pulls back. One sentence each.
    std::vector<std::string> warnings;
};

/// A local write the server refused. The local row was brought back to the server's state.
struct RejectedWrite {
    std::int64_t id = 0;
    std::string table;
    std::string key_json;     ///< the row's primary key as a JSON array
    std::string op;           ///< "insert", "update" or "delete"
    std::string code;         ///< "constraint", "invalid_argument", "not_permitted", "clock_skew", ...
    std::string reason;       ///< the server's explanation
    std::string values_json;  ///< the values that were refused (JSON object), "" for a delete
    std::string rejected_at;  ///< ISO-8601 UTC
};

/// Synchronises one store through one transport.
/// Ownership: borrows both; they must outlive the client. Thread-safety: use from one thread.
/// Failure: throws ferry::Error. Nothing is lost by a failure at any point: a push whose response
/// was lost is sent again with the same batch sequence and applied once; a pull page is applied
/// in the same local transaction as the cursor that covers it.
class SyncClient {
public:
    SyncClient(Store& store, Transport& transport, SyncOptions options = {});

    /// One round: top up id leases, push every pending change, pull everything new.
    SyncReport sync();
    /// Pushes pending local changes in batches until none are left.
    SyncReport push();
    /// Pulls and applies changes until the store has caught up.
    SyncReport pull();
    /// Leases integer ids for the app's integer-key tables where fewer than lease_low_water are left.
    std::int64_t lease_ids();

private:
    /// Runs `body` holding the store's sync lock (taken once, however deeply nested).
    template <class F>
    auto locked(F&& body);
    SyncReport pull_locked();
    std::int64_t lease_locked();

    Store& m_store;
    Transport& m_transport;
    SyncOptions m_options;
    std::shared_ptr<void> m_lock;  // the held sync lock, while a call runs
};

// The functions below borrow the Store for the call, run on the calling thread under the
// Store's rules, and throw ferry::Error as its queries do.

/// The writes the server refused that the app has not resolved, oldest first (the rejected
/// entries of the write-outcome ledger, ferry/outcomes.hpp).
std::vector<RejectedWrite> rejected_writes(Store& store);
/// Discards one rejected write (after the app has dealt with it): discard_write() for a
/// rejection. Returns false if no such unresolved rejection.
bool dismiss_rejected_write(Store& store, std::int64_t id);

}  // namespace ferry
