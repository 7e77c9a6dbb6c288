// tests/integration/devlog_pg_schema_test.cpp: the devlog cloud schema on a real PostgreSQL:
// install from empty and again without change, Prisma's names, types and referential actions,
// parity with the device catalog, the @updatedAt triggers, and the time-series objects
// (agent_events_hourly, refresh and retention functions) agreeing with the device view.
#include <catch2/catch.hpp>

#include <ferry/apps/devlog.hpp>
#include <ferry/error.hpp>
#include <ferry/server.hpp>
#include <ferry/store.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/pg.hpp"
#include "tests/support/pg_catalog.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::test::catalog_snapshot;
using ferry::test::pg_rows;
using ferry::test::scalar_committed;

namespace {

using Rows = ferry::test::PgRows;

// sql/apps/devlog/sync_rules.json: what stays on the server.
const std::set<std::string> k_server_only_tables = {"user_providers", "email_verification_tokens",
                                                    "password_reset_tokens"};
const std::map<std::string, std::set<std::string>> k_server_only_columns = {{"users", {"password_hash"}}};


const char* const k_session = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";

/// The same parent rows, with fixed keys, for both sides.
const std::vector<std::string> k_parents = {
    "INSERT INTO projects (id, name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\", updated_at) VALUES "
    "(1, 'devlog', 'codervisor/devlog', 'git@github.com:codervisor/devlog.git', 'codervisor', 'devlog', "
    "'2024-05-01T00:00:00.000Z')",
    "INSERT INTO machines (id, \"machineId\", hostname, username, \"osType\", \"machineType\", last_seen_at) VALUES "
    "(1, 'm-1', 'host', 'user', 'linux', 'local', '2024-05-01T00:00:00.000Z')",
    "INSERT INTO workspaces (id, project_id, machine_id, workspace_id, workspace_path, workspace_type, last_seen_at) "
    "VALUES (1, 1, 1, 'ws-1', '/src', 'folder', '2024-05-01T00:00:00.000Z')",
    std::string("INSERT INTO chat_sessions (id, \"sessionId\", workspace_id, agent_type, started_at) VALUES "
                "(1, '") + k_session + "', 1, 'claude', '2024-05-01T12:00:00.000Z')",
};

std::string event_sql(int n, const std::string& ts, const std::string& type, const std::string& metrics) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
    return std::string("INSERT INTO agent_events (id, \"timestamp\", event_type, agent_id, agent_version, session_id, "
                       "project_id, metrics) VALUES ('") +
           id + "', '" + ts + "', '" + type + "', 'claude', '1.0', '" + k_session + "', 1, " + metrics + ")";
}

}  // namespace

TEST_CASE("devlog: the cloud schema installs from empty and again without change", "[integration][devlog]") {
    ferry::test::PgDatabase db;
    auto first = ferry::server::install_app_schema(db.conninfo(), "devlog");
    CHECK(first.from_version == 0);
    CHECK(first.to_version == 2);
    CHECK(first.applied.size() == 2);
    CHECK(ferry::server::installed_version(db.conninfo(), "devlog") == 2);

    // The stock test server has no TimescaleDB, so the plain path must have been taken; on a
    // server that preloads TimescaleDB the hypertable path is expected instead.
    const bool timescale =
        db.scalar("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AND "
                  "current_setting('shared_preload_libraries') ILIKE '%timescaledb%'") == "t";
    CHECK(db.scalar("SELECT devlog_timeseries_backend()") == (timescale ? "timescaledb" : "plain"));
    if (!timescale) {
        CHECK(db.scalar("SELECT count(*) FROM pg_matviews WHERE matviewname = 'agent_events_hourly'") == "1");
        CHECK(db.scalar("SELECT array_to_string(array_agg(a.attname ORDER BY a.attnum), ',') FROM pg_attribute a "
                        "WHERE a.attrelid = 'agent_events_hourly'::regclass AND a.attnum > 0") ==
              "bucket,project_id,agent_id,event_type,event_count,avg_duration");
    }

    const auto before = catalog_snapshot(db);
    auto second = ferry::server::install_app_schema(db.conninfo(), "devlog");
    CHECK(second.applied.empty());
    CHECK(second.to_version == 2);
    CHECK(catalog_snapshot(db) == before);
}

TEST_CASE("devlog: Prisma's names, types and referential actions", "[integration][devlog]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "devlog");

    // Foreign keys: name -> (ON DELETE, ON UPDATE) as pg_constraint codes (c cascade, r restrict, n set null).
    const std::map<std::string, std::string> fks = {
        {"machine_projects_machineId_fkey", "cc"},     {"machine_projects_projectId_fkey", "cc"},
        {"workspaces_project_id_fkey", "cc"},          {"workspaces_machine_id_fkey", "cc"},
        {"chat_sessions_workspace_id_fkey", "cc"},     {"chat_messages_session_id_fkey", "cc"},
        {"agent_events_session_id_fkey", "cc"},        {"agent_events_project_id_fkey", "cc"},
        {"agent_sessions_project_id_fkey", "cc"},      {"devlog_entries_project_id_fkey", "rc"},
        {"devlog_notes_devlog_id_fkey", "cc"},         {"devlog_dependencies_devlog_id_fkey", "cc"},
        {"devlog_dependencies_target_devlog_id_fkey", "nc"}, {"devlog_documents_devlog_id_fkey", "cc"},
        {"user_providers_user_id_fkey", "cc"},         {"email_verification_tokens_user_id_fkey", "cc"},
        {"password_reset_tokens_user_id_fkey", "cc"},
    };
    for (const auto& fk : fks) {
        INFO(fk.first);
        CHECK(db.scalar("SELECT confdeltype::text || confupdtype::text FROM pg_constraint WHERE contype = 'f' AND "
                        "conname = '" + fk.first + "'") == fk.second);
    }
    CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace") ==
          std::to_string(fks.size()));
    // chat_messages and agent_events reference chat_sessions."sessionId", not its id.
    CHECK(db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'chat_messages_session_id_fkey'")
              .find("REFERENCES chat_sessions(\"sessionId\")") != std::string::npos);
    CHECK(db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'machine_projects_pkey'") ==
          "PRIMARY KEY (\"machineId\", \"projectId\")");

    const std::map<std::string, std::string> types = {
        {"projects.created_at", "timestamp(3) with time zone"},
        {"projects.id", "integer"},
        {"chat_sessions.sessionId", "uuid"},
        {"agent_events.tags", "text[]"},
        {"agent_events.related_event_ids", "text[]"},
        {"agent_events.context", "jsonb"},
        {"agent_sessions.quality_score", "numeric(5,2)"},
        {"devlog_documents.binary_content", "bytea"},
        {"devlog_entries.archived", "boolean"},
    };
    for (const auto& t : types) {
        INFO(t.first);
        const auto dot = t.first.find('.');
        CHECK(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '\"" +
                        t.first.substr(0, dot) + "\"'::regclass AND attname = '" + t.first.substr(dot + 1) + "'") ==
              t.second);
    }
    CHECK(db.scalar("SELECT pg_get_serial_sequence('projects', 'id') IS NOT NULL") == "t");
    CHECK(db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'chat_sessions_started_at_idx'")
              .find("started_at DESC") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%\\_key'") == "11");
}

TEST_CASE("devlog: @updatedAt columns are maintained for plain-SQL writers", "[integration][devlog]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "devlog");
    // Inserts without the @updatedAt value succeed (the trigger fills it) ...
    db.exec(
        "INSERT INTO projects (name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
        "VALUES ('devlog', 'codervisor/devlog', 'git@x', 'codervisor', 'devlog');"
        "INSERT INTO machines (\"machineId\", hostname, username, \"osType\", \"machineType\") "
        "VALUES ('m-1', 'host', 'user', 'linux', 'local');"
        "INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x');");
    CHECK(db.scalar("SELECT updated_at > now() - interval '1 hour' FROM projects") == "t");
    CHECK(db.scalar("SELECT last_seen_at > now() - interval '1 hour' FROM machines") == "t");
    CHECK(db.scalar("SELECT updated_at IS NOT NULL FROM users") == "t");
    // ... an explicit value is kept, and an update that leaves it alone stamps it.
    db.exec("UPDATE projects SET updated_at = '2000-01-01T00:00:00Z'; UPDATE machines SET last_seen_at = '2000-01-01T00:00:00Z'");
    CHECK(db.scalar("SELECT updated_at < '2001-01-01' FROM projects") == "t");
    CHECK(db.scalar("SELECT last_seen_at < '2001-01-01' FROM machines") == "t");
    db.exec("UPDATE projects SET description = 'd'; UPDATE machines SET hostname = 'h2'");
    CHECK(db.scalar("SELECT updated_at > now() - interval '1 hour' FROM projects") == "t");
    CHECK(db.scalar("SELECT last_seen_at > now() - interval '1 hour' FROM machines") == "t");
}

TEST_CASE("devlog: RESTRICT and SET NULL in the cloud", "[integration][devlog]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "devlog");
    for (const auto& sql : k_parents) db.exec(sql);
    db.exec(
        "INSERT INTO devlog_entries (id, key_field, title, description, project_id) VALUES (10, 'a', 't', 'd', 1);"
        "INSERT INTO devlog_entries (id, key_field, title, description, project_id) VALUES (11, 'b', 't', 'd', 1);"
        "INSERT INTO devlog_dependencies (id, devlog_id, type, description, target_devlog_id) VALUES "
        " ('12121212-1212-4212-8212-121212121212', 10, 'blocks', 'x', 11);");
    CHECK_THROWS(db.exec("DELETE FROM projects WHERE id = 1"));
    CHECK(db.scalar("SELECT count(*) FROM projects") == "1");
    db.exec("DELETE FROM devlog_entries WHERE id = 11");
    CHECK(db.scalar("SELECT target_devlog_id IS NULL FROM devlog_dependencies") == "t");
    db.exec("DELETE FROM devlog_entries; DELETE FROM projects;");
    CHECK(db.scalar("SELECT (SELECT count(*) FROM workspaces) + (SELECT count(*) FROM chat_sessions)") == "0");
}

TEST_CASE("devlog: agent_events_hourly, refresh and retention agree with the device", "[integration][devlog]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "devlog");
    if (db.scalar("SELECT devlog_timeseries_backend()") != "plain") {
        WARN("TimescaleDB path: the continuous aggregate is refreshed by its policy; comparison skipped");
        return;
    }
    ferry::test::TempDir dir;
    auto store = ferry::Store::open(dir.file("d.db"), "devlog");
    std::vector<std::string> statements = k_parents;
    statements.push_back(event_sql(1, "2024-05-01T12:05:00.000Z", "llm_request", "'{\"duration\": 100}'"));
    statements.push_back(event_sql(2, "2024-05-01T12:59:59.999Z", "llm_request", "'{\"duration\": 51}'"));
    statements.push_back(event_sql(3, "2024-05-01T12:30:00.000Z", "tool_use", "NULL"));
    statements.push_back(event_sql(4, "2024-05-01T13:00:00.000Z", "llm_request", "'{\"tokens\": 5}'"));
    for (const auto& sql : statements) {
        db.exec(sql);
        store.execute(sql);
    }

    // The refresh buckets by UTC hours even in a session whose time zone is not on the hour.
    {
        auto c = db.connect();
        pqxx::work tx(c);
        tx.exec("SET TIME ZONE 'Asia/Kolkata'");
        tx.exec("SELECT refresh_agent_events_hourly()");
        tx.commit();
    }
    const auto cloud = pg_rows(
        db,
        "SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), project_id, agent_id, "
        "event_type, event_count, coalesce(round(avg_duration, 3)::text, 'NULL') FROM agent_events_hourly "
        "ORDER BY 1, 4");
    Rows device;
    for (const auto& s : ferry::apps::devlog::agent_events_hourly(store)) {
        char avg[32] = "NULL";
        if (s.avg_duration) std::snprintf(avg, sizeof avg, "%.3f", *s.avg_duration);
        device.push_back({s.bucket, std::to_string(s.project_id), s.agent_id, s.event_type,
                          std::to_string(s.event_count), avg});
    }
    CHECK(cloud == Rows{{"2024-05-01T12:00:00.000Z", "1", "claude", "llm_request", "2", "75.500"},
                        {"2024-05-01T12:00:00.000Z", "1", "claude", "tool_use", "1", "NULL"},
                        {"2024-05-01T13:00:00.000Z", "1", "claude", "llm_request", "1", "NULL"}});
    CHECK(device == cloud);

    // Retention: the seed's default keeps a year; everything here is older.
    db.exec(event_sql(5, "2999-01-01T00:00:00.000Z", "llm_request", "NULL"));
    CHECK(scalar_committed(db, "SELECT apply_agent_events_retention()") == "4");
    CHECK(db.scalar("SELECT count(*) FROM agent_events") == "1");
    CHECK(scalar_committed(db, "SELECT apply_agent_events_retention(interval '30 days')") == "0");
    CHECK_THROWS(scalar_committed(db, "SELECT apply_agent_events_retention(interval '-1 day')"));
    db.exec("SELECT refresh_agent_events_hourly()");
    CHECK(db.scalar("SELECT count(*) FROM agent_events_hourly") == "1");
}
