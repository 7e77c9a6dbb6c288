// tests/integration/december_pg_schema_test.cpp: the december cloud schema on a real PostgreSQL:
// install from empty, install again (nothing changes), adoption of an existing database, parity
// with the device catalog, and the seed's trigger and views doing what the seed documents.
#include <catch2/catch.hpp>

#include <ferry/error.hpp>
#include <ferry/server.hpp>
#include <ferry/store.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/pg.hpp"
#include "tests/support/pg_catalog.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::test::catalog_snapshot;
using ferry::test::pg_rows;

namespace {

using Rows = ferry::test::PgRows;

// sql/apps/december/sync_rules.json: the one column that stays on the server.
const std::map<std::string, std::set<std::string>> k_server_only_columns = {{"sessions", {"token"}}};


}  // namespace

TEST_CASE("december: the cloud schema installs from empty and again without change", "[integration][december]") {
    ferry::test::PgDatabase db;
    auto first = ferry::server::install_app_schema(db.conninfo(), "december");
    CHECK(first.from_version == 0);
    CHECK(first.to_version == 1);
    CHECK(first.applied.size() == 1);
    CHECK(ferry::server::installed_version(db.conninfo(), "december") == 1);
    CHECK(db.scalar("SELECT count(*) FROM pg_extension WHERE extname IN ('uuid-ossp', 'pgcrypto')") == "2");
    for (const char* t : {"users", "sessions", "containers", "projects", "chat_messages", "file_storage"}) {
        INFO(t);
        CHECK(db.scalar(std::string("SELECT to_regclass('public.") + t + "') IS NOT NULL") == "t");
    }
    CHECK(db.scalar("SELECT count(*) FROM pg_views WHERE viewname IN ('active_containers', 'user_projects')") == "2");
    CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%'") == "19");

    const auto before = catalog_snapshot(db);
    auto second = ferry::server::install_app_schema(db.conninfo(), "december");
    CHECK(second.applied.empty());
    CHECK(second.from_version == 1);
    CHECK(second.to_version == 1);
    CHECK(catalog_snapshot(db) == before);
}

TEST_CASE("december: installing adopts an existing December database and keeps its rows", "[integration][december]") {
    ferry::test::PgDatabase db;
    // The seed's own DDL for two tables, as the running app created them, with a row.
    db.exec(
        "CREATE TABLE users (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), email VARCHAR(255) UNIQUE NOT NULL,"
        " name VARCHAR(255), avatar_url TEXT, created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),"
        " updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), last_login TIMESTAMP WITH TIME ZONE,"
        " is_active BOOLEAN DEFAULT true);"
        "CREATE INDEX idx_users_email ON users(email);"
        "INSERT INTO users (id, email, name) VALUES ('11111111-1111-4111-8111-111111111111', 'test@example.com', 'Test');");
    std::vector<std::string> steps;
    std::int64_t users_logged = -1;
    auto result = ferry::server::install_app_schema(db.conninfo(), "december", [&](const ferry::server::InstallProgress& p) {
        steps.push_back(p.step + " " + p.name);
        if (p.step == "capture" && p.name == "users") users_logged = p.rows;
    });
    CHECK(result.to_version == 1);
    CHECK(result.backfilled == 1);  // the existing user, logged once for the devices' first pull
    CHECK(users_logged == 1);
    REQUIRE_FALSE(steps.empty());
    CHECK(steps.front().rfind("migration ferry/", 0) == 0);
    CHECK(std::count_if(steps.begin(), steps.end(), [](const std::string& s) { return s.rfind("capture ", 0) == 0; }) >= 5);
    CHECK(ferry::server::install_app_schema(db.conninfo(), "december").backfilled == 0);  // nothing new the second time
    CHECK(db.scalar("SELECT name FROM users WHERE email = 'test@example.com'") == "Test");
    CHECK(db.scalar("SELECT count(*) FROM users") == "1");
    CHECK(db.scalar("SELECT to_regclass('public.file_storage') IS NOT NULL") == "t");
}

TEST_CASE("december: update_updated_at_column stamps containers, projects and file_storage", "[integration][december]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    db.exec(
        "INSERT INTO containers (id, container_id, name, updated_at) VALUES "
        " ('22222222-2222-4222-8222-222222222222', 'docker-1', 'One', '2000-01-01T00:00:00Z');"
        "INSERT INTO projects (id, container_id, name, updated_at) VALUES "
        " ('33333333-3333-4333-8333-333333333333', '22222222-2222-4222-8222-222222222222', 'P', '2000-01-01T00:00:00Z');"
        "INSERT INTO file_storage (container_id, file_path, file_name, updated_at) VALUES "
        " ('22222222-2222-4222-8222-222222222222', '/a', 'a', '2000-01-01T00:00:00Z');"
        "INSERT INTO users (email, updated_at) VALUES ('u@example.com', '2000-01-01T00:00:00Z');");
    db.exec(
        "UPDATE containers SET status = 'running'; UPDATE projects SET name = 'Q';"
        "UPDATE file_storage SET file_name = 'b'; UPDATE users SET name = 'U';");
    for (const char* t : {"containers", "projects", "file_storage"}) {
        INFO(t);
        CHECK(db.scalar(std::string("SELECT updated_at > now() - interval '1 hour' FROM ") + t) == "t");
    }
    // users has no such trigger in the seed.
    CHECK(db.scalar("SELECT updated_at < '2001-01-01' FROM users") == "t");
}

TEST_CASE("december: the views return the same rows in the cloud and on the device", "[integration][december]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    ferry::test::TempDir dir;
    auto store = ferry::Store::open(dir.file("d.db"), "december");
    const std::vector<std::string> statements = {
        "INSERT INTO users (id, email) VALUES ('11111111-1111-4111-8111-111111111111', 'ada@example.com')",
        "INSERT INTO containers (id, container_id, name, status, user_id, created_at, updated_at) VALUES "
        "('22222222-2222-4222-8222-222222222222', 'docker-1', 'One', 'running', "
        "'11111111-1111-4111-8111-111111111111', '2024-05-01T10:00:00.000Z', '2024-05-01T10:00:00.000Z')",
        "INSERT INTO containers (id, container_id, name, status, created_at, updated_at) VALUES "
        "('55555555-5555-4555-8555-555555555555', 'docker-2', 'Two', 'created', '2024-05-02T10:00:00.000Z', "
        "'2024-05-02T10:00:00.000Z')",
        "INSERT INTO containers (id, container_id, name, status, created_at, updated_at) VALUES "
        "('66666666-6666-4666-8666-666666666666', 'docker-3', 'Three', 'stopped', '2024-05-03T10:00:00.000Z', "
        "'2024-05-03T10:00:00.000Z')",
        "INSERT INTO projects (id, container_id, name, user_id, updated_at) VALUES "
        "('33333333-3333-4333-8333-333333333333', '22222222-2222-4222-8222-222222222222', 'P', "
        "'11111111-1111-4111-8111-111111111111', '2024-05-01T10:00:00.000Z')",
        "INSERT INTO projects (id, container_id, name, updated_at) VALUES "
        "('77777777-7777-4777-8777-777777777777', '55555555-5555-4555-8555-555555555555', 'Q', "
        "'2024-05-04T10:00:00.000Z')",
        "INSERT INTO chat_messages (container_id, session_id, role, content) VALUES "
        "('22222222-2222-4222-8222-222222222222', 's', 'user', 'a')",
        "INSERT INTO chat_messages (container_id, session_id, role, content) VALUES "
        "('22222222-2222-4222-8222-222222222222', 's', 'assistant', 'b')",
    };
    for (const auto& sql : statements) {
        db.exec(sql);
        store.execute(sql);
    }

    const std::string ac = "SELECT container_id, coalesce(project_name, '-'), coalesce(user_email, '-') FROM active_containers";
    Rows device_ac;
    for (const auto& row : store.query(ac).rows)
        device_ac.push_back({row[0].as_text(), row[1].as_text(), row[2].as_text()});
    const auto cloud_ac = pg_rows(db, ac);
    CHECK(cloud_ac == Rows{{"docker-2", "Q", "-"}, {"docker-1", "P", "ada@example.com"}});
    CHECK(device_ac == cloud_ac);

    const std::string up = "SELECT name, container_status, message_count FROM user_projects";
    Rows device_up;
    for (const auto& row : store.query(up).rows)
        device_up.push_back({row[0].as_text(), row[1].as_text(), std::to_string(row[2].as_int())});
    const auto cloud_up = pg_rows(db, up);
    CHECK(cloud_up == Rows{{"Q", "created", "0"}, {"P", "running", "2"}});
    CHECK(device_up == cloud_up);
}

TEST_CASE("december: deleting a user cascades in the cloud as on the device", "[integration][december]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    db.exec(
        "INSERT INTO users (id, email) VALUES ('11111111-1111-4111-8111-111111111111', 'a@example.com');"
        "INSERT INTO sessions (user_id, token, expires_at) VALUES ('11111111-1111-4111-8111-111111111111', 't', now());"
        "INSERT INTO containers (id, container_id, name, user_id) VALUES ('22222222-2222-4222-8222-222222222222', 'd',"
        " 'n', '11111111-1111-4111-8111-111111111111');"
        "INSERT INTO chat_messages (container_id, session_id, role, content) VALUES "
        " ('22222222-2222-4222-8222-222222222222', 's', 'user', 'x');"
        "DELETE FROM users;");
    CHECK(db.scalar("SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM containers) + "
                    "(SELECT count(*) FROM chat_messages)") == "0");
}
