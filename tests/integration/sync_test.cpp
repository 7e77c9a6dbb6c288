// tests/integration/sync_test.cpp: the sync engine against a real PostgreSQL server: devices
// converge, per-column LWW, deletes, plain SQL writers, commit order, exactly-once push,
// rejected writes, clock skew and offline integer keys.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "ferry/error.hpp"
#include "lib/store/store_impl.hpp"
#include "tests/support/device.hpp"
#include "tests/support/losing_transport.hpp"
#include "tests/support/store_checks.hpp"

using ferry::FakeClock;
using ferry::Store;
using ferry::test::Device;
using ferry::test::LosingTransport;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {
const char* k_user = "11111111-1111-4111-8111-111111111111";
const char* k_container = "22222222-2222-4222-8222-222222222222";

PgDatabase& install(PgDatabase& db, const std::string& app) {
    ferry::server::install_app_schema(db.conninfo(), app);
    return db;
}

void seed_container(Store& s) {
    s.execute("INSERT INTO users(id, email, name) VALUES (?, 'ann@example.com', 'Ann')", {k_user});
    s.execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, 'docker-1', 'web', ?)",
              {k_container, k_user});
}

}  // namespace

TEST_CASE("two devices and the server converge, different columns of one row both survive", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");

    seed_container(a.store());
    REQUIRE(a.store().status().pending_changes == 2);
    auto ra = a.sync();
    REQUIRE(ra.pushed == 2);
    REQUIRE(ra.applied == 2);
    REQUIRE(a.store().status().pending_changes == 0);
    REQUIRE(db.scalar("SELECT name FROM containers WHERE id = '" + std::string(k_container) + "'") == "web");

    b.sync();
    REQUIRE(text(b.store(), "SELECT name FROM containers WHERE id = ?", {k_container}) == "web");
    REQUIRE(text(b.store(), "SELECT email FROM users WHERE id = ?", {k_user}) == "ann@example.com");

    // Offline, each edits another column of the same row.
    a.store().execute("UPDATE containers SET status = 'running' WHERE id = ?", {k_container});
    b.store().execute("UPDATE containers SET image_name = 'node:20' WHERE id = ?", {k_container});
    a.sync();
    b.sync();
    a.sync();
    for (Device* d : {&a, &b}) {
        REQUIRE(text(d->store(), "SELECT status FROM containers WHERE id = ?", {k_container}) == "running");
        REQUIRE(text(d->store(), "SELECT image_name FROM containers WHERE id = ?", {k_container}) == "node:20");
    }
    REQUIRE(db.scalar("SELECT status || ' ' || image_name FROM containers") == "running node:20");
    // The server's timestamp trigger ran; every replica holds the server's value.
    REQUIRE(text(a.store(), "SELECT updated_at FROM containers") == text(b.store(), "SELECT updated_at FROM containers"));
}

TEST_CASE("the same column resolves by (hlc, site), exact ties included", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    FakeClock ca(1700000000000), cb(1700000000000);
    // The fake clocks run in the past relative to the server: well within the skew limit.
    Device a(db, "december", &ca), b(db, "december", &cb);
    seed_container(a.store());
    a.sync();
    b.sync();

    SECTION("the later write wins, whichever syncs first") {
        ca.advance(1000);
        cb.advance(2000);
        a.store().execute("UPDATE containers SET name = 'from-a' WHERE id = ?", {k_container});
        b.store().execute("UPDATE containers SET name = 'from-b' WHERE id = ?", {k_container});
        auto rb = b.sync();
        auto rа = a.sync();
        REQUIRE(rb.applied >= 1);
        REQUIRE(rа.superseded == 1);
        b.sync();
        REQUIRE(text(a.store(), "SELECT name FROM containers") == "from-b");
        REQUIRE(text(b.store(), "SELECT name FROM containers") == "from-b");
        REQUIRE(db.scalar("SELECT name FROM containers") == "from-b");
    }
    SECTION("an exact clock tie goes to the greater site id") {
        const auto before_a = ferry::detail::impl_of(a.store()).clock.last();
        const auto before_b = ferry::detail::impl_of(b.store()).clock.last();
        // Bring both logical clocks to the same value so the next tick is identical.
        const auto top = std::max(before_a, before_b);
        ferry::detail::impl_of(a.store()).clock.observe(top);
        ferry::detail::impl_of(b.store()).clock.observe(top);
        a.store().execute("UPDATE containers SET name = 'tie-a' WHERE id = ?", {k_container});
        b.store().execute("UPDATE containers SET name = 'tie-b' WHERE id = ?", {k_container});
        REQUIRE(a.store().query_value("SELECT max(hlc) FROM ferry_changes")->as_int() ==
                b.store().query_value("SELECT max(hlc) FROM ferry_changes")->as_int());
        a.sync();
        b.sync();
        a.sync();
        const std::string winner =
            a.store().status().site_id > b.store().status().site_id ? "tie-a" : "tie-b";
        REQUIRE(db.scalar("SELECT name FROM containers") == winner);
        REQUIRE(text(a.store(), "SELECT name FROM containers") == winner);
        REQUIRE(text(b.store(), "SELECT name FROM containers") == winner);
    }
}

TEST_CASE("a pushed insert records clocks only for columns written after it, and they still order writes",
          "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    // A minute ahead of the server (within the skew limit): the devices' own clocks order their
    // writes, not the server's clock they ratchet past.
    const std::int64_t ahead = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count() + 60000;
    FakeClock ca(ahead), cb(ahead);
    Device a(db, "december", &ca), b(db, "december", &cb);
    seed_container(a.store());
    ca.advance(10);
    a.store().execute("UPDATE users SET name = 'Ann B' WHERE id = ?", {k_user});
    a.sync();
    // The rows' creation holds the insert's clock; only a column written after it has its own.
    REQUIRE(db.scalar("SELECT count(*) FROM ferry.rows r, jsonb_object_keys(r.clocks) k WHERE r.tbl = 'containers'") == "0");
    REQUIRE(db.scalar("SELECT string_agg(k, ',') FROM ferry.rows r, jsonb_object_keys(r.clocks) k WHERE r.tbl = 'users'") ==
            "name");
    b.sync();
    // Concurrently: a sets the status later than b does; b renames the container after its insert.
    ca.advance(1000);
    a.store().execute("UPDATE containers SET status = 'running' WHERE id = ?", {k_container});
    cb.advance(500);
    b.store().execute("UPDATE containers SET status = 'stopped', name = 'from-b' WHERE id = ?", {k_container});
    a.sync();
    auto rb = b.sync();
    REQUIRE(rb.applied == 1);
    a.sync();
    for (Device* d : {&a, &b})
        REQUIRE(text(d->store(), "SELECT status || ' ' || name FROM containers") == "running from-b");
    REQUIRE(db.scalar("SELECT status || ' ' || name FROM containers") == "running from-b");
    REQUIRE(text(a.store(), "SELECT name FROM users") == "Ann B");
}

TEST_CASE("a delete wins over a concurrent update, and cascades reach every replica", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    seed_container(a.store());
    a.store().execute("INSERT INTO projects(id, container_id, name, user_id) VALUES (?, ?, 'site', ?)",
                      {Store::new_id(), k_container, k_user});
    a.sync();
    b.sync();
    REQUIRE(text(b.store(), "SELECT count(*) FROM projects") == "1");

    // b updates the container later than a deletes it; the delete still wins.
    a.store().execute("DELETE FROM containers WHERE id = ?", {k_container});
    REQUIRE(text(a.store(), "SELECT count(*) FROM projects") == "0");  // local cascade
    b.store().execute("UPDATE containers SET name = 'renamed' WHERE id = ?", {k_container});
    a.sync();
    auto rb = b.sync();
    REQUIRE(rb.superseded == 1);
    for (Device* d : {&a, &b}) {
        REQUIRE(text(d->store(), "SELECT count(*) FROM containers") == "0");
        REQUIRE(text(d->store(), "SELECT count(*) FROM projects") == "0");
    }
    REQUIRE(db.scalar("SELECT count(*) FROM containers") == "0");
    REQUIRE(db.scalar("SELECT count(*) FROM projects") == "0");
}

TEST_CASE("plain SQL writers in the cloud and devices see each other's rows", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december");
    db.exec("INSERT INTO users(id, email, name) VALUES ('" + std::string(k_user) + "', 'web@example.com', 'Web')");
    db.exec("INSERT INTO containers(container_id, name, user_id, labels) VALUES ('c-web', 'from-web', '" +
            std::string(k_user) + "', '{\"tier\": \"gold\"}')");
    a.sync();
    REQUIRE(text(a.store(), "SELECT name FROM containers") == "from-web");
    REQUIRE(text(a.store(), "SELECT json_extract(labels, '$.tier') FROM containers") == "gold");

    a.store().execute("UPDATE containers SET name = 'from-device' WHERE container_id = 'c-web'");
    a.sync();
    REQUIRE(db.scalar("SELECT name FROM containers WHERE container_id = 'c-web'") == "from-device");

    db.exec("UPDATE containers SET name = 'web-again' WHERE container_id = 'c-web'");
    db.exec("DELETE FROM users WHERE email = 'web@example.com'");  // cascades to containers
    a.sync();
    REQUIRE(text(a.store(), "SELECT count(*) FROM users") == "0");
    REQUIRE(text(a.store(), "SELECT count(*) FROM containers") == "0");
}

TEST_CASE("transactions committing out of start order are never skipped by the pull cursor", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december");
    a.sync();  // past the first snapshot: from here on the device pulls from the change log
    auto early = db.connect();
    auto late = db.connect();
    pqxx::work t1(early);
    t1.exec("INSERT INTO users(email) VALUES ('first-started@example.com')");  // t1 takes the older xid
    {
        pqxx::work t2(late);
        t2.exec("INSERT INTO users(email) VALUES ('second-started@example.com')");
        t2.commit();  // commits first
    }
    a.sync();  // t1 is still running: nothing past it may be handed out yet
    REQUIRE(text(a.store(), "SELECT count(*) FROM users WHERE email = 'second-started@example.com'") == "0");
    t1.commit();
    a.sync();
    REQUIRE(text(a.store(), "SELECT count(*) FROM users") == "2");
}

TEST_CASE("a pull held back by a long transaction in the cloud says who holds it", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    ferry::ServerOptions quick;
    quick.held_back_notice_ms = 0;  // report at once instead of after 10 s
    Device a(db, "december", nullptr, quick);
    a.sync();
    REQUIRE(a.sync().warnings.empty());  // nothing running: nothing to say
    auto idle = db.connect();
    pqxx::work open_tx(idle);
    open_tx.exec("SELECT pg_current_xact_id()");  // takes an xid, then sits idle in transaction
    const auto pid = open_tx.exec("SELECT pg_backend_pid()")[0][0].as<std::string>();
    db.exec("INSERT INTO users(email) VALUES ('behind@example.com')");  // commits after it began
    auto held = a.sync();
    REQUIRE(held.pulled == 0);
    REQUIRE(held.warnings.size() == 1);
    INFO(held.warnings[0]);
    REQUIRE(held.warnings[0].find("pid " + pid) != std::string::npos);
    REQUIRE(held.warnings[0].find("held back") != std::string::npos);
    open_tx.commit();
    auto after = a.sync();
    REQUIRE(after.pulled == 1);
    REQUIRE(after.warnings.empty());
}

TEST_CASE("a push whose response is lost is retried and applied once", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december");
    seed_container(a.store());
    a.store().execute("INSERT INTO chat_messages(container_id, session_id, role, content) VALUES (?, 's1', 'user', 'hi')",
                      {k_container});
    LosingTransport losing(a.transport());
    ferry::SyncClient client(a.store(), losing);
    REQUIRE_THROWS_AS(client.push(), ferry::Error);
    REQUIRE(db.scalar("SELECT count(*) FROM chat_messages") == "1");  // the server committed
    REQUIRE(a.store().status().pending_changes == 3);                 // the device does not know yet

    // The app restarts (the batch in flight is remembered in the store) and syncs again.
    a.reopen();
    a.store().execute("UPDATE chat_messages SET content = 'hi there'");
    auto r = a.sync();
    REQUIRE(a.store().status().pending_changes == 0);
    REQUIRE(db.scalar("SELECT count(*) FROM chat_messages") == "1");
    REQUIRE(db.scalar("SELECT content FROM chat_messages") == "hi there");
    REQUIRE(db.scalar("SELECT last_seq FROM ferry.sites WHERE site = '" + a.store().status().site_id + "'") == "2");
    REQUIRE(r.rejected == 0);
}

TEST_CASE("a unique key taken offline by two devices: one applied, one rejected and listed, the queue moves on",
          "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    const auto ua = Store::new_id(), ub = Store::new_id();
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {ua});
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {ub});
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'other@example.com')", {Store::new_id()});
    a.sync();
    auto r = b.sync();
    REQUIRE(r.rejected == 1);
    REQUIRE(r.applied == 1);
    auto rejected = ferry::rejected_writes(b.store());
    REQUIRE(rejected.size() == 1);
    REQUIRE(rejected[0].table == "users");
    REQUIRE(rejected[0].code == "constraint");
    REQUIRE(rejected[0].reason.find("unique") != std::string::npos);
    REQUIRE(rejected[0].values_json.find("same@example.com") != std::string::npos);
    // b's row was brought back to the server's state: it has a's user, not its own.
    REQUIRE(text(b.store(), "SELECT id FROM users WHERE email = 'same@example.com'") == ua);
    REQUIRE(db.scalar("SELECT count(*) FROM users") == "2");
    REQUIRE(b.store().status().rejected_writes == 1);
    REQUIRE(ferry::dismiss_rejected_write(b.store(), rejected[0].id));
    REQUIRE(b.store().status().rejected_writes == 0);
}

TEST_CASE("a child created offline under a parent deleted elsewhere is rejected and removed", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    seed_container(a.store());
    a.sync();
    b.sync();
    a.store().execute("DELETE FROM containers WHERE id = ?", {k_container});
    b.store().execute("INSERT INTO file_storage(container_id, file_path, file_name) VALUES (?, '/a', 'a')",
                      {k_container});
    a.sync();
    auto r = b.sync();
    REQUIRE(r.rejected == 1);
    REQUIRE(ferry::rejected_writes(b.store())[0].reason.find("referenced row") != std::string::npos);
    REQUIRE(text(b.store(), "SELECT count(*) FROM file_storage") == "0");
    REQUIRE(text(b.store(), "SELECT count(*) FROM containers") == "0");
}

TEST_CASE("a device clock an hour ahead has its changes refused with a clear reason", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    FakeClock ahead(ferry::SystemClock::instance().now_ms() + 3600 * 1000);
    Device a(db, "december", &ahead), b(db, "december");
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'b@example.com')", {Store::new_id()});
    b.sync();
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'ahead@example.com')", {Store::new_id()});
    auto r = a.sync();
    REQUIRE(r.rejected == 1);
    auto rejected = ferry::rejected_writes(a.store());
    REQUIRE(rejected[0].code == "clock_skew");
    REQUIRE(rejected[0].reason.find("ahead") != std::string::npos);
    REQUIRE(db.scalar("SELECT count(*) FROM users") == "1");
    // Nothing else was lost: a still received b's row.
    REQUIRE(text(a.store(), "SELECT email FROM users") == "b@example.com");
}

TEST_CASE("malformed requests get protocol errors naming the problem", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    auto t = ferry::connect_postgres(db.conninfo(), "december");
    auto message = [&](const std::string& endpoint, const std::string& body) {
        try {
            t->call(endpoint, body);
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ferry::ErrorCode::protocol);
            return std::string(e.what());
        }
        FAIL("accepted: " << body);
        return std::string();
    };
    REQUIRE(message("push", "{not json").find("malformed JSON") != std::string::npos);
    REQUIRE(message("push", R"({"v":2,"site":"abc","tables":[]})").find("'seq'") != std::string::npos);
    REQUIRE(message("pull", R"({"v":2,"site":"abc","limit":10,"cursor":"x"})").find("cursor") != std::string::npos);
    REQUIRE(message("push", R"({"v":2,"site":"abc","seq":1,"tables":[{"t":"users","changes":[{"pk":["x"],"op":7,"hlc":1}]}]})")
                .find("'tables[0].changes[0].op'") != std::string::npos);
    REQUIRE(message("nope", R"({"v":2,"site":"abc"})").find("unknown endpoint") != std::string::npos);
    // A device or server of another protocol version is told to upgrade, before anything else.
    REQUIRE(message("push", R"({"site":"abc","seq":1,"changes":[]})").find("version 1: upgrade the older side") !=
            std::string::npos);
    REQUIRE(message("pull", R"({"v":3,"site":"abc","limit":10})").find("version 3") != std::string::npos);
    // Per-change problems are results, not errors: the rest of the batch applies.
    auto response = t->call("push", R"({"v":2,"site":"abc","seq":1,"tables":[
        {"t":"nosuch","changes":[{"pk":["x"],"op":1,"hlc":1,"vals":{}}]},
        {"t":"users","changes":[
          {"pk":["33333333-3333-4333-8333-333333333333"],"op":1,"hlc":1,"vals":{"email":"ok@example.com","bogus":1}},
          {"pk":["44444444-4444-4444-8444-444444444444"],"op":1,"hlc":1,"vals":{"email":"ok@example.com","created_at":"not-a-date"}},
          {"pk":["55555555-5555-4555-8555-555555555555"],"op":1,"hlc":1,"vals":{"email":"fine@example.com"}}]}]})");
    REQUIRE(response.find("unknown table nosuch") != std::string::npos);
    REQUIRE(response.find("unknown column users.bogus") != std::string::npos);
    REQUIRE(response.find("bad value") != std::string::npos);
    REQUIRE(db.scalar("SELECT email FROM users") == "fine@example.com");
}

TEST_CASE("counter columns merge by adding deltas", "[integration][sync]") {
    PgDatabase db;
    install(db, "aiflowo");
    Device a(db, "aiflowo"), b(db, "aiflowo");
    a.sync();
    b.sync();
    const std::string tool = "tool_search_google";
    const auto start = std::stoll(db.scalar("SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'"));
    a.store().execute("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 2 WHERE id = ?", {tool});
    b.store().execute("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 3 WHERE id = ?", {tool});
    db.exec("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 10 WHERE id = '" + tool + "'");  // the web app
    a.sync();
    b.store().execute("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 1 WHERE id = ?", {tool});
    b.sync();
    a.sync();
    const auto expected = std::to_string(start + 16);
    REQUIRE(db.scalar("SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'") == expected);
    REQUIRE(text(a.store(), "SELECT \"usageCount\" FROM \"Tool\" WHERE id = ?", {tool}) == expected);
    REQUIRE(text(b.store(), "SELECT \"usageCount\" FROM \"Tool\" WHERE id = ?", {tool}) == expected);
}

TEST_CASE("a web app's RLS-limited role writes synced tables and its changes reach devices", "[integration][sync]") {
    PgDatabase db;
    install(db, "agentchat");
    const std::string user = "66666666-6666-4666-8666-666666666666";
    db.exec("INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ('" + user + "', 'u@example.com', '{}')");
    {
        auto c = db.connect();
        pqxx::work tx(c);
        tx.exec("SET LOCAL ROLE authenticated");
        tx.exec("SELECT set_config('request.jwt.claims', '{\"sub\":\"" + user + "\",\"role\":\"authenticated\"}', true)");
        tx.exec("INSERT INTO \"Chat\"(title, user_id) VALUES ('from the web', '" + user + "')");
        tx.commit();
    }
    REQUIRE(db.scalar("SELECT count(*) FROM ferry.changes WHERE tbl = 'Chat'") == "1");
    Device a(db, "agentchat");
    a.sync();
    REQUIRE(text(a.store(), "SELECT title FROM \"Chat\"") == "from the web");
}

TEST_CASE("an existing database is adopted: its rows reach a device's first pull", "[integration][sync]") {
    PgDatabase db;
    // The app created its tables and rows itself, before Ferry was installed.
    for (const auto& m : {"CREATE EXTENSION IF NOT EXISTS pgcrypto",
                          "CREATE TABLE users (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), email VARCHAR(255) UNIQUE "
                          "NOT NULL, name VARCHAR(255), avatar_url TEXT, created_at TIMESTAMP WITH TIME ZONE DEFAULT "
                          "NOW(), updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), last_login TIMESTAMP WITH TIME "
                          "ZONE, is_active BOOLEAN DEFAULT true)",
                          "INSERT INTO users(email, name) VALUES ('old@example.com', 'Old'), ('older@example.com', NULL)"})
        db.exec(m);
    install(db, "december");
    install(db, "december");  // again: nothing is logged twice
    REQUIRE(db.scalar("SELECT count(*) FROM ferry.changes WHERE tbl = 'users'") == "2");
    Device a(db, "december");
    a.sync();
    REQUIRE(text(a.store(), "SELECT group_concat(email, ',') FROM (SELECT email FROM users ORDER BY email)") ==
            "old@example.com,older@example.com");
}

TEST_CASE("a long offline device pushes and catches up in batches, reporting progress", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    b.sync();  // b has synced before: what follows is an incremental catch-up, not a snapshot
    seed_container(a.store());
    a.store().transaction([&] {
        for (int i = 0; i < 250; ++i)
            a.store().execute("INSERT INTO chat_messages(container_id, session_id, role, content) VALUES (?, 's', 'user', ?)",
                              {k_container, "message " + std::to_string(i)});
    });
    ferry::SyncOptions small;
    small.push_batch = 100;
    small.pull_page = 40;
    std::vector<ferry::SyncProgress> seen;
    small.on_progress = [&](const ferry::SyncProgress& p) { seen.push_back(p); };
    auto ra = a.sync(small);
    REQUIRE(ra.pushed == 252);
    auto pushes = std::count_if(seen.begin(), seen.end(), [](auto& p) { return p.phase == "push"; });
    REQUIRE(pushes == 3);
    REQUIRE(seen[pushes - 1].pending == 0);
    seen.clear();
    auto rb = b.sync(small);
    REQUIRE(rb.pulled == 252);
    auto pages = std::count_if(seen.begin(), seen.end(), [](auto& p) { return p.phase == "pull"; });
    REQUIRE(pages == 7);  // 252 changes in pages of 40
    REQUIRE(text(b.store(), "SELECT count(*) FROM chat_messages") == "250");
    REQUIRE(db.scalar("SELECT count(*) FROM chat_messages") == "250");
}

TEST_CASE("a fresh device's snapshot fills each page across tables", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december");
    seed_container(a.store());  // a user and a container: two tables
    for (int i = 0; i < 3; ++i)
        a.store().execute("INSERT INTO projects(id, container_id, name, user_id) VALUES (?, ?, ?, ?)",
                          {Store::new_id(), k_container, "p" + std::to_string(i), k_user});
    a.sync();
    auto pull_pages = [&](int page) {
        Device fresh(db, "december");
        ferry::SyncOptions options;
        options.pull_page = page;
        int pages = 0;
        options.on_progress = [&](const ferry::SyncProgress& p) { pages += p.phase == "pull"; };
        REQUIRE(fresh.sync(options).pulled == 5);
        REQUIRE(text(fresh.store(), "SELECT count(*) FROM projects") == "3");
        return pages;
    };
    REQUIRE(pull_pages(100) == 1);  // five rows of three tables in one page
    REQUIRE(pull_pages(2) == 3);    // 2 + 2 + 1, each page crossing a table boundary where it must
}

TEST_CASE("rows written while a batch is in flight are pushed even after the log was emptied", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    seed_container(a.store());
    a.sync();
    b.sync();
    a.store().execute("UPDATE containers SET name = 'lost answer' WHERE id = ?", {k_container});
    LosingTransport losing(a.transport());
    REQUIRE_THROWS(ferry::SyncClient(a.store(), losing).push());  // batch 2 in flight
    b.store().execute("DELETE FROM containers WHERE id = ?", {k_container});
    b.sync();
    ferry::SyncClient(a.store(), a.transport()).pull();  // the tombstone clears a's log entirely
    const auto fresh = Store::new_id();
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'late@example.com')", {fresh});
    a.sync();  // batch 2 again (superseded: the row is gone), then the new user
    REQUIRE(db.scalar("SELECT count(*) FROM users WHERE email = 'late@example.com'") == "1");
    REQUIRE(a.store().status().pending_changes == 0);
}

TEST_CASE("trim forgets the tombstones of rows deleted long ago and keeps every other row's clocks",
          "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    seed_container(a.store());
    std::vector<std::string> projects;
    for (int i = 0; i < 3; ++i) {
        projects.push_back(Store::new_id());
        a.store().execute("INSERT INTO projects(id, container_id, name, user_id) VALUES (?, ?, ?, ?)",
                          {projects.back(), k_container, "p" + std::to_string(i), k_user});
    }
    a.sync();
    b.sync();
    a.store().execute("DELETE FROM projects WHERE id = ?", {projects[0]});  // deleted long ago (below)
    a.store().execute("DELETE FROM projects WHERE id = ?", {projects[1]});  // deleted just now
    a.sync();
    const std::string rows_of = "SELECT count(*) FROM ferry.rows WHERE tbl = 'projects' AND pk = '[\"";
    REQUIRE(db.scalar(rows_of + projects[0] + "\"]'") == "1");
    // Age the first row's history: created 41 days ago, deleted 40 days ago.
    auto days_ago = [](int d) {
        return "((floor(extract(epoch FROM now() - interval '" + std::to_string(d) + " days') * 1000)::bigint) << 16)";
    };
    db.exec("UPDATE ferry.rows SET created_hlc = " + days_ago(41) + ", deleted_hlc = " + days_ago(40) +
            " WHERE tbl = 'projects' AND pk = '[\"" + projects[0] + "\"]'");
    auto trimmed = ferry::server::trim_changes(db.conninfo(), 30);
    REQUIRE(trimmed.tombstones == 1);
    REQUIRE(db.scalar(rows_of + projects[0] + "\"]'") == "0");
    REQUIRE(db.scalar(rows_of + projects[1] + "\"]'") == "1");  // a recent delete keeps its tombstone
    REQUIRE(db.scalar(rows_of + projects[2] + "\"]'") == "1");  // a live row keeps its clocks
    REQUIRE(ferry::server::trim_changes(db.conninfo(), 30).tombstones == 0);
    // A device that still had the row queues an update: the row is gone, the update is superseded.
    b.store().execute("UPDATE projects SET name = 'late edit' WHERE id = ?", {projects[0]});
    auto r = b.sync();
    REQUIRE(r.superseded == 1);
    REQUIRE(db.scalar("SELECT count(*) FROM projects WHERE id = '" + projects[0] + "'") == "0");
    REQUIRE(text(b.store(), "SELECT count(*) FROM projects") == "1");
}

TEST_CASE("a device idle past the trimmed change log resyncs from a snapshot and misses no delete",
          "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), idle(db, "december");
    seed_container(a.store());
    a.store().execute("INSERT INTO projects(id, container_id, name, user_id) VALUES (?, ?, 'keep', ?)",
                      {Store::new_id(), k_container, k_user});
    a.sync();
    idle.sync();
    REQUIRE(text(idle.store(), "SELECT count(*) FROM containers") == "1");
    // The idle device goes quiet; meanwhile the container is deleted and a new user appears.
    idle.store().execute("INSERT INTO users(id, email) VALUES (?, 'offline@example.com')", {Store::new_id()});
    a.store().execute("DELETE FROM containers WHERE id = ?", {k_container});
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'new@example.com')", {Store::new_id()});
    a.sync();
    db.exec("UPDATE ferry.sites SET last_seen = now() - interval '40 days' WHERE site = '" +
            idle.store().status().site_id + "'");
    auto trimmed = ferry::server::trim_changes(db.conninfo(), 30);
    REQUIRE(trimmed.deleted > 0);
    REQUIRE_FALSE(trimmed.horizon.empty());
    // A raw pull from the old cursor is refused with a clear reason...
    const std::string old_cursor = idle.store().status().pull_cursor;
    try {
        idle.transport().call("pull", R"({"v":2,"site":"abc","limit":10,"cursor":")" + old_cursor + "\"}");
        FAIL("a cursor below the horizon was accepted");
    } catch (const ferry::Error& e) {
        REQUIRE(e.code() == ferry::ErrorCode::resync_required);
        REQUIRE(std::string(e.what()).find("snapshot") != std::string::npos);
    }
    // ...and the client resyncs by itself: the delete is not missed, local writes are kept.
    std::vector<std::string> phases;
    std::vector<ferry::RemoteChange> told;
    ferry::SyncOptions o;
    o.on_progress = [&](const ferry::SyncProgress& p) { phases.push_back(p.phase); };
    o.on_remote_changes = [&](const std::vector<ferry::RemoteChange>& c) { told.insert(told.end(), c.begin(), c.end()); };
    idle.sync(o);
    REQUIRE(std::find(phases.begin(), phases.end(), "resync") != phases.end());
    // The app is told about the container the snapshot found gone, so it can refresh its view.
    REQUIRE(std::any_of(told.begin(), told.end(), [](const ferry::RemoteChange& c) {
        return c.table == "containers" && c.deleted && c.key_json == std::string("[\"") + k_container + "\"]";
    }));
    REQUIRE(text(idle.store(), "SELECT count(*) FROM containers") == "0");
    REQUIRE(text(idle.store(), "SELECT count(*) FROM projects") == "0");
    REQUIRE(text(idle.store(), "SELECT count(*) FROM users WHERE email = 'new@example.com'") == "1");
    REQUIRE(db.scalar("SELECT count(*) FROM users WHERE email = 'offline@example.com'") == "1");
    REQUIRE(text(idle.store(), "SELECT count(*) FROM users") == db.scalar("SELECT count(*) FROM users"));
}

TEST_CASE("the app is told which rows a sync brought from the server", "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    b.sync();
    seed_container(a.store());
    const auto project = Store::new_id();
    a.store().execute("INSERT INTO projects(id, container_id, name, user_id) VALUES (?, ?, 'p', ?)",
                      {project, k_container, k_user});
    a.sync();
    std::vector<ferry::RemoteChange> told;
    ferry::SyncOptions o;
    o.on_remote_changes = [&](const std::vector<ferry::RemoteChange>& c) { told.insert(told.end(), c.begin(), c.end()); };
    b.sync(o);
    auto told_about = [&](const std::string& table, const std::string& id, bool deleted) {
        return std::count_if(told.begin(), told.end(), [&](const ferry::RemoteChange& c) {
            return c.table == table && c.key_json == "[\"" + id + "\"]" && c.deleted == deleted;
        });
    };
    REQUIRE(told.size() == 3);  // user, container, project
    REQUIRE(told_about("projects", project, false) == 1);
    REQUIRE(told_about("containers", k_container, false) == 1);
    told.clear();
    a.store().execute("DELETE FROM projects WHERE id = ?", {project});
    a.sync();
    b.sync(o);
    REQUIRE(told.size() == 1);
    REQUIRE(told_about("projects", project, true) == 1);
    told.clear();
    b.sync(o);  // nothing new: nothing to tell
    REQUIRE(told.empty());
}

TEST_CASE("a row that names a parent created after it travels with that parent, even in tiny batches",
          "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december");
    const auto project = Store::new_id();
    a.store().execute("INSERT INTO projects(id, name) VALUES (?, 'early')", {project});
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'later@example.com')", {k_user});
    a.store().execute("UPDATE projects SET user_id = ? WHERE id = ?", {k_user, project});
    ferry::SyncOptions tiny;
    tiny.push_batch = 1;
    auto r = a.sync(tiny);
    REQUIRE(r.rejected == 0);
    REQUIRE(db.scalar("SELECT user_id FROM projects") == k_user);
}

TEST_CASE("a device that swapped two unique values is refused but never stuck, and loses no row",
          "[integration][sync]") {
    PgDatabase db;
    install(db, "december");
    Device a(db, "december"), b(db, "december");
    const auto u1 = Store::new_id(), u2 = Store::new_id();
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'one@example.com')", {u1});
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'two@example.com')", {u2});
    a.sync();
    b.sync();
    b.store().transaction([&] {
        b.store().execute("UPDATE users SET email = 'tmp@example.com' WHERE id = ?", {u1});
        b.store().execute("UPDATE users SET email = 'one@example.com' WHERE id = ?", {u2});
        b.store().execute("UPDATE users SET email = 'two@example.com' WHERE id = ?", {u1});
    });
    ferry::SyncOptions tiny;
    tiny.push_batch = 1;
    REQUIRE_NOTHROW(b.sync(tiny));
    REQUIRE_NOTHROW(b.sync(tiny));
    REQUIRE(b.store().status().pending_changes == 0);
    REQUIRE(text(b.store(), "SELECT group_concat(email, ',') FROM (SELECT email FROM users ORDER BY id)") ==
            db.scalar("SELECT string_agg(email, ',' ORDER BY id) FROM users"));
    REQUIRE(text(b.store(), "SELECT count(*) FROM users") == "2");
}
