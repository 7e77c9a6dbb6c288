// tests/integration/snapshot_test.cpp: a device's snapshot (its first pull, or a resync) against a
// real PostgreSQL server: the next page is asked for while one is applied, a fresh device keeps no
// bookkeeping per row, a row deleted meanwhile is still removed, and the server's rows are taken
// even where a device CHECK would refuse them.
#include <catch2/catch.hpp>

#include <string>

#include "ferry/error.hpp"
#include "lib/store/store_impl.hpp"
#include "tests/support/device.hpp"
#include "tests/support/store_checks.hpp"

using ferry::Store;
using ferry::test::Device;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {
const char* k_user = "11111111-1111-4111-8111-111111111111";

/// Forwards calls and counts the pulls; the pull numbered `fail_at` (from 1) fails instead of
/// reaching the server, as a cut connection would.
class PullCounter : public ferry::Transport {
public:
    explicit PullCounter(ferry::Transport& inner, int fail_at = 0) : m_inner(inner), m_fail_at(fail_at) {}
    std::string call(const std::string& endpoint, const std::string& request) override {
        if (endpoint == "pull" && ++pulls == m_fail_at)
            throw ferry::Error(ferry::ErrorDomain::http, ferry::ErrorCode::connection, "connection cut (simulated)");
        return m_inner.call(endpoint, request);
    }
    int pulls = 0;

private:
    ferry::Transport& m_inner;
    int m_fail_at;
};

void seed_users(Store& s, int n) {
    s.transaction([&] {
        for (int i = 0; i < n; ++i)
            s.execute("INSERT INTO users(id, email) VALUES (?, ?)", {Store::new_id(), "u" + std::to_string(i) + "@x.org"});
    });
}

std::int64_t unseen(Store& s) { return std::stoll(text(s, "SELECT count(*) FROM ferry_snapshot_unseen")); }
}  // namespace

TEST_CASE("a snapshot asks for each page once, and a page that fails on the way is asked for again",
          "[integration][snapshot]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), fresh(db, "december");
    seed_users(a.store(), 100);
    a.sync();
    ferry::SyncOptions pages_of_10;
    pages_of_10.pull_page = 10;
    {
        PullCounter counted(fresh.transport());
        REQUIRE(ferry::SyncClient(fresh.store(), counted, pages_of_10).pull().pulled == 100);
        REQUIRE(counted.pulls == 11);  // ten full pages and the empty pull after: none asked twice
    }
    Device cut(db, "december");
    PullCounter failing(cut.transport(), 4);
    REQUIRE_THROWS_AS(ferry::SyncClient(cut.store(), failing, pages_of_10).pull(), ferry::Error);
    REQUIRE(text(cut.store(), "SELECT count(*) FROM users") == "30");  // pages 1-3 are kept
    REQUIRE(unseen(cut.store()) == 0);  // a table empty when the snapshot began needs no marks
    REQUIRE(ferry::SyncClient(cut.store(), failing, pages_of_10).pull().pulled == 70);
    REQUIRE(text(cut.store(), "SELECT count(*) FROM users") == "100");
}

TEST_CASE("a resync removes the rows deleted while it ran and keeps the others and local writes",
          "[integration][snapshot]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    seed_users(a.store(), 30);
    a.sync();
    b.sync();
    const std::string doomed = text(a.store(), "SELECT id FROM users ORDER BY id DESC LIMIT 1");
    // b starts over (as after the server trimmed its log): its 30 rows are unseen until a page
    // brings them. The first page comes, then the last row is deleted on the server, and b writes.
    ferry::detail::impl_of(b.store()).set_meta("snapshot", "{}");
    ferry::detail::impl_of(b.store()).execute("DELETE FROM ferry_meta WHERE key = 'pull_cursor'", {});
    ferry::SyncOptions pages_of_10;
    pages_of_10.pull_page = 10;
    PullCounter cut_after_first(b.transport(), 2);
    REQUIRE_THROWS(ferry::SyncClient(b.store(), cut_after_first, pages_of_10).pull());
    REQUIRE(unseen(b.store()) == 20);
    a.store().execute("DELETE FROM users WHERE id = ?", {doomed});
    a.sync();
    const std::string mine = Store::new_id();
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'local@x.org')", {mine});
    b.sync(pages_of_10);
    REQUIRE(unseen(b.store()) == 0);
    REQUIRE(text(b.store(), "SELECT count(*) FROM users WHERE id = ?", {doomed}) == "0");
    REQUIRE(text(b.store(), "SELECT count(*) FROM users WHERE id = ?", {mine}) == "1");
    REQUIRE(text(b.store(), "SELECT count(*) FROM users") == "30");
    REQUIRE(db.scalar("SELECT count(*) FROM users") == "30");
}

TEST_CASE("the server's rows are taken where a device CHECK would refuse them, in a snapshot and a pull",
          "[integration][snapshot]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    // The cloud allows longer names than the device schema does (users_name_length: 255).
    db.exec("ALTER TABLE users ALTER COLUMN name TYPE text");
    const std::string long_name(300, 'n');
    db.exec("INSERT INTO users(id, email, name) VALUES ('" + std::string(k_user) + "', 'a@x.org', '" + long_name + "')");
    Device b(db, "december");
    b.sync();
    REQUIRE(text(b.store(), "SELECT length(name) FROM users WHERE id = ?", {k_user}) == "300");
    db.exec("UPDATE users SET name = name || 'more' WHERE id = '" + std::string(k_user) + "'");
    b.sync();
    REQUIRE(text(b.store(), "SELECT length(name) FROM users WHERE id = ?", {k_user}) == "304");
    // The device's own writes are still checked.
    REQUIRE_THROWS_AS(b.store().execute("UPDATE users SET name = ? WHERE id = ?", {std::string(400, 'x'), k_user}),
                      ferry::Error);
}

TEST_CASE("a pull and a push answer write only the columns that differ from the device's row",
          "[integration][snapshot]") {
    // Writing every column of a row rewrote each of the table's indexes when one or two columns
    // had changed. A trigger on one column tells whether a write touched it.
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'ann@example.com', 'Ann')", {k_user});
    a.sync();
    b.sync();
    for (Device* d : {&a, &b}) {
        d->store().execute("CREATE TEMP TABLE email_writes(n INTEGER)");
        d->store().execute("CREATE TEMP TRIGGER count_email AFTER UPDATE OF email ON main.users "
                           "BEGIN INSERT INTO email_writes VALUES (1); END");
    }
    a.store().execute("UPDATE users SET name = 'Ann B.' WHERE id = ?", {k_user});
    a.sync();  // the push answer brings the row back to a
    b.sync();  // the pull brings it to b
    REQUIRE(text(b.store(), "SELECT name FROM users WHERE id = ?", {k_user}) == "Ann B.");
    CHECK(text(b.store(), "SELECT count(*) FROM email_writes") == "0");
    CHECK(text(a.store(), "SELECT count(*) FROM email_writes") == "0");
    db.exec("UPDATE users SET email = 'ann@new.example.com' WHERE id = '" + std::string(k_user) + "'");
    b.sync();
    CHECK(text(b.store(), "SELECT count(*) FROM email_writes") == "1");
    CHECK(text(b.store(), "SELECT email FROM users WHERE id = ?", {k_user}) == "ann@new.example.com");
}

namespace {
/// The store's indexes on `table` with their definitions, one "name: sql" per line, by name
/// (a constraint's index, which has no SQL, as "name: constraint").
std::string indexes_of(Store& s, const std::string& table) {
    return text(s,
                "SELECT coalesce(group_concat(name || ': ' || coalesce(sql, 'constraint'), char(10)), '') FROM "
                "(SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name)",
                {table});
}
}  // namespace

TEST_CASE("a first snapshot sets an empty table's plain indexes aside and builds them at its end",
          "[integration][snapshot]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    seed_users(a.store(), 100);
    a.sync();
    const std::string users_indexes = indexes_of(a.store(), "users");
    REQUIRE(users_indexes.find("idx_users_created_at: CREATE INDEX") != std::string::npos);
    ferry::SyncOptions pages_of_10;
    pages_of_10.pull_page = 10;

    SECTION("a snapshot that ends builds each of them again, as it was") {
        Device fresh(db, "december");
        PullCounter counted(fresh.transport());
        REQUIRE(ferry::SyncClient(fresh.store(), counted, pages_of_10).pull().pulled == 100);
        CHECK(indexes_of(fresh.store(), "users") == users_indexes);
        CHECK(text(fresh.store(), "SELECT count(*) FROM ferry_deferred_indexes") == "0");
        CHECK(text(fresh.store(), "PRAGMA integrity_check") == "ok");
    }
    SECTION("while it runs only the plain ones are gone; a store opened after it stopped builds them") {
        Device cut(db, "december");
        PullCounter failing(cut.transport(), 4);
        REQUIRE_THROWS_AS(ferry::SyncClient(cut.store(), failing, pages_of_10).pull(), ferry::Error);
        const std::string during = indexes_of(cut.store(), "users");
        CHECK(during.find("idx_users_created_at") == std::string::npos);
        CHECK(during.find("idx_users_email") == std::string::npos);
        CHECK(during.find("sqlite_autoindex_users_1: constraint") != std::string::npos);  // UNIQUE(email) stays
        CHECK(text(cut.store(), "SELECT group_concat(name) FROM (SELECT name FROM ferry_deferred_indexes "
                                "WHERE tbl = 'users' ORDER BY name)") == "idx_users_created_at,idx_users_email");
        cut.reopen();
        CHECK(indexes_of(cut.store(), "users") == users_indexes);
        CHECK(text(cut.store(), "SELECT count(*) FROM ferry_deferred_indexes") == "0");
        REQUIRE(ferry::SyncClient(cut.store(), failing, pages_of_10).pull().pulled == 70);
        CHECK(indexes_of(cut.store(), "users") == users_indexes);
        CHECK(text(cut.store(), "SELECT count(*) FROM users") == "100");
    }
    SECTION("a table that holds rows keeps its indexes") {
        Device b(db, "december");
        b.store().execute("INSERT INTO users(id, email) VALUES (?, 'local@x.org')", {k_user});
        PullCounter failing(b.transport(), 2);
        REQUIRE_THROWS_AS(ferry::SyncClient(b.store(), failing, pages_of_10).pull(), ferry::Error);
        CHECK(indexes_of(b.store(), "users") == users_indexes);
    }
    SECTION("an index that no longer fits its table is reported, and blocks nothing") {
        Device fresh(db, "december");
        PullCounter failing(fresh.transport(), 2);
        REQUIRE_THROWS_AS(ferry::SyncClient(fresh.store(), failing, pages_of_10).pull(), ferry::Error);
        fresh.store().execute(
            "INSERT INTO ferry_deferred_indexes(name, tbl, sql) VALUES ('idx_gone', 'users', 'CREATE INDEX idx_gone ON "
            "users(no_such_column)')");
        const auto report = ferry::SyncClient(fresh.store(), failing, pages_of_10).pull();
        REQUIRE(report.pulled == 90);
        REQUIRE(report.warnings.size() == 1);
        CHECK(report.warnings[0].find("idx_gone") != std::string::npos);
        CHECK(report.warnings[0].find("no_such_column") != std::string::npos);
        CHECK(indexes_of(fresh.store(), "users") == users_indexes);
        CHECK(text(fresh.store(), "SELECT count(*) FROM ferry_deferred_indexes") == "0");
    }
}
