// sync/client/sync_service.cpp: live sync (ferry/sync_service.hpp, docs/daemon.md).
//
// Two threads per service. The service thread owns the store connection and the transport and
// runs the rounds; between rounds it sleeps on a condition variable, waking every
// local_check_ms to read the store's data version (writes by any other connection or process)
// and at once when the feed thread reports a change on the server, sync_now() is called or
// stop() is. The feed thread only waits on the server (LISTEN, or the gateway's long poll) and
// never touches the store, so a long wait holds no lock.
#include "ferry/sync_service.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "ferry/clock.hpp"

namespace ferry {

const char* sync_state_name(SyncState s) noexcept {
    switch (s) {
    case SyncState::starting: return "starting";
    case SyncState::syncing: return "syncing";
    case SyncState::idle: return "idle";
    case SyncState::retrying: return "retrying";
    case SyncState::stopped: return "stopped";
    }
    return "stopped";
}

namespace {
using Steady = std::chrono::steady_clock;

std::int64_t unix_ms() { return SystemClock::instance().now_ms(); }

/// The highest change-log sequence number ever given (AUTOINCREMENT's record): it grows with
/// every captured local write and never goes back, even when the log is emptied by a push.
std::int64_t last_change_seq(Store& store) {
    auto r = store.query("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'ferry_changes'), 0)");
    return r.rows[0][0].as_int();
}

std::int64_t data_version(Store& store) { return store.query("PRAGMA data_version").rows[0][0].as_int(); }

struct Pending {
    std::int64_t count = 0;
    std::int64_t oldest_unix_ms = 0;
};

/// The local changes not yet acknowledged; an HLC value's upper 48 bits are its milliseconds.
Pending pending_changes(Store& store) {
    auto r = store.query("SELECT count(*), coalesce(min(hlc), 0) >> 16 FROM ferry_changes");
    return Pending{r.rows[0][0].as_int(), r.rows[0][1].as_int()};
}

std::string site_id(Store& store) {
    return store.query("SELECT value FROM ferry_meta WHERE key = 'site_id'").rows[0][0].as_text();
}
}  // namespace

struct SyncService::Impl {
    Impl(std::string p, TransportFactory c, FeedFactory f, SyncServiceOptions o)
        : path(std::move(p)), connect(std::move(c)), make_feed(std::move(f)), options(std::move(o)) {}

    // Set at construction.
    const std::string path;
    const TransportFactory connect;
    const FeedFactory make_feed;
    const SyncServiceOptions options;

    mutable std::mutex mutex;  // guards everything below
    std::condition_variable wake;
    bool running = false;
    bool stopping = false;
    bool wanted_now = false;     // sync_now()
    bool remote_changed = false; // the feed saw a change
    SyncServiceStatus status;
    RemoteChanges::Position position;  // for the feed; cursor empty until the first round
    RemoteChanges* feed = nullptr;     // while the feed thread has one, for interrupt()
    std::thread service_thread, feed_thread;
    std::mt19937_64 random{std::random_device{}()};

    void publish(std::unique_lock<std::mutex>& lock) {
        const SyncServiceStatus copy = status;
        lock.unlock();
        if (options.on_status) options.on_status(copy);
        lock.lock();
    }

    std::chrono::milliseconds backoff(int failures) {
        const std::int64_t ceiling = std::min<std::int64_t>(
            options.backoff_max_ms, std::int64_t(options.backoff_initial_ms) << std::min(failures - 1, 30));
        return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(ceiling / 2, ceiling)(random));
    }

    void run_service(Store store);
    void run_round(Store& store, std::unique_ptr<Transport>& transport, std::unique_lock<std::mutex>& lock);
    void run_feed();
};

void SyncService::Impl::run_round(Store& store, std::unique_ptr<Transport>& transport,
                                  std::unique_lock<std::mutex>& lock) {
    status.state = SyncState::syncing;
    publish(lock);
    lock.unlock();
    SyncReport report;
    std::optional<Error> failure;
    try {
        if (!transport) transport = connect();
        SyncOptions so = options.sync;
        // Between batches and pages (each committed on its own), a stop ends the round.
        so.on_progress = [this, user = options.sync.on_progress](const SyncProgress& p) {
            if (user) user(p);
            std::lock_guard<std::mutex> g(mutex);
            if (stopping) throw Error(ErrorDomain::ferry, ErrorCode::cancelled, "the sync service is stopping");
        };
        report = SyncClient(store, *transport, so).sync();
    } catch (const Error& e) {
        failure = e;
        // A connection that failed is made again for the next round.
        if (e.domain() == ErrorDomain::postgres || e.domain() == ErrorDomain::http) transport.reset();
    } catch (const std::exception& e) {
        failure = Error(ErrorDomain::ferry, ErrorCode::internal, e.what());
    }
    Pending pending;
    try {
        pending = pending_changes(store);
    } catch (const Error&) {
    }
    lock.lock();
    auto& s = status;
    ++s.rounds;
    s.pending_changes = pending.count;
    s.oldest_pending_unix_ms = pending.oldest_unix_ms;
    if (!failure) {
        s.pushed += report.pushed;
        s.applied += report.applied;
        s.superseded += report.superseded;
        s.rejected += report.rejected;
        s.pulled += report.pulled;
        s.consecutive_failures = 0;
        s.last_success_unix_ms = unix_ms();
        s.last_error.clear();
        s.cursor = report.cursor;
        if (report.clock_skew_ms) s.clock_skew_ms = report.clock_skew_ms;
        s.state = SyncState::idle;
        s.next_attempt_in_ms = 0;
        position.cursor = report.cursor;
    } else if (failure->code() != ErrorCode::cancelled) {
        ++s.failed_rounds;
        ++s.consecutive_failures;
        s.last_failure_unix_ms = unix_ms();
        s.last_error_code = failure->code();
        s.last_error = failure->what();
        ++s.errors_by_code[failure->code()];
        s.state = SyncState::retrying;
    }
    wake.notify_all();  // the feed may wait for a position
}

void SyncService::Impl::run_service(Store store) {
    std::unique_ptr<Transport> transport;
    std::unique_lock<std::mutex> lock(mutex);
    position.app = store.app();
    position.site = site_id(store);
    lock.unlock();
    std::int64_t seen_seq = last_change_seq(store), seen_version = data_version(store);
    lock.lock();
    bool due = true;  // the first round starts at once
    auto idle_until = Steady::now();
    Steady::time_point retry_at{};
    while (!stopping) {
        // While retrying, only sync_now() comes before the backoff's end: a feed that keeps
        // waking (a server going up and down) must not turn the backoff into a busy loop.
        const bool backing_off = status.state == SyncState::retrying && Steady::now() < retry_at;
        if (wanted_now || (!backing_off && (due || remote_changed))) {
            const bool remote = remote_changed;
            wanted_now = remote_changed = false;
            if (remote) ++status.remote_wakes;
            run_round(store, transport, lock);
            if (stopping) break;
            idle_until = Steady::now() + std::chrono::milliseconds(options.idle_round_ms);
            if (status.state == SyncState::retrying) {
                const auto wait = backoff(status.consecutive_failures);
                retry_at = Steady::now() + wait;
                status.next_attempt_in_ms = wait.count();
            }
            publish(lock);
            lock.unlock();
            seen_version = data_version(store);
            const std::int64_t seq = last_change_seq(store);
            lock.lock();
            // A write made since the round began may have come after its push: one more round
            // (empty when the push took it). The round's own pending count is no guide: a write
            // may have come after it was read.
            due = status.state == SyncState::idle && seq != seen_seq;
            if (due) ++status.local_wakes;
            seen_seq = seq;
            continue;
        }
        wake.wait_for(lock, std::chrono::milliseconds(options.local_check_ms));
        const auto now = Steady::now();
        if (status.state == SyncState::retrying) {
            status.next_attempt_in_ms =
                std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(retry_at - now).count());
            due = now >= retry_at;
            continue;
        }
        if (stopping || wanted_now || remote_changed) continue;
        if (options.idle_round_ms > 0 && now >= idle_until) {
            due = true;
            continue;
        }
        lock.unlock();
        bool local = false;
        try {
            const std::int64_t version = data_version(store);
            if (version != seen_version) {
                seen_version = version;
                const std::int64_t seq = last_change_seq(store);
                local = seq != seen_seq;
                seen_seq = seq;
            }
        } catch (const Error&) {
            // A busy or locked read: the next check sees the same change.
        }
        if (local && options.debounce_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.debounce_ms));
        lock.lock();
        if (local) {
            ++status.local_wakes;
            due = true;
        }
    }
    status.state = SyncState::stopped;
    publish(lock);
}

void SyncService::Impl::run_feed() {
    std::unique_ptr<RemoteChanges> owned;
    int failures = 0;
    for (;;) {
        RemoteChanges::Position at;
        {
            std::unique_lock<std::mutex> lock(mutex);
            // A long poll needs a cursor: wait for the first successful round.
            wake.wait(lock, [&] { return stopping || !position.cursor.empty(); });
            if (stopping) return;
            at = position;
        }
        bool changed = false, failed = false;
        try {
            if (!owned) owned = make_feed();
            {
                std::lock_guard<std::mutex> g(mutex);
                if (stopping) return;
                feed = owned.get();
            }
            changed = owned->wait(at, options.remote_wait_ms);
            failures = 0;
        } catch (const Error&) {
            failed = true;  // the server is away: wait, then connect again
        }
        std::unique_lock<std::mutex> lock(mutex);
        feed = nullptr;
        if (changed) {
            remote_changed = true;
            wake.notify_all();
        }
        if (failed) {
            lock.unlock();
            owned.reset();
            lock.lock();
            wake.wait_for(lock, backoff(++failures), [&] { return stopping; });
        }
    }
}

SyncService::SyncService(std::string store_path, TransportFactory connect, FeedFactory feed, SyncServiceOptions options)
    : m_impl(std::make_unique<Impl>(std::move(store_path), std::move(connect), std::move(feed), std::move(options))) {
    if (!m_impl->connect)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "SyncService needs a transport factory");
    const auto& o = m_impl->options;
    if (o.debounce_ms < 0 || o.local_check_ms < 1 || o.remote_wait_ms < 0 || o.remote_wait_ms > 30000 ||
        o.idle_round_ms < 0 || o.backoff_initial_ms < 1 || o.backoff_max_ms < o.backoff_initial_ms)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "SyncServiceOptions out of range: debounce_ms >= 0, local_check_ms >= 1, remote_wait_ms 0-30000, "
                    "idle_round_ms >= 0, 1 <= backoff_initial_ms <= backoff_max_ms");
}

SyncService::~SyncService() { stop(); }

void SyncService::start() {
    Impl& i = *m_impl;
    {
        std::lock_guard<std::mutex> g(i.mutex);
        if (i.running) return;
    }
    Store store = Store::open_existing(i.path);
    std::lock_guard<std::mutex> g(i.mutex);
    i.running = true;
    i.stopping = false;
    i.status = SyncServiceStatus{};
    i.status.state = SyncState::starting;
    i.position = RemoteChanges::Position{};
    i.service_thread = std::thread([&i, s = std::move(store)]() mutable { i.run_service(std::move(s)); });
    if (i.make_feed) i.feed_thread = std::thread([&i] { i.run_feed(); });
}

void SyncService::stop() {
    Impl& i = *m_impl;
    {
        std::lock_guard<std::mutex> g(i.mutex);
        if (!i.running) return;
        i.stopping = true;
        if (i.feed) i.feed->interrupt();
        i.wake.notify_all();
    }
    if (i.feed_thread.joinable()) i.feed_thread.join();
    if (i.service_thread.joinable()) i.service_thread.join();
    std::lock_guard<std::mutex> g(i.mutex);
    i.running = false;
}

void SyncService::sync_now() {
    std::lock_guard<std::mutex> g(m_impl->mutex);
    m_impl->wanted_now = true;
    m_impl->wake.notify_all();
}

SyncServiceStatus SyncService::status() const {
    std::lock_guard<std::mutex> g(m_impl->mutex);
    return m_impl->status;
}

const std::string& SyncService::store_path() const { return m_impl->path; }

}  // namespace ferry
