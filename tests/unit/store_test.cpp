// tests/unit/store_test.cpp: the device store itself: opening, migrations, errors, SQL, status.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <fstream>

#include "ferry/error.hpp"
#include "ferry/store.hpp"
#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::Store;
using ferry::Value;
using ferry::test::code_of;
using ferry::test::message_of;

namespace {
void raw_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error(msg);
}
}  // namespace

TEST_CASE("every shipped app can be created, reopened and lists its tables", "[unit][store]") {
    ferry::test::TempDir dir;
    const auto apps = Store::available_apps();
    REQUIRE(apps == std::vector<std::string>{"agentchat", "aiflowo", "december", "devlog", "projectme"});
    for (const auto& app : apps) {
        INFO("app " << app);
        const auto path = dir.file(app + ".db");
        int version = 0;
        {
            auto store = Store::open(path, app);
            version = store.schema_version();
            REQUIRE(version >= 1);
            auto st = store.status();
            REQUIRE(st.app == app);
            REQUIRE(st.schema_version == st.latest_schema_version);
            REQUIRE(st.site_id.size() == 32);
            REQUIRE(st.pending_changes == 0);
            for (const auto& t : store.synced_tables()) {
                INFO("synced table " << t);
                auto found = std::find_if(st.tables.begin(), st.tables.end(), [&](auto& x) { return x.name == t; });
                REQUIRE(found != st.tables.end());
                REQUIRE(found->synced);
            }
            REQUIRE(store.query_value("PRAGMA journal_mode")->as_text() == "wal");
            REQUIRE(store.query_value("PRAGMA foreign_keys")->as_int() == 1);
        }
        auto again = Store::open(path, app);
        REQUIRE(again.schema_version() == version);
        auto migrations = again.query_value("SELECT count(*) FROM ferry_migrations WHERE scope = ?", {app});
        REQUIRE(migrations->as_int() == version);
        auto site = again.status().site_id;
        REQUIRE(Store::open_existing(path).status().site_id == site);
    }
}

TEST_CASE("bad opens get clear errors and leave the file alone", "[unit][store]") {
    ferry::test::TempDir dir;

    SECTION("unknown app names the apps that exist") {
        auto msg = message_of([&] { Store::open(dir.file("x.db"), "nosuchapp"); });
        REQUIRE(msg.find("nosuchapp") != std::string::npos);
        REQUIRE(msg.find("devlog") != std::string::npos);
        REQUIRE(code_of([&] { Store::open(dir.file("x.db"), "nosuchapp"); }) == ErrorCode::unknown_app);
    }
    SECTION("a missing file with open_existing") {
        REQUIRE(code_of([&] { Store::open_existing(dir.file("missing.db")); }) == ErrorCode::not_found);
    }
    SECTION("a file that is not a database") {
        const auto path = dir.file("garbage.db");
        std::ofstream(path) << std::string(4096, 'x');
        REQUIRE(code_of([&] { Store::open(path, "december"); }) == ErrorCode::corrupt);
        std::ifstream in(path);
        std::string content((std::istreambuf_iterator<char>(in)), {});
        REQUIRE(content == std::string(4096, 'x'));
    }
    SECTION("a database of another program is not touched") {
        const auto path = dir.file("other.db");
        raw_exec(path, "CREATE TABLE mine(x INTEGER)");
        REQUIRE(code_of([&] { Store::open(path, "december"); }) == ErrorCode::not_a_store);
    }
    SECTION("a store of another app") {
        const auto path = dir.file("d.db");
        Store::open(path, "december");
        auto msg = message_of([&] { Store::open(path, "devlog"); });
        REQUIRE(msg.find("december") != std::string::npos);
        REQUIRE(code_of([&] { Store::open(path, "devlog"); }) == ErrorCode::wrong_app);
    }
    SECTION("a store damaged in the middle of the file is reported as corrupt, naming the remedy") {
        const auto path = dir.file("damaged.db");
        {
            auto store = Store::open(path, "december");
            store.transaction([&] {
                for (int i = 0; i < 200; ++i)
                    store.execute("INSERT INTO users(id, email) VALUES (?, ?)",
                                  {Store::new_id(), "u" + std::to_string(i) + "@example.com"});
            });
        }  // the last connection to close checkpoints the WAL into the file
        {
            // Overwrite every page after the first (the schema stays readable; the data does not).
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekg(0, std::ios::end);
            const auto size = static_cast<std::size_t>(f.tellg());
            REQUIRE(size > 3 * 4096);
            f.seekp(4096);
            const std::string junk(size - 4096, '\x5a');
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
        auto use = [&] {
            auto store = Store::open(path, "december");
            store.query("SELECT count(*) FROM users");
        };
        REQUIRE(code_of(use) == ErrorCode::corrupt);
        REQUIRE(message_of(use).find("backup") != std::string::npos);
    }
    SECTION("a store written by a newer Ferry is refused") {
        const auto path = dir.file("new.db");
        int version = Store::open(path, "december").schema_version();
        raw_exec(path, "INSERT INTO ferry_migrations VALUES ('december', " + std::to_string(version + 1) +
                           ", '9999_future.sql', '2030-01-01T00:00:00.000Z')");
        auto msg = message_of([&] { Store::open(path, "december"); });
        REQUIRE(msg.find("newer Ferry") != std::string::npos);
        REQUIRE(code_of([&] { Store::open(path, "december"); }) == ErrorCode::schema_too_new);
    }
}

TEST_CASE("SQL execution, typed values and JSON output", "[unit][store]") {
    ferry::test::TempDir dir;
    auto store = Store::open(dir.file("s.db"), "december");
    const auto user = Store::new_id();
    REQUIRE(user.size() == 36);
    REQUIRE(user[14] == '4');
    store.execute("INSERT INTO users(id, email, name, is_active) VALUES (?, ?, ?, ?)",
                  {user, "a@example.com", nullptr, true});
    auto r = store.query("SELECT id, email, name, is_active, created_at FROM users");
    REQUIRE(r.rows.size() == 1);
    REQUIRE(r.at(0, "email").as_text() == "a@example.com");
    REQUIRE(r.at(0, "name").is_null());
    REQUIRE(r.at(0, "is_active").as_int() == 1);
    const auto& created = r.at(0, "created_at").as_text();
    REQUIRE(created.size() == 24);
    REQUIRE(created.back() == 'Z');

    auto json = store.query_json("SELECT email, name, is_active FROM users");
    REQUIRE(json == R"([{"email":"a@example.com","name":null,"is_active":1}])");

    SECTION("a multi-statement exec is all or nothing") {
        REQUIRE_THROWS_AS(store.exec("INSERT INTO users(id, email) VALUES ('00000000-0000-4000-8000-000000000002', 'b@example.com');"
                                     "INSERT INTO users(id, email) VALUES ('00000000-0000-4000-8000-000000000003', 'a@example.com')"),
                          ferry::Error);
        REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 1);
    }
    SECTION("a transaction that throws is rolled back, nested ones use savepoints") {
        REQUIRE_THROWS(store.transaction([&] {
            store.execute("INSERT INTO users(id, email) VALUES ('00000000-0000-4000-8000-000000000004', 'c@example.com')");
            store.transaction([&] { store.execute("INSERT INTO users(id, email) VALUES ('00000000-0000-4000-8000-000000000005', 'd@example.com')"); });
            throw std::runtime_error("app failure");
        }));
        REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 1);
    }
    SECTION("a duplicate unique value names the table and column") {
        try {
            store.execute("INSERT INTO users(id, email) VALUES ('00000000-0000-4000-8000-000000000006', 'a@example.com')");
            FAIL("duplicate email accepted");
        } catch (const ferry::Error& e) {
            REQUIRE(e.code() == ErrorCode::constraint);
            REQUIRE(std::string(e.what()).find("users.email") != std::string::npos);
        }
    }
}

TEST_CASE("a write through a connection Ferry did not open fails loudly", "[unit][store][capture]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("c.db");
    Store::open(path, "december");
    try {
        raw_exec(path, "INSERT INTO users(id, email) VALUES ('00000000-0000-4000-8000-000000000001', 'x@example.com')");
        FAIL("an uncaptured write went through");
    } catch (const std::runtime_error& e) {
        REQUIRE(std::string(e.what()).find("ferry_") != std::string::npos);
    }
    auto store = Store::open_existing(path);
    REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 0);
}

TEST_CASE("ids and timestamps have the device formats", "[unit][store]") {
    auto cuid = Store::new_id("cuid");
    REQUIRE(cuid.size() == 25);
    REQUIRE(cuid[0] == 'c');
    REQUIRE(Store::new_id("cuid") != cuid);
    REQUIRE_THROWS_AS(Store::new_id("serial"), ferry::Error);
    auto ts = Store::now_timestamp();
    REQUIRE(ts.size() == 24);
    REQUIRE(ts[10] == 'T');
    REQUIRE(ts[19] == '.');
}

TEST_CASE("statements run again after an error, a schema change and many other statements", "[unit][store]") {
    ferry::test::TempDir dir;
    auto store = Store::open(dir.file("cache.db"), "december");
    const std::string insert = "INSERT INTO users(id, email) VALUES (?, ?)";
    store.execute(insert, {Store::new_id(), "a@example.com"});
    // The same statement fails (duplicate email), then runs again with other values.
    REQUIRE(code_of([&] { store.execute(insert, {Store::new_id(), "a@example.com"}); }) == ErrorCode::constraint);
    store.execute(insert, {Store::new_id(), "b@example.com"});
    REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 2);

    // A cached statement sees a column added after it was first run.
    store.exec("CREATE TABLE scratch(a INTEGER)");
    store.execute("INSERT INTO scratch(a) VALUES (1)", {});
    REQUIRE(store.query("SELECT * FROM scratch").columns.size() == 1);
    store.exec("ALTER TABLE scratch ADD COLUMN b TEXT DEFAULT 'x'");
    auto after = store.query("SELECT * FROM scratch");
    REQUIRE(after.columns.size() == 2);
    REQUIRE(after.rows[0][1].as_text() == "x");

    // More distinct statements than the cache holds: the first still runs, with its own parameters.
    for (int i = 0; i < 300; ++i) REQUIRE(store.query_value("SELECT " + std::to_string(i) + " + ?", {1})->as_int() == i + 1);
    store.execute(insert, {Store::new_id(), "c@example.com"});
    REQUIRE(store.query_value("SELECT count(*) FROM users WHERE email = ?", {"c@example.com"})->as_int() == 1);
}

TEST_CASE("exec runs a script all or nothing, and a single maintenance statement as it is", "[unit][store]") {
    ferry::test::TempDir dir;
    auto store = Store::open(dir.file("exec.db"), "december");
    const auto id = Store::new_id();
    // The second statement fails (duplicate key): the first is not kept either.
    REQUIRE(code_of([&] {
                store.exec("INSERT INTO users(id, email) VALUES ('" + id + "', 'a@example.com'); "
                           "INSERT INTO users(id, email) VALUES ('" + id + "', 'b@example.com')");
            }) == ErrorCode::constraint);
    REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 0);
    store.exec("INSERT INTO users(id, email) VALUES ('" + id + "', 'a@example.com')  ; -- one statement");
    REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 1);
    store.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    store.exec("VACUUM");
    REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 1);
    // Inside the app's own transaction, a script still joins it.
    REQUIRE(code_of([&] {
                store.transaction([&] {
                    store.exec("UPDATE users SET name = 'x'");
                    store.exec("INSERT INTO users(id, email) VALUES ('" + id + "', 'c@example.com')");
                });
            }) == ErrorCode::constraint);
    REQUIRE(store.query_value("SELECT count(*) FROM users WHERE name = 'x'")->as_int() == 0);
}

TEST_CASE("a query that was run leaves no read transaction open for other connections", "[unit][store]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("readers.db");
    auto store = Store::open(path, "december");
    store.execute("INSERT INTO users(id, email) VALUES (?, 'a@example.com')", {Store::new_id()});
    REQUIRE(store.query("SELECT id FROM users").rows.size() == 1);
    // A full checkpoint needs every reader gone: one that stayed open would report busy here.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) == SQLITE_OK);
    int log = -1, done = -1;
    const int rc = sqlite3_wal_checkpoint_v2(other, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    sqlite3_close(other);
    REQUIRE(rc == SQLITE_OK);
    REQUIRE(log == 0);
}

namespace {
std::int64_t count_from_another_connection(const std::string& path, const std::string& table) {
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(other, ("SELECT count(*) FROM " + table).c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(other);
    return n;
}
}  // namespace

TEST_CASE("a COMMIT that fails is rolled back, and the transactions after it really commit", "[unit][store]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("commit.db");
    auto store = Store::open(path, "december");
    // A deferred foreign key is checked only at COMMIT, so the body succeeds and the COMMIT fails.
    store.exec("CREATE TABLE scratch_parent(id INTEGER PRIMARY KEY); "
               "CREATE TABLE scratch_child(id INTEGER PRIMARY KEY, "
               "parent INTEGER REFERENCES scratch_parent(id) DEFERRABLE INITIALLY DEFERRED)");
    auto orphan_in_transaction = [&] {
        store.transaction([&] {
            store.execute("INSERT INTO users(id, email) VALUES (?, 'a@example.com')", {Store::new_id()});
            store.execute("INSERT INTO scratch_child(id, parent) VALUES (1, 99)", {});
        });
    };

    SECTION("through Store::transaction") {
        REQUIRE(code_of(orphan_in_transaction) == ErrorCode::constraint);
    }
    SECTION("through a script run by Store::exec") {
        REQUIRE(code_of([&] {
                    store.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'a@example.com'); "
                               "INSERT INTO scratch_child(id, parent) VALUES (1, 99)");
                }) == ErrorCode::constraint);
    }
    // Nothing of the failed transaction is left, its captured change included.
    REQUIRE(store.query_value("SELECT count(*) FROM users")->as_int() == 0);
    REQUIRE(store.status().pending_changes == 0);
    REQUIRE(store.query_value("SELECT count(*) FROM scratch_child")->as_int() == 0);

    store.transaction([&] { store.execute("INSERT INTO scratch_parent(id) VALUES (7)", {}); });
    store.execute("INSERT INTO users(id, email) VALUES (?, 'b@example.com')", {Store::new_id()});
    REQUIRE(count_from_another_connection(path, "scratch_parent") == 1);
    REQUIRE(count_from_another_connection(path, "users") == 1);
    // The same transaction, made valid, commits.
    store.transaction([&] {
        store.execute("INSERT INTO scratch_child(id, parent) VALUES (1, 99)", {});
        store.execute("INSERT INTO scratch_parent(id) VALUES (99)", {});
    });
    REQUIRE(count_from_another_connection(path, "scratch_child") == 1);
}
