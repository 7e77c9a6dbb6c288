// tests/gateway/gateway_metrics_test.cpp: the gateway's operator listener (docs/gateway.md,
// "Metrics and the status page") on a real `ferry gateway` process: after a known sequence of
// requests, /metrics counts them by endpoint and status, times them, reports the sites from the
// database, and the status page shows the same, escaped; the public port serves neither.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "ferry/server.hpp"
#include "tests/gateway/gateway_fixture.hpp"

using namespace ferry::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string k_app = "projectme";

using Answer = HttpAnswer;

Answer get(int port, const std::string& path) { return http_get(port, path); }

Answer post(int port, const std::string& path, const std::string& token, const std::string& body) {
    return http_post(port, path, token, body);
}

std::string pull_body(const std::string& site, const std::string& cursor = "", int wait_ms = -1) {
    json b = {{"v", 2}, {"site", site}, {"cursor", cursor}, {"limit", 1000}};
    if (wait_ms >= 0) b["wait_ms"] = wait_ms;
    return b.dump();
}

std::string push_body(const std::string& site, int seq, const std::string& task_id) {
    const std::int64_t hlc =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count()
        << 16;
    json change = {
        {"pk", {task_id}},
        {"op", 1},
        {"hlc", hlc},
        {"vals",
         {{"userId", "alice"}, {"title", "pushed for the metrics"}, {"updatedAt", "2026-12-01T12:00:00.000Z"}}}};
    return json({{"v", 2}, {"site", site}, {"seq", seq}, {"tables", {{{"t", "Task"}, {"changes", {change}}}}}}).dump();
}

/// A projectme database with users alice and bob and one of alice's tasks.
void seed(const PgDatabase& db) {
    install_app(db, k_app);
    db.exec(
        "INSERT INTO \"User\"(id, email, \"updatedAt\") VALUES ('alice', 'alice@example.com', now()), "
        "('bob', 'bob@example.com', now())");
    db.exec(
        "INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-sql-1', 'alice', 'in the cloud', "
        "now())");
}

/// The cursor of a successful pull.
std::string pulled_cursor(const Answer& a) {
    INFO(a.raw.substr(0, 400));
    REQUIRE(a.status == 200);
    return json::parse(a.body).at("cursor").get<std::string>();
}

/// The samples of a metrics text: "name{labels}" -> value.
std::map<std::string, double> samples_of(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

/// The exposition format's rules that this output must keep: every sample belongs to a family
/// with HELP and TYPE lines, counters end in _total, a histogram has _bucket, _sum and _count.
void require_well_formed(const std::string& text) {
    std::map<std::string, std::string> types;
    std::set<std::string> helped;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        std::istringstream words(line);
        std::string first, second, name, type;
        words >> first;
        if (first == "#") {
            words >> second >> name;
            if (second == "HELP") helped.insert(name);
            if (second == "TYPE") {
                words >> type;
                REQUIRE(helped.count(name) == 1);
                types[name] = type;
                if (type == "counter") REQUIRE(name.size() > 6);
                if (type == "counter") REQUIRE(name.substr(name.size() - 6) == "_total");
            }
            continue;
        }
        std::string family = first.substr(0, first.find('{'));
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string s = suffix;
            const std::string base = family.size() > s.size() ? family.substr(0, family.size() - s.size()) : "";
            if (family.size() > s.size() && family.substr(family.size() - s.size()) == s && types[base] == "histogram")
                family = base;
        }
        REQUIRE(types.count(family) == 1);
    }
}

/// Scrapes until `ready` holds for the samples (a background state: the LISTEN connection, a
/// poll that started waiting), at most 20 s; returns the last samples.
std::map<std::string, double> scrape_until(int metrics_port,
                                           const std::function<bool(std::map<std::string, double>&)>& ready) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    for (;;) {
        auto samples = samples_of(get(metrics_port, "/metrics").body);
        if (ready(samples) || Clock::now() > deadline) return samples;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::map<std::string, double> scrape(int metrics_port) {
    auto a = get(metrics_port, "/metrics");
    REQUIRE(a.status == 200);
    return samples_of(a.body);
}

double value(const std::map<std::string, double>& samples, const std::string& key) {
    INFO("metric " << key);
    const auto it = samples.find(key);
    REQUIRE(it != samples.end());
    return it->second;
}

const std::string k_requests = "ferry_gateway_requests_total";
const std::string k_duration = "ferry_gateway_request_duration_seconds";

}  // namespace

TEST_CASE("the metrics listener counts requests by endpoint and status, times them, and reports the sites",
          "[gateway][metrics]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db, "", {{"DATABASE_URL", gateway_login(db)}}, {"--metrics-listen", "127.0.0.1:0"});
    REQUIRE(gw.metrics_port() > 0);
    REQUIRE(gw.metrics_port() != gw.port());
    const auto alice = cli_token("alice");
    const std::string site = "metrics-site-1";

    // The known sequence: 2 pulls and 1 push as alice, a pull with a forged token, and two
    // operator paths asked of the public port.
    const auto cursor = pulled_cursor(post(gw.port(), "/v1/pull", alice, pull_body(site)));
    REQUIRE(pulled_cursor(post(gw.port(), "/v1/pull", alice, pull_body(site, cursor))) == cursor);
    auto pushed = post(gw.port(), "/v1/push", alice, push_body(site, 1, "t-metrics-1"));
    INFO(pushed.body);
    REQUIRE(pushed.status == 200);
    REQUIRE(post(gw.port(), "/v1/pull", alice + "x", pull_body(site)).status == 401);
    REQUIRE(get(gw.port(), "/metrics").status == 404);
    REQUIRE(get(gw.port(), "/").status == 404);

    auto answer = get(gw.metrics_port(), "/metrics");
    REQUIRE(answer.status == 200);
    REQUIRE(answer.header("Content-Type").find("text/plain; version=0.0.4") == 0);
    require_well_formed(answer.body);
    auto m = samples_of(answer.body);

    CHECK(value(m, k_requests + "{endpoint=\"pull\",status=\"200\"}") == 2);
    CHECK(value(m, k_requests + "{endpoint=\"push\",status=\"200\"}") == 1);
    CHECK(value(m, k_requests + "{endpoint=\"pull\",status=\"401\"}") == 1);
    CHECK(value(m, k_requests + "{endpoint=\"other\",status=\"404\"}") == 2);
    CHECK(m.count(k_requests + "{endpoint=\"lease\",status=\"200\"}") == 0);
    CHECK(value(m, "ferry_gateway_errors_total{code=\"unauthenticated\"}") == 1);
    CHECK(value(m, "ferry_gateway_errors_total{code=\"not_found\"}") == 2);

    CHECK(value(m, k_duration + "_count{endpoint=\"pull\"}") == 3);
    CHECK(value(m, k_duration + "_bucket{endpoint=\"pull\",le=\"+Inf\"}") == 3);
    CHECK(value(m, k_duration + "_count{endpoint=\"push\"}") == 1);
    CHECK(value(m, k_duration + "_count{endpoint=\"lease\"}") == 0);
    CHECK(value(m, k_duration + "_sum{endpoint=\"pull\"}") > 0);
    double previous = 0;
    for (const char* le :
         {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"}) {
        const double n = value(m, k_duration + "_bucket{endpoint=\"pull\",le=\"" + le + "\"}");
        CHECK(n >= previous);  // cumulative
        previous = n;
    }

    // The site's line: last_seen as the database has it; one entry (the push) after its cursor.
    const double last_seen =
        std::stod(db.scalar("SELECT extract(epoch FROM last_seen) FROM ferry.sites WHERE site = '" + site + "'"));
    CHECK(value(m, "ferry_site_last_seen_timestamp_seconds{site=\"" + site + "\"}") == Approx(last_seen).margin(0.001));
    CHECK(value(m, "ferry_site_changes_behind{site=\"" + site + "\"}") == 1);
    CHECK(value(m, "ferry_gateway_site_query_success") == 1);
    CHECK(value(m, "ferry_trim_horizon_xid") == 0);
    CHECK(value(m, "ferry_gateway_pool_max_connections") == 8);
    CHECK(value(m, "ferry_gateway_info{app=\"projectme\"}") == 1);
    // No user id is a label: not the user's, not in any form.
    CHECK(answer.body.find("alice") == std::string::npos);

    // Scrapes are not requests of the public port.
    auto again = scrape(gw.metrics_port());
    CHECK(value(again, k_requests + "{endpoint=\"other\",status=\"404\"}") == 2);
    CHECK(value(again, k_duration + "_count{endpoint=\"pull\"}") == 3);

    // The lag follows the change log: another user's row is one more entry; a pull catches up.
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-bob-1', 'bob', 'bob''s', now())");
    CHECK(value(scrape(gw.metrics_port()), "ferry_site_changes_behind{site=\"" + site + "\"}") == 2);
    REQUIRE(post(gw.port(), "/v1/pull", alice, pull_body(site, cursor)).status == 200);
    CHECK(value(scrape(gw.metrics_port()), "ferry_site_changes_behind{site=\"" + site + "\"}") == 0);

    auto listening = scrape_until(gw.metrics_port(), [](auto& s) { return s["ferry_gateway_listening"] == 1; });
    CHECK(value(listening, "ferry_gateway_listening") == 1);
    REQUIRE(gw.terminate() == 0);
}

TEST_CASE("the status page shows sites, requests, errors and the trim horizon, escaped and without script",
          "[gateway][metrics]") {
    PgDatabase db;
    seed(db);
    // The operator listener from the config file's key this time.
    auto gw = start_gateway(db, R"({"metrics_listen": "127.0.0.1:0"})");
    REQUIRE(gw.metrics_port() > 0);
    const std::string odd_user = "<b>eve&co</b>";
    REQUIRE(post(gw.port(), "/v1/pull", cli_token(odd_user), pull_body("page-site-eve")).status == 200);
    REQUIRE(post(gw.port(), "/v1/pull", cli_token("alice"), pull_body("page-site-alice")).status == 200);
    REQUIRE(post(gw.port(), "/v1/lease", "not-a-token", R"({"v":2,"site":"page-site-alice","requests":[]})").status ==
            401);
    const auto trimmed = ferry::server::trim_changes(db.conninfo(), 30);
    REQUIRE(!trimmed.horizon.empty());

    auto page = get(gw.metrics_port(), "/");
    REQUIRE(page.status == 200);
    REQUIRE(page.header("Content-Type").find("text/html") == 0);
    const auto& html = page.body;
    CHECK(html.find("<meta http-equiv=\"refresh\" content=\"5\">") != std::string::npos);
    std::string lower = html;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(lower.find("<script") == std::string::npos);
    CHECK(lower.find("<link") == std::string::npos);
    CHECK(lower.find("src=") == std::string::npos);
    CHECK(lower.find("href=\"http") == std::string::npos);

    CHECK(html.find("<table id=\"sites\">") != std::string::npos);
    CHECK(html.find("<tr data-site=\"page-site-eve\">") != std::string::npos);
    CHECK(html.find("<tr data-site=\"page-site-alice\">") != std::string::npos);
    CHECK(html.find("<td class=\"user\">alice</td>") != std::string::npos);
    CHECK(html.find("<td class=\"user\">&lt;b&gt;eve&amp;co&lt;/b&gt;</td>") != std::string::npos);
    CHECK(html.find(odd_user) == std::string::npos);
    CHECK(html.find("<p id=\"horizon\">trim horizon: " + trimmed.horizon + "</p>") != std::string::npos);
    CHECK(html.find("<tr data-endpoint=\"pull\" data-status=\"200\"><td>pull</td><td>200</td><td class=\"num "
                    "count\">2</td></tr>") != std::string::npos);
    CHECK(html.find("<tr data-endpoint=\"lease\" data-status=\"401\">") != std::string::npos);
    CHECK(html.find("<tr data-code=\"unauthenticated\"><td>unauthenticated</td><td class=\"num count\">1</td></tr>") !=
          std::string::npos);

    // The horizon in the metrics: its transaction id.
    const auto xid = std::stod(trimmed.horizon.substr(0, trimmed.horizon.find(':')));
    CHECK(value(scrape(gw.metrics_port()), "ferry_trim_horizon_xid") == xid);
    // Neither answer is on the public port.
    CHECK(get(gw.port(), "/").status == 404);
    REQUIRE(gw.terminate() == 0);
}

TEST_CASE("long polls are counted while they wait and once they answer", "[gateway][metrics]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db, "", {}, {"--metrics-listen", "127.0.0.1:0"});
    const auto alice = cli_token("alice");
    // A poll waits only once the LISTEN connection is up (else it could miss the change below).
    auto m = scrape_until(gw.metrics_port(), [](auto& s) { return s["ferry_gateway_listening"] == 1; });
    REQUIRE(value(m, "ferry_gateway_listening") == 1);
    CHECK(value(m, "ferry_gateway_long_polls_active") == 0);
    CHECK(value(m, "ferry_gateway_long_polls_total") == 0);

    const auto cursor = pulled_cursor(post(gw.port(), "/v1/pull", alice, pull_body("poll-site")));
    auto poll = std::async(std::launch::async,
                           [&] { return post(gw.port(), "/v1/pull", alice, pull_body("poll-site", cursor, 25000)); });
    m = scrape_until(gw.metrics_port(), [](auto& s) { return s["ferry_gateway_long_polls_active"] == 1; });
    REQUIRE(value(m, "ferry_gateway_long_polls_active") == 1);
    CHECK(value(m, "ferry_gateway_long_polls_total") == 1);

    db.exec(
        "INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-poll', 'alice', 'wakes the poll', "
        "now())");
    REQUIRE(poll.get().status == 200);
    m = scrape(gw.metrics_port());
    CHECK(value(m, "ferry_gateway_long_polls_active") == 0);
    CHECK(value(m, "ferry_gateway_long_polls_total") == 1);
    CHECK(value(m, k_requests + "{endpoint=\"pull\",status=\"200\"}") == 2);
}

TEST_CASE("without --metrics-listen there is no operator listener, and a bad address is refused",
          "[gateway][metrics]") {
    PgDatabase db;
    seed(db);
    auto plain = start_gateway(db);
    CHECK(plain.metrics_port() == 0);
    CHECK(plain.out().find("metrics on") == std::string::npos);
    CHECK(get(plain.port(), "/metrics").status == 404);

    // A gateway run with `args` exits by itself, non-zero, saying `message`, and never listens.
    auto expect_refused = [&](std::vector<std::string> args, const std::string& message) {
        std::string shown;
        for (const auto& a : args) shown += " " + a;
        INFO("ferry gateway" << shown);
        args.insert(args.begin(), {cli_path(), "gateway", "--app", k_app});
        Process p(args, {{"DATABASE_URL", db.conninfo()}, {"FERRY_JWT_SECRET", k_secret}});
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        while (p.running() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        INFO(p.err());
        REQUIRE(!p.running());
        CHECK(p.terminate() != 0);
        CHECK(p.err().find(message) != std::string::npos);
        CHECK(p.out().find("listening on") == std::string::npos);
    };
    const std::string in_use = "127.0.0.1:" + std::to_string(plain.port());
    // A malformed address, a port out of range, and a port in use (the first gateway's).
    expect_refused({"--listen", "127.0.0.1:0", "--metrics-listen", "no-port-here"}, "--metrics-listen must be HOST:PORT");
    expect_refused({"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:99999"}, "--metrics-listen must be HOST:PORT");
    expect_refused({"--listen", "127.0.0.1:0", "--metrics-listen", in_use}, "for metrics");
    // Nor can a second gateway take the first one's public port (no SO_REUSEPORT: the kernel
    // would split the users' connections between the two).
    expect_refused({"--listen", in_use}, "cannot listen on " + in_use);
}

TEST_CASE("the site figures are read through pgbouncer in transaction mode", "[gateway][metrics][pgbouncer]") {
    PgDatabase db;
    seed(db);
    Pgbouncer bouncer(6472);
    auto gw = start_gateway(
        db, "", {{"DATABASE_URL", bouncer.conninfo(db.name())}, {"FERRY_LISTEN_DATABASE_URL", db.conninfo()}},
        {"--metrics-listen", "127.0.0.1:0"});
    REQUIRE(post(gw.port(), "/v1/pull", cli_token("alice"), pull_body("bouncer-site")).status == 200);
    const auto m = scrape(gw.metrics_port());
    CHECK(value(m, "ferry_gateway_site_query_success") == 1);
    CHECK(value(m, "ferry_site_changes_behind{site=\"bouncer-site\"}") == 0);
}
