// tests/integration/capture_paths_test.cpp: rows that SQLite's REPLACE conflict resolution
// deletes on a device (same key, or another row holding a unique value) are deleted in the cloud
// and on a second device too, against a real PostgreSQL server.
#include <catch2/catch.hpp>

#include "tests/support/device.hpp"
#include "tests/support/store_checks.hpp"

using ferry::Store;
using ferry::test::Device;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {
const std::string k_u1 = "11111111-1111-4111-8111-111111111111";
const std::string k_u2 = "22222222-2222-4222-8222-222222222222";
const std::string k_c1 = "44444444-4444-4444-8444-444444444444";

/// "id=value,..." of `table` ordered by id, on a device; `value` is a SQL expression.
std::string device_rows(Store& s, const std::string& table, const std::string& value) {
    return text(s, "SELECT coalesce(group_concat(id || '=' || " + value + ", ','), '') FROM (SELECT * FROM " + table +
                       " ORDER BY id)");
}

/// The same listing in the cloud database.
std::string server_rows(const PgDatabase& db, const std::string& table, const std::string& value) {
    return db.scalar("SELECT coalesce(string_agg(id || '=' || " + value + ", ',' ORDER BY id), '') FROM " + table);
}

void require_same_everywhere(const PgDatabase& db, Device& a, Device& b, const std::string& table,
                             const std::string& value, const std::string& expected) {
    INFO("table " << table);
    REQUIRE(device_rows(a.store(), table, value) == expected);
    REQUIRE(server_rows(db, table, value) == expected);
    REQUIRE(device_rows(b.store(), table, value) == expected);
}

void sync_all(Device& a, Device& b) {
    a.sync();
    b.sync();
    a.sync();
}
}  // namespace

TEST_CASE("december: rows a REPLACE deletes on a device are deleted in the cloud and on other devices",
          "[integration][capture]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'same@example.com', 'one')", {k_u1});
    a.store().execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, 'docker-1', 'web', ?)",
                      {k_c1, k_u1});
    sync_all(a, b);
    require_same_everywhere(db, a, b, "users", "name", k_u1 + "=one");
    require_same_everywhere(db, a, b, "containers", "name", k_c1 + "=web");

    SECTION("INSERT OR REPLACE on the same key: the new row, and the old row's cascade") {
        a.store().execute("INSERT OR REPLACE INTO users(id, email, name) VALUES (?, 'same@example.com', 'uno')", {k_u1});
        sync_all(a, b);
        require_same_everywhere(db, a, b, "users", "name", k_u1 + "=uno");
        require_same_everywhere(db, a, b, "containers", "name", "");
    }
    SECTION("INSERT OR REPLACE evicting another row through the unique email") {
        a.store().execute("INSERT OR REPLACE INTO users(id, email, name) VALUES (?, 'same@example.com', 'two')", {k_u2});
        sync_all(a, b);
        require_same_everywhere(db, a, b, "users", "name", k_u2 + "=two");
        require_same_everywhere(db, a, b, "containers", "name", "");
    }
    SECTION("UPDATE OR REPLACE taking the unique email of another row") {
        a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'other@example.com', 'two')", {k_u2});
        sync_all(a, b);
        a.store().execute("UPDATE OR REPLACE users SET email = 'same@example.com' WHERE id = ?", {k_u2});
        sync_all(a, b);
        require_same_everywhere(db, a, b, "users", "email", k_u2 + "=same@example.com");
        require_same_everywhere(db, a, b, "containers", "name", "");
    }
    REQUIRE(a.store().status().pending_changes == 0);
    REQUIRE(a.store().status().rejected_writes == 0);
}

TEST_CASE("projectme: a REPLACE evicting a row through a composite unique key reaches the cloud",
          "[integration][capture]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "projectme");
    // "User".email never leaves the server, so the user is created there.
    db.exec(R"(INSERT INTO "User"(id, email, username, "updatedAt") VALUES ('user-1', 'u@example.com', 'u', now()))");
    Device a(db, "projectme"), b(db, "projectme");
    a.sync();
    a.store().execute(R"(INSERT INTO "SandboxFile"(id, "userId", path, content, size) VALUES ('file-1', 'user-1', '/a', 'old', 3))");
    sync_all(a, b);
    require_same_everywhere(db, a, b, "\"SandboxFile\"", "content", "file-1=old");

    // ("userId", path) is unique: the new file replaces the old one under another id.
    a.store().execute(
        R"(INSERT OR REPLACE INTO "SandboxFile"(id, "userId", path, content, size) VALUES ('file-2', 'user-1', '/a', 'new', 3))");
    sync_all(a, b);
    require_same_everywhere(db, a, b, "\"SandboxFile\"", "content", "file-2=new");
    REQUIRE(a.store().status().rejected_writes == 0);
}
