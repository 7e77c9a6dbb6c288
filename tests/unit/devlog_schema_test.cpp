// tests/unit/devlog_schema_test.cpp: the devlog device schema (sql/apps/devlog/sqlite) and its
// typed helpers: tables and keys (integer, uuid, composite), server-only parts absent,
// constraints naming what they reject, cascades and RESTRICT/SET NULL, the @updatedAt triggers,
// the agent_events_hourly view, and the helpers' documented behaviour.
#include <catch2/catch.hpp>

#include <ferry/apps/devlog.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace dl = ferry::apps::devlog;
using ferry::ErrorCode;
using ferry::Store;
using ferry::Value;
using ferry::test::code_of;
using ferry::test::columns_of;
using ferry::test::count;
using ferry::test::require_rejected;

namespace {

const char* const k_session = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";

/// Grants the store ids [first, last] for `table`, as a lease from the cloud would.
void grant_ids(Store& s, const std::string& table, std::int64_t first, std::int64_t last) {
    s.execute("INSERT INTO ferry_id_leases (tbl, column, next_id, last_id) VALUES (?1, 'id', ?2, ?3)",
              {table, first, last});
}

/// A project, machine, workspace and chat session, with fixed keys: project 1, machine 1,
/// workspace 1, chat session k_session; and leased ids 100-199 for rows inserted without a key.
void seed_rows(Store& s) {
    for (const char* t : {"projects", "machines", "workspaces", "chat_sessions", "devlog_entries"})
        grant_ids(s, t, 100, 199);
    s.exec(
        "INSERT INTO projects (id, name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
        "VALUES (1, 'devlog', 'codervisor/devlog', 'git@github.com:codervisor/devlog.git', 'codervisor', 'devlog');"
        "INSERT INTO machines (id, \"machineId\", hostname, username, \"osType\", \"machineType\") "
        "VALUES (1, 'marv-macbook-pro-darwin', 'marv-macbook-pro', 'marvzhang', 'darwin', 'local');"
        "INSERT INTO machine_projects (\"machineId\", \"projectId\") VALUES (1, 1);"
        "INSERT INTO workspaces (id, project_id, machine_id, workspace_id, workspace_path, workspace_type) "
        "VALUES (1, 1, 1, 'ws-1', '/src/devlog', 'folder');");
    s.execute(
        "INSERT INTO chat_sessions (id, \"sessionId\", workspace_id, agent_type, started_at) "
        "VALUES (1, ?1, 1, 'claude', '2024-05-01T12:00:00.000Z')",
        {k_session});
}

void add_event(Store& s, const std::string& ts, const std::string& type, const Value& metrics) {
    s.execute(
        "INSERT INTO agent_events (\"timestamp\", event_type, agent_id, agent_version, session_id, project_id, metrics) "
        "VALUES (?1, ?2, 'claude', '1.0', ?3, 1, ?4)",
        {ts, type, k_session, metrics});
}

}  // namespace

TEST_CASE("devlog: a fresh store has the schema and reopening changes nothing", "[unit][devlog]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("devlog.db");
    std::int64_t objects = 0;
    {
        auto s = Store::open(path, "devlog");
        CHECK(s.schema_version() == 2);
        objects = s.query_value("SELECT count(*) FROM sqlite_master")->as_int();
    }
    auto s = Store::open(path, "devlog");
    CHECK(s.schema_version() == 2);
    CHECK(s.query_value("SELECT count(*) FROM sqlite_master")->as_int() == objects);
}

TEST_CASE("devlog: synced tables exist with primary keys, server-only parts do not", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    const auto tables = s.synced_tables();
    REQUIRE(!tables.empty());
    CHECK(std::find(tables.begin(), tables.end(), "agent_events") != tables.end());
    for (const auto& t : tables) {
        INFO(t);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1", {t})->as_int() == 1);
        CHECK(s.query_value("SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0", {t})->as_int() >= 1);
        CHECK(s.query_value("SELECT strict FROM pragma_table_list WHERE name=?1", {t})->as_int() == 1);
    }
    // Autoincrement keys take leased ids: INT (not a rowid alias, so the DEFAULT applies) with
    // DEFAULT ferry_next_id('<table>'). users.id leases nothing: devices never create users.
    for (const std::string t : {"projects", "machines", "workspaces", "chat_sessions", "devlog_entries"}) {
        INFO(t);
        auto r = s.query("SELECT type, \"notnull\", dflt_value FROM pragma_table_info(?1) WHERE pk = 1", {t});
        REQUIRE(r.rows.size() == 1);
        CHECK(r.at(0, "type").as_text() == "INT");
        CHECK(r.at(0, "notnull").as_int() == 1);
        CHECK(r.at(0, "dflt_value").as_text() == "ferry_next_id('" + t + "')");
    }
    CHECK(s.query_value("SELECT type FROM pragma_table_info('users') WHERE pk = 1")->as_text() == "INTEGER");
    CHECK(s.query_value("SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('machine_projects') "
                        "WHERE pk > 0 ORDER BY pk)")
              ->as_text() == "machineId,projectId");
    // Authentication secrets stay on the server.
    for (const char* t : {"user_providers", "email_verification_tokens", "password_reset_tokens"}) {
        INFO(t);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE name=?1", {t})->as_int() == 0);
    }
    const auto user_cols = columns_of(s, "users");
    CHECK(std::find(user_cols.begin(), user_cols.end(), "password_hash") == user_cols.end());
    CHECK(std::find(user_cols.begin(), user_cols.end(), "is_email_verified") != user_cols.end());
}

TEST_CASE("devlog: Prisma's index names exist on the device", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    for (const char* name :
         {"projects_fullName_key", "projects_repoUrl_key", "projects_fullName_idx", "projects_repoUrl_idx",
          "machines_machineId_key", "machines_machineId_idx", "machines_hostname_idx", "machines_machineType_idx",
          "workspaces_workspace_id_key", "workspaces_project_id_machine_id_workspace_id_key",
          "workspaces_workspace_id_idx", "workspaces_project_id_idx", "workspaces_machine_id_idx",
          "chat_sessions_sessionId_key", "chat_sessions_sessionId_idx", "chat_sessions_workspace_id_idx",
          "chat_sessions_started_at_idx", "chat_sessions_agent_type_idx", "chat_messages_session_id_idx",
          "chat_messages_timestamp_idx", "chat_messages_session_id_sequence_idx", "agent_events_timestamp_idx",
          "agent_events_session_id_idx", "agent_events_project_id_idx", "agent_events_agent_id_idx",
          "agent_events_event_type_idx", "agent_events_tags_idx", "agent_events_severity_idx",
          "agent_sessions_start_time_idx", "agent_sessions_agent_id_idx", "agent_sessions_project_id_idx",
          "agent_sessions_outcome_idx", "agent_sessions_quality_score_idx", "devlog_entries_key_field_key",
          "devlog_entries_status_idx", "devlog_entries_type_idx", "devlog_entries_priority_idx",
          "devlog_entries_project_id_idx", "devlog_notes_devlog_id_idx", "devlog_notes_timestamp_idx",
          "devlog_dependencies_devlog_id_idx", "devlog_documents_devlog_id_idx", "users_email_key"}) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='index' AND name=?1", {name})->as_int() == 1);
    }
}

TEST_CASE("devlog: new integer keys come from leased ids, and fail loudly without one", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    const std::string insert =
        "INSERT INTO projects (name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
        "VALUES ('n', ?1, ?1, 'o', 'r')";
    try {
        s.execute(insert, {"a/one"});
        FAIL("a project got an id without a lease");
    } catch (const ferry::Error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("no leased ids left for table projects") != std::string::npos);
    }
    CHECK(count(s, "projects") == 0);

    grant_ids(s, "projects", 501, 502);
    s.execute(insert, {"a/one"});
    s.execute(insert, {"a/two"});
    CHECK(s.query_value("SELECT group_concat(id, ',') FROM (SELECT id FROM projects ORDER BY id)")->as_text() ==
          "501,502");
    CHECK(code_of([&] { s.execute(insert, {"a/three"}); }) != ErrorCode::constraint);
    s.execute("INSERT INTO projects (id, name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
              "VALUES (7, 'n', 'a/explicit', 'a/explicit', 'o', 'r')");  // explicit ids need no lease
    CHECK(count(s, "projects") == 3);
    require_rejected(s, "projects",
                     "INSERT INTO projects (id, name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
                     "VALUES ('seven', 'n', 'a/x', 'a/x', 'o', 'r')",
                     {}, "projects.id");
}

TEST_CASE("devlog: constraints reject bad values and name what is wrong", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    seed_rows(s);

    SECTION("bad JSON") {
        require_rejected(s, "machines",
                         "INSERT INTO machines (\"machineId\", hostname, username, \"osType\", \"machineType\", metadata) "
                         "VALUES ('m2', 'h', 'u', 'linux', 'ci', '{nope')",
                         {}, "machines_metadata_json");
    }
    SECTION("a text[] column takes a JSON array only") {
        const std::string sql =
            "INSERT INTO agent_events (\"timestamp\", event_type, agent_id, agent_version, session_id, project_id, tags) "
            "VALUES ('2024-05-01T12:00:00.000Z', 'e', 'a', '1', ?1, 1, ?2)";
        require_rejected(s, "agent_events", sql, {k_session, "{\"a\": 1}"}, "agent_events_tags_array");
        require_rejected(s, "agent_events", sql, {k_session, "a,b"}, "agent_events_tags_array");
        s.execute(sql, {k_session, "[\"a\",\"b\"]"});
        s.execute(sql, {k_session, Value()});
        CHECK(count(s, "agent_events") == 2);
    }
    SECTION("DECIMAL(5,2) as exact text") {
        const std::string sql =
            "INSERT INTO agent_sessions (agent_id, agent_version, project_id, start_time, quality_score) "
            "VALUES ('a', '1', 1, '2024-05-01T12:00:00.000Z', ?1)";
        for (const char* bad : {"1000", "12.345", "abc", "1e2", "", "--1", ".5", "5."}) {
            INFO(bad);
            require_rejected(s, "agent_sessions", sql, {bad}, "agent_sessions_quality_score_decimal");
        }
        for (const char* good : {"0", "85", "99.5", "100.00", "-12.25"}) {
            INFO(good);
            s.execute(sql, {good});
        }
        CHECK(count(s, "agent_sessions") == 5);
    }
    SECTION("wrong storage type") {
        require_rejected(s, "chat_sessions",
                         "INSERT INTO chat_sessions (\"sessionId\", workspace_id, agent_type, started_at, total_tokens) "
                         "VALUES ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 1, 'claude', '2024-05-01T12:00:00.000Z', 'many')",
                         {}, "chat_sessions.total_tokens");
    }
    SECTION("bad timestamp") {
        require_rejected(s, "chat_sessions",
                         "INSERT INTO chat_sessions (\"sessionId\", workspace_id, agent_type, started_at) "
                         "VALUES ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 1, 'claude', 'yesterday')",
                         {}, "chat_sessions_started_at_timestamp");
    }
    SECTION("bad uuid") {
        require_rejected(s, "chat_sessions",
                         "INSERT INTO chat_sessions (\"sessionId\", workspace_id, agent_type, started_at) "
                         "VALUES ('session-1', 1, 'claude', '2024-05-01T12:00:00.000Z')",
                         {}, "chat_sessions_sessionId_uuid");
    }
    SECTION("bad boolean") {
        require_rejected(s, "devlog_entries",
                         "INSERT INTO devlog_entries (key_field, title, description, project_id, archived) "
                         "VALUES ('k', 't', 'd', 1, 7)",
                         {}, "devlog_entries_archived_boolean");
    }
    SECTION("dangling foreign keys, including the one to a unique non-key column") {
        require_rejected(s, "chat_messages",
                         "INSERT INTO chat_messages (id, session_id, role, content, \"timestamp\", sequence) "
                         "VALUES ('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', "
                         "'user', 'hi', '2024-05-01T12:00:00.000Z', 1)",
                         {}, "FOREIGN KEY");
        require_rejected(s, "workspaces",
                         "INSERT INTO workspaces (project_id, machine_id, workspace_id, workspace_path, workspace_type) "
                         "VALUES (1, 42, 'ws-2', '/x', 'folder')",
                         {}, "FOREIGN KEY");
    }
    SECTION("duplicate unique and composite keys") {
        require_rejected(s, "projects",
                         "INSERT INTO projects (name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
                         "VALUES ('x', 'codervisor/devlog', 'other-url', 'o', 'n')",
                         {}, "projects.fullName");
        require_rejected(s, "machine_projects", "INSERT INTO machine_projects (\"machineId\", \"projectId\") VALUES (1, 1)",
                         {}, "machine_projects.machineId");
    }
}

TEST_CASE("devlog: cascades, RESTRICT and SET NULL follow the Prisma relations", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    seed_rows(s);
    s.execute(
        "INSERT INTO chat_messages (id, session_id, role, content, \"timestamp\", sequence) "
        "VALUES ('cccccccc-cccc-4ccc-8ccc-cccccccccccc', ?1, 'user', 'hi', '2024-05-01T12:00:00.000Z', 1)",
        {k_session});
    add_event(s, "2024-05-01T12:00:00.000Z", "llm_request", Value());
    s.execute("INSERT INTO agent_sessions (agent_id, agent_version, project_id, start_time) "
              "VALUES ('claude', '1', 1, '2024-05-01T12:00:00.000Z')");

    SECTION("deleting a chat session removes its messages and events (FK on sessionId)") {
        s.execute("DELETE FROM chat_sessions WHERE \"sessionId\" = ?1", {k_session});
        CHECK(count(s, "chat_messages") == 0);
        CHECK(count(s, "agent_events") == 0);
        CHECK(count(s, "workspaces") == 1);
    }
    SECTION("deleting a machine removes its workspaces and links") {
        s.execute("DELETE FROM machines WHERE id = 1");
        CHECK(count(s, "machine_projects") == 0);
        CHECK(count(s, "workspaces") == 0);
        CHECK(count(s, "chat_sessions") == 0);
        CHECK(count(s, "projects") == 1);
    }
    SECTION("a project with devlog entries cannot be deleted (RESTRICT)") {
        s.execute("INSERT INTO devlog_entries (key_field, title, description, project_id) VALUES ('k', 't', 'd', 1)");
        require_rejected(s, "projects", "DELETE FROM projects WHERE id = 1", {}, "FOREIGN KEY");
        CHECK(count(s, "agent_events") == 1);
    }
    SECTION("deleting a project without entries cascades to everything under it") {
        s.execute("DELETE FROM projects WHERE id = 1");
        for (const char* t : {"machine_projects", "workspaces", "chat_sessions", "chat_messages", "agent_events",
                              "agent_sessions"}) {
            INFO(t);
            CHECK(count(s, t) == 0);
        }
        CHECK(count(s, "machines") == 1);
    }
    SECTION("devlog entry: notes/dependencies/documents cascade, a dependency target is set null") {
        s.exec(
            "INSERT INTO devlog_entries (id, key_field, title, description, project_id) VALUES (10, 'a', 't', 'd', 1);"
            "INSERT INTO devlog_entries (id, key_field, title, description, project_id) VALUES (11, 'b', 't', 'd', 1);"
            "INSERT INTO devlog_notes (id, devlog_id, \"timestamp\", category, content) VALUES "
            "('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 11, '2024-05-01T12:00:00.000Z', 'progress', 'n');"
            "INSERT INTO devlog_documents (id, devlog_id, filename, original_name, mime_type, size, type, binary_content) "
            "VALUES ('ffffffff-ffff-4fff-8fff-ffffffffffff', 11, 'f', 'f.bin', 'application/octet-stream', 2, 'binary', "
            "x'00ff');"
            "INSERT INTO devlog_dependencies (id, devlog_id, type, description, target_devlog_id) VALUES "
            "('12121212-1212-4212-8212-121212121212', 10, 'blocks', 'x', 11);");
        s.execute("DELETE FROM devlog_entries WHERE id = 11");
        CHECK(count(s, "devlog_notes") == 0);
        CHECK(count(s, "devlog_documents") == 0);
        CHECK(count(s, "devlog_dependencies") == 1);
        CHECK(s.query_value("SELECT target_devlog_id FROM devlog_dependencies")->is_null());
    }
}

TEST_CASE("devlog: @updatedAt columns are maintained by triggers", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    seed_rows(s);
    s.execute("INSERT INTO devlog_entries (id, key_field, title, description, project_id) VALUES (1, 'k', 't', 'd', 1)");
    s.execute("INSERT INTO users (id, email) VALUES (1, 'ada@example.com')");
    s.execute(
        "INSERT INTO devlog_documents (id, devlog_id, filename, original_name, mime_type, size, type) "
        "VALUES ('ffffffff-ffff-4fff-8fff-ffffffffffff', 1, 'f', 'f.txt', 'text/plain', 1, 'text')");
    struct Case {
        const char* table;
        const char* column;
        const char* touch;
    };
    const std::string old = "2000-01-01T00:00:00.000Z";
    for (const Case& c : {Case{"projects", "updated_at", "description = 'x'"},
                          Case{"machines", "last_seen_at", "hostname = 'x'"},
                          Case{"workspaces", "last_seen_at", "branch = 'main'"},
                          Case{"devlog_entries", "updated_at", "status = 'done'"},
                          Case{"devlog_documents", "updated_at", "size = 2"},
                          Case{"users", "updated_at", "name = 'Ada'"}}) {
        INFO(c.table);
        const std::string col = std::string("\"") + c.column + "\"";
        CHECK(s.query_value("SELECT " + col + " FROM " + c.table)->as_text().size() == old.size());  // default
        s.execute("UPDATE " + std::string(c.table) + " SET " + col + " = ?1", {old});
        CHECK(s.query_value("SELECT " + col + " FROM " + c.table)->as_text() == old);  // explicit value kept
        s.execute("UPDATE " + std::string(c.table) + " SET " + c.touch);
        CHECK(s.query_value("SELECT " + col + " FROM " + c.table)->as_text() > "2020-01-01T00:00:00.000Z");
    }
}

TEST_CASE("devlog: agent_events_hourly groups events by UTC hour", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    seed_rows(s);
    add_event(s, "2024-05-01T12:05:00.000Z", "llm_request", "{\"duration\": 100}");
    add_event(s, "2024-05-01T12:59:59.999Z", "llm_request", "{\"duration\": 51}");
    add_event(s, "2024-05-01T12:30:00.000Z", "tool_use", Value());
    add_event(s, "2024-05-01T13:00:00.000Z", "llm_request", "{\"tokens\": 5}");

    auto r = s.query("SELECT * FROM agent_events_hourly ORDER BY bucket, event_type");
    const std::vector<std::string> cols = {"bucket",     "project_id",  "agent_id",
                                           "event_type", "event_count", "avg_duration"};
    CHECK(r.columns == cols);
    REQUIRE(r.rows.size() == 3);
    CHECK(r.at(0, "bucket").as_text() == "2024-05-01T12:00:00.000Z");
    CHECK(r.at(0, "event_type").as_text() == "llm_request");
    CHECK(r.at(0, "event_count").as_int() == 2);
    CHECK(r.at(0, "avg_duration").as_real() == Approx(75.5));
    CHECK(r.at(1, "event_type").as_text() == "tool_use");
    CHECK(r.at(1, "avg_duration").is_null());
    CHECK(r.at(2, "bucket").as_text() == "2024-05-01T13:00:00.000Z");
    CHECK(r.at(2, "event_count").as_int() == 1);
    CHECK(r.at(2, "avg_duration").is_null());

    const auto stats = dl::agent_events_hourly(s, 1);
    REQUIRE(stats.size() == 3);
    CHECK(stats[0].bucket == "2024-05-01T12:00:00.000Z");
    CHECK(stats[0].event_count == 2);
    REQUIRE(stats[0].avg_duration);
    CHECK(*stats[0].avg_duration == Approx(75.5));
    CHECK(!stats[1].avg_duration);
    CHECK(dl::agent_events_hourly(s, 2).empty());
}

TEST_CASE("devlog: typed helpers", "[unit][devlog]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("d.db"), "devlog");
    for (const char* t : {"projects", "machines", "workspaces", "chat_sessions", "devlog_entries"})
        grant_ids(s, t, 100, 199);

    dl::MachineInfo m;
    m.machine_id = "marv-macbook-pro-darwin";
    m.hostname = "marv-macbook-pro";
    m.username = "marvzhang";
    m.os_type = "darwin";
    m.machine_type = "local";
    const auto machine = dl::register_machine(s, m);
    CHECK(machine == 100);

    const auto project = dl::upsert_project(s, {"devlog", "codervisor/devlog", "git@github.com:codervisor/devlog.git",
                                                "codervisor", "devlog", std::nullopt});
    dl::WorkspaceInfo w;
    w.project_id = project;
    w.machine_id = machine;
    w.workspace_id = "ws-1";
    w.workspace_path = "/src/devlog";
    w.workspace_type = "folder";
    const auto workspace = dl::upsert_workspace(s, w);

    dl::NewChatSession cs;
    cs.workspace_id = workspace;
    cs.agent_type = "claude";
    const auto session = dl::start_chat_session(s, cs);
    CHECK(session.size() == 36);

    SECTION("register_machine and upsert_project update in place") {
        m.hostname = "renamed";
        m.os_version = "14.5";
        CHECK(dl::register_machine(s, m) == machine);
        CHECK(count(s, "machines") == 1);
        CHECK(s.query_value("SELECT next_id FROM ferry_id_leases WHERE tbl = 'machines'")->as_int() == 101);
        CHECK(s.query_value("SELECT hostname FROM machines WHERE id = ?1", {machine})->as_text() == "renamed");
        CHECK(s.query_value("SELECT \"osVersion\" FROM machines WHERE id = ?1", {machine})->as_text() == "14.5");

        CHECK(dl::upsert_project(s, {"devlog2", "codervisor/devlog", "git@github.com:codervisor/devlog.git",
                                     "codervisor", "devlog", std::string("desc")}) == project);
        CHECK(count(s, "projects") == 1);
        CHECK(s.query_value("SELECT name FROM projects")->as_text() == "devlog2");
        const auto other = dl::upsert_project(s, {"x", "someone/x", "git@x", "someone", "x", std::nullopt});
        CHECK(other != project);
        CHECK(code_of([&] {
                  dl::upsert_project(s, {"y", "someone/y", "git@x", "someone", "y", std::nullopt});
              }) == ErrorCode::constraint);  // repoUrl taken
    }
    SECTION("record_agent_event stores arrays as JSON and defaults the timestamp") {
        dl::NewAgentEvent e;
        e.event_type = "tool_use";
        e.agent_id = "claude";
        e.agent_version = "4.5";
        e.session_id = session;
        e.project_id = project;
        e.tags = {"fs", "say \"hi\""};
        e.metrics = std::string("{\"duration\": 12}");
        const auto id = dl::record_agent_event(s, e);
        auto r = s.query("SELECT tags, related_event_ids, \"timestamp\" FROM agent_events WHERE id = ?1", {id});
        REQUIRE(r.rows.size() == 1);
        CHECK(r.at(0, "tags").as_text() == "[\"fs\",\"say \\\"hi\\\"\"]");
        CHECK(r.at(0, "related_event_ids").as_text() == "[]");
        CHECK(r.at(0, "timestamp").as_text().size() == 24);

        e.parent_event_id = id;
        e.related_event_ids = {id};
        const auto child = dl::record_agent_event(s, e);
        CHECK(s.query_value("SELECT json_extract(related_event_ids, '$[0]') FROM agent_events WHERE id = ?1", {child})
                  ->as_text() == id);

        e.session_id = "99999999-9999-4999-8999-999999999999";
        CHECK(code_of([&] { dl::record_agent_event(s, e); }) == ErrorCode::constraint);
        CHECK(count(s, "agent_events") == 2);
    }
    SECTION("agent sessions start and end with a duration") {
        dl::NewAgentSession as;
        as.agent_id = "claude";
        as.agent_version = "4.5";
        as.project_id = project;
        as.start_time = std::string("2024-05-01T12:00:00.000Z");
        const auto id = dl::start_agent_session(s, as);

        dl::AgentSessionEnd bad;
        bad.quality_score = std::string("12.345");
        bad.end_time = std::string("2024-05-01T12:01:30.500Z");
        CHECK(code_of([&] { dl::end_agent_session(s, id, bad); }) == ErrorCode::constraint);
        CHECK(s.query_value("SELECT end_time FROM agent_sessions WHERE id = ?1", {id})->is_null());

        dl::AgentSessionEnd end;
        end.outcome = std::string("success");
        end.quality_score = std::string("87.50");
        end.end_time = std::string("2024-05-01T12:01:30.500Z");
        dl::end_agent_session(s, id, end);
        auto r = s.query("SELECT end_time, duration, outcome, quality_score FROM agent_sessions WHERE id = ?1", {id});
        CHECK(r.at(0, "end_time").as_text() == "2024-05-01T12:01:30.500Z");
        CHECK(r.at(0, "duration").as_int() == 90);
        CHECK(r.at(0, "outcome").as_text() == "success");
        CHECK(r.at(0, "quality_score").as_text() == "87.50");

        CHECK(code_of([&] { dl::end_agent_session(s, id, end); }) == ErrorCode::invalid_argument);
        CHECK(code_of([&] { dl::end_agent_session(s, "99999999-9999-4999-8999-999999999999", end); }) ==
              ErrorCode::not_found);
        const auto early = dl::start_agent_session(s, as);
        dl::AgentSessionEnd before;
        before.end_time = std::string("2024-05-01T11:00:00.000Z");
        CHECK(code_of([&] { dl::end_agent_session(s, early, before); }) == ErrorCode::invalid_argument);
        dl::end_agent_session(s, early, {});  // now
        CHECK(s.query_value("SELECT duration FROM agent_sessions WHERE id = ?1", {early})->as_int() > 0);
    }
    SECTION("devlog entries and notes") {
        dl::NewDevlogEntry d;
        d.key = "DEV-1";
        d.title = "Ship it";
        d.description = "All of it";
        d.project_id = project;
        const auto entry = dl::create_devlog_entry(s, d);
        auto r = s.query("SELECT key_field, type, status, priority, archived FROM devlog_entries WHERE id = ?1", {entry});
        CHECK(r.at(0, "key_field").as_text() == "DEV-1");
        CHECK(r.at(0, "type").as_text() == "task");
        CHECK(r.at(0, "status").as_text() == "new");
        CHECK(r.at(0, "priority").as_text() == "medium");
        CHECK(r.at(0, "archived").as_int() == 0);
        CHECK(code_of([&] { dl::create_devlog_entry(s, d); }) == ErrorCode::constraint);

        const auto note = dl::add_devlog_note(s, entry, "progress", "halfway");
        CHECK(s.query_value("SELECT devlog_id FROM devlog_notes WHERE id = ?1", {note})->as_int() == entry);
        CHECK(code_of([&] { dl::add_devlog_note(s, entry + 100, "progress", "x"); }) == ErrorCode::constraint);
    }
    SECTION("purging old agent events") {
        for (const char* ts : {"2001-01-01T00:00:00.000Z", "2020-06-01T00:00:00.000Z"}) {
            dl::NewAgentEvent e;
            e.event_type = "llm_request";
            e.agent_id = "claude";
            e.agent_version = "1";
            e.session_id = session;
            e.project_id = project;
            e.timestamp = std::string(ts);
            dl::record_agent_event(s, e);
        }
        dl::NewAgentEvent fresh;
        fresh.event_type = "llm_request";
        fresh.agent_id = "claude";
        fresh.agent_version = "1";
        fresh.session_id = session;
        fresh.project_id = project;
        dl::record_agent_event(s, fresh);  // now

        CHECK(dl::purge_agent_events_before(s, "2010-01-01T00:00:00.000Z") == 1);
        CHECK(count(s, "agent_events") == 2);
        CHECK(dl::purge_agent_events_older_than(s, std::chrono::hours(24 * 365)) == 1);
        CHECK(count(s, "agent_events") == 1);
        CHECK(dl::purge_agent_events_older_than(s, std::chrono::hours(24 * 365)) == 0);
        CHECK(code_of([&] { dl::purge_agent_events_older_than(s, std::chrono::seconds(0)); }) ==
              ErrorCode::invalid_argument);
        CHECK(code_of([&] { dl::purge_agent_events_before(s, "2010-01-01"); }) == ErrorCode::invalid_argument);
    }
}
