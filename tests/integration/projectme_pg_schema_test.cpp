// Cloud tests of the "projectme" app schema (seed 000) on a real PostgreSQL 15: install from
// empty, install again and re-run the migrations on an installed database (adoption) without a
// change, parity of the device catalog with the cloud catalog, and the cloud triggers/cascades.
#include <catch2/catch.hpp>

#include <ferry/server.hpp>
#include <ferry/store.hpp>

#include <map>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "lib/schema/embedded_sql.hpp"
#include "lib/schema/sync_rules.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pg_catalog.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::test::catalog_snapshot;
using ferry::test::pg_set;

namespace {

const char* const kApp = "projectme";

}  // namespace

TEST_CASE("projectme cloud: installs from empty, then again without a change", "[integration][projectme]") {
    ferry::test::PgDatabase db;
    auto first = ferry::server::install_app_schema(db.conninfo(), kApp);
    CHECK(first.from_version == 0);
    CHECK(first.to_version == 2);
    CHECK(first.applied.size() == 2);
    CHECK(pg_set(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") ==
          std::set<std::string>{"User", "Task", "Event", "Settings", "Session", "LLMSession", "LLMMessage",
                                "SandboxFile", "AuditLog"});
    const std::string before = catalog_snapshot(db);
    const std::string settings = db.scalar("SELECT string_agg(s::text, ';' ORDER BY id) FROM \"Settings\" s");

    auto second = ferry::server::install_app_schema(db.conninfo(), kApp);
    CHECK(second.from_version == 2);
    CHECK(second.to_version == 2);
    CHECK(second.applied.empty());
    CHECK(catalog_snapshot(db) == before);
    CHECK(ferry::server::installed_version(db.conninfo(), kApp) == 2);

    // Adopting an existing database: every migration runs again over it without error or change.
    for (const auto& m : ferry::detail::migrations(kApp, ferry::detail::Side::postgres)) {
        INFO(m.name);
        db.exec(m.sql);
    }
    CHECK(catalog_snapshot(db) == before);
    CHECK(db.scalar("SELECT string_agg(s::text, ';' ORDER BY id) FROM \"Settings\" s") == settings);
}

TEST_CASE("projectme cloud: updatedAt triggers, cascades and the seeded settings", "[integration][projectme]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), kApp);

    CHECK(db.scalar("SELECT count(*) FROM \"Settings\" WHERE id = 'settings_global' AND \"userId\" IS NULL"
                    " AND preferences = '{}'::jsonb AND \"createdAt\" = '2025-01-01 00:00:00'") == "1");

    // A plain-SQL writer may leave "updatedAt" out: the trigger fills it and bumps it.
    db.exec("INSERT INTO \"User\" (id, email, username) VALUES ('u1', 'a@example.com', 'alice')");
    db.exec("INSERT INTO \"Task\" (id, \"userId\", title, tags) VALUES ('t1', 'u1', 'x', '{a,b}')");
    CHECK(db.scalar("SELECT \"updatedAt\" IS NOT NULL AND \"updatedAt\" = \"createdAt\" FROM \"Task\"") == "t");
    db.exec("UPDATE \"Task\" SET \"updatedAt\" = '2020-01-01' WHERE id = 't1'");
    CHECK(db.scalar("SELECT \"updatedAt\" FROM \"Task\"") == "2020-01-01 00:00:00");  // explicit value kept
    db.exec("UPDATE \"Task\" SET status = 'done' WHERE id = 't1'");
    CHECK(db.scalar("SELECT \"updatedAt\" > '2024-01-01' FROM \"Task\"") == "t");
    db.exec("UPDATE \"Settings\" SET \"runnerUrl\" = 'http://runner' WHERE id = 'settings_global'");
    CHECK(db.scalar("SELECT \"updatedAt\" > '2025-01-01' FROM \"Settings\" WHERE id = 'settings_global'") == "t");

    // Defaults of the reconstructed Prisma models.
    db.exec("INSERT INTO \"Task\" (id, title) VALUES ('t2', 'global')");
    CHECK(db.scalar("SELECT status || ' ' || type || ' ' || priority || ' ' || \"isPublic\" || ' ' || tags::text"
                    " FROM \"Task\" WHERE id = 't2'") == "pending llm 0 false {}");

    // Unique keys.
    db.exec("INSERT INTO \"Settings\" (id, \"userId\") VALUES ('s1', 'u1')");
    CHECK_THROWS(db.exec("INSERT INTO \"Settings\" (id, \"userId\") VALUES ('s2', 'u1')"));
    db.exec("INSERT INTO \"SandboxFile\" (id, \"userId\", path, content, size) VALUES ('f1', 'u1', 'a', 'x', 1)");
    CHECK_THROWS(db.exec("INSERT INTO \"SandboxFile\" (id, \"userId\", path, content, size) VALUES ('f2', 'u1', 'a', 'y', 1)"));

    // Cascades.
    db.exec("INSERT INTO \"Event\" (id, \"userId\", \"taskId\", \"eventType\") VALUES ('e1', 'u1', 't2', 'run')");
    db.exec("INSERT INTO \"Session\" (id, \"userId\", token, \"expiresAt\") VALUES ('k1', 'u1', 'tok', now())");
    db.exec("INSERT INTO \"LLMSession\" (id, \"userId\", \"sessionId\") VALUES ('l1', 'u1', 'chat-1')");
    db.exec("INSERT INTO \"LLMMessage\" (id, \"sessionId\", role, content) VALUES ('m1', 'l1', 'user', 'hi')");
    db.exec("INSERT INTO \"AuditLog\" (id, \"userId\", action) VALUES ('a1', 'u1', 'delete_task')");
    db.exec("DELETE FROM \"Task\" WHERE id = 't2'");
    CHECK(db.scalar("SELECT \"taskId\" IS NULL FROM \"Event\" WHERE id = 'e1'") == "t");
    db.exec("DELETE FROM \"User\" WHERE id = 'u1'");
    CHECK(db.scalar("SELECT (SELECT count(*) FROM \"Task\") + (SELECT count(*) FROM \"Event\")"
                    " + (SELECT count(*) FROM \"Session\") + (SELECT count(*) FROM \"LLMSession\")"
                    " + (SELECT count(*) FROM \"LLMMessage\") + (SELECT count(*) FROM \"SandboxFile\")") == "0");
    CHECK(db.scalar("SELECT count(*) FROM \"Settings\"") == "1");
    CHECK(db.scalar("SELECT \"userId\" IS NULL FROM \"AuditLog\" WHERE id = 'a1'") == "t");
}
