// tests/integration/outcomes_test.cpp: the write-outcome ledger (docs/outcomes.md) against a real
// PostgreSQL: what a device records of each pushed write (applied, superseded with the winner,
// rejected with the reason), the watch rules and pruning, the notifications naming lost writes,
// and the app's actions (restore a losing value, retry a refused write, discard), each of which
// must reach the server.
#include <catch2/catch.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "ferry/error.hpp"
#include "ferry/outcomes.hpp"
#include "lib/core/ids.hpp"
#include "tests/support/device.hpp"
#include "tests/support/losing_transport.hpp"
#include "tests/support/store_checks.hpp"

using ferry::FakeClock;
using ferry::Store;
using ferry::test::Device;
using ferry::test::LosingTransport;
using ferry::test::PgDatabase;
using ferry::test::text;
using nlohmann::json;

namespace {
const char* k_user = "11111111-1111-4111-8111-111111111111";
const char* k_container = "22222222-2222-4222-8222-222222222222";
const char* k_other_user = "33333333-3333-4333-8333-333333333333";

void seed(Store& s) {
    s.execute("INSERT INTO users(id, email, name) VALUES (?, 'ann@example.com', 'Ann')", {k_user});
    s.execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, 'docker-1', 'web', ?)",
              {k_container, k_user});
}

std::string key(const char* id) { return json::array({id}).dump(); }

void watch_all(Store& s) {
    ferry::OutcomePolicy p;
    p.watch = {"*"};
    ferry::set_outcome_policy(s, p);
}

/// The same seeded rows on `a` and every device of `others`, synced; `a` watches every table.
template <class... Devices>
void seed_and_share(Device& a, Devices&... others) {
    seed(a.store());
    a.sync();
    (others.sync(), ...);
    watch_all(a.store());
}

ferry::WriteOutcome only(Store& s, const std::string& outcome) {
    ferry::OutcomeFilter f;
    f.outcome = outcome;
    auto all = ferry::write_outcomes(s, f);
    REQUIRE(all.size() == 1);
    return all[0];
}
}  // namespace

TEST_CASE("a write that lost last-writer-wins is recorded with the value that won, who wrote it and when, "
          "and restoring it makes it win everywhere",
          "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    FakeClock ca(1700000000000), cb(1700000000000);
    Device a(db, "december", &ca), b(db, "december", &cb);
    seed_and_share(a, b);

    ca.advance(1000);
    cb.advance(2000);  // b writes later: b wins
    a.store().execute("UPDATE containers SET name = 'from-a', status = 'running' WHERE id = ?", {k_container});
    b.store().execute("UPDATE containers SET name = 'from-b' WHERE id = ?", {k_container});
    const std::int64_t b_clock = b.store().query_value("SELECT max(hlc) FROM ferry_changes")->as_int();
    b.sync();
    REQUIRE(ferry::write_status(a.store(), "containers", key(k_container)) == "pending");

    std::vector<ferry::RemoteChange> seen;
    ferry::SyncOptions o;
    o.on_remote_changes = [&](const std::vector<ferry::RemoteChange>& v) { seen.insert(seen.end(), v.begin(), v.end()); };
    a.sync(o);

    // The update's status column was taken, its name lost: one superseded outcome naming name.
    const auto lost = only(a.store(), "superseded");
    CHECK(lost.table == "containers");
    CHECK(lost.key_json == key(k_container));
    CHECK(lost.op == "update");
    // (updated_at too: the schema's triggers stamp it on both sides.)
    CHECK(lost.columns == std::vector<std::string>{"name", "updated_at"});
    CHECK(json::parse(lost.local_values_json)["name"] == "from-a");
    CHECK(json::parse(lost.winner_values_json)["name"] == "from-b");
    CHECK_FALSE(json::parse(lost.winner_values_json).contains("status"));
    CHECK(lost.winner_site == b.store().status().site_id);
    CHECK(lost.winner_at == ferry::detail::iso_timestamp(b_clock >> 16));  // when b wrote it
    CHECK(lost.resolution.empty());
    CHECK(ferry::write_status(a.store(), "containers", key(k_container)) == "superseded");
    CHECK(a.store().query_value("SELECT outcome FROM ferry_write_status WHERE tbl = 'containers' AND pk = json_array(?)",
                                {k_container})->as_text() == "superseded");
    CHECK(text(a.store(), "SELECT name || '/' || status FROM containers") == "from-b/running");

    // The notification of the push answer names the write that lost.
    bool told = false;
    for (const auto& c : seen)
        if (c.table == "containers" && c.lost == "superseded") {
            told = true;
            CHECK(c.lost_columns == lost.columns);
            CHECK(c.outcome_id == lost.id);
        }
    CHECK(told);

    // Restore: the losing value is written again with a new clock, and wins on every replica.
    ferry::restore_write(a.store(), lost.id);
    CHECK(text(a.store(), "SELECT name FROM containers") == "from-a");
    CHECK(ferry::write_status(a.store(), "containers", key(k_container)) == "pending");
    a.sync();
    b.sync();
    CHECK(db.scalar("SELECT name FROM containers") == "from-a");
    CHECK(text(b.store(), "SELECT name FROM containers") == "from-a");
    CHECK(ferry::write_status(a.store(), "containers", key(k_container)) == "applied");
    ferry::OutcomeFilter all;
    all.include_resolved = true;
    all.outcome = "superseded";
    REQUIRE(ferry::write_outcomes(a.store(), all).size() == 1);
    CHECK(ferry::write_outcomes(a.store(), all)[0].resolution == "restored");
    // A second restore of the same outcome is refused.
    CHECK_THROWS_AS(ferry::restore_write(a.store(), lost.id), ferry::Error);
}

TEST_CASE("a write beaten by a plain SQL writer in the cloud names the server as the winner", "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    FakeClock ca(1700000000000);  // far behind the server's real clock: the web write is newer
    Device a(db, "december", &ca);
    seed_and_share(a);
    a.store().execute("UPDATE users SET name = 'offline edit' WHERE id = ?", {k_user});
    db.exec(std::string("UPDATE users SET name = 'web edit' WHERE id = '") + k_user + "'");
    a.sync();
    const auto lost = only(a.store(), "superseded");
    CHECK(lost.winner_site == "server");
    CHECK(json::parse(lost.winner_values_json)["name"] == "web edit");
    CHECK(text(a.store(), "SELECT name FROM users") == "web edit");
}

TEST_CASE("an update of a row deleted elsewhere is superseded by the delete", "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    seed_and_share(a, b);
    a.store().execute("UPDATE containers SET name = 'renamed' WHERE id = ?", {k_container});
    b.store().execute("DELETE FROM containers WHERE id = ?", {k_container});
    b.sync();
    a.sync();
    const auto lost = only(a.store(), "superseded");
    CHECK(lost.op == "update");
    CHECK(lost.reason == "the row was deleted");
    CHECK(lost.winner_site == b.store().status().site_id);
    CHECK(lost.winner_values_json.empty());
    // The row is gone here: its update cannot be written again, and nothing changed.
    try {
        ferry::restore_write(a.store(), lost.id);
        FAIL("restoring an update of a row this device no longer has must fail");
    } catch (const ferry::Error& e) {
        CHECK(e.code() == ferry::ErrorCode::not_found);
    }
    CHECK(a.store().status().pending_changes == 0);
    CHECK(only(a.store(), "superseded").resolution.empty());
}

TEST_CASE("a rejected write is always kept, and can be retried with the data fixed or discarded", "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    seed(b.store());
    b.sync();
    // No watch: applied and superseded writes leave nothing, a rejection is recorded anyway.
    a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'ann@example.com', 'Other Ann')", {k_other_user});
    auto report = a.sync();
    REQUIRE(report.rejected == 1);
    const auto refused = only(a.store(), "rejected");
    CHECK(refused.code == "constraint");
    CHECK(refused.reason.find("unique") != std::string::npos);
    CHECK(json::parse(refused.local_values_json)["name"] == "Other Ann");
    CHECK(ferry::outcome_policy(a.store()).watch.empty());
    CHECK(ferry::write_outcomes(a.store()).size() == 1);  // the seed's applied rows left nothing
    CHECK(ferry::rejected_writes(a.store()).size() == 1);
    CHECK(ferry::write_status(a.store(), "users", key(k_other_user)) == "rejected");
    CHECK(a.store().query_value("SELECT count(*) FROM users WHERE id = ?", {k_other_user})->as_int() == 0);

    SECTION("retry with another email: the row reaches the server") {
        CHECK_THROWS_AS(ferry::retry_write(a.store(), refused.id, R"({"no_such_column": 1})"), ferry::Error);
        CHECK_THROWS_AS(ferry::retry_write(a.store(), refused.id, "not json"), ferry::Error);
        ferry::retry_write(a.store(), refused.id, R"({"email": "ann2@example.com"})");
        CHECK(ferry::rejected_writes(a.store()).empty());
        CHECK(ferry::write_status(a.store(), "users", key(k_other_user)) == "pending");
        report = a.sync();
        CHECK(report.rejected == 0);
        CHECK(db.scalar(std::string("SELECT email || '/' || name FROM users WHERE id = '") + k_other_user + "'") ==
              "ann2@example.com/Other Ann");
        CHECK(a.store().status().rejected_writes == 0);
    }
    SECTION("discard: the server's state stays, the rejection leaves the list") {
        CHECK(ferry::discard_write(a.store(), refused.id));
        CHECK_FALSE(ferry::discard_write(a.store(), refused.id));
        CHECK(ferry::rejected_writes(a.store()).empty());
        CHECK(a.store().status().rejected_writes == 0);
        ferry::OutcomeFilter f;
        f.include_resolved = true;
        CHECK(ferry::write_outcomes(a.store(), f).at(0).resolution == "discarded");
        CHECK_THROWS_AS(ferry::retry_write(a.store(), refused.id), ferry::Error);
        CHECK(db.scalar(std::string("SELECT count(*) FROM users WHERE id = '") + k_other_user + "'") == "0");
    }
}

TEST_CASE("watched tables record applied writes, and the ledger is pruned by count but keeps unresolved rejections",
          "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    seed(b.store());
    b.sync();
    ferry::OutcomePolicy p;
    p.watch = {"containers"};
    p.max_count = 3;
    ferry::set_outcome_policy(a.store(), p);
    CHECK(ferry::outcome_policy(a.store()).watch == std::vector<std::string>{"containers"});
    CHECK(ferry::outcome_policy(a.store()).max_count == 3);
    p.watch = {"no_such_table"};
    CHECK_THROWS_AS(ferry::set_outcome_policy(a.store(), p), ferry::Error);

    a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'ann@example.com', 'Clash')", {k_other_user});
    a.sync();  // the rejection, then applied containers below
    b.sync();
    a.sync();
    for (int i = 0; i < 5; ++i)
        a.store().execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, ?, 'c', ?)",
                          {Store::new_id(), "docker-x" + std::to_string(i), k_user});
    a.sync();
    ferry::OutcomeFilter applied;
    applied.outcome = "applied";
    const auto kept = ferry::write_outcomes(a.store(), applied);
    CHECK(kept.size() == 3);  // five applied inserts, pruned to the newest three
    for (const auto& o : kept) CHECK(o.table == "containers");
    CHECK(ferry::rejected_writes(a.store()).size() == 1);  // not pruned: the only copy of the write
}

TEST_CASE("a store's rejected writes of the version before the ledger move into it with their ids", "[integration][outcomes]") {
    ferry::test::TempDir dir;
    const std::string path = dir.file("old.db");
    {
        Store s = Store::open(path, "december");
        s.exec("DROP VIEW ferry_write_status; DROP VIEW ferry_rejected; DROP TABLE ferry_outcomes; DROP TABLE ferry_outcome_watch;"
               "CREATE TABLE ferry_rejected (id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, pk TEXT NOT NULL, op TEXT NOT NULL, "
               "code TEXT NOT NULL, reason TEXT NOT NULL, row_values TEXT, hlc INTEGER NOT NULL, rejected_at TEXT NOT NULL) STRICT;"
               "INSERT INTO ferry_rejected VALUES (7, 'users', '[\"u1\"]', 'insert', 'constraint', 'unique key already taken', "
               "'{\"name\":\"x\"}', 5, '2026-01-01T00:00:00.000Z');"
               "DELETE FROM ferry_migrations WHERE scope = 'ferry' AND version = 7");
    }
    Store s = Store::open(path, "december");
    const auto old = ferry::rejected_writes(s);
    REQUIRE(old.size() == 1);
    CHECK(old[0].id == 7);
    CHECK(old[0].values_json == R"({"name":"x"})");
    CHECK(old[0].rejected_at == "2026-01-01T00:00:00.000Z");
    CHECK(ferry::dismiss_rejected_write(s, 7));
    CHECK(ferry::rejected_writes(s).empty());
}

TEST_CASE("a batch whose answer was lost records each outcome once, with the winner, when it is sent again",
          "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    seed_and_share(a, b);
    a.store().execute("UPDATE containers SET name = 'from-a' WHERE id = ?", {k_container});
    a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'b@example.com', 'mine')", {k_other_user});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // b writes later: b wins
    b.store().execute("UPDATE containers SET name = 'from-b' WHERE id = ?", {k_container});
    b.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'b@example.com', 'theirs')", {Store::new_id()});
    b.sync();

    LosingTransport losing(a.transport());
    ferry::SyncClient client(a.store(), losing);
    CHECK_THROWS_AS(client.sync(), ferry::Error);
    CHECK(ferry::write_outcomes(a.store()).empty());  // the answer never arrived: nothing recorded
    CHECK(ferry::write_status(a.store(), "containers", key(k_container)) == "pending");
    const auto report = client.sync();  // the same batch again: the server answers with its record
    CHECK(report.superseded == 1);
    CHECK(report.rejected == 1);
    const auto lost = only(a.store(), "superseded");
    CHECK(lost.winner_site == b.store().status().site_id);
    CHECK(json::parse(lost.winner_values_json)["name"] == "from-b");
    CHECK(only(a.store(), "rejected").key_json == key(k_other_user));
    CHECK(ferry::write_outcomes(a.store()).size() == 2);
}

TEST_CASE("two syncs of one store at once record each pushed write's outcome exactly once", "[integration][outcomes]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device other(db, "december");
    for (int i = 0; i < 20; ++i)  // emails the first device will clash with
        other.store().execute("INSERT INTO users(id, email) VALUES (?, ?)",
                              {Store::new_id(), "taken" + std::to_string(i) + "@example.com"});
    other.sync();

    ferry::test::TempDir dir;
    const std::string path = dir.file("shared.db");
    {
        Store s = Store::open(path, "december");
        watch_all(s);
        s.transaction([&] {
            for (int i = 0; i < 300; ++i)
                s.execute("INSERT INTO users(id, email) VALUES (?, ?)",
                          {Store::new_id(), (i < 20 ? "taken" : "mine") + std::to_string(i) + "@example.com"});
        });
    }
    // Two handles of the file, two transports, two threads, small batches: the sync lock lets one
    // run at a time, and whichever pushes a batch records its outcomes once.
    auto run = [&] {
        Store s = Store::open_existing(path);
        auto t = ferry::connect_postgres(db.conninfo(), "december");
        ferry::SyncOptions o;
        o.push_batch = 25;
        ferry::SyncClient(s, *t, o).sync();
    };
    std::thread first(run), second(run);
    first.join();
    second.join();

    Store s = Store::open_existing(path);
    CHECK(s.status().pending_changes == 0);
    CHECK(s.query_value("SELECT count(*) FROM ferry_outcomes")->as_int() == 300);
    CHECK(s.query_value("SELECT count(DISTINCT pk) FROM ferry_outcomes")->as_int() == 300);
    CHECK(s.query_value("SELECT count(*) FROM ferry_outcomes WHERE outcome = 'rejected'")->as_int() == 20);
    CHECK(s.query_value("SELECT count(*) FROM ferry_outcomes WHERE outcome = 'applied'")->as_int() == 280);
    CHECK(db.scalar("SELECT count(*) FROM users WHERE email LIKE 'mine%'") == "280");
}
