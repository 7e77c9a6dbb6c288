// tests/integration/partial_sync_test.cpp: per-user authorization and partial sync in the server
// (DESIGN.md decision 10), through SyncServer with a user principal, as the gateway calls it: each
// user's devices converge with exactly their scope, public and global rows reach everyone, a row
// that leaves a user's scope is removed from their devices, secrets never leave the server, and
// writes outside a user's rows are refused without losing anything else.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ferry/clock.hpp"
#include "ferry/error.hpp"
#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/server/pg_error.hpp"
#include "sync/server/sync_server.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::Store;
using ferry::test::PgDatabase;
using ferry::test::text;
using nlohmann::json;

namespace {
/// The server side as the gateway runs it: a request for a user (a verified token's sub).
class UserTransport : public ferry::Transport {
public:
    UserTransport(const PgDatabase& db, const std::string& app, const std::string& user)
        : m_connection(db.conninfo()), m_server(app, {}),
          m_who(ferry::detail::Principal::for_user(user, json{{"sub", user}, {"role", "authenticated"},
                                                               {"aud", "authenticated"}}.dump())) {}
    std::string call(const std::string& endpoint, const std::string& request) override {
        std::string out;
        ferry::detail::translate_pg("sync " + endpoint, [&] {
            out = m_server.handle(m_connection, m_who, endpoint, json::parse(request)).dump();
        });
        return out;
    }

    /// How many rows sequential scans of `table` have read so far (this connection's own
    /// statistics flushed first).
    std::int64_t scanned_rows(const std::string& schema, const std::string& table) {
        pqxx::nontransaction(m_connection).exec("SELECT pg_stat_force_next_flush()");
        pqxx::nontransaction tx(m_connection);
        return tx.exec_params("SELECT seq_tup_read FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2",
                              schema, table)
            .at(0)
            .at(0)
            .as<std::int64_t>();
    }

private:
    pqxx::connection m_connection;
    ferry::detail::SyncServer m_server;
    ferry::detail::Principal m_who;
};

/// One device of one user.
class UserDevice {
public:
    UserDevice(const PgDatabase& db, const std::string& app, const std::string& user)
        : m_store(Store::open(m_dir.file("device.db"), app)), m_transport(db, app, user) {}
    Store& store() { return m_store; }
    UserTransport& transport() { return m_transport; }
    ferry::SyncReport sync() { return ferry::SyncClient(m_store, m_transport).sync(); }
    std::int64_t count(const std::string& sql) { return std::stoll(text(m_store, sql)); }
    /// The store file's bytes (WAL checkpointed first), to assert a secret is nowhere in it.
    std::string file_bytes() {
        m_store.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        std::ifstream in(m_store.path(), std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    ferry::test::TempDir m_dir;
    Store m_store;
    UserTransport m_transport;
};

std::vector<ferry::RejectedWrite> rejections(Store& s) { return ferry::rejected_writes(s); }

void install(const PgDatabase& db, const std::string& app) { ferry::server::install_app_schema(db.conninfo(), app); }

const char* k_ann = "user_ann";
const char* k_bob = "user_bob";

void projectme_users(const PgDatabase& db) {
    db.exec("INSERT INTO \"User\"(id, email, username, name, \"updatedAt\") VALUES "
            "('user_ann', 'ann-secret@example.com', 'ann', 'Ann', now()), "
            "('user_bob', 'bob-secret@example.com', 'bob', 'Bob', now())");
    db.exec("UPDATE \"Settings\" SET \"runnerToken\" = 'runner-secret-token-42'");
}
}  // namespace

TEST_CASE("partial sync: each user's devices hold exactly their scope, public and global rows reach both",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserDevice ann1(db, "projectme", k_ann), ann2(db, "projectme", k_ann), bob1(db, "projectme", k_bob);
    ann1.sync();  // the User rows the tasks reference
    bob1.sync();

    ann1.store().execute("INSERT INTO \"Task\"(id, \"userId\", title, \"isPublic\", \"updatedAt\") VALUES "
                         "('t-private', 'user_ann', 'ann private plan', 0, '2026-01-01T00:00:00.000Z'), "
                         "('t-public', 'user_ann', 'ann public note', 1, '2026-01-01T00:00:00.000Z')");
    bob1.store().execute("INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES "
                         "('t-bob', 'bob private', '2026-01-01T00:00:00.000Z')");
    auto ra = ann1.sync();
    CHECK(ra.rejected == 0);
    auto rb = bob1.sync();
    CHECK(rb.rejected == 0);
    ann2.sync();
    ann1.sync();

    // Bob's insert named no owner: the server made it Bob's.
    CHECK(db.scalar("SELECT \"userId\" FROM \"Task\" WHERE id = 't-bob'") == k_bob);
    CHECK(ann2.count("SELECT count(*) FROM \"Task\" WHERE id IN ('t-private', 't-public')") == 2);
    CHECK(ann1.count("SELECT count(*) FROM \"Task\" WHERE id = 't-bob'") == 0);
    CHECK(bob1.count("SELECT count(*) FROM \"Task\" WHERE id = 't-public'") == 1);
    CHECK(bob1.count("SELECT count(*) FROM \"Task\" WHERE id = 't-private'") == 0);
    // Global rows (User, without the server-only email) reach everyone; secrets reach no one.
    CHECK(bob1.count("SELECT count(*) FROM \"User\"") == 2);
    for (auto* d : {&ann1, &ann2, &bob1}) {
        const auto bytes = d->file_bytes();
        CHECK(bytes.find("secret@example.com") == std::string::npos);
        CHECK(bytes.find("runner-secret-token-42") == std::string::npos);
    }
    CHECK(bob1.file_bytes().find("ann private plan") == std::string::npos);

    // Bob's cursor moves past Ann's private entries too: his next pull does not read them again.
    ann1.store().execute("UPDATE \"Task\" SET title = 'ann private plan v2' WHERE id = 't-private'");
    ann1.sync();
    bob1.sync();
    CHECK(db.scalar("SELECT pull_cursor FROM ferry.sites WHERE user_id = 'user_bob'") ==
          db.scalar("SELECT xid || ':' || id FROM ferry.changes ORDER BY xid DESC, id DESC LIMIT 1"));
}

TEST_CASE("partial sync: a row that leaves a user's scope is removed from their devices, and comes back",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserDevice ann(db, "projectme", k_ann), bob(db, "projectme", k_bob);
    ann.sync();
    ann.store().execute("INSERT INTO \"Task\"(id, title, \"isPublic\", \"updatedAt\") VALUES "
                        "('t1', 'shared for now', 1, '2026-01-01T00:00:00.000Z')");
    ann.sync();
    bob.sync();
    REQUIRE(bob.count("SELECT count(*) FROM \"Task\" WHERE id = 't1'") == 1);

    ann.store().execute("UPDATE \"Task\" SET \"isPublic\" = 0 WHERE id = 't1'");
    ann.sync();
    bob.sync();
    CHECK(bob.count("SELECT count(*) FROM \"Task\" WHERE id = 't1'") == 0);
    CHECK(ann.count("SELECT count(*) FROM \"Task\" WHERE id = 't1'") == 1);

    // Made public again in the cloud by plain SQL: it reaches Bob again; deleted: gone for both.
    db.exec("UPDATE \"Task\" SET \"isPublic\" = true WHERE id = 't1'");
    bob.sync();
    CHECK(bob.count("SELECT count(*) FROM \"Task\" WHERE id = 't1'") == 1);
    db.exec("DELETE FROM \"Task\" WHERE id = 't1'");
    bob.sync();
    ann.sync();
    CHECK(bob.count("SELECT count(*) FROM \"Task\" WHERE id = 't1'") == 0);
    CHECK(ann.count("SELECT count(*) FROM \"Task\" WHERE id = 't1'") == 0);
}

TEST_CASE("partial sync: a user cannot write another user's rows, name another owner, or write shared rows",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserDevice ann(db, "projectme", k_ann), bob(db, "projectme", k_bob);
    ann.sync();
    ann.store().execute("INSERT INTO \"Task\"(id, title, \"isPublic\", \"updatedAt\") VALUES "
                        "('t-pub', 'ann public', 1, '2026-01-01T00:00:00.000Z'), "
                        "('t-priv', 'ann private', 0, '2026-01-01T00:00:00.000Z')");
    ann.sync();
    bob.sync();

    // Bob edits Ann's public task, takes her private one over by its key, names Ann as the owner
    // of a new task, changes the owner of his own, and writes a shared User row; plus one good write.
    bob.store().execute("UPDATE \"Task\" SET title = 'bob was here' WHERE id = 't-pub'");
    bob.store().execute("INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES ('t-priv', 'mine now', "
                        "'2026-01-01T00:00:00.000Z')");
    bob.store().execute("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-forged', 'user_ann', "
                        "'forged', '2026-01-01T00:00:00.000Z')");
    bob.store().execute("INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES ('t-bob', 'bob ok', "
                        "'2026-01-01T00:00:00.000Z')");
    bob.store().execute("UPDATE \"User\" SET name = 'Mallory' WHERE id = 'user_ann'");
    auto r = bob.sync();
    CHECK(r.applied == 1);
    CHECK(r.rejected == 4);
    for (const auto& w : rejections(bob.store())) CHECK(w.code == "not_permitted");

    CHECK(db.scalar("SELECT title FROM \"Task\" WHERE id = 't-pub'") == "ann public");
    CHECK(db.scalar("SELECT title FROM \"Task\" WHERE id = 't-priv'") == "ann private");
    CHECK(db.scalar("SELECT count(*) FROM \"Task\" WHERE id = 't-forged'") == "0");
    CHECK(db.scalar("SELECT name FROM \"User\" WHERE id = 'user_ann'") == "Ann");
    CHECK(db.scalar("SELECT \"userId\" FROM \"Task\" WHERE id = 't-bob'") == k_bob);
    // Bob's device is back at what Bob may see: Ann's public task as it is, not her private one.
    CHECK(text(bob.store(), "SELECT title FROM \"Task\" WHERE id = 't-pub'") == "ann public");
    CHECK(bob.count("SELECT count(*) FROM \"Task\" WHERE id = 't-priv'") == 0);
    CHECK(bob.file_bytes().find("ann private") == std::string::npos);

    // The owner of a row cannot be changed by its owner either.
    bob.store().execute("UPDATE \"Task\" SET \"userId\" = 'user_ann' WHERE id = 't-bob'");
    auto r2 = bob.sync();
    CHECK(r2.rejected == 1);
    CHECK(db.scalar("SELECT \"userId\" FROM \"Task\" WHERE id = 't-bob'") == k_bob);
}

TEST_CASE("partial sync: a site id belongs to the user who first used it", "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserDevice ann(db, "projectme", k_ann);
    ann.sync();
    const std::string site = text(ann.store(), "SELECT value FROM ferry_meta WHERE key = 'site_id'");
    UserTransport as_bob(db, "projectme", k_bob);
    for (const std::string endpoint : {"pull", "push", "lease"}) {
        json request = {{"v", 2}, {"app", "projectme"}, {"site", site}, {"limit", 10}, {"seq", 1},
                        {"tables", json::array()}, {"requests", json::array()}};
        try {
            as_bob.call(endpoint, request.dump());
            FAIL("bob used ann's site for " << endpoint);
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ferry::ErrorCode::not_permitted);
            CHECK(std::string(e.what()).find("belongs to another user") != std::string::npos);
        }
    }
}

TEST_CASE("partial sync: a pull cannot ask for another user's rows by key, and a snapshot holds the user's scope",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserDevice ann(db, "projectme", k_ann);
    ann.sync();
    ann.store().execute("INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES ('t-secret', 'ann only', "
                        "'2026-01-01T00:00:00.000Z')");
    ann.sync();
    UserTransport as_bob(db, "projectme", k_bob);
    json fetch = {{"v", 2}, {"app", "projectme"}, {"site", "bob-site-1"}, {"limit", 100}, {"cursor", ""},
                  {"fetch", json::array({{{"t", "Task"}, {"keys", json::array({json::array({"t-secret"})})}}})}};
    const std::string answer = as_bob.call("pull", fetch.dump());
    CHECK(answer.find("ann only") == std::string::npos);
    json snapshot = {{"v", 2}, {"app", "projectme"}, {"site", "bob-site-1"}, {"limit", 1000}, {"snapshot", json::object()}};
    const std::string page = as_bob.call("pull", snapshot.dump());
    CHECK(page.find("t-secret") == std::string::npos);
    CHECK(page.find("secret@example.com") == std::string::npos);
    CHECK(page.find("user_ann") != std::string::npos);  // the global User row is there
}

TEST_CASE("partial sync: rows owned through a parent follow it when the parent changes hands",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "december");
    const char* ann_id = "11111111-1111-4111-8111-111111111111";
    const char* bob_id = "22222222-2222-4222-8222-222222222222";
    db.exec(std::string("INSERT INTO users(id, email, name) VALUES ('") + ann_id + "', 'ann@example.com', 'Ann'), ('" +
            bob_id + "', 'bob@example.com', 'Bob')");
    db.exec(std::string("INSERT INTO sessions(user_id, token, expires_at) VALUES ('") + ann_id +
            "', 'session-token-secret-ann', now() + interval '1 day')");
    UserDevice ann(db, "december", ann_id), bob(db, "december", bob_id);
    ann.sync();
    ann.store().execute(std::string("INSERT INTO containers(id, container_id, name, user_id) VALUES "
                                    "('33333333-3333-4333-8333-333333333333', 'docker-1', 'web', '") + ann_id + "')");
    ann.store().execute("INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES "
                        "('44444444-4444-4444-8444-444444444444', '33333333-3333-4333-8333-333333333333', 's1', 'user', "
                        "'hello from ann')");
    auto r = ann.sync();
    REQUIRE(r.rejected == 0);
    bob.sync();
    CHECK(bob.count("SELECT count(*) FROM chat_messages") == 0);
    CHECK(bob.count("SELECT count(*) FROM users") == 1);  // only his own users row
    CHECK(ann.count("SELECT count(*) FROM sessions") == 1);  // her session, without its token
    CHECK(ann.file_bytes().find("session-token-secret") == std::string::npos);
    CHECK(bob.file_bytes().find("session-token-secret") == std::string::npos);

    // Bob cannot put a message into Ann's container.
    bob.store().execute("INSERT INTO containers(id, container_id, name) VALUES "
                        "('55555555-5555-4555-8555-555555555555', 'docker-2', 'bob box')");
    auto rb = bob.sync();
    CHECK(rb.applied == 1);
    const auto hlc = std::stoll(db.scalar("SELECT ferry.now_hlc()"));
    json spam = {{"v", 2}, {"app", "december"}, {"site", "bob-crafted-site"}, {"seq", 1},
                 {"tables", json::array({{{"t", "chat_messages"},
                                          {"changes", json::array({{{"pk", {"66666666-6666-4666-8666-666666666666"}},
                                                                    {"op", 1}, {"hlc", hlc},
                                                                    {"vals", {{"container_id", "33333333-3333-4333-8333-333333333333"},
                                                                              {"session_id", "s2"}, {"role", "user"},
                                                                              {"content", "spam"}}}}})}}})}};
    auto answer = json::parse(bob.transport().call("push", spam.dump()));
    CHECK(answer["results"][0]["status"] == "rejected");
    CHECK(answer["results"][0]["code"] == "not_permitted");
    CHECK(db.scalar("SELECT count(*) FROM chat_messages WHERE content = 'spam'") == "0");

    // The container is given to Bob in the cloud: it and its message leave Ann's device, reach Bob's.
    db.exec(std::string("UPDATE containers SET user_id = '") + bob_id + "' WHERE container_id = 'docker-1'");
    ann.sync();
    bob.sync();
    CHECK(ann.count("SELECT count(*) FROM chat_messages") == 0);
    CHECK(ann.count("SELECT count(*) FROM containers") == 0);
    CHECK(bob.count("SELECT count(*) FROM chat_messages WHERE content = 'hello from ann'") == 1);
    CHECK(bob.count("SELECT count(*) FROM containers") == 2);
}

TEST_CASE("partial sync: the database enforces the rules a second time for the device role",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES ('t-ann', 'user_ann', 'ann only', now())");
    CHECK(db.scalar("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'ferry_device'") == "f");

    // As a user's request runs, but with plain SQL: as if the gateway's own checks were missing.
    auto c = db.connect();
    auto as_bob = [&](pqxx::work& tx) {
        tx.exec("SET LOCAL ROLE ferry_device");
        tx.exec("SELECT set_config('request.jwt.claims', '{\"sub\": \"user_bob\"}', true)");
    };
    {
        pqxx::work tx(c);
        as_bob(tx);
        CHECK(tx.exec("SELECT 1 FROM \"Task\" WHERE id = 't-ann'").empty());
        CHECK(tx.exec("UPDATE \"Task\" SET title = 'bob' WHERE id = 't-ann'").affected_rows() == 0);
        CHECK(tx.exec("DELETE FROM \"Task\" WHERE id = 't-ann'").affected_rows() == 0);
        CHECK(tx.exec("SELECT 1 FROM \"User\"").size() == 2);  // global rows are readable
        tx.commit();
    }
    {
        pqxx::work tx(c);
        as_bob(tx);
        CHECK_THROWS_AS(tx.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") VALUES "
                                "('t-x', 'user_ann', 'forged', now())"),
                        pqxx::sql_error);
    }
    {
        pqxx::work tx(c);
        as_bob(tx);
        CHECK(tx.exec("UPDATE \"User\" SET name = 'Mallory'").affected_rows() == 0);
    }
    CHECK(db.scalar("SELECT title FROM \"Task\" WHERE id = 't-ann'") == "ann only");
    // Other roles keep their access: RLS policies are about ferry_device only.
    db.exec("DO $$ BEGIN CREATE ROLE web_app; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    db.exec("GRANT SELECT ON \"Task\" TO web_app");
    pqxx::work tx(c);
    tx.exec("SET LOCAL ROLE web_app");
    CHECK(tx.exec("SELECT 1 FROM \"Task\" WHERE id = 't-ann'").size() == 1);
}

TEST_CASE("partial sync, agentchat: the seed's own RLS policies apply to each user's chats and messages",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "agentchat");
    const std::string ann_id = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", bob_id = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
    db.exec("INSERT INTO auth.users(id, email) VALUES ('" + ann_id + "', 'ann@x.example'), ('" + bob_id +
            "', 'bob@x.example')");
    UserDevice ann1(db, "agentchat", ann_id), ann2(db, "agentchat", ann_id), bob(db, "agentchat", bob_id);
    const std::string chat = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
    ann1.store().execute("INSERT INTO \"Chat\"(id, title, user_id) VALUES (?, 'ann chat', ?)", {chat, ann_id});
    ann1.store().execute("INSERT INTO \"Message_v2\"(id, \"chatId\", role, parts) VALUES "
                         "('dddddddd-dddd-4ddd-8ddd-dddddddddddd', ?, 'user', '[\"hi from ann\"]')",
                         {chat});
    auto r = ann1.sync();
    CHECK(r.rejected == 0);
    CHECK(r.applied == 2);
    ann2.sync();
    bob.sync();
    CHECK(ann2.count("SELECT count(*) FROM \"Message_v2\"") == 1);
    CHECK(bob.count("SELECT count(*) FROM \"Chat\"") == 0);
    CHECK(bob.count("SELECT count(*) FROM \"Message_v2\"") == 0);
    CHECK(bob.count("SELECT count(*) FROM model_config") > 0);  // global configuration reaches everyone
    CHECK(bob.file_bytes().find("hi from ann") == std::string::npos);
}

TEST_CASE("partial sync, aiflowo: task logs follow their task, users add to the shared tools' counters only",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "aiflowo");
    db.exec("INSERT INTO \"User\"(id, email, \"updatedAt\") VALUES ('u-ann', 'ann@x.example', now()), "
            "('u-bob', 'bob@x.example', now())");
    UserDevice ann(db, "aiflowo", "u-ann"), bob(db, "aiflowo", "u-bob");
    ann.sync();
    bob.sync();
    CHECK(ann.count("SELECT count(*) FROM \"User\"") == 1);  // only her own
    CHECK(ann.file_bytes().find("bob@x.example") == std::string::npos);
    ann.store().execute("INSERT INTO \"Task\"(id, \"userId\", title, intent, \"updatedAt\") VALUES "
                        "('task-a', 'u-ann', 'ann task', 'do it', '2026-01-01T00:00:00.000Z')");
    ann.store().execute("INSERT INTO \"TaskLog\"(id, \"taskId\", message) VALUES ('log-a', 'task-a', 'ann log line')");
    const std::string tool = db.scalar("SELECT id FROM \"Tool\" ORDER BY id LIMIT 1");
    const auto before = std::stoll(db.scalar("SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'"));
    ann.store().execute("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 1 WHERE id = ?", {tool});
    auto r = ann.sync();
    CHECK(r.rejected == 0);
    CHECK(std::stoll(db.scalar("SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'")) == before + 1);
    bob.store().execute("UPDATE \"Tool\" SET enabled = 0 WHERE id = ?", {tool});
    auto rb = bob.sync();
    CHECK(rb.rejected == 1);
    CHECK(db.scalar("SELECT enabled FROM \"Tool\" WHERE id = '" + tool + "'") == "t");
    CHECK(bob.count("SELECT count(*) FROM \"TaskLog\"") == 0);
    CHECK(bob.file_bytes().find("ann log line") == std::string::npos);
}

TEST_CASE("partial sync, devlog: the team's tables reach every user, the users rows and password hashes do not",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "devlog");
    db.exec("INSERT INTO users(email, password_hash, name) VALUES ('ann@x.example', 'hash-secret-ann', 'Ann'), "
            "('bob@x.example', 'hash-secret-bob', 'Bob')");
    const std::string ann_id = db.scalar("SELECT id FROM users WHERE email = 'ann@x.example'");
    const std::string bob_id = db.scalar("SELECT id FROM users WHERE email = 'bob@x.example'");
    UserDevice ann(db, "devlog", ann_id), bob(db, "devlog", bob_id);
    ann.sync();
    ann.store().execute("INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\", description) VALUES ('ferry', 'team/ferry', 'https://example.com/ferry', 'team', 'ferry', 'shared by the team')");
    auto r = ann.sync();
    CHECK(r.rejected == 0);
    bob.sync();
    CHECK(bob.count("SELECT count(*) FROM projects WHERE name = 'ferry'") == 1);
    CHECK(bob.count("SELECT count(*) FROM users") == 1);
    CHECK(ann.count("SELECT count(*) FROM users") == 1);
    CHECK(bob.file_bytes().find("hash-secret") == std::string::npos);
    CHECK(bob.file_bytes().find("ann@x.example") == std::string::npos);
}

TEST_CASE("partial sync: crafted pushes (server-only tables and columns, SQL in names) are refused one by one",
          "[integration][partial]") {
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserTransport as_bob(db, "projectme", k_bob);
    const auto hlc = std::stoll(db.scalar("SELECT ferry.now_hlc()"));
    auto change = [&](const std::string& table, const std::string& key, json vals, int op = 1) {
        ferry::protocol::Change c;
        c.table = table;
        c.pk = json::array({key});
        c.op = op;
        c.hlc = hlc;
        c.vals = std::move(vals);
        for (auto it = c.vals.begin(); it != c.vals.end(); ++it) c.clocks[it.key()] = hlc;
        return c;
    };
    const std::string settings = db.scalar("SELECT id FROM \"Settings\" LIMIT 1");
    const ferry::protocol::PushRequest push{
        "projectme", "bob-crafted", 1,
        {change("Session", "s1", {{"token", "x"}}), change("Settings", settings, {{"runnerToken", "stolen"}}, 2),
         change("Task\"; DROP TABLE \"User\"; --", "t1", json::object()),
         change("Task", "t-ok", {{"title", "fine"}, {"updatedAt", "2026-01-01T00:00:00.000Z"}, {"title\" = 'x'; --", "y"}}),
         change("Task", "t-good", {{"title", "good"}, {"updatedAt", "2026-01-01T00:00:00.000Z"}})}};
    auto answer = json::parse(as_bob.call("push", ferry::protocol::encode(push).dump()));
    const auto& results = answer["results"];
    REQUIRE(results.size() == 5);
    CHECK(results[0]["code"] == "not_permitted");  // a server-only table
    CHECK(results[1]["code"] == "not_permitted");  // a server-only column (and the global settings row)
    CHECK(results[2]["code"] == "invalid_argument");
    CHECK(results[2]["reason"].get<std::string>().find("unknown table") != std::string::npos);
    CHECK(results[3]["code"] == "invalid_argument");
    CHECK(results[3]["reason"].get<std::string>().find("unknown column") != std::string::npos);
    CHECK(results[4]["status"] == "applied");
    CHECK(db.scalar("SELECT count(*) FROM \"User\"") == "2");
    CHECK(db.scalar("SELECT \"runnerToken\" FROM \"Settings\" LIMIT 1") == "runner-secret-token-42");
    CHECK(db.scalar("SELECT \"userId\" FROM \"Task\" WHERE id = 't-good'") == k_bob);
    CHECK(answer.dump().find("runner-secret-token-42") == std::string::npos);
}

TEST_CASE("partial sync: a user's snapshot page, rows fetched by key and merged changes are index lookups, not table scans",
          "[integration][partial]") {
    // A user's readable check was an EXISTS under an OR, which cannot become a semi-join: every
    // snapshot page hashed all of the user's ferry.rows entries, and a pull's rows by key
    // scanned the table, so both grew with the user's rows rather than with the page.
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    const int n = 30000;
    db.exec("INSERT INTO \"Task\"(id, \"userId\", title, \"updatedAt\") SELECT 'task-' || lpad(g::text, 6, '0'), "
            "'user_ann', 'task ' || g, now() FROM generate_series(1, " + std::to_string(n) + ") g");
    db.exec("ANALYZE");
    UserTransport ann(db, "projectme", k_ann);
    auto pull = [&](const ferry::protocol::PullRequest& r) {
        return ferry::protocol::decode_pull_answer(json::parse(ann.call("pull", ferry::protocol::encode(r).dump())));
    };
    ferry::protocol::PullRequest first;
    first.site = "0123456789abcdef0123456789abcdef";
    first.limit = 1;
    first.snapshot = ferry::protocol::SnapshotState{};
    const auto started = pull(first);
    REQUIRE(started.snapshot);
    const auto task_rows = ann.scanned_rows("public", "Task");
    const auto ferry_rows = ann.scanned_rows("ferry", "rows");

    ferry::protocol::PullRequest page = first;
    page.limit = 500;
    page.snapshot = ferry::protocol::SnapshotState{started.snapshot->cursor, "Task", json::array({"task-015000"})};
    const auto middle = pull(page);
    REQUIRE(middle.tables.size() == 1);
    CHECK(middle.tables[0].rows.size() == 500);
    ferry::protocol::PullRequest by_key = first;
    by_key.snapshot.reset();
    by_key.cursor = started.cursor;
    by_key.limit = 500;
    by_key.fetch.push_back(ferry::protocol::TableKeys{"Task", {}});
    for (int i = 1; i <= n; i += n / 500) {
        char id[16];
        std::snprintf(id, sizeof id, "task-%06d", i);
        by_key.fetch[0].keys.push_back(json::array({id}));
    }
    const auto fetched = pull(by_key);
    std::size_t rows = 0;
    for (const auto& t : fetched.tables) rows += t.table == "Task" ? t.rows.size() : 0;
    CHECK(rows == 500);
    // A push of updates and deletes: the merge finds its rows by key too.
    ferry::protocol::PushRequest push;
    push.site = first.site;
    push.seq = 1;
    const std::int64_t hlc = ferry::SystemClock().now_ms() << 16;
    for (int i = 2; i <= n; i += n / 100) {
        char id[16];
        std::snprintf(id, sizeof id, "task-%06d", i);
        ferry::protocol::Change ch;
        ch.table = "Task";
        ch.pk = json::array({id});
        ch.hlc = hlc + i;
        ch.op = push.changes.size() % 3 == 0 ? 3 : 2;  // a third deletes
        if (ch.op == 2) {
            ch.vals = {{"title", "edited"}};
            ch.clocks = {{"title", ch.hlc}};
        }
        push.changes.push_back(std::move(ch));
    }
    const auto answer = ferry::protocol::decode_push_answer(json::parse(ann.call("push", ferry::protocol::encode(push).dump())));
    REQUIRE(answer.results.size() == push.changes.size());
    for (const auto& r : answer.results) CHECK(r.status == "applied");
    // Scans of small tables (users, settings) are fine; none of Task or ferry.rows may happen.
    // (The statistics are the database's: the checks by plain SQL below come after.)
    CHECK(ann.scanned_rows("public", "Task") - task_rows < n);
    CHECK(ann.scanned_rows("ferry", "rows") - ferry_rows < n);
    CHECK(db.scalar("SELECT count(*) FROM \"Task\" WHERE title = 'edited'") == "66");
    CHECK(db.scalar("SELECT count(*) FROM \"Task\"") == std::to_string(n - 34));
}

TEST_CASE("partial sync: a user's pushes of new rows look up each key's owner, not scan ferry.rows, as the table grows",
          "[integration][partial]") {
    // The check that no pushed key takes over another user's row was a join of the stage with
    // ferry.rows; on tables that grow without fresh statistics (a first big push), the planner
    // scanned ferry.rows for every batch: 0.2-0.4 s a batch at 10k rows, growing with the table.
    PgDatabase db;
    install(db, "projectme");
    projectme_users(db);
    UserTransport ann(db, "projectme", k_ann);
    const std::int64_t hlc = ferry::SystemClock().now_ms() << 16;
    const int batches = 6, per_batch = 1000;
    std::int64_t scanned_by_last = 0;
    for (int b = 0; b < batches; ++b) {
        ferry::protocol::PushRequest push;
        push.site = "0123456789abcdef0123456789abcdef";
        push.seq = b + 1;
        for (int i = 0; i < per_batch; ++i) {
            ferry::protocol::Change ch;
            ch.table = "Task";
            ch.pk = json::array({"new-" + std::to_string(b) + "-" + std::to_string(i)});
            ch.hlc = hlc + b * per_batch + i;
            ch.op = 1;
            ch.vals = {{"userId", "user_ann"}, {"title", "new"}};
            ch.clocks = {{"userId", ch.hlc}, {"title", ch.hlc}};
            push.changes.push_back(std::move(ch));
        }
        const auto before = ann.scanned_rows("ferry", "rows");
        const auto answer = ferry::protocol::decode_push_answer(json::parse(ann.call("push", ferry::protocol::encode(push).dump())));
        for (const auto& r : answer.results) REQUIRE(r.status == "applied");
        scanned_by_last = ann.scanned_rows("ferry", "rows") - before;
    }
    // A scan of ferry.rows by the last batch reads the 5,000 entries the batches before made.
    CHECK(scanned_by_last < (batches - 1) * per_batch);
    CHECK(db.scalar("SELECT count(*) FROM \"Task\" WHERE title = 'new'") == std::to_string(batches * per_batch));
}
