// sync/server/change_notifier.hpp: live sync (DESIGN.md decision 11): the gateway's long polls and
// a direct SyncService's feed (postgres_changes). One dedicated connection LISTENs on
// ferry_changes (sent at the commit of every change to a synced table) on a background thread and
// wakes every waiter.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ferry::detail {

class ChangeNotifier {
public:
    /// Starts the listening thread on `conninfo`: a direct PostgreSQL connection (LISTEN does
    /// not work through a pooler in transaction mode). When the connection drops, it reconnects
    /// with backoff (0.1 s doubling to 5 s) and wakes every waiter, since a change may have been
    /// missed meanwhile; so does each time LISTEN starts (a change made before it was missed). `log` receives one line per connection state change.
    ChangeNotifier(std::string conninfo, std::function<void(const std::string&)> log);
    ~ChangeNotifier();  ///< stop()
    ChangeNotifier(const ChangeNotifier&) = delete;
    ChangeNotifier& operator=(const ChangeNotifier&) = delete;

    /// A counter that grows with every notification (and every reconnection).
    std::uint64_t generation() const;
    /// Waits until the generation differs from `seen`, `deadline` passes or stop() is called.
    /// True when woken by a change. Thread-safe.
    bool wait_for_change(std::uint64_t seen, std::chrono::steady_clock::time_point deadline);
    /// Whether the LISTEN connection is up now.
    bool listening() const;
    /// Ends the thread and wakes every waiter. Idempotent.
    void stop();

private:
    void run();
    void listen_until_dropped();
    void bump();
    bool sleep_unless_stopped(std::chrono::milliseconds d);

    std::string m_conninfo;
    std::function<void(const std::string&)> m_log;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::uint64_t m_generation = 0;
    bool m_stopping = false;
    bool m_listening = false;
    std::thread m_thread;
};

}  // namespace ferry::detail
