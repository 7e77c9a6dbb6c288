// tests/gateway/gateway_test.cpp: a real `ferry gateway` process against a real PostgreSQL (from
// the PG* variables; the fixture fails without one), spoken to over loopback HTTP: the contract of
// docs/gateway.md (statuses, error bodies, long poll, gzip, limits, the access log).
#include <catch2/catch.hpp>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "sync/gateway/jwt.hpp"
#include "sync/protocol/codec.hpp"
#include "tests/gateway/gateway_fixture.hpp"

using namespace ferry::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string k_app = "projectme";

using Answer = HttpAnswer;

Answer post(int port, const std::string& path, const std::string& token, const std::string& body,
            std::vector<std::string> headers = {}) {
    return http_post(port, path, token, body, std::move(headers));
}

Answer get(int port, const std::string& path) { return http_get(port, path); }

std::string gzip(const std::string& data) {
    z_stream z{};
    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, data.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string unzstd(const std::string& data) {
    const auto size = ZSTD_getFrameContentSize(data.data(), data.size());
    REQUIRE(size != ZSTD_CONTENTSIZE_ERROR);
    REQUIRE(size != ZSTD_CONTENTSIZE_UNKNOWN);
    std::string out(static_cast<std::size_t>(size), '\0');
    const auto n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
    REQUIRE(!ZSTD_isError(n));
    out.resize(n);
    return out;
}

std::string gunzip(const std::string& data) {
    z_stream z{};
    inflateInit2(&z, 15 + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    }
    inflateEnd(&z);
    return out;
}

std::string b64url(const std::string& in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char c : in) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(abc[(buffer >> bits) & 63]);
        }
    }
    if (bits > 0) out.push_back(abc[(buffer << (6 - bits)) & 63]);
    return out;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string minted(const std::string& sub, std::int64_t now_s, std::int64_t ttl_s, const std::string& secret = k_secret) {
    ferry::detail::TokenClaims c;
    c.subject = sub;
    c.now_s = now_s;
    c.ttl_s = ttl_s;
    return ferry::detail::mint_hs256_token(secret, c);
}

std::string pull_body(const std::string& site, const std::string& cursor = "", int wait_ms = -1) {
    json b = {{"v", 2}, {"site", site}, {"cursor", cursor}, {"limit", 1000}};
    if (wait_ms >= 0) b["wait_ms"] = wait_ms;
    return b.dump();
}

/// A projectme database with user alice and one of her tasks, written with plain SQL.
void seed(const PgDatabase& db) {
    install_app(db, k_app);
    db.exec("INSERT INTO \"User\"(id, email, \"updatedAt\") VALUES ('alice', 'alice@example.com', now()), "
            "('bob', 'bob@example.com', now())");
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-sql-1', 'alice', 'written in the cloud', now())");
}

std::set<std::string> task_ids(const json& pull_answer) {
    std::set<std::string> ids;
    for (const auto& t : ferry::protocol::decode_pull_answer(pull_answer).tables)
        if (t.table == "Task") {
            const auto id = std::find(t.cols.begin(), t.cols.end(), "id") - t.cols.begin();
            for (const auto& row : t.rows) ids.insert(row.at(static_cast<std::size_t>(id)).get<std::string>());
        }
    return ids;
}

/// Pulls until the end of the change log; returns the last answer (its cursor is the end).
json pull_to_end(int port, const std::string& token, const std::string& site, std::set<std::string>* tasks = nullptr) {
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
        auto a = post(port, "/v1/pull", token, pull_body(site, cursor));
        REQUIRE(a.status == 200);
        auto j = a.json_body();
        if (tasks)
            for (const auto& id : task_ids(j)) tasks->insert(id);
        cursor = j.at("cursor").get<std::string>();
        if (!j.at("more").get<bool>()) return j;
    }
    FAIL("the change log never ended");
    return {};
}

std::string push_body(const std::string& site, int seq, const std::string& task_id, const std::string& user) {
    const std::int64_t hlc =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()
        << 16;
    json change = {{"pk", {task_id}},
                   {"op", 1},
                   {"hlc", hlc},
                   {"vals", {{"userId", user}, {"title", "pushed through the gateway"}, {"updatedAt", "2026-12-01T12:00:00.000Z"}}}};
    return json({{"v", 2}, {"site", site}, {"seq", seq}, {"tables", {{{"t", "Task"}, {"changes", {change}}}}}}).dump();
}

void require_error(const Answer& a, int status, const std::string& code, const std::string& message_part = "") {
    INFO(a.raw.substr(0, 600));
    REQUIRE(a.status == status);
    REQUIRE(a.header("Content-Type").find("application/json") == 0);
    const auto j = a.json_body();
    REQUIRE(j.at("error").at("code") == code);
    const auto message = j.at("error").at("message").get<std::string>();
    REQUIRE(!message.empty());
    if (!message_part.empty()) REQUIRE(message.find(message_part) != std::string::npos);
}

}  // namespace

TEST_CASE("healthz and readyz, and readyz is 503 while the database cannot be reached", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    auto health = get(gw.port(), "/healthz");
    REQUIRE(health.status == 200);
    REQUIRE(health.json_body()["status"] == "ok");
    REQUIRE(get(gw.port(), "/readyz").status == 200);

    GatewayProcess down({"--app", k_app}, {{"DATABASE_URL", "host=127.0.0.1 port=1 dbname=nowhere connect_timeout=2"},
                                           {"FERRY_JWT_SECRET", k_secret}});
    REQUIRE(get(down.port(), "/healthz").status == 200);
    auto ready = get(down.port(), "/readyz");
    require_error(ready, 503, "connection");
    REQUIRE(ready.body.find("port=1") == std::string::npos);  // the database's address stays in the log
    // A sync call through it is transient, not a client error.
    require_error(post(down.port(), "/v1/pull", cli_token("alice"), pull_body("s1")), 502, "connection");
}

TEST_CASE("every kind of bad token is 401 with a clear message, and no answer byte holds the token", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const auto now = unix_now();
    const std::string none_token = b64url(R"({"alg":"none","typ":"JWT"})") + "." +
                                   b64url(json({{"sub", "alice"}, {"aud", "authenticated"}, {"exp", now + 600}}).dump()) + ".";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"expired", minted("alice", now - 7200, 60)},
        {"not signed with the configured key", minted("alice", now, 600, "another-secret-that-is-32-bytes-or-more!")},
        {"audience", cli_token("alice", 600, "some-other-app")},
        {"accepts only HS256", none_token},
        {"not a JWT", "this-is-not-a-token"},
    };
    for (const auto& [why, token] : bad) {
        INFO(why);
        auto a = post(gw.port(), "/v1/pull", token, pull_body("s1"));
        require_error(a, 401, "unauthenticated", why == "not signed with the configured key" ? "signature" : why);
        REQUIRE(a.header("WWW-Authenticate").find("Bearer") == 0);
        REQUIRE(a.raw.find(token) == std::string::npos);
    }
    require_error(post(gw.port(), "/v1/push", "", "{}"), 401, "unauthenticated", "Authorization: Bearer");
    require_error(post(gw.port(), "/v1/lease", "", "{}", {"Authorization: Basic YWxpY2U6c2VjcmV0"}), 401,
                  "unauthenticated", "not a bearer token");
    // The same requests with a good token are answered.
    REQUIRE(post(gw.port(), "/v1/pull", cli_token("alice"), pull_body("s1")).status == 200);
}

TEST_CASE("a valid pull answers 200 with rows, and push and lease answer the protocol messages", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const auto token = cli_token("alice");
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-bob', 'bob', 'bob only', now())");
    std::set<std::string> tasks;
    pull_to_end(gw.port(), token, "site-a", &tasks);
    REQUIRE(tasks.count("t-sql-1") == 1);
    // The gateway acts for the token's user, not as a trusted process: bob's private task stays out.
    REQUIRE(tasks.count("t-bob") == 0);

    const auto batch = push_body("site-a", 1, "t-push-1", "alice");
    auto pushed = post(gw.port(), "/v1/push", token, batch);
    INFO(pushed.body);
    REQUIRE(pushed.status == 200);
    auto results = pushed.json_body().at("results");
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].at("status") == "applied");
    REQUIRE(db.scalar("SELECT title FROM \"Task\" WHERE id = 't-push-1'") == "pushed through the gateway");
    // The same batch again is answered from the ledger, not applied twice.
    auto again = post(gw.port(), "/v1/push", token, batch);
    REQUIRE(again.status == 200);
    REQUIRE(again.json_body().at("duplicate") == true);
    // Another batch under a recorded number is a copied store: 409 site_reused.
    require_error(post(gw.port(), "/v1/push", token, push_body("site-a", 1, "t-push-2", "alice")), 409, "site_reused");

    auto lease = post(gw.port(), "/v1/lease", token, R"({"v":2,"site":"site-a","requests":[]})");
    REQUIRE(lease.status == 200);
    REQUIRE(lease.json_body().contains("leases"));
    REQUIRE(lease.header("X-Request-Id").size() >= 8);
}

TEST_CASE("malformed requests are 400, unknown paths 404, oversized bodies 413", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db, R"({"body_limit_bytes": 4096})");
    const auto token = cli_token("alice");
    require_error(post(gw.port(), "/v1/pull", token, "{not json"), 400, "protocol", "not valid JSON");
    require_error(post(gw.port(), "/v1/pull", token, "[1,2]"), 400, "protocol", "JSON object");
    require_error(post(gw.port(), "/v1/pull", token, R"({"v":2,"cursor":""})"), 400, "protocol", "'site'");
    require_error(post(gw.port(), "/v1/pull", token, R"({"site":"s1","cursor":"","limit":10})"), 400, "protocol",
                  "version 1: upgrade the older side");
    require_error(post(gw.port(), "/v1/pull", token, pull_body("s1", "", 60000)), 400, "protocol", "wait_ms");
    require_error(post(gw.port(), "/v1/sync", token, "{}"), 404, "not_found", "/v1/sync");
    require_error(get(gw.port(), "/nothing-here"), 404, "not_found");
    require_error(get(gw.port(), "/v1/pull"), 404, "not_found");

    const std::string big = json({{"site", "s1"}, {"cursor", ""}, {"limit", 10}, {"pad", std::string(10000, 'x')}}).dump();
    require_error(post(gw.port(), "/v1/pull", token, big), 413, "invalid_argument", "limit");
    // A small gzip body that decompresses past the limit is refused too (a compression bomb).
    require_error(post(gw.port(), "/v1/pull", token, gzip(big), {"Content-Encoding: gzip"}), 413, "invalid_argument");
    // The gateway still serves after them.
    REQUIRE(post(gw.port(), "/v1/pull", token, pull_body("s1")).status == 200);
}

TEST_CASE("gzip request bodies are read and answers are compressed with zstd or gzip when the client accepts it",
          "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const auto token = cli_token("alice");
    auto a = post(gw.port(), "/v1/pull", token, gzip(pull_body("s1")), {"Content-Encoding: gzip", "Accept-Encoding: gzip"});
    REQUIRE(a.status == 200);
    REQUIRE(a.header("Content-Encoding") == "gzip");
    REQUIRE(task_ids(json::parse(gunzip(a.body))).count("t-sql-1") == 1);
    auto z = post(gw.port(), "/v1/pull", token, pull_body("s1"), {"Accept-Encoding: zstd, gzip"});
    REQUIRE(z.status == 200);
    REQUIRE(z.header("Content-Encoding") == "zstd");
    REQUIRE(task_ids(json::parse(unzstd(z.body))).count("t-sql-1") == 1);
    auto plain = post(gw.port(), "/v1/pull", token, pull_body("s1"));
    REQUIRE(plain.header("Content-Encoding").empty());
    REQUIRE(task_ids(plain.json_body()).count("t-sql-1") == 1);
}

TEST_CASE("each user has a rate limit: 429 with Retry-After, other users unaffected", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db, R"({"rate_per_second": 0.2, "rate_burst": 3})");
    const auto alice = cli_token("alice");
    std::vector<int> statuses;
    Answer limited;
    for (int i = 0; i < 6; ++i) {
        auto a = post(gw.port(), "/v1/pull", alice, pull_body("s1"));
        statuses.push_back(a.status);
        if (a.status == 429) limited = a;
    }
    REQUIRE(statuses[0] == 200);
    REQUIRE(statuses[1] == 200);
    REQUIRE(statuses[2] == 200);
    REQUIRE(statuses.back() == 429);
    require_error(limited, 429, "busy", "too many requests");
    REQUIRE(std::stoi(limited.header("Retry-After")) >= 1);
    REQUIRE(post(gw.port(), "/v1/pull", cli_token("bob"), pull_body("s2")).status == 200);
}

TEST_CASE("a long poll waits for a change and wakes when one is committed with plain SQL", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const auto token = cli_token("alice");
    const auto cursor = pull_to_end(gw.port(), token, "poller").at("cursor").get<std::string>();

    SECTION("nothing changes: it answers empty once wait_ms has passed") {
        const auto start = Clock::now();
        auto a = post(gw.port(), "/v1/pull", token, pull_body("poller", cursor, 700));
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        REQUIRE(a.status == 200);
        REQUIRE(a.json_body().at("tables").empty());
        REQUIRE(waited >= 650);
    }
    SECTION("a change wakes it before wait_ms") {
        const int wait_ms = 20000;
        auto poll = std::async(std::launch::async, [&] {
            auto a = post(gw.port(), "/v1/pull", token, pull_body("poller", cursor, wait_ms));
            return std::make_pair(a, Clock::now());
        });
        // The poll is given time to start waiting (if it has not, it finds the change at once: the
        // test still holds).
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-live', 'alice', 'live', now())");
        const auto committed = Clock::now();
        REQUIRE(poll.wait_for(std::chrono::milliseconds(wait_ms + 5000)) == std::future_status::ready);
        auto [answer, at] = poll.get();
        REQUIRE(answer.status == 200);
        REQUIRE(task_ids(answer.json_body()).count("t-live") == 1);
        const auto woke_after = std::chrono::duration_cast<std::chrono::milliseconds>(at - committed).count();
        INFO("woke " << woke_after << " ms after the commit");
        REQUIRE(woke_after < wait_ms / 2);
    }
}

TEST_CASE("the access log has one JSON line per request and never a token", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const auto good = cli_token("alice");
    const auto expired = minted("alice", unix_now() - 7200, 60);
    REQUIRE(post(gw.port(), "/v1/pull", good, pull_body("s1")).status == 200);
    REQUIRE(post(gw.port(), "/v1/pull", expired, pull_body("s1")).status == 401);
    REQUIRE(post(gw.port(), "/v1/push", good, push_body("s1", 1, "t-logged", "alice")).status == 200);
    REQUIRE(get(gw.port(), "/healthz").status == 200);
    REQUIRE(gw.terminate() == 0);  // SIGTERM: a clean stop

    const auto log = gw.log();
    REQUIRE(log.find(good) == std::string::npos);
    REQUIRE(log.find(expired) == std::string::npos);
    REQUIRE(log.find(good.substr(good.rfind('.') + 1)) == std::string::npos);  // not even the signature
    REQUIRE(log.find("pushed through the gateway") == std::string::npos);      // no row values
    std::vector<json> requests;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] != '{') continue;
        auto j = json::parse(line);
        if (j.contains("status")) requests.push_back(j);
    }
    REQUIRE(requests.size() == 4);
    for (const auto& r : requests)
        for (const char* field : {"time", "request_id", "method", "path", "status", "user", "bytes_in", "bytes_out",
                                  "duration_ms"})
            REQUIRE(r.contains(field));
    REQUIRE(requests[0]["user"] == "alice");
    REQUIRE(requests[0]["path"] == "/v1/pull");
    REQUIRE(requests[1]["status"] == 401);
    REQUIRE(requests[1]["user"].is_null());
    REQUIRE(requests[1]["code"] == "unauthenticated");
    REQUIRE(requests[2]["bytes_in"].get<int>() > 0);
    REQUIRE(requests[3]["path"] == "/healthz");
    REQUIRE(gw.out().find("listening on") != std::string::npos);
}

TEST_CASE("ferry gateway refuses to start without a key, and ferry token needs the secret", "[gateway]") {
    PgDatabase db;
    seed(db);
    Process p({cli_path(), "gateway", "--listen", "127.0.0.1:0"}, {{"DATABASE_URL", db.conninfo()}});
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (p.running() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(!p.running());
    REQUIRE(p.terminate() != 0);
    REQUIRE(p.err().find("FERRY_JWT_SECRET") != std::string::npos);
    REQUIRE(p.out().find("listening") == std::string::npos);

    Process weak({cli_path(), "gateway", "--listen", "127.0.0.1:0"},
                 {{"DATABASE_URL", db.conninfo()}, {"FERRY_JWT_SECRET", "short"}});
    while (weak.running() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(weak.err().find("at least 32") != std::string::npos);
}

TEST_CASE("two gateways on one database, one through pgbouncer in transaction mode, serve pulls and pushes", "[gateway][pgbouncer]") {
    PgDatabase db;
    seed(db);
    Pgbouncer bouncer(6472);
    auto direct = start_gateway(db, R"({"pool_size": 2})");
    // Through pgbouncer for the pool; LISTEN needs a direct session, so it gets its own URL.
    auto pooled = start_gateway(db, R"({"pool_size": 3})",
                                {{"DATABASE_URL", bouncer.conninfo(db.name())}, {"FERRY_LISTEN_DATABASE_URL", db.conninfo()}});
    REQUIRE(get(pooled.port(), "/readyz").status == 200);
    const auto alice = cli_token("alice");

    std::string last_bouncer_batch;
    for (int seq = 1; seq <= 5; ++seq) {
        last_bouncer_batch = push_body("via-bouncer", seq, "tb-" + std::to_string(seq), "alice");
        auto via_bouncer = post(pooled.port(), "/v1/push", alice, last_bouncer_batch);
        INFO(via_bouncer.body);
        REQUIRE(via_bouncer.status == 200);
        REQUIRE(via_bouncer.json_body().at("results")[0].at("status") == "applied");
        auto via_direct = post(direct.port(), "/v1/push", alice, push_body("via-direct", seq, "td-" + std::to_string(seq), "alice"));
        REQUIRE(via_direct.status == 200);
        REQUIRE(via_direct.json_body().at("results")[0].at("status") == "applied");
    }
    // A replayed batch through the other gateway is the same batch: the ledger is in the database.
    auto replay = post(direct.port(), "/v1/push", alice, last_bouncer_batch);
    REQUIRE(replay.status == 200);
    REQUIRE(replay.json_body().at("duplicate") == true);

    std::set<std::string> seen_direct, seen_pooled;
    pull_to_end(direct.port(), alice, "reader-1", &seen_direct);
    const auto end = pull_to_end(pooled.port(), alice, "reader-2", &seen_pooled);
    for (int seq = 1; seq <= 5; ++seq)
        for (const auto& id : {"tb-" + std::to_string(seq), "td-" + std::to_string(seq)}) {
            INFO(id);
            REQUIRE(seen_direct.count(id) == 1);
            REQUIRE(seen_pooled.count(id) == 1);
        }
    REQUIRE(db.scalar("SELECT count(*) FROM \"Task\" WHERE id LIKE 'tb-%' OR id LIKE 'td-%'") == "10");

    // A long poll on the pgbouncer gateway wakes for a push through the other gateway.
    auto poll = std::async(std::launch::async, [&] {
        return post(pooled.port(), "/v1/pull", alice, pull_body("reader-2", end.at("cursor").get<std::string>(), 20000));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    REQUIRE(post(direct.port(), "/v1/push", alice, push_body("via-direct", 6, "td-live", "alice")).status == 200);
    REQUIRE(poll.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto woken = poll.get();
    REQUIRE(woken.status == 200);
    REQUIRE(task_ids(woken.json_body()).count("td-live") == 1);
}

TEST_CASE("pooled and LISTEN connections killed by the server are replaced without failing a request", "[gateway]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db, R"({"pool_size": 2})", {{"PGAPPNAME", "ferry-gw-kill-test"}});
    const auto alice = cli_token("alice");
    const auto cursor = pull_to_end(gw.port(), alice, "survivor").at("cursor").get<std::string>();
    REQUIRE(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ferry-gw-kill-test'") != "0");
    db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ferry-gw-kill-test'");

    auto after = post(gw.port(), "/v1/pull", alice, pull_body("survivor", cursor));
    INFO(after.body);
    REQUIRE(after.status == 200);
    // The LISTEN connection comes back too: a long poll still wakes for a change.
    auto poll = std::async(std::launch::async,
                           [&] { return post(gw.port(), "/v1/pull", alice, pull_body("survivor", cursor, 20000)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-after-kill', 'alice', 'x', now())");
    REQUIRE(poll.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto woken = poll.get();
    REQUIRE(woken.status == 200);
    REQUIRE(task_ids(woken.json_body()).count("t-after-kill") == 1);
    REQUIRE(gw.log().find("unavailable, retrying") != std::string::npos);  // it noticed, and said so
}

TEST_CASE("SIGTERM answers the waiting long polls at once and exits 0, too many waiting polls are 503", "[gateway]") {
    PgDatabase db;
    seed(db);
    // 4 threads: at most 2 polls wait at once.
    auto gw = start_gateway(db, R"({"threads": 4})");
    const auto alice = cli_token("alice");
    const auto bob = cli_token("bob");
    const auto cursor = pull_to_end(gw.port(), alice, "waiter").at("cursor").get<std::string>();
    const auto bob_cursor = pull_to_end(gw.port(), bob, "waiter-b").at("cursor").get<std::string>();
    std::vector<std::future<Answer>> polls;
    for (int i = 0; i < 2; ++i)
        polls.push_back(std::async(std::launch::async, [&] {
            return post(gw.port(), "/v1/pull", alice, pull_body("waiter", cursor, 30000));
        }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    // A third poll that would wait finds no place: it is told to come back.
    auto refused = post(gw.port(), "/v1/pull", bob, pull_body("waiter-b", bob_cursor, 30000));
    require_error(refused, 503, "busy", "long polls");
    REQUIRE(refused.header("Retry-After") == "1");
    // A pull without wait_ms is still served.
    REQUIRE(post(gw.port(), "/v1/pull", bob, pull_body("waiter-b", bob_cursor)).status == 200);

    const auto stop_at = Clock::now();
    REQUIRE(gw.terminate() == 0);
    const auto stopped_in = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stop_at).count();
    REQUIRE(stopped_in < 10000);
    for (auto& p : polls) {
        REQUIRE(p.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
        auto a = p.get();
        REQUIRE(a.status == 200);
        REQUIRE(a.json_body().at("tables").empty());
    }
    REQUIRE(gw.log().find("ferry gateway: stopped") != std::string::npos);
}
