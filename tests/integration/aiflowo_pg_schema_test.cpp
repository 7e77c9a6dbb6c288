// Cloud tests of the "aiflowo" app schema (seed 003) on a real PostgreSQL 15: install from
// empty, install again and re-run the migrations on an installed database (adoption) without a
// change, parity of the device catalog with the cloud catalog, enums, the seeded tools (the same
// rows as on the device), and the cloud triggers/cascades.
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

const char* const kApp = "aiflowo";

}  // namespace

TEST_CASE("aiflowo cloud: installs from empty, then again without a change", "[integration][aiflowo]") {
    ferry::test::PgDatabase db;
    auto first = ferry::server::install_app_schema(db.conninfo(), kApp);
    CHECK(first.from_version == 0);
    CHECK(first.to_version == 2);
    CHECK(first.applied.size() == 2);
    CHECK(pg_set(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") ==
          std::set<std::string>{"User", "UserProfile", "MagicLink", "Session", "Task", "TaskLog",
                                "TaskArtifact", "Tool", "ToolExecution", "QueueJob"});
    CHECK(db.scalar("SELECT string_agg(t.typname || '(' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)"
                    " FROM pg_enum e WHERE e.enumtypid = t.oid) || ')', ' ' ORDER BY t.typname)"
                    " FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace = 'public'::regnamespace") ==
          "ArtifactType(SCREENSHOT,PDF,FILE,IMAGE,VIDEO,JSON,TEXT) ExecutionStatus(PENDING,RUNNING,COMPLETED,FAILED)"
          " LogLevel(DEBUG,INFO,WARN,ERROR) QueueName(TASK,BROWSER,MEDIA,EMAIL) TaskPriority(LOW,MEDIUM,HIGH,URGENT)"
          " TaskStatus(PENDING,RUNNING,PAUSED,SUCCEEDED,FAILED,CANCELLED)"
          " ToolCategory(BROWSER,API,FILE,EMAIL,SOCIAL,TRAVEL,JOB,GENERAL)");
    const std::string before = catalog_snapshot(db);
    const std::string tools = db.scalar("SELECT string_agg(t::text, ';' ORDER BY id) FROM \"Tool\" t");

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
    CHECK(db.scalar("SELECT string_agg(t::text, ';' ORDER BY id) FROM \"Tool\" t") == tools);
}

TEST_CASE("aiflowo cloud: the seeded tools are the device's rows", "[integration][aiflowo]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), kApp);
    ferry::test::TempDir dir;
    ferry::Store store = ferry::Store::open(dir.file("af.db"), kApp);

    CHECK(db.scalar("SELECT count(*) FROM \"Tool\"") == "12");
    auto rows = store.query("SELECT * FROM \"Tool\" ORDER BY \"id\"");
    REQUIRE(rows.rows.size() == 12);
    auto c = db.connect();
    pqxx::work tx(c);
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        INFO("tool " << rows.at(i, "id").as_text());
        auto r = tx.exec_params(
            "SELECT count(*) FROM \"Tool\" WHERE id = $1 AND name = $2 AND \"displayName\" = $3"
            " AND description = $4 AND category::text = $5 AND schema = $6::jsonb AND enabled = ($7 = 1)"
            " AND \"usageCount\" = $8"
            " AND to_char(\"createdAt\", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') = $9"
            " AND to_char(\"updatedAt\", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') = $10",
            rows.at(i, "id").as_text(), rows.at(i, "name").as_text(), rows.at(i, "displayName").as_text(),
            rows.at(i, "description").as_text(), rows.at(i, "category").as_text(),
            rows.at(i, "schema").as_text(), rows.at(i, "enabled").as_int(), rows.at(i, "usageCount").as_int(),
            rows.at(i, "createdAt").as_text(), rows.at(i, "updatedAt").as_text());
        CHECK(r[0][0].as<int>() == 1);
    }
}

TEST_CASE("aiflowo cloud: enums, updatedAt triggers and cascades", "[integration][aiflowo]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), kApp);

    db.exec("INSERT INTO \"User\" (id, email) VALUES ('u1', 'a@example.com')");
    CHECK(db.scalar("SELECT \"updatedAt\" = \"createdAt\" FROM \"User\"") == "t");  // filled by the trigger
    db.exec("INSERT INTO \"UserProfile\" (id, \"userId\") VALUES ('p1', 'u1')");
    CHECK(db.scalar("SELECT timezone || ' ' || notifications || ' ' || \"preferredAirlines\"::text FROM \"UserProfile\"") ==
          "UTC true {}");
    CHECK_THROWS(db.exec("INSERT INTO \"UserProfile\" (id, \"userId\") VALUES ('p2', 'u1')"));
    db.exec("INSERT INTO \"Task\" (id, \"userId\", title, intent) VALUES ('t1', 'u1', 'x', 'do x')");
    CHECK(db.scalar("SELECT status || ' ' || priority || ' ' || \"currentStep\" || ' ' || \"totalSteps\" FROM \"Task\"") ==
          "PENDING MEDIUM 0 0");

    // Enum columns refuse other labels.
    CHECK_THROWS(db.exec("UPDATE \"Task\" SET status = 'DONE'"));
    CHECK_THROWS(db.exec("INSERT INTO \"TaskLog\" (id, \"taskId\", level, message) VALUES ('l0', 't1', 'TRACE', 'm')"));
    CHECK_THROWS(db.exec("INSERT INTO \"QueueJob\" (id, queue, \"jobId\", data) VALUES ('q0', 'VIDEO', 'j0', '{}')"));

    // updatedAt: bumped by edits, kept when set explicitly, untouched by usage counting.
    db.exec("UPDATE \"Task\" SET \"updatedAt\" = '2020-01-01' WHERE id = 't1'");
    CHECK(db.scalar("SELECT \"updatedAt\" FROM \"Task\"") == "2020-01-01 00:00:00");
    db.exec("UPDATE \"Task\" SET status = 'RUNNING' WHERE id = 't1'");
    CHECK(db.scalar("SELECT \"updatedAt\" > '2024-01-01' FROM \"Task\"") == "t");
    db.exec("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 1 WHERE id = 'tool_search_google'");
    CHECK(db.scalar("SELECT \"usageCount\" || ' ' || \"updatedAt\" FROM \"Tool\" WHERE id = 'tool_search_google'") ==
          "1 2025-01-01 00:00:00");
    db.exec("UPDATE \"Tool\" SET enabled = false WHERE id = 'tool_search_google'");
    CHECK(db.scalar("SELECT \"updatedAt\" > '2025-01-02' FROM \"Tool\" WHERE id = 'tool_search_google'") == "t");

    // Cascades and SET NULL links.
    db.exec("INSERT INTO \"MagicLink\" (id, token, \"userId\", email, \"expiresAt\") VALUES ('m1', 'tok', 'u1', 'a@example.com', now())");
    db.exec("INSERT INTO \"Session\" (id, \"userId\", token, \"expiresAt\") VALUES ('s1', 'u1', 'stok', now())");
    db.exec("INSERT INTO \"TaskLog\" (id, \"taskId\", message) VALUES ('l1', 't1', 'm')");
    db.exec("INSERT INTO \"TaskArtifact\" (id, \"taskId\", type, name, url) VALUES ('a1', 't1', 'PDF', 'n', 'u')");
    db.exec("INSERT INTO \"ToolExecution\" (id, \"toolId\", \"taskId\", input) VALUES ('x1', 'tool_read_file', 't1', '{}')");
    db.exec("INSERT INTO \"QueueJob\" (id, queue, \"jobId\", \"taskId\", data) VALUES ('q1', 'TASK', 'j1', 't1', '{}')");
    CHECK(db.scalar("SELECT status || ' ' || progress || ' ' || attempts || ' ' || \"maxAttempts\" FROM \"QueueJob\"") ==
          "waiting 0 0 3");
    CHECK_THROWS(db.exec("INSERT INTO \"QueueJob\" (id, queue, \"jobId\", data) VALUES ('q2', 'TASK', 'j1', '{}')"));
    db.exec("DELETE FROM \"Task\" WHERE id = 't1'");
    CHECK(db.scalar("SELECT (SELECT count(*) FROM \"TaskLog\") + (SELECT count(*) FROM \"TaskArtifact\")") == "0");
    CHECK(db.scalar("SELECT (SELECT \"taskId\" IS NULL FROM \"ToolExecution\") AND (SELECT \"taskId\" IS NULL FROM \"QueueJob\")") == "t");
    db.exec("DELETE FROM \"User\" WHERE id = 'u1'");
    CHECK(db.scalar("SELECT (SELECT count(*) FROM \"UserProfile\") + (SELECT count(*) FROM \"MagicLink\")"
                    " + (SELECT count(*) FROM \"Session\")") == "0");
    db.exec("DELETE FROM \"Tool\" WHERE id = 'tool_read_file'");
    CHECK(db.scalar("SELECT count(*) FROM \"ToolExecution\"") == "0");
}
