// tests/gateway/sync_over_gateway_test.cpp: the device side end to end: SyncClient over
// connect_gateway and `ferry sync --gateway`, against a real `ferry gateway` process on loopback
// and a real PostgreSQL, with tokens minted by `ferry token`.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <sys/wait.h>

#include "ferry/error.hpp"
#include "ferry/http_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/gateway/gateway_fixture.hpp"

using namespace ferry::test;

namespace {

const std::string k_app = "projectme";

/// A projectme database with users alice and bob and one task of each, written with plain SQL.
void seed(const PgDatabase& db) {
    install_app(db, k_app);
    db.exec("INSERT INTO \"User\"(id, email, \"updatedAt\") VALUES ('alice', 'alice@example.com', now()), "
            "('bob', 'bob@example.com', now())");
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES "
            "('t-cloud-a', 'alice', 'from the cloud', now()), ('t-cloud-b', 'bob', 'bob''s', now())");
}

std::string count_of(ferry::Store& store, const std::string& where) {
    return store.query("SELECT count(*) FROM \"Task\" WHERE " + where).rows.at(0).at(0).to_string();
}

ferry::HttpOptions options_for(const std::string& token) {
    ferry::HttpOptions o;
    o.bearer_token = token;
    o.backoff_initial_ms = 10;
    o.backoff_max_ms = 100;
    return o;
}

/// Runs the CLI with `env` prepended; returns its exit code and standard error.
std::pair<int, std::string> run_cli(const std::string& env, const std::string& args) {
    TempDir tmp;
    const std::string cmd = env + " " + cli_path() + " " + args + " 2>" + tmp.file("err") + " >/dev/null";
    const int status = std::system(cmd.c_str());
    std::string err;
    if (FILE* f = std::fopen(tmp.file("err").c_str(), "r")) {
        std::array<char, 4096> buf{};
        std::size_t n;
        while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) err.append(buf.data(), n);
        std::fclose(f);
    }
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

}  // namespace

TEST_CASE("SyncClient over connect_gateway pushes and pulls one user's rows through a real gateway",
          "[gateway][client]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
    TempDir dir;

    auto phone = ferry::Store::open(dir.file("phone.db"), k_app);
    auto transport = ferry::connect_gateway(url, options_for(cli_token("alice")));
    ferry::SyncClient client(phone, *transport);
    client.sync();  // the first pull: alice's rows only
    REQUIRE(count_of(phone, "id = 't-cloud-a'") == "1");
    REQUIRE(count_of(phone, "id = 't-cloud-b'") == "0");

    phone.exec("INSERT INTO \"Task\"(id, \"userId\", title) VALUES ('t-phone-1', 'alice', 'written offline'), "
               "('t-phone-2', 'alice', 'also offline')");
    phone.exec("UPDATE \"Task\" SET title = 'edited on the phone' WHERE id = 't-cloud-a'");
    const auto report = client.sync();
    CHECK(report.pushed == 3);
    CHECK(report.applied == 3);
    CHECK(report.rejected == 0);
    REQUIRE(db.scalar("SELECT count(*) FROM \"Task\" WHERE id LIKE 't-phone-%' AND \"userId\" = 'alice'") == "2");
    REQUIRE(db.scalar("SELECT title FROM \"Task\" WHERE id = 't-cloud-a'") == "edited on the phone");

    // A second device of alice's receives all of it; the cloud's later edit reaches the phone.
    auto laptop = ferry::Store::open(dir.file("laptop.db"), k_app);
    auto laptop_transport = ferry::connect_gateway(url, options_for(cli_token("alice")));
    ferry::SyncClient(laptop, *laptop_transport).sync();
    REQUIRE(count_of(laptop, "\"userId\" = 'alice'") == "3");
    REQUIRE(count_of(laptop, "\"userId\" = 'bob'") == "0");
    db.exec("UPDATE \"Task\" SET title = 'edited in the cloud' WHERE id = 't-phone-1'");
    client.sync();
    REQUIRE(count_of(phone, "id = 't-phone-1' AND title = 'edited in the cloud'") == "1");
}

TEST_CASE("a refused token is unauthenticated and keeps the device's queue", "[gateway][client]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
    TempDir dir;
    auto phone = ferry::Store::open(dir.file("phone.db"), k_app);
    {
        auto transport = ferry::connect_gateway(url, options_for(cli_token("alice")));
        ferry::SyncClient(phone, *transport).sync();
    }
    phone.exec("INSERT INTO \"Task\"(id, \"userId\", title) VALUES ('t-queued', 'alice', 'waits for a token')");

    const std::string wrong = cli_token("alice", 600, "some-other-app");  // refused: wrong audience
    auto refused = ferry::connect_gateway(url, options_for(wrong));
    try {
        ferry::SyncClient(phone, *refused).sync();
        FAIL("a token for another audience was accepted");
    } catch (const ferry::Error& e) {
        CHECK(e.code() == ferry::ErrorCode::unauthenticated);
        CHECK(e.native_code() == 401);
        CHECK(std::string(e.what()).find(wrong) == std::string::npos);
    }
    REQUIRE(phone.status().pending_changes == 1);
    REQUIRE(db.scalar("SELECT count(*) FROM \"Task\" WHERE id = 't-queued'") == "0");

    // With a fresh token the same queue goes through.
    auto fresh = ferry::connect_gateway(url, options_for(cli_token("alice")));
    REQUIRE(ferry::SyncClient(phone, *fresh).sync().applied == 1);
    REQUIRE(db.scalar("SELECT count(*) FROM \"Task\" WHERE id = 't-queued'") == "1");
}

TEST_CASE("ferry sync --gateway with FERRY_TOKEN or --token-file", "[gateway][client]") {
    PgDatabase db;
    seed(db);
    auto gw = start_gateway(db);
    const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
    TempDir dir;
    const auto path = dir.file("cli.db");
    {
        auto store = ferry::Store::open(path, k_app);
    }
    const std::string token = cli_token("bob");
    auto first = run_cli("FERRY_TOKEN=" + token, "sync --db " + path + " --gateway " + url);
    INFO(first.second);
    REQUIRE(first.first == 0);
    CHECK(first.second.find(token) == std::string::npos);
    {
        auto store = ferry::Store::open_existing(path);
        REQUIRE(count_of(store, "id = 't-cloud-b'") == "1");
        REQUIRE(count_of(store, "id = 't-cloud-a'") == "0");
        store.exec("INSERT INTO \"Task\"(id, \"userId\", title) VALUES ('t-cli', 'bob', 'from the command line')");
    }
    const auto token_file = dir.file("token");
    if (FILE* f = std::fopen(token_file.c_str(), "w")) {
        std::fputs((token + "\n").c_str(), f);
        std::fclose(f);
    }
    auto second = run_cli("env -u FERRY_TOKEN", "sync --db " + path + " --gateway " + url + " --token-file " + token_file);
    INFO(second.second);
    REQUIRE(second.first == 0);
    REQUIRE(db.scalar("SELECT \"userId\" FROM \"Task\" WHERE id = 't-cli'") == "bob");

    auto forged = run_cli("FERRY_TOKEN=" + token + "x", "sync --db " + path + " --gateway " + url);
    CHECK(forged.first == 1);
    CHECK(forged.second.find("[http/unauthenticated]") != std::string::npos);
}
