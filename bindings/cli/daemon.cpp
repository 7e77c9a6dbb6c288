// bindings/cli/daemon.cpp: `ferry daemon` (docs/daemon.md).
//
// The main thread takes the signals with sigtimedwait (blocked in every thread), so stopping and
// reloading are ordinary code; it also feeds systemd's watchdog. Each store has a SyncService
// (its own threads). The HTTP server, when asked for, runs on its own thread pool and only reads
// the services' status.
#include "bindings/cli/daemon.hpp"
#include "bindings/cli/options.hpp"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ferry/clock.hpp"
#include "ferry/error.hpp"
#include "ferry/http_transport.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync_service.hpp"
#include "sync/gateway/exclusive_port.hpp"
#include "sync/gateway/operator_text.hpp"

namespace ferry::cli {
namespace {

using ojson = nlohmann::ordered_json;
using detail::age_text;
using detail::html_escape;
using detail::label_value;
using detail::PrometheusText;

[[noreturn]] void bad_config(const std::string& message) {
    throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, message);
}

std::int64_t now_ms() { return SystemClock::instance().now_ms(); }

// ---- Logging: JSON lines on standard error when it is not a terminal (journald, files), plain
// lines on a terminal. Fields are chosen by the daemon: a store's path, counters, error codes and
// messages; never a token, a connection string or a row's values.

std::mutex g_log_mutex;

void log_line(const char* level, const std::string& event, ojson fields = ojson::object()) {
    static const bool json_lines = !isatty(STDERR_FILENO);
    ojson line;
    line["time"] = Store::now_timestamp();
    line["level"] = level;
    line["event"] = event;
    for (auto& [k, v] : fields.items()) line[k] = v;
    std::lock_guard<std::mutex> g(g_log_mutex);
    if (json_lines) {
        std::cerr << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
        return;
    }
    std::cerr << "ferry daemon: " << level << ": " << event;
    for (auto& [k, v] : fields.items()) std::cerr << " " << k << "=" << (v.is_string() ? v.get<std::string>() : v.dump());
    std::cerr << std::endl;
}

// ---- Configuration.

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// ---- One store and its service.

struct RunningStore {
    DaemonStore spec;
    std::string app;
    std::unique_ptr<SyncService> service;
    std::string mode() const { return spec.gateway.empty() ? "direct" : "gateway"; }
};

/// Logs what a round did, once it ends: what moved, a failure (its first occurrence, then every
/// tenth), and the recovery after failures.
std::function<void(const SyncServiceStatus&)> round_logger(const std::string& path) {
    auto last = std::make_shared<SyncServiceStatus>();
    return [path, last](const SyncServiceStatus& s) {
        if (s.state == SyncState::syncing || s.state == SyncState::starting) return;
        const SyncServiceStatus& was = *last;
        if (s.state == SyncState::retrying && s.consecutive_failures > was.consecutive_failures &&
            (s.consecutive_failures == 1 || s.consecutive_failures % 10 == 0 || s.last_error != was.last_error))
            log_line("warning", "round_failed",
                     {{"store", path}, {"code", error_code_name(s.last_error_code)}, {"error", s.last_error},
                      {"failures", s.consecutive_failures}, {"retry_in_ms", s.next_attempt_in_ms}});
        if (s.state == SyncState::idle) {
            const std::int64_t pushed = s.pushed - was.pushed, pulled = s.pulled - was.pulled;
            if (was.consecutive_failures > 0)
                log_line("info", "recovered", {{"store", path}, {"after_failures", was.consecutive_failures}});
            if (pushed > 0 || pulled > 0 || s.rejected > was.rejected)
                log_line("info", "synced",
                         {{"store", path}, {"pushed", pushed}, {"applied", s.applied - was.applied},
                          {"superseded", s.superseded - was.superseded}, {"rejected", s.rejected - was.rejected},
                          {"pulled", pulled}, {"pending", s.pending_changes}});
        }
        if (s.state == SyncState::stopped) log_line("info", "stopped", {{"store", path}});
        *last = s;
    };
}

std::unique_ptr<RunningStore> start_store(const DaemonStore& spec) {
    auto running = std::make_unique<RunningStore>();
    running->spec = spec;
    running->app = Store::open_existing(spec.db).app();
    SyncServiceOptions options;
    options.on_status = round_logger(spec.db);
    SyncService::TransportFactory connect;
    SyncService::FeedFactory feed;
    if (!spec.gateway.empty()) {
        HttpOptions http;
        // The token is read again for every request: a token file an agent rotates is followed.
        const std::string file = spec.token_file, env_token = trimmed(env_or("FERRY_TOKEN", ""));
        if (file.empty() && env_token.empty())
            bad_config("store " + spec.db + " syncs through a gateway but has no token: give token_file (or "
                       "--token-file) or set FERRY_TOKEN");
        if (!file.empty()) read_token_file(file);  // fail at start, not in the first round
        http.token_provider = [file, env_token] { return file.empty() ? env_token : read_token_file(file); };
        const std::string url = spec.gateway;
        connect = [url, http] { return connect_gateway(url, http); };
        feed = [url, http] { return gateway_changes(url, http); };
    } else {
        const std::string url = spec.database_url.empty() ? env_or("DATABASE_URL", "") : spec.database_url;
        const std::string listen_url = env_or("FERRY_LISTEN_DATABASE_URL", url);
        const std::string app = running->app, path = spec.db;
        connect = [url, app] { return connect_postgres(url, app); };
        feed = [listen_url, path] {
            return postgres_changes(listen_url, [path](const std::string& m) {
                log_line("info", "listen", {{"store", path}, {"message", m}});
            });
        };
    }
    running->service = std::make_unique<SyncService>(spec.db, connect, feed, options);
    running->service->start();
    log_line("info", "started", {{"store", spec.db}, {"app", running->app}, {"mode", running->mode()}});
    return running;
}

// ---- Health, metrics and the status page.

bool ready(const SyncServiceStatus& s) {
    return s.last_success_unix_ms > 0 && s.state != SyncState::retrying && s.state != SyncState::stopped;
}

struct Snapshot {
    std::string path, app, mode;
    SyncServiceStatus status;
};

std::string metrics_text(const std::vector<Snapshot>& stores) {
    PrometheusText m;
    const double now_s = now_ms() / 1000.0;
    auto store_label = [](const Snapshot& s) { return "store=\"" + label_value(s.path) + "\""; };
    auto each = [&](const std::string& name, const char* type, const char* help,
                    const std::function<double(const SyncServiceStatus&)>& value) {
        m.family(name, type, help);
        for (const auto& s : stores) m.sample(name, store_label(s), value(s.status));
    };
    m.family("ferry_daemon_stores", "gauge", "Stores this daemon keeps in sync.");
    m.sample("ferry_daemon_stores", "", static_cast<double>(stores.size()));
    m.family("ferry_store_info", "gauge", "One per store: its app and how it syncs (direct or gateway).");
    for (const auto& s : stores)
        m.sample("ferry_store_info", store_label(s) + ",app=\"" + label_value(s.app) + "\",mode=\"" + s.mode + "\"", 1);
    m.family("ferry_store_state", "gauge", "1 for the state the store's sync is in.");
    for (const auto& s : stores)
        for (SyncState st : {SyncState::starting, SyncState::syncing, SyncState::idle, SyncState::retrying, SyncState::stopped})
            m.sample("ferry_store_state", store_label(s) + ",state=\"" + sync_state_name(st) + "\"", s.status.state == st);
    each("ferry_store_ready", "gauge", "1 when the last round succeeded.", [](const auto& s) { return ready(s) ? 1 : 0; });
    each("ferry_store_pending_changes", "gauge", "Local changes not yet acknowledged by the server.",
         [](const auto& s) { return static_cast<double>(s.pending_changes); });
    each("ferry_store_oldest_pending_change_age_seconds", "gauge", "Age of the oldest pending local change (0: none).",
         [now_s](const auto& s) { return s.oldest_pending_unix_ms ? std::max(0.0, now_s - s.oldest_pending_unix_ms / 1000.0) : 0; });
    each("ferry_store_last_success_timestamp_seconds", "gauge", "Unix time of the last successful round (0: none).",
         [](const auto& s) { return s.last_success_unix_ms / 1000.0; });
    m.family("ferry_store_clock_skew_seconds", "gauge",
             "This device's clock minus the server's at the last answer (network delay included).");
    for (const auto& s : stores)
        if (s.status.clock_skew_ms) m.sample("ferry_store_clock_skew_seconds", store_label(s), *s.status.clock_skew_ms / 1000.0);
    each("ferry_sync_rounds_total", "counter", "Sync rounds finished.", [](const auto& s) { return static_cast<double>(s.rounds); });
    each("ferry_sync_failed_rounds_total", "counter", "Sync rounds that failed.",
         [](const auto& s) { return static_cast<double>(s.failed_rounds); });
    m.family("ferry_sync_errors_total", "counter", "Failed rounds by Ferry error code.");
    for (const auto& s : stores)
        for (const auto& [code, n] : s.status.errors_by_code)
            m.sample("ferry_sync_errors_total", store_label(s) + ",code=\"" + error_code_name(code) + "\"", static_cast<double>(n));
    each("ferry_pushed_changes_total", "counter", "Local changes sent.", [](const auto& s) { return static_cast<double>(s.pushed); });
    each("ferry_applied_changes_total", "counter", "Sent changes the server applied.",
         [](const auto& s) { return static_cast<double>(s.applied); });
    each("ferry_superseded_changes_total", "counter", "Sent changes that lost last-writer-wins.",
         [](const auto& s) { return static_cast<double>(s.superseded); });
    each("ferry_rejected_changes_total", "counter", "Sent changes the server refused (ferry rejected lists them).",
         [](const auto& s) { return static_cast<double>(s.rejected); });
    each("ferry_pulled_rows_total", "counter", "Rows received from the server.", [](const auto& s) { return static_cast<double>(s.pulled); });
    m.family("ferry_sync_wakes_total", "counter", "Rounds started by a local write or by the server's notice.");
    for (const auto& s : stores) {
        m.sample("ferry_sync_wakes_total", store_label(s) + ",cause=\"local\"", static_cast<double>(s.status.local_wakes));
        m.sample("ferry_sync_wakes_total", store_label(s) + ",cause=\"remote\"", static_cast<double>(s.status.remote_wakes));
    }
    return m.text();
}

/// "never", or how long ago `unix_ms` was.
std::string ago(std::int64_t unix_ms) {
    return unix_ms <= 0 ? "never" : age_text((now_ms() - unix_ms) / 1000.0);
}

/// The operator's page: self-contained (no script, no external asset), refreshed every 5 s.
std::string status_page(const std::vector<Snapshot>& stores) {
    std::ostringstream h;
    h << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">"
         "<title>ferry daemon</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse}th,td{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}"
         ".idle{color:#176f2c}.retrying{color:#b00020}.syncing,.starting{color:#8a6d00}td.num{text-align:right}</style>"
         "</head><body><h1>ferry daemon</h1><p id=\"summary\">"
      << stores.size() << " store" << (stores.size() == 1 ? "" : "s") << ", page generated " << Store::now_timestamp()
      << "</p><table id=\"stores\"><thead><tr><th>store</th><th>app</th><th>mode</th><th>state</th>"
         "<th>pending</th><th>oldest pending</th><th>last success</th><th>pushed</th><th>pulled</th>"
         "<th>rejected</th><th>failed rounds</th><th>last error</th></tr></thead><tbody>";
    for (const auto& s : stores) {
        const auto& st = s.status;
        const char* state = sync_state_name(st.state);
        h << "<tr data-store=\"" << html_escape(s.path) << "\"><td>" << html_escape(s.path) << "</td><td>"
          << html_escape(s.app) << "</td><td>" << s.mode << "</td><td class=\"" << state << "\">" << state
          << "</td><td class=\"num pending\">" << st.pending_changes << "</td><td>"
          << (st.pending_changes ? ago(st.oldest_pending_unix_ms) : "-") << "</td><td>"
          << ago(st.last_success_unix_ms) << "</td><td class=\"num pushed\">" << st.pushed
          << "</td><td class=\"num pulled\">" << st.pulled << "</td><td class=\"num rejected\">" << st.rejected
          << "</td><td class=\"num failed\">" << st.failed_rounds << "</td><td class=\"error\">"
          << (st.last_error.empty() ? "" : html_escape(std::string(error_code_name(st.last_error_code)) + ": " + st.last_error))
          << "</td></tr>";
    }
    h << "</tbody></table><p><a href=\"/metrics\">metrics</a> · <a href=\"/readyz\">readyz</a></p></body></html>\n";
    return h.str();
}

class Daemon {
public:
    void apply(const DaemonConfig& config) {
        std::map<std::string, const DaemonStore*> wanted;
        for (const auto& s : config.stores) wanted[s.db] = &s;
        std::vector<std::unique_ptr<RunningStore>> keep, gone;
        {
            std::lock_guard<std::mutex> g(m_mutex);
            for (auto& r : m_stores) {
                auto it = wanted.find(r->spec.db);
                const bool same = it != wanted.end() && it->second->gateway == r->spec.gateway &&
                                  it->second->token_file == r->spec.token_file &&
                                  it->second->database_url == r->spec.database_url;
                (same ? keep : gone).push_back(std::move(r));
                if (same) wanted.erase(it);
            }
            m_stores.clear();
        }
        for (auto& r : gone) r->service->stop();  // outside the lock: a stop may take a moment
        for (const auto& s : config.stores) {
            if (!wanted.count(s.db)) continue;
            try {
                keep.push_back(start_store(s));
            } catch (const Error& e) {
                if (!m_started) throw;  // at start: the daemon refuses to run with a broken store
                log_line("error", "store_not_started", {{"store", s.db}, {"code", error_code_name(e.code())}, {"error", e.what()}});
            }
        }
        std::lock_guard<std::mutex> g(m_mutex);
        m_stores = std::move(keep);
        m_started = true;
    }

    std::vector<Snapshot> snapshot() const {
        std::lock_guard<std::mutex> g(m_mutex);
        std::vector<Snapshot> out;
        for (const auto& r : m_stores) out.push_back(Snapshot{r->spec.db, r->app, r->mode(), r->service->status()});
        return out;
    }

    void stop_all() {
        std::vector<std::unique_ptr<RunningStore>> all;
        {
            std::lock_guard<std::mutex> g(m_mutex);
            all = std::move(m_stores);
            m_stores.clear();
        }
        std::vector<std::thread> stoppers;
        for (auto& r : all) stoppers.emplace_back([&r] { r->service->stop(); });
        for (auto& t : stoppers) t.join();
    }

private:
    mutable std::mutex m_mutex;
    std::vector<std::unique_ptr<RunningStore>> m_stores;
    bool m_started = false;
};

void serve_http(httplib::Server& http, Daemon& daemon) {
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("{\"status\":\"ok\"}\n", "application/json");
    });
    http.Get("/readyz", [&daemon](const httplib::Request&, httplib::Response& res) {
        ojson body = {{"status", "ready"}, {"not_ready", ojson::array()}};
        for (const auto& s : daemon.snapshot())
            if (!ready(s.status))
                body["not_ready"].push_back({{"store", s.path}, {"state", sync_state_name(s.status.state)},
                                             {"error", s.status.last_error}});
        if (!body["not_ready"].empty()) {
            body["status"] = "not_ready";
            res.status = 503;
        }
        res.set_content(body.dump() + "\n", "application/json");
    });
    http.Get("/metrics", [&daemon](const httplib::Request&, httplib::Response& res) {
        res.set_content(metrics_text(daemon.snapshot()), "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Get("/", [&daemon](const httplib::Request&, httplib::Response& res) {
        res.set_content(status_page(daemon.snapshot()), "text/html; charset=utf-8");
    });
}

std::string status_line(const Daemon& daemon) {
    int ready_count = 0, pending = 0;
    const auto all = daemon.snapshot();
    for (const auto& s : all) {
        ready_count += ready(s.status);
        pending += static_cast<int>(s.status.pending_changes);
    }
    return std::to_string(ready_count) + "/" + std::to_string(all.size()) + " stores in sync, " +
           std::to_string(pending) + " changes pending";
}

}  // namespace

DaemonConfig load_daemon_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) bad_config("cannot read the daemon config " + path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        bad_config("the daemon config " + path + " is not JSON: " + e.what());
    }
    auto fail = [&](const std::string& what) { bad_config("the daemon config " + path + ": " + what); };
    if (!j.is_object()) fail("must be a JSON object with \"stores\"");
    DaemonConfig c;
    for (auto& [key, value] : j.items()) {
        if (key == "http") {
            if (!value.is_string()) fail("\"http\" must be a string HOST:PORT");
            c.http = value.get<std::string>();
        } else if (key != "stores") {
            fail("unknown key \"" + key + "\" (known: stores, http)");
        }
    }
    const auto stores = j.find("stores");
    if (stores == j.end() || !stores->is_array()) fail("\"stores\" must be an array of stores");
    for (std::size_t i = 0; i < stores->size(); ++i) {
        const auto& s = (*stores)[i];
        const std::string at = "stores[" + std::to_string(i) + "]";
        if (!s.is_object()) fail(at + " must be an object");
        DaemonStore d;
        for (auto& [key, value] : s.items()) {
            if (!value.is_string()) fail(at + "." + key + " must be a string");
            const std::string v = value.get<std::string>();
            if (key == "db") d.db = v;
            else if (key == "gateway") d.gateway = v;
            else if (key == "token_file") d.token_file = v;
            else if (key == "database_url") d.database_url = v;
            else fail(at + ": unknown key \"" + key + "\" (known: db, gateway, token_file, database_url)");
        }
        if (d.db.empty()) fail(at + " needs \"db\", the store file");
        if (!d.gateway.empty() && !d.database_url.empty()) fail(at + " has both \"gateway\" and \"database_url\": pick one");
        if (d.gateway.empty() && !d.token_file.empty()) fail(at + " has a \"token_file\" but no \"gateway\"");
        for (const auto& other : c.stores)
            if (other.db == d.db) fail(at + " names " + d.db + " a second time");
        c.stores.push_back(d);
    }
    return c;
}

int run_daemon(DaemonConfig config, const std::string& config_path) {
    if (config.stores.empty()) bad_config("ferry daemon needs a store: --db FILE, or --config FILE with \"stores\"");
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: they inherit it
    ::signal(SIGPIPE, SIG_IGN);

    Daemon daemon;
    daemon.apply(config);
    std::unique_ptr<httplib::Server> http;
    std::thread http_thread;
    if (!config.http.empty()) {
        const auto [host, port] = host_port(config.http, "--http");
        http = std::make_unique<httplib::Server>();
        ferry::detail::use_exclusive_port(*http);
        serve_http(*http, daemon);
        const int bound = port == 0 ? http->bind_to_any_port(host) : (http->bind_to_port(host, port) ? port : -1);
        if (bound < 0) {
            daemon.stop_all();
            throw Error(ErrorDomain::io, ErrorCode::io, "cannot listen on " + config.http + " (in use, or not a local address?)");
        }
        std::cout << "ferry daemon: http on " << host << ":" << bound << std::endl;
        http_thread = std::thread([&] { http->listen_after_bind(); });
    }
    sd_notifyf(0, "READY=1\nSTATUS=%s", status_line(daemon).c_str());
    log_line("info", "ready", {{"stores", config.stores.size()}});

    std::uint64_t watchdog_usec = 0;
    const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    for (;;) {
        // Wake at least every second (half the watchdog interval when it is shorter) to feed the
        // watchdog and refresh the status line.
        std::int64_t wait_ms = 1000;
        if (watchdog) wait_ms = std::min<std::int64_t>(wait_ms, static_cast<std::int64_t>(watchdog_usec / 2000));
        timespec timeout{static_cast<time_t>(wait_ms / 1000), static_cast<long>((wait_ms % 1000) * 1000000)};
        const int sig = sigtimedwait(&signals, nullptr, &timeout);
        if (watchdog) sd_notify(0, "WATCHDOG=1");
        if (sig == SIGTERM || sig == SIGINT) break;
        if (sig == SIGHUP) {
            if (config_path.empty()) {
                log_line("info", "reload_ignored", {{"reason", "no --config file to read again"}});
                continue;
            }
            sd_notify(0, "RELOADING=1");
            try {
                config = load_daemon_config(config_path);
                daemon.apply(config);
                log_line("info", "reloaded", {{"config", config_path}, {"stores", config.stores.size()}});
            } catch (const Error& e) {
                log_line("error", "reload_failed", {{"config", config_path}, {"error", e.what()}});
            }
            sd_notifyf(0, "READY=1\nSTATUS=%s", status_line(daemon).c_str());
            continue;
        }
        sd_notifyf(0, "STATUS=%s", status_line(daemon).c_str());
    }
    sd_notify(0, "STOPPING=1");
    log_line("info", "stopping");
    daemon.stop_all();
    if (http) {
        http->stop();
        http_thread.join();
    }
    log_line("info", "exited");
    return 0;
}

}  // namespace ferry::cli
