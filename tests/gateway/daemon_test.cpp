// tests/gateway/daemon_test.cpp: `ferry daemon` as a real process against a real PostgreSQL (and a
// real `ferry gateway`): stores kept in sync with nobody calling sync, an app process writing the
// same store file, SIGTERM in the middle of a push, connections killed by the server, SIGHUP adding
// a store, the metrics and status page after a known sequence of writes, systemd's notifications.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "ferry/store.hpp"
#include "tests/gateway/gateway_fixture.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/store_checks.hpp"

using ferry::Store;
using namespace ferry::test;

namespace {
/// `ferry daemon ARGS` with DATABASE_URL = db; `http_port()` once it printed its address.
class DaemonProcess {
public:
    DaemonProcess(const PgDatabase& db, std::vector<std::string> args, std::map<std::string, std::optional<std::string>> env = {})
        : m_process(
              [&] {
                  std::vector<std::string> argv = {cli_path(), "daemon"};
                  argv.insert(argv.end(), args.begin(), args.end());
                  return argv;
              }(),
              [&] {
                  env.emplace("DATABASE_URL", db.conninfo());
                  return env;
              }()) {}

    int http_port() {
        static const std::regex at(R"(ferry daemon: http on 127\.0\.0\.1:(\d+))");
        int port = 0;
        REQUIRE(eventually([&] {
            std::smatch m;
            const std::string out = m_process.out();
            if (std::regex_search(out, m, at)) port = std::stoi(m[1]);
            return port != 0 || !m_process.running();
        }));
        INFO(m_process.err());
        REQUIRE(port != 0);
        return port;
    }
    std::string get(const std::string& path) { return body_of(raw_http(http_port(), http_request("GET", path, {}))); }
    int status(const std::string& path) { return status_of(raw_http(http_port(), http_request("GET", path, {}))); }
    std::string log() const { return m_process.err(); }
    bool logged(const std::string& event) const { return log().find("\"event\":\"" + event + "\"") != std::string::npos; }
    int terminate() { return m_process.terminate(); }
    Process& process() { return m_process; }

private:
    Process m_process;
};

/// The value of the sample `name{store="path"...}` in a Prometheus text, or -1.
double metric(const std::string& text, const std::string& name, const std::string& path, const std::string& more = "") {
    const std::string prefix = name + "{store=\"" + path + "\"" + more + "} ";
    const auto at = text.find(prefix);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + prefix.size()));
}

std::string users(Store& s) {
    return text(s, "SELECT coalesce(group_concat(email, ','), '') FROM (SELECT email FROM users ORDER BY email)");
}
std::string new_store(TempDir& dir, const std::string& name) {
    const std::string path = dir.file(name);
    Store::open(path, "december");
    return path;
}
}  // namespace

TEST_CASE("two stores with daemons converge with nobody calling sync, and the metrics count what moved",
          "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string a_path = new_store(dir, "a.db"), b_path = new_store(dir, "b.db");
    DaemonProcess a(db, {"--db", a_path, "--http", "127.0.0.1:0"}), b(db, {"--db", b_path});
    const int port = a.http_port();
    (void)port;
    REQUIRE(eventually([&] { return a.logged("ready") && b.logged("ready"); }));

    // The app (this process) writes through its own connection to the file the daemon syncs.
    Store app_a = Store::open_existing(a_path), app_b = Store::open_existing(b_path);
    app_a.execute("INSERT INTO users(id, email) VALUES (?, 'ann@example.com')", {Store::new_id()});
    REQUIRE(eventually([&] { return users(app_b) == "ann@example.com"; }));
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web@example.com')");
    REQUIRE(eventually([&] { return users(app_a) == "ann@example.com,web@example.com" && users(app_b) == users(app_a); }));

    std::string metrics;
    REQUIRE(eventually([&] {
        metrics = a.get("/metrics");
        return metric(metrics, "ferry_pulled_rows_total", a_path) >= 1;
    }));
    CHECK(metric(metrics, "ferry_pushed_changes_total", a_path) == 1);
    CHECK(metric(metrics, "ferry_applied_changes_total", a_path) == 1);
    CHECK(metric(metrics, "ferry_rejected_changes_total", a_path) == 0);
    CHECK(metric(metrics, "ferry_sync_failed_rounds_total", a_path) == 0);
    CHECK(metric(metrics, "ferry_store_pending_changes", a_path) == 0);
    CHECK(metric(metrics, "ferry_store_ready", a_path) == 1);
    // Both causes are reported; which one ran A's push depends on timing (a remote wake may take it).
    CHECK(metrics.find("ferry_sync_wakes_total{store=\"" + a_path + "\",cause=\"local\"}") != std::string::npos);
    CHECK(metric(metrics, "ferry_sync_wakes_total", a_path, ",cause=\"remote\"") >= 1);
    CHECK(metrics.find("# TYPE ferry_pushed_changes_total counter") != std::string::npos);
    // Same machine, same clock: the skew seen is the network's delay at most.
    const double skew = metric(metrics, "ferry_store_clock_skew_seconds", a_path);
    CHECK(skew > -5);
    CHECK(skew < 5);
    CHECK(metrics.find("ferry_store_clock_skew_seconds{") != std::string::npos);
    CHECK(a.status("/healthz") == 200);
    CHECK(a.status("/readyz") == 200);
    const std::string page = a.get("/");
    CHECK(page.find("<td>" + a_path + "</td>") != std::string::npos);
    CHECK(page.find("class=\"idle\"") != std::string::npos);
    CHECK(page.find("<script") == std::string::npos);  // self-contained, works offline

    CHECK(a.terminate() == 0);
    CHECK(b.terminate() == 0);
    // Structured lines: one JSON object each, and no row values in them.
    std::istringstream lines(a.log());
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
        INFO(line);
        CHECK(nlohmann::json::accept(line));
        CHECK(line.find("ann@example.com") == std::string::npos);
    }
    CHECK(count >= 4);
    CHECK(a.logged("stopping"));
    CHECK(a.logged("exited"));
}

TEST_CASE("an app process and a daemon writing and syncing the same store file lose nothing", "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string path = new_store(dir, "shared.db");
    DaemonProcess daemon(db, {"--db", path});
    Store app = Store::open_existing(path);
    for (int i = 0; i < 150; ++i) {
        app.execute("INSERT INTO users(id, email) VALUES (?, ?)", {Store::new_id(), "app" + std::to_string(i) + "@x.org"});
        if (i % 3 == 0)
            db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web" + std::to_string(i) + "@x.org')");
    }
    REQUIRE(eventually([&] {
        return db.scalar("SELECT count(*) FROM users") == "200" && text(app, "SELECT count(*) FROM users") == "200";
    }));
    CHECK(eventually([&] { return app.status().pending_changes == 0; }));  // the last acknowledgement may trail
    CHECK(db.scalar("SELECT count(DISTINCT email) FROM users") == "200");
    CHECK(daemon.terminate() == 0);
}

TEST_CASE("SIGTERM in the middle of a push loses nothing, and the next start finishes it", "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string path = new_store(dir, "big.db");
    {
        Store s = Store::open_existing(path);
        s.transaction([&] {
            for (int i = 0; i < 6000; ++i)
                s.execute("INSERT INTO users(id, email) VALUES (?, ?)", {Store::new_id(), "u" + std::to_string(i) + "@x.org"});
        });
    }
    {
        DaemonProcess daemon(db, {"--db", path});
        // Stop once some batches are in but not all (batches of 1000).
        REQUIRE(eventually([&] { return std::stoi(db.scalar("SELECT count(*) FROM users")) > 0; }));
        CHECK(daemon.terminate() == 0);
    }
    const int after_stop = std::stoi(db.scalar("SELECT count(*) FROM users"));
    INFO("rows on the server when the daemon stopped: " << after_stop);
    CHECK(after_stop % 1000 == 0);  // whole batches only: nothing half-applied
    DaemonProcess again(db, {"--db", path});
    REQUIRE(eventually([&] { return db.scalar("SELECT count(*) FROM users") == "6000"; }));
    Store s = Store::open_existing(path);
    REQUIRE(eventually([&] { return s.status().pending_changes == 0; }));
    CHECK(db.scalar("SELECT count(DISTINCT email) FROM users") == "6000");
    CHECK(again.terminate() == 0);
}

TEST_CASE("daemons recover by themselves when the server kills their connections", "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string a_path = new_store(dir, "a.db"), b_path = new_store(dir, "b.db");
    DaemonProcess a(db, {"--db", a_path}), b(db, {"--db", b_path});
    REQUIRE(eventually([&] { return a.logged("listen") && b.logged("listen"); }));
    // As a server restart does: every connection to the database is ended.
    db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()");
    Store app_a = Store::open_existing(a_path), app_b = Store::open_existing(b_path);
    app_a.execute("INSERT INTO users(id, email) VALUES (?, 'after@x.org')", {Store::new_id()});
    REQUIRE(eventually([&] { return users(app_b) == "after@x.org"; }));
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web@x.org')");
    REQUIRE(eventually([&] { return users(app_a) == "after@x.org,web@x.org"; }));
    CHECK(a.terminate() == 0);
    CHECK(b.terminate() == 0);
}

TEST_CASE("a daemon through the gateway keeps a user's stores in sync, live", "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    auto gw = start_gateway(db);
    TempDir dir;
    const std::string token_file = dir.file("token");
    std::ofstream(token_file) << cli_token("11111111-1111-4111-8111-111111111111") << "\n";
    const std::string a_path = new_store(dir, "a.db"), b_path = new_store(dir, "b.db");
    const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
    DaemonProcess a(db, {"--db", a_path, "--gateway", url, "--token-file", token_file}, {{"DATABASE_URL", std::nullopt}}),
        b(db, {"--db", b_path, "--gateway", url, "--token-file", token_file}, {{"DATABASE_URL", std::nullopt}});
    Store app_a = Store::open_existing(a_path), app_b = Store::open_existing(b_path);
    app_a.execute("INSERT INTO users(id, email) VALUES ('11111111-1111-4111-8111-111111111111', 'me@x.org')");
    REQUIRE(eventually([&] { return users(app_b) == "me@x.org"; }));
    CHECK(db.scalar("SELECT count(*) FROM users") == "1");
    CHECK(a.terminate() == 0);
    CHECK(b.terminate() == 0);
    CHECK(a.log().find(cli_token("11111111-1111-4111-8111-111111111111").substr(0, 40)) == std::string::npos);
}

TEST_CASE("daemons through the gateway recover by themselves when the gateway is killed and restarted",
          "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    const std::string me = "11111111-1111-4111-8111-111111111111";
    GatewayProcess first = start_gateway(db);
    const int port = first.port();
    TempDir dir;
    const std::string token_file = dir.file("token");
    std::ofstream(token_file) << cli_token(me) << "\n";
    const std::string a_path = new_store(dir, "a.db"), b_path = new_store(dir, "b.db");
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    const std::map<std::string, std::optional<std::string>> no_db = {{"DATABASE_URL", std::nullopt}};
    DaemonProcess a(db, {"--db", a_path, "--gateway", url, "--token-file", token_file}, no_db),
        b(db, {"--db", b_path, "--gateway", url, "--token-file", token_file}, no_db);
    Store app_a = Store::open_existing(a_path), app_b = Store::open_existing(b_path);
    app_a.execute("INSERT INTO users(id, email) VALUES (?, 'me@x.org')", {me});
    REQUIRE(eventually([&] { return users(app_b) == "me@x.org"; }));

    ::kill(first.process().pid(), SIGKILL);  // gone without a goodbye, long polls cut
    REQUIRE(eventually([&] { return !first.process().running(); }));
    app_a.execute("UPDATE users SET email = 'me2@x.org' WHERE id = ?", {me});  // queued while it is away
    REQUIRE(eventually([&] { return a.log().find("round_failed") != std::string::npos; }));
    Process second({cli_path(), "gateway", "--listen", "127.0.0.1:" + std::to_string(port)},
                   {{"DATABASE_URL", db.conninfo()}, {"FERRY_JWT_SECRET", k_secret}});
    REQUIRE(eventually([&] { return users(app_b) == "me2@x.org"; }, 60));
    CHECK(eventually([&] { return a.logged("recovered"); }));  // logged once its round has ended
    CHECK(eventually([&] { return app_a.status().pending_changes == 0; }));
    CHECK(a.terminate() == 0);
    CHECK(b.terminate() == 0);
    CHECK(second.terminate() == 0);
}

TEST_CASE("SIGHUP reloads the daemon's config: a store added there is kept in sync", "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string a_path = new_store(dir, "a.db"), b_path = new_store(dir, "b.db");
    const std::string config = dir.file("daemon.json");
    std::ofstream(config) << nlohmann::json{{"stores", {{{"db", a_path}}}}}.dump();
    DaemonProcess daemon(db, {"--config", config});
    REQUIRE(eventually([&] { return daemon.logged("ready"); }));
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web@x.org')");
    Store app_a = Store::open_existing(a_path), app_b = Store::open_existing(b_path);
    REQUIRE(eventually([&] { return users(app_a) == "web@x.org"; }));
    CHECK(users(app_b).empty());
    std::ofstream(config) << nlohmann::json{{"stores", {{{"db", a_path}}, {{"db", b_path}}}}}.dump();
    ::kill(daemon.process().pid(), SIGHUP);
    REQUIRE(eventually([&] { return users(app_b) == "web@x.org"; }));
    CHECK(daemon.logged("reloaded"));
    // A config that is wrong is refused with its reason, and the stores keep running.
    std::ofstream(config) << "{\"stores\": [{\"db\": \"" + a_path + "\", \"colour\": \"blue\"}]}";
    ::kill(daemon.process().pid(), SIGHUP);
    REQUIRE(eventually([&] { return daemon.logged("reload_failed"); }));
    CHECK(daemon.log().find("unknown key \\\"colour\\\"") != std::string::npos);
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web2@x.org')");
    REQUIRE(eventually([&] { return users(app_b) == "web2@x.org,web@x.org"; }));
    CHECK(daemon.terminate() == 0);
}

TEST_CASE("the daemon tells systemd it is ready and stopping", "[gateway][daemon]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string path = new_store(dir, "a.db");
    const std::string socket_path = dir.file("notify.sock");
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{0, 200000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string received;
    auto drain = [&] {
        char buf[4096];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) received += std::string(buf, n) + "\n";
    };
    DaemonProcess daemon(db, {"--db", path}, {{"NOTIFY_SOCKET", socket_path}});
    REQUIRE(eventually([&] {
        drain();
        return received.find("READY=1") != std::string::npos;
    }));
    CHECK(received.find("STATUS=") != std::string::npos);
    CHECK(daemon.terminate() == 0);
    drain();
    CHECK(received.find("STOPPING=1") != std::string::npos);
    ::close(fd);
}

TEST_CASE("ferry daemon refuses a missing store, a bad config and a gateway without a token", "[gateway][daemon]") {
    PgDatabase db;
    TempDir dir;
    auto exit_of = [&](std::vector<std::string> args, std::map<std::string, std::optional<std::string>> env = {}) {
        DaemonProcess d(db, std::move(args), std::move(env));
        REQUIRE(eventually([&] { return !d.process().running(); }));
        return std::make_pair(d.terminate(), d.log());
    };
    auto [missing, missing_log] = exit_of({"--db", dir.file("nope.db")});
    CHECK(missing == 3);
    CHECK(missing_log.find("no such store") != std::string::npos);
    const std::string config = dir.file("bad.json");
    std::ofstream(config) << "{\"stores\": [{\"gateway\": \"http://127.0.0.1:1\"}]}";
    auto [bad, bad_log] = exit_of({"--config", config});
    CHECK(bad != 0);
    CHECK(bad_log.find("needs \"db\"") != std::string::npos);
    const std::string path = new_store(dir, "a.db");
    auto [no_token, token_log] = exit_of({"--db", path, "--gateway", "http://127.0.0.1:1"}, {{"FERRY_TOKEN", std::nullopt}});
    CHECK(no_token != 0);
    CHECK(token_log.find("no token") != std::string::npos);
}

namespace {
/// Headless Chromium (Debian's) on `url` with `mode` ("--dump-dom" or "--screenshot=FILE"); its
/// standard output. The flags keep it off the network and out of any profile.
std::string chromium(const std::string& url, const std::string& mode, TempDir& profile) {
    Process browser({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,500", "--user-data-dir=" + profile.path(), mode, url},
                    {});
    REQUIRE(eventually([&] { return !browser.running(); }, 60));
    INFO(browser.err());
    REQUIRE(browser.terminate() == 0);
    return browser.out();
}
}  // namespace

TEST_CASE("the daemon's status page renders in Chromium with the stores' figures", "[gateway][daemon][browser]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir, profile;
    const std::string path = new_store(dir, "a.db");
    DaemonProcess daemon(db, {"--db", path, "--http", "127.0.0.1:0"});
    Store app = Store::open_existing(path);
    for (const char* email : {"one@x.org", "two@x.org"})
        app.execute("INSERT INTO users(id, email) VALUES (?, ?)", {Store::new_id(), email});
    REQUIRE(eventually([&] { return db.scalar("SELECT count(*) FROM users") == "2"; }));
    const std::string url = "http://127.0.0.1:" + std::to_string(daemon.http_port()) + "/";
    REQUIRE(eventually([&] { return daemon.get("/").find("<td class=\"num pushed\">2</td>") != std::string::npos; }));

    const std::string dom = chromium(url, "--dump-dom", profile);
    INFO(dom);
    CHECK(dom.find("<h1>ferry daemon</h1>") != std::string::npos);
    CHECK(dom.find("<td>" + path + "</td>") != std::string::npos);
    CHECK(dom.find("<td class=\"idle\">idle</td>") != std::string::npos);
    CHECK(dom.find("<td class=\"num pushed\">2</td>") != std::string::npos);
    CHECK(dom.find("<td class=\"num pending\">0</td>") != std::string::npos);
    CHECK(dom.find("1 store,") != std::string::npos);

    // The screenshot is kept as the test's artifact (build dir, test-artifacts/).
    const std::string shot = std::string(FERRY_TEST_ARTIFACTS) + "/daemon-status-page.png";
    std::remove(shot.c_str());
    chromium(url, "--screenshot=" + shot, profile);
    std::ifstream png(shot, std::ios::binary);
    std::string magic(8, '\0');
    png.read(&magic[0], 8);
    CHECK(magic == "\x89PNG\r\n\x1a\n");
    CHECK(daemon.terminate() == 0);
}
