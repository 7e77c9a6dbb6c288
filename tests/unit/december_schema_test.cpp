// tests/unit/december_schema_test.cpp: the december device schema (sql/apps/december/sqlite) and
// its typed helpers: tables and keys, constraints naming what they reject, cascades, the
// updated_at triggers, both views, and the helpers' documented behaviour.
#include <catch2/catch.hpp>

#include <ferry/apps/december.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace dec = ferry::apps::december;
using ferry::ErrorCode;
using ferry::Store;
using ferry::Value;
using ferry::test::columns_of;
using ferry::test::count;
using ferry::test::require_rejected;

namespace {

const char* const k_user = "11111111-1111-4111-8111-111111111111";
const char* const k_container = "22222222-2222-4222-8222-222222222222";
const char* const k_project = "33333333-3333-4333-8333-333333333333";

void seed_rows(Store& s) {
    s.execute("INSERT INTO users (id, email, name) VALUES (?1, 'ada@example.com', 'Ada')", {k_user});
    s.execute(
        "INSERT INTO containers (id, container_id, name, status, user_id, created_at) "
        "VALUES (?1, 'docker-1', 'One', 'running', ?2, '2024-05-01T10:00:00.000Z')",
        {k_container, k_user});
    s.execute("INSERT INTO projects (id, container_id, name, description, user_id) VALUES (?1, ?2, 'P', 'desc', ?3)",
              {k_project, k_container, k_user});
}

}  // namespace

TEST_CASE("december: a fresh store has the schema and reopening changes nothing", "[unit][december]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("december.db");
    std::int64_t objects = 0;
    {
        auto s = Store::open(path, "december");
        CHECK(s.schema_version() == 2);
        objects = s.query_value("SELECT count(*) FROM sqlite_master")->as_int();
        CHECK(objects > 0);
    }
    auto s = Store::open(path, "december");
    CHECK(s.schema_version() == 2);
    CHECK(s.query_value("SELECT count(*) FROM sqlite_master")->as_int() == objects);
}

TEST_CASE("december: every synced table exists with a primary key", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    const auto tables = s.synced_tables();
    REQUIRE(!tables.empty());
    CHECK(std::find(tables.begin(), tables.end(), "containers") != tables.end());
    for (const auto& t : tables) {
        INFO(t);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1", {t})->as_int() == 1);
        CHECK(s.query_value("SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0", {t})->as_int() >= 1);
        CHECK(s.query_value("SELECT strict FROM pragma_table_list WHERE name=?1", {t})->as_int() == 1);
    }
    // sessions.token is server-only (sync_rules.json): the device never holds it.
    const auto cols = columns_of(s, "sessions");
    CHECK(std::find(cols.begin(), cols.end(), "token") == cols.end());
    CHECK(std::find(cols.begin(), cols.end(), "expires_at") != cols.end());
}

TEST_CASE("december: the seed's indexes, triggers and views exist under their names", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    for (const char* name :
         {"idx_users_email", "idx_users_created_at", "idx_containers_container_id", "idx_containers_status",
          "idx_containers_user_id", "idx_containers_created_at", "idx_containers_assigned_port",
          "idx_sessions_user_id", "idx_sessions_expires_at", "idx_projects_container_id", "idx_projects_user_id",
          "idx_projects_status", "idx_projects_type", "idx_chat_messages_container_id",
          "idx_chat_messages_session_id", "idx_chat_messages_created_at", "idx_file_storage_container_id",
          "idx_file_storage_file_path"}) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='index' AND name=?1", {name})->as_int() == 1);
    }
    for (const char* name :
         {"update_containers_updated_at", "update_projects_updated_at", "update_file_storage_updated_at"}) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name=?1", {name})->as_int() ==
              1);
    }
    for (const char* name : {"active_containers", "user_projects"}) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='view' AND name=?1", {name})->as_int() == 1);
    }
}

TEST_CASE("december: constraints reject bad values and name what is wrong", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    seed_rows(s);

    SECTION("bad JSON") {
        require_rejected(s, "containers", "INSERT INTO containers (container_id, name, labels) VALUES ('x', 'n', '{oops')",
                         {}, "containers_labels_json");
        require_rejected(s, "chat_messages",
                         "INSERT INTO chat_messages (session_id, role, content, attachments) VALUES ('s', 'user', 'c', '[')",
                         {}, "chat_messages_attachments_json");
    }
    SECTION("NULL JSON is allowed, as in the cloud (no NOT NULL there)") {
        s.execute("INSERT INTO containers (container_id, name, labels, metadata) VALUES ('x', 'n', NULL, NULL)");
        CHECK(s.query_value("SELECT labels IS NULL FROM containers WHERE container_id='x'")->as_int() == 1);
    }
    SECTION("wrong storage type") {
        require_rejected(s, "containers",
                         "INSERT INTO containers (container_id, name, assigned_port) VALUES ('x', 'n', 'eighty')", {},
                         "containers.assigned_port");
    }
    SECTION("bad boolean") {
        require_rejected(s, "users", "INSERT INTO users (email, is_active) VALUES ('b@example.com', 2)", {},
                         "users_is_active_boolean");
    }
    SECTION("bad timestamp") {
        require_rejected(s, "sessions", "INSERT INTO sessions (user_id, expires_at) VALUES (?1, '2024-05-01 10:00:00')",
                         {k_user}, "sessions_expires_at_timestamp");
    }
    SECTION("bad or non-canonical UUID") {
        require_rejected(s, "users", "INSERT INTO users (id, email) VALUES ('not-a-uuid', 'c@example.com')", {},
                         "users_id_uuid");
        require_rejected(s, "users",
                         "INSERT INTO users (id, email) VALUES ('AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA', 'c@example.com')",
                         {}, "users_id_uuid");
    }
    SECTION("too long for the cloud's VARCHAR") {
        require_rejected(s, "containers", "INSERT INTO containers (container_id, name, status) VALUES ('x', 'n', ?1)",
                         {std::string(51, 's')}, "containers_status_length");
    }
    SECTION("dangling foreign key") {
        require_rejected(s, "containers",
                         "INSERT INTO containers (container_id, name, user_id) VALUES ('x', 'n', "
                         "'99999999-9999-4999-8999-999999999999')",
                         {}, "FOREIGN KEY");
    }
    SECTION("duplicate unique") {
        require_rejected(s, "users", "INSERT INTO users (email) VALUES ('ada@example.com')", {}, "users.email");
        require_rejected(s, "containers", "INSERT INTO containers (container_id, name) VALUES ('docker-1', 'again')", {},
                         "containers.container_id");
    }
    SECTION("missing required value") {
        require_rejected(s, "chat_messages", "INSERT INTO chat_messages (session_id, role) VALUES ('s', 'user')", {},
                         "chat_messages.content");
    }
}

TEST_CASE("december: defaults fill ids, timestamps, flags and JSON", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    s.execute("INSERT INTO containers (container_id, name) VALUES ('d', 'n')");
    auto r = s.query("SELECT id, status, labels, metadata, created_at, updated_at FROM containers");
    REQUIRE(r.rows.size() == 1);
    CHECK(r.at(0, "id").as_text().size() == 36);
    CHECK(r.at(0, "status").as_text() == "created");
    CHECK(r.at(0, "labels").as_text() == "{}");
    CHECK(r.at(0, "created_at").as_text().size() == 24);
    CHECK(r.at(0, "created_at").as_text().back() == 'Z');
    s.execute("INSERT INTO file_storage (file_path, file_name) VALUES ('/a', 'a')");
    CHECK(s.query_value("SELECT is_deleted FROM file_storage")->as_int() == 0);
    s.execute("INSERT INTO users (email) VALUES ('d@example.com')");
    CHECK(s.query_value("SELECT is_active FROM users")->as_int() == 1);
}

TEST_CASE("december: deleting a user or container cascades", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    seed_rows(s);
    s.execute("INSERT INTO sessions (user_id, expires_at) VALUES (?1, '2999-01-01T00:00:00.000Z')", {k_user});
    s.execute("INSERT INTO chat_messages (container_id, session_id, role, content) VALUES (?1, 's', 'user', 'hi')",
              {k_container});
    s.execute("INSERT INTO file_storage (container_id, file_path, file_name) VALUES (?1, '/a', 'a')", {k_container});

    SECTION("container") {
        s.execute("DELETE FROM containers WHERE id = ?1", {k_container});
        CHECK(count(s, "projects") == 0);
        CHECK(count(s, "chat_messages") == 0);
        CHECK(count(s, "file_storage") == 0);
        CHECK(count(s, "users") == 1);
        CHECK(count(s, "sessions") == 1);
    }
    SECTION("user") {
        s.execute("DELETE FROM users WHERE id = ?1", {k_user});
        for (const char* t : {"sessions", "containers", "projects", "chat_messages", "file_storage"}) {
            INFO(t);
            CHECK(count(s, t) == 0);
        }
    }
}

TEST_CASE("december: updated_at triggers stamp local updates and keep explicit values", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    seed_rows(s);
    s.execute("INSERT INTO file_storage (id, file_path, file_name) VALUES ('44444444-4444-4444-8444-444444444444', '/a', 'a')");
    const std::string old = "2000-01-01T00:00:00.000Z";
    for (const std::string table : {"containers", "projects", "file_storage"}) {
        INFO(table);
        s.execute("UPDATE " + table + " SET updated_at = ?1", {old});
        CHECK(s.query_value("SELECT updated_at FROM " + table)->as_text() == old);  // explicit value kept
        const std::string col = table == "file_storage" ? "file_name" : "name";
        s.execute("UPDATE " + table + " SET " + col + " = 'renamed'");
        const auto now = s.query_value("SELECT updated_at FROM " + table)->as_text();
        CHECK(now > "2020-01-01T00:00:00.000Z");
        CHECK(now.size() == old.size());
    }
    // users has no updated_at trigger in the seed.
    s.execute("UPDATE users SET updated_at = ?1", {old});
    s.execute("UPDATE users SET name = 'Ada L.'");
    CHECK(s.query_value("SELECT updated_at FROM users")->as_text() == old);
}

TEST_CASE("december: the views return the seed's rows and columns", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    seed_rows(s);
    s.execute(
        "INSERT INTO containers (id, container_id, name, status, created_at) VALUES "
        "('55555555-5555-4555-8555-555555555555', 'docker-2', 'Two', 'created', '2024-05-02T10:00:00.000Z'), "
        "('66666666-6666-4666-8666-666666666666', 'docker-3', 'Three', 'stopped', '2024-05-03T10:00:00.000Z')");
    for (int i = 0; i < 3; ++i)
        s.execute("INSERT INTO chat_messages (container_id, session_id, role, content) VALUES (?1, 's', 'user', 'm')",
                  {k_container});

    auto ac = s.query("SELECT * FROM active_containers");
    const std::vector<std::string> ac_cols = {"id",         "container_id", "name",        "status",
                                              "image_name", "assigned_port", "url",        "created_at",
                                              "updated_at", "started_at",   "stopped_at",  "user_id",
                                              "labels",     "metadata",     "project_name", "project_description",
                                              "user_email"};
    CHECK(ac.columns == ac_cols);
    REQUIRE(ac.rows.size() == 2);  // the stopped container is not active
    CHECK(ac.at(0, "container_id").as_text() == "docker-2");  // newest first
    CHECK(ac.at(0, "project_name").is_null());
    CHECK(ac.at(1, "container_id").as_text() == "docker-1");
    CHECK(ac.at(1, "project_name").as_text() == "P");
    CHECK(ac.at(1, "project_description").as_text() == "desc");
    CHECK(ac.at(1, "user_email").as_text() == "ada@example.com");

    auto up = s.query("SELECT * FROM user_projects");
    const std::vector<std::string> up_cols = {"id",         "container_id", "name",     "description",
                                              "type",       "status",       "created_at", "updated_at",
                                              "user_id",    "metadata",     "settings", "container_status",
                                              "assigned_port", "url",       "message_count"};
    CHECK(up.columns == up_cols);
    REQUIRE(up.rows.size() == 1);
    CHECK(up.at(0, "container_status").as_text() == "running");
    CHECK(up.at(0, "message_count").as_int() == 3);
}

TEST_CASE("december: typed helpers", "[unit][december]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "december");
    const auto user = dec::create_user(s, {"grace@example.com", std::string("Grace"), std::nullopt});
    CHECK(s.query_value("SELECT email FROM users WHERE id = ?1", {user})->as_text() == "grace@example.com");

    dec::NewContainer nc;
    nc.container_id = "docker-9";
    nc.name = "Nine";
    nc.user_id = user;
    nc.assigned_port = 3000;
    const auto container = dec::create_container(s, nc);
    CHECK(s.query_value("SELECT status FROM containers WHERE id = ?1", {container})->as_text() == "created");

    dec::NewProject np;
    np.name = "Site";
    np.container_id = container;
    np.user_id = user;
    const auto project = dec::create_project(s, np);

    dec::add_chat_message(s, {container, "session-1", "user", "build me a site", "[]", "{}"});
    dec::add_chat_message(s, {container, "session-1", "assistant", "done", "[]", "{}"});

    SECTION("update_container_status sets started_at and stopped_at") {
        dec::update_container_status(s, container, "running");
        auto r = s.query("SELECT status, started_at, stopped_at FROM containers WHERE id = ?1", {container});
        CHECK(r.at(0, "status").as_text() == "running");
        CHECK(!r.at(0, "started_at").is_null());
        CHECK(r.at(0, "stopped_at").is_null());
        dec::update_container_status(s, container, "stopped");
        r = s.query("SELECT status, started_at, stopped_at FROM containers WHERE id = ?1", {container});
        CHECK(r.at(0, "status").as_text() == "stopped");
        CHECK(!r.at(0, "stopped_at").is_null());
        const auto stopped_at = r.at(0, "stopped_at").as_text();
        dec::update_container_status(s, container, "deleted");
        CHECK(s.query_value("SELECT stopped_at FROM containers WHERE id = ?1", {container})->as_text() == stopped_at);
        dec::update_container_status(s, container, "running");
        CHECK(s.query_value("SELECT stopped_at FROM containers WHERE id = ?1", {container})->is_null());
    }
    SECTION("update_container_status refuses unknown statuses and ids") {
        try {
            dec::update_container_status(s, container, "paused");
            FAIL("accepted status 'paused'");
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ErrorCode::invalid_argument);
        }
        try {
            dec::update_container_status(s, "99999999-9999-4999-8999-999999999999", "running");
            FAIL("accepted an unknown container");
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ErrorCode::not_found);
        }
        CHECK(s.query_value("SELECT status FROM containers WHERE id = ?1", {container})->as_text() == "created");
    }
    SECTION("add_chat_message checks the role") {
        try {
            dec::add_chat_message(s, {container, "session-1", "robot", "x", "[]", "{}"});
            FAIL("accepted role 'robot'");
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ErrorCode::invalid_argument);
        }
        CHECK(count(s, "chat_messages") == 2);
    }
    SECTION("create_user reports a taken email") {
        try {
            dec::create_user(s, {"grace@example.com", std::nullopt, std::nullopt});
            FAIL("duplicate email accepted");
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ErrorCode::constraint);
        }
    }
    SECTION("views through the helpers") {
        const auto active = dec::active_containers(s);
        REQUIRE(active.size() == 1);
        CHECK(active[0].id == container);
        CHECK(active[0].assigned_port == std::optional<std::int64_t>(3000));
        CHECK(active[0].project_name == std::optional<std::string>("Site"));
        CHECK(active[0].user_email == std::optional<std::string>("grace@example.com"));
        dec::update_container_status(s, container, "stopped");
        CHECK(dec::active_containers(s).empty());

        const auto projects = dec::user_projects(s, user);
        REQUIRE(projects.size() == 1);
        CHECK(projects[0].id == project);
        CHECK(projects[0].message_count == 2);
        CHECK(projects[0].container_status == std::optional<std::string>("stopped"));
        CHECK(dec::user_projects(s, std::string("99999999-9999-4999-8999-999999999999")).empty());
    }
    SECTION("purge_expired_sessions deletes only expired sessions") {
        s.execute("INSERT INTO sessions (user_id, expires_at) VALUES (?1, '2000-01-01T00:00:00.000Z')", {user});
        s.execute("INSERT INTO sessions (user_id, expires_at) VALUES (?1, '2999-01-01T00:00:00.000Z')", {user});
        CHECK(dec::purge_expired_sessions(s) == 1);
        CHECK(count(s, "sessions") == 1);
        CHECK(s.query_value("SELECT expires_at FROM sessions")->as_text() == "2999-01-01T00:00:00.000Z");
        CHECK(dec::purge_expired_sessions(s) == 0);
    }
}
