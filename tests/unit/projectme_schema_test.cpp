// Device tests of the "projectme" app schema (seed 000): tables and keys, constraints naming the
// table/column, cascades, the updatedAt triggers, the seeded global settings row, and the typed
// helpers of ferry/apps/projectme.hpp.
#include <catch2/catch.hpp>

#include <ferry/apps/projectme.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace pm = ferry::apps::projectme;
using ferry::Store;
using ferry::Value;
using ferry::test::require_constraint;

namespace {

const std::vector<std::string> kSyncedTables = {"User",       "Task",       "Event",
                                                "Settings",   "LLMSession", "LLMMessage",
                                                "SandboxFile", "AuditLog"};

std::int64_t count(Store& s, const std::string& sql, const std::vector<Value>& params = {}) {
    return s.query_value(sql, params)->as_int();
}

std::set<std::string> columns_of(Store& s, const std::string& table) {
    std::set<std::string> out;
    auto r = s.query("SELECT name FROM pragma_table_info(?1)", {table});
    for (auto& row : r.rows) out.insert(row[0].as_text());
    return out;
}

void add_user(Store& s, const std::string& id, const std::string& username) {
    s.execute("INSERT INTO \"User\" (\"id\", \"username\", \"name\") VALUES (?1, ?2, ?3)",
              {id, username, "Name of " + username});
}

pm::NewTask new_task(std::optional<std::string> user_id, std::string title) {
    pm::NewTask t;
    t.user_id = std::move(user_id);
    t.title = std::move(title);
    return t;
}

pm::NewLlmSession new_session(std::string key, std::optional<std::string> user_id = std::nullopt) {
    pm::NewLlmSession s;
    s.session_id = std::move(key);
    s.user_id = std::move(user_id);
    return s;
}

pm::NewLlmMessage new_message(std::string key, std::string role, std::string content) {
    pm::NewLlmMessage m;
    m.session_id = std::move(key);
    m.role = std::move(role);
    m.content = std::move(content);
    return m;
}

pm::NewAuditLog new_audit(std::optional<std::string> user_id, std::string action) {
    pm::NewAuditLog a;
    a.user_id = std::move(user_id);
    a.action = std::move(action);
    return a;
}

}  // namespace

TEST_CASE("projectme: a fresh store has every synced table with its key", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    CHECK(s.app() == "projectme");
    CHECK(s.schema_version() == 3);

    CHECK(s.synced_tables() == kSyncedTables);
    for (const auto& t : s.synced_tables()) {
        INFO("table " << t);
        CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", {t}) == 1);
        CHECK(count(s, "SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0", {t}) == 1);
        CHECK(count(s, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = 'id' AND pk = 1", {t}) == 1);
    }
    // Server-only objects are absent (sync_rules.json).
    CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE name = 'Session'") == 0);
    CHECK(columns_of(s, "User").count("email") == 0);
    CHECK(columns_of(s, "Settings").count("runnerToken") == 0);
    CHECK(columns_of(s, "Task") ==
          std::set<std::string>{"id", "userId", "title", "description", "status", "type",
                                "payload", "tags", "priority", "isPublic", "outputText",
                                "outputRaw", "errorMessage", "executionTime", "createdAt",
                                "updatedAt"});
    CHECK(columns_of(s, "LLMMessage") == std::set<std::string>{"id", "sessionId", "role", "content",
                                                               "tokens", "metadata", "createdAt"});
    // Every table is STRICT.
    for (const auto& t : kSyncedTables) {
        INFO("table " << t);
        CHECK(count(s, "SELECT strict FROM pragma_table_list WHERE name = ?1", {t}) == 1);
    }
    // The index names of the cloud schema.
    for (const char* idx : {"User_username_key", "Task_userId_idx", "Task_status_idx",
                            "Task_isPublic_idx", "Task_createdAt_idx", "Event_userId_idx",
                            "Event_taskId_idx", "Event_timestamp_idx", "Settings_userId_key",
                            "LLMSession_sessionId_key", "LLMSession_userId_idx",
                            "LLMMessage_sessionId_createdAt_idx", "SandboxFile_userId_path_key",
                            "AuditLog_userId_idx", "AuditLog_action_idx", "AuditLog_createdAt_idx"}) {
        INFO("index " << idx);
        CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    {std::string(idx)}) == 1);
    }
}

TEST_CASE("projectme: reopening a store changes nothing", "[unit][projectme]") {
    ferry::test::TempDir dir;
    int version = 0;
    {
        Store s = Store::open(dir.file("pm.db"), "projectme");
        version = s.schema_version();
        add_user(s, "u1", "alice");
    }
    Store s = Store::open(dir.file("pm.db"), "projectme");
    CHECK(s.schema_version() == version);
    CHECK(count(s, "SELECT count(*) FROM \"User\"") == 1);
    CHECK(count(s, "SELECT count(*) FROM \"Settings\"") == 1);  // seed rows not duplicated
}

TEST_CASE("projectme: the global settings row is seeded with its fixed id", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    auto r = s.query("SELECT * FROM \"Settings\" WHERE \"id\" = 'settings_global'");
    REQUIRE(r.rows.size() == 1);
    CHECK(r.at(0, "userId").is_null());
    CHECK(r.at(0, "preferences").as_text() == "{}");
    CHECK(r.at(0, "createdAt").as_text() == "2025-01-01T00:00:00.000Z");
    CHECK(r.at(0, "updatedAt").as_text() == "2025-01-01T00:00:00.000Z");
}

TEST_CASE("projectme: constraints reject bad values and write nothing", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");
    const auto tasks = [&] { return count(s, "SELECT count(*) FROM \"Task\""); };

    SECTION("bad JSON") {
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"payload\") VALUES ('t', '{oops')"); },
                           "Task_payload_json");
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"outputRaw\") VALUES ('t', 'nope')"); },
                           "Task_outputRaw_json");
        require_constraint([&] { s.execute("UPDATE \"Settings\" SET \"preferences\" = '[1,' WHERE \"id\" = 'settings_global'"); },
                           "Settings_preferences_json");
        CHECK(s.query_value("SELECT \"preferences\" FROM \"Settings\"")->as_text() == "{}");
    }
    SECTION("an array column holding something else") {
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"tags\") VALUES ('t', '{\"a\":1}')"); },
                           "Task_tags_array");
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"tags\") VALUES ('t', '[unclosed')"); },
                           "Task_tags_array");
    }
    SECTION("booleans are 0 or 1") {
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"isPublic\") VALUES ('t', 2)"); },
                           "Task_isPublic_bool");
    }
    SECTION("wrong storage type (STRICT)") {
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"priority\") VALUES ('t', 'high')"); },
                           "Task.priority");
    }
    SECTION("dangling foreign key") {
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"userId\") VALUES ('t', 'ghost')"); },
                           "FOREIGN KEY");
    }
    SECTION("bad timestamp") {
        require_constraint([&] { s.execute("INSERT INTO \"Task\" (\"title\", \"createdAt\") VALUES ('t', '2024-05-01 12:00:00')"); },
                           "Task_createdAt_timestamp");
        require_constraint([&] { s.execute("INSERT INTO \"Event\" (\"eventType\", \"timestamp\") VALUES ('x', 'yesterday')"); },
                           "Event_timestamp_timestamp");
        CHECK(count(s, "SELECT count(*) FROM \"Event\"") == 0);
    }
    SECTION("duplicate unique keys") {
        require_constraint([&] { add_user(s, "u2", "alice"); }, "User.username");
        s.execute("INSERT INTO \"Settings\" (\"userId\") VALUES ('u1')");
        require_constraint([&] { s.execute("INSERT INTO \"Settings\" (\"userId\") VALUES ('u1')"); },
                           "Settings.userId");
        pm::save_sandbox_file(s, {"u1", "a.txt", "x"});
        require_constraint([&] {
            s.execute("INSERT INTO \"SandboxFile\" (\"userId\", \"path\", \"content\", \"size\") VALUES ('u1', 'a.txt', 'y', 1)");
        }, "SandboxFile.userId, SandboxFile.path");
        CHECK(count(s, "SELECT count(*) FROM \"SandboxFile\"") == 1);
        CHECK(count(s, "SELECT count(*) FROM \"User\"") == 1);
    }
    CHECK(tasks() == 0);
}

TEST_CASE("projectme: deletes cascade as the Prisma relations say", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");
    add_user(s, "u2", "bob");
    auto t1 = pm::create_task(s, new_task("u1", "mine"));
    auto t2 = pm::create_task(s, new_task(std::nullopt, "global"));
    s.execute("INSERT INTO \"Event\" (\"id\", \"userId\", \"taskId\", \"eventType\") VALUES ('e1', 'u1', ?1, 'run')", {t1.id});
    s.execute("INSERT INTO \"Event\" (\"id\", \"userId\", \"taskId\", \"eventType\") VALUES ('e2', 'u2', ?1, 'run')", {t2.id});
    s.execute("INSERT INTO \"Settings\" (\"userId\") VALUES ('u1')");
    pm::create_llm_session(s, new_session("chat-1", "u1"));
    pm::add_llm_message(s, new_message("chat-1", "user", "hi"));
    pm::save_sandbox_file(s, {"u1", "a.txt", "x"});
    auto log = pm::create_audit_log(s, new_audit("u1", "delete_task"));

    SECTION("deleting a task keeps its events (taskId SET NULL)") {
        s.execute("DELETE FROM \"Task\" WHERE \"id\" = ?1", {t2.id});
        CHECK(s.query_value("SELECT \"taskId\" FROM \"Event\" WHERE \"id\" = 'e2'")->is_null());
    }
    SECTION("deleting a user removes what they own and keeps the audit trail") {
        s.execute("DELETE FROM \"User\" WHERE \"id\" = 'u1'");
        CHECK(count(s, "SELECT count(*) FROM \"Task\"") == 1);  // the global task stays
        CHECK(count(s, "SELECT count(*) FROM \"Event\"") == 1);
        CHECK(count(s, "SELECT count(*) FROM \"Settings\"") == 1);  // the global row stays
        CHECK(count(s, "SELECT count(*) FROM \"LLMSession\"") == 0);
        CHECK(count(s, "SELECT count(*) FROM \"LLMMessage\"") == 0);
        CHECK(count(s, "SELECT count(*) FROM \"SandboxFile\"") == 0);
        REQUIRE(count(s, "SELECT count(*) FROM \"AuditLog\"") == 1);
        CHECK(s.query_value("SELECT \"userId\" FROM \"AuditLog\" WHERE \"id\" = ?1", {log.id})->is_null());
    }
}

TEST_CASE("projectme: updatedAt is maintained on local updates", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    for (const char* table : {"User", "Task", "Settings", "LLMSession", "SandboxFile"}) {
        INFO("table " << table);
        CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    {std::string(table) + "_set_updatedAt"}) == 1);
    }
    add_user(s, "u1", "alice");
    auto t = pm::create_task(s, new_task("u1", "t"));
    s.execute("UPDATE \"Task\" SET \"updatedAt\" = '2020-01-01T00:00:00.000Z' WHERE \"id\" = ?1", {t.id});
    CHECK(s.query_value("SELECT \"updatedAt\" FROM \"Task\" WHERE \"id\" = ?1", {t.id})->as_text() ==
          "2020-01-01T00:00:00.000Z");  // an explicit value is kept
    s.execute("UPDATE \"Task\" SET \"status\" = 'done' WHERE \"id\" = ?1", {t.id});
    const std::string after = s.query_value("SELECT \"updatedAt\" FROM \"Task\" WHERE \"id\" = ?1", {t.id})->as_text();
    CHECK(after > "2020-01-01T00:00:00.000Z");
    CHECK(after >= t.created_at);

    s.execute("UPDATE \"Settings\" SET \"runnerUrl\" = 'http://runner' WHERE \"id\" = 'settings_global'");
    CHECK(s.query_value("SELECT \"updatedAt\" FROM \"Settings\" WHERE \"id\" = 'settings_global'")->as_text() >
          "2025-01-01T00:00:00.000Z");
}

TEST_CASE("projectme: create_task", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");

    auto global = pm::create_task(s, new_task(std::nullopt, "System Task"));
    CHECK_FALSE(global.user_id);
    CHECK(global.status == "pending");
    CHECK(global.type == "llm");
    CHECK(global.tags.empty());
    CHECK_FALSE(global.is_public);
    CHECK(global.priority == 0);
    CHECK(global.id.size() >= 20);
    CHECK(global.created_at == global.updated_at);

    pm::NewTask in;
    in.user_id = "u1";
    in.title = "My Task";
    in.payload_json = R"({"prompt":"hello","n":2})";
    in.tags = {"a", "with \"quotes\"", "ünïcode", "back\\slash"};
    in.priority = 5;
    in.is_public = true;
    in.type = "shell";
    auto t = pm::create_task(s, in);
    CHECK(t.user_id == std::optional<std::string>("u1"));
    CHECK(t.tags == in.tags);
    CHECK(t.payload_json == in.payload_json);
    CHECK(t.priority == 5);
    CHECK(t.is_public);
    CHECK(t.type == "shell");
    CHECK(count(s, "SELECT json_array_length(\"tags\") FROM \"Task\" WHERE \"id\" = ?1", {t.id}) == 4);

    CHECK_THROWS_AS(pm::create_task(s, new_task(std::nullopt, "")), ferry::Error);
    pm::NewTask bad;
    bad.title = "x";
    bad.payload_json = "{not json";
    require_constraint([&] { pm::create_task(s, bad); }, "Task_payload_json");
    CHECK(count(s, "SELECT count(*) FROM \"Task\"") == 2);
}

TEST_CASE("projectme: LLM sessions keep their messages in order", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");

    auto session = pm::create_llm_session(s, {"chat-123", std::string("u1"), std::nullopt,
                                              std::string("You are helpful")});
    CHECK(session.session_id == "chat-123");
    CHECK(session.system_prompt == std::optional<std::string>("You are helpful"));
    require_constraint([&] { pm::create_llm_session(s, new_session("chat-123")); }, "LLMSession.sessionId");

    std::vector<std::string> texts;
    for (int i = 0; i < 20; ++i) {
        texts.push_back("message " + std::to_string(i));
        auto m = pm::add_llm_message(s, {"chat-123", i % 2 ? "assistant" : "user", texts.back(),
                                         std::int64_t{i}, std::nullopt});
        CHECK(m.llm_session_id == session.id);
    }
    auto loaded = pm::get_llm_session(s, "chat-123");
    REQUIRE(loaded);
    CHECK(loaded->id == session.id);
    REQUIRE(loaded->messages.size() == 20);
    for (std::size_t i = 0; i < texts.size(); ++i) {
        CHECK(loaded->messages[i].content == texts[i]);
        if (i) CHECK(loaded->messages[i].created_at > loaded->messages[i - 1].created_at);
    }
    CHECK(loaded->messages[1].role == "assistant");
    CHECK(loaded->messages[3].tokens == std::optional<std::int64_t>(3));

    CHECK_FALSE(pm::get_llm_session(s, "chat-unknown"));
    try {
        pm::add_llm_message(s, new_message("chat-unknown", "user", "hi"));
        FAIL("expected not_found");
    } catch (const ferry::Error& e) {
        CHECK(e.code() == ferry::ErrorCode::not_found);
    }
    require_constraint([&] { pm::add_llm_message(s, {"chat-123", "user", "x", std::nullopt, std::string("{bad")}); },
                       "LLMMessage_metadata_json");
    CHECK(count(s, "SELECT count(*) FROM \"LLMMessage\"") == 20);
}

TEST_CASE("projectme: sandbox files are upserted by user and path, soft-deleted", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");
    add_user(s, "u2", "bob");

    auto f = pm::save_sandbox_file(s, {"u1", "notes/test.txt", "Hello world"});
    CHECK(f.size == 11);
    CHECK_FALSE(f.is_deleted);
    auto g = pm::save_sandbox_file(s, {"u1", "notes/test.txt", "héllo"});  // é is 2 bytes
    CHECK(g.id == f.id);
    CHECK(g.content == "héllo");
    CHECK(g.size == 6);
    pm::save_sandbox_file(s, {"u1", "a.txt", "a"});
    pm::save_sandbox_file(s, {"u2", "notes/test.txt", "bob's"});
    CHECK(count(s, "SELECT count(*) FROM \"SandboxFile\"") == 3);

    auto files = pm::list_sandbox_files(s, "u1");
    REQUIRE(files.size() == 2);
    CHECK(files[0].path == "a.txt");
    CHECK(files[1].path == "notes/test.txt");

    CHECK(pm::delete_sandbox_file(s, "u1", "a.txt"));
    CHECK_FALSE(pm::delete_sandbox_file(s, "u1", "a.txt"));
    CHECK(count(s, "SELECT count(*) FROM \"SandboxFile\" WHERE \"isDeleted\" = 1") == 1);  // kept, flagged
    files = pm::list_sandbox_files(s, "u1");
    REQUIRE(files.size() == 1);
    CHECK(files[0].path == "notes/test.txt");

    auto back = pm::save_sandbox_file(s, {"u1", "a.txt", "again"});
    CHECK_FALSE(back.is_deleted);
    CHECK(pm::list_sandbox_files(s, "u1").size() == 2);
    require_constraint([&] { pm::save_sandbox_file(s, {"ghost", "x", "y"}); }, "FOREIGN KEY");
}

TEST_CASE("projectme: audit log entries", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");
    pm::NewAuditLog in;
    in.user_id = "u1";
    in.action = "delete_task";
    in.resource = "task:abc";
    in.ip_address = "203.0.113.7";
    in.metadata_json = R"({"reason":"cleanup"})";
    auto a = pm::create_audit_log(s, in);
    CHECK(a.action == "delete_task");
    CHECK(a.resource == in.resource);
    CHECK(a.ip_address == in.ip_address);
    CHECK_FALSE(a.user_agent);
    CHECK(a.created_at.size() == 24);
    CHECK(count(s, "SELECT count(*) FROM \"AuditLog\" WHERE \"id\" = ?1 AND \"userId\" = 'u1'", {a.id}) == 1);
    CHECK_THROWS_AS(pm::create_audit_log(s, new_audit(std::nullopt, "")), ferry::Error);
}

TEST_CASE("projectme: get_settings falls back to the global row", "[unit][projectme]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("pm.db"), "projectme");
    add_user(s, "u1", "alice");
    add_user(s, "u2", "bob");

    auto global = pm::get_settings(s, std::nullopt);
    REQUIRE(global);
    CHECK(global->id == pm::global_settings_id);
    CHECK_FALSE(global->user_id);

    auto fallback = pm::get_settings(s, std::string("u1"));
    REQUIRE(fallback);
    CHECK(fallback->id == pm::global_settings_id);

    s.execute("INSERT INTO \"Settings\" (\"id\", \"userId\", \"runnerUrl\", \"preferences\")"
              " VALUES ('s-u1', 'u1', 'http://my-runner', '{\"theme\":\"dark\"}')");
    auto own = pm::get_settings(s, std::string("u1"));
    REQUIRE(own);
    CHECK(own->id == "s-u1");
    CHECK(own->runner_url == std::optional<std::string>("http://my-runner"));
    CHECK(own->preferences_json == R"({"theme":"dark"})");
    CHECK(pm::get_settings(s, std::string("u2"))->id == pm::global_settings_id);

    s.execute("DELETE FROM \"Settings\" WHERE \"userId\" IS NULL");
    CHECK_FALSE(pm::get_settings(s, std::string("u2")));
    CHECK(pm::get_settings(s, std::string("u1"))->id == "s-u1");
}
