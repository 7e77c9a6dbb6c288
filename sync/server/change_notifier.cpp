// sync/server/change_notifier.cpp: the LISTEN thread. It waits for notifications in slices of
// a quarter second so that stop() is noticed promptly without any cross-thread use of the
// connection.
#include "sync/server/change_notifier.hpp"

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>

#include "sync/server/pg_error.hpp"

namespace ferry::detail {
namespace {

class Receiver final : public pqxx::notification_receiver {
public:
    Receiver(pqxx::connection& c, std::function<void()> on_change)
        : pqxx::notification_receiver(c, "ferry_changes"), m_on_change(std::move(on_change)) {}
    void operator()(const std::string&, int) override { m_on_change(); }

private:
    std::function<void()> m_on_change;
};

}  // namespace

ChangeNotifier::ChangeNotifier(std::string conninfo, std::function<void(const std::string&)> log)
    : m_conninfo(std::move(conninfo)), m_log(std::move(log)) {
    m_thread = std::thread([this] { run(); });
}

ChangeNotifier::~ChangeNotifier() { stop(); }

void ChangeNotifier::stop() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_changed.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

std::uint64_t ChangeNotifier::generation() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_generation;
}

bool ChangeNotifier::listening() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_listening;
}

bool ChangeNotifier::wait_for_change(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_changed.wait_until(lock, deadline, [&] { return m_generation != seen || m_stopping; });
    return m_generation != seen;
}

void ChangeNotifier::bump() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        ++m_generation;
    }
    m_changed.notify_all();
}

bool ChangeNotifier::sleep_unless_stopped(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(m_mutex);
    return !m_changed.wait_for(lock, d, [&] { return m_stopping; });
}

void ChangeNotifier::run() {
    auto backoff = std::chrono::milliseconds(100);
    while (sleep_unless_stopped(std::chrono::milliseconds(0))) {
        try {
            listen_until_dropped();
            return;  // stopped
        } catch (const std::exception& e) {
            bool was_listening = false;
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                was_listening = m_listening;
                m_listening = false;
            }
            if (was_listening) backoff = std::chrono::milliseconds(100);
            m_log(std::string("change notifications (LISTEN ferry_changes) unavailable, retrying in ") +
                  std::to_string(backoff.count()) + " ms: " + e.what());
        }
        bump();  // a change may have been missed while not listening: waiting polls pull again
        if (!sleep_unless_stopped(backoff)) return;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
}

void ChangeNotifier::listen_until_dropped() {
    translate_pg("listening for changes on " + redact_conninfo(m_conninfo), [&] {
        pqxx::connection c(m_conninfo);
        Receiver receiver(c, [this] { bump(); });
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_listening = true;
        }
        m_log("listening for changes (LISTEN ferry_changes)");
        bump();  // changes committed before LISTEN took effect were not notified to this listener
        while (sleep_unless_stopped(std::chrono::milliseconds(0))) {
            c.await_notification(0, 250000);
            // libpqxx 6 reopens a lost connection by itself on the next call and would LISTEN
            // again, but changes made in between would go unnoticed: treat it as a drop.
            if (!c.is_open()) throw pqxx::broken_connection("the LISTEN connection was lost");
        }
    });
}

}  // namespace ferry::detail
