// tests/unit/capture_paths_test.cpp: every way SQLite can write a synced row reaches the change
// log (REPLACE and the other conflict clauses, upserts, cascades), the seeds' own triggers stay
// finite with recursive triggers on, and pending change masks follow a change of column order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <nlohmann/json.hpp>

#include "ferry/clock.hpp"
#include "ferry/error.hpp"
#include "ferry/store.hpp"
#include "lib/store/capture.hpp"
#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::Store;
using ferry::Value;
using ferry::test::code_of;
using ferry::test::text;

namespace {
const std::string k_u1 = "11111111-1111-4111-8111-111111111111";
const std::string k_u2 = "22222222-2222-4222-8222-222222222222";
const std::string k_u3 = "33333333-3333-4333-8333-333333333333";
const std::string k_c1 = "44444444-4444-4444-8444-444444444444";

std::vector<std::string> recorded_columns(Store& s, const std::string& table) {
    return nlohmann::json::parse(text(s, "SELECT columns FROM ferry_tables WHERE name = ?", {table}))
        .get<std::vector<std::string>>();
}

/// The change log of `table` in order, one entry per line as push reads it: "insert KEY",
/// "delete KEY", "update KEY col1,col2" (the columns the mask names in the recorded order).
std::vector<std::string> log_of(Store& s, const std::string& table) {
    const auto columns = recorded_columns(s, table);
    std::vector<std::string> out;
    for (const auto& r : s.query("SELECT op, pk ->> 0, mask FROM ferry_changes "
                                 "WHERE tbl = (SELECT id FROM ferry_tables WHERE name = ?) ORDER BY seq",
                                 {table})
                             .rows) {
        const auto op = r[0].as_int();
        std::string line = op == 1 ? "insert " : op == 2 ? "update " : "delete ";
        line += r[1].to_string();
        if (op == 2) {
            std::string names;
            for (std::size_t i = 0; i < columns.size(); ++i)
                if (r[2].as_int() & ferry::detail::column_bit(i)) names += (names.empty() ? "" : ",") + columns[i];
            line += " " + names;
        }
        out.push_back(line);
    }
    return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

void add_user(Store& s, const std::string& id, const std::string& email, const std::string& name) {
    s.execute("INSERT INTO users(id, email, name) VALUES (?, ?, ?)", {id, email, name});
}
}  // namespace

TEST_CASE("every conflict clause of a write to a synced table reaches the change log", "[unit][capture]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("paths.db"), "december");
    REQUIRE(s.query_value("PRAGMA recursive_triggers")->as_int() == 1);
    add_user(s, k_u1, "one@example.com", "one");
    add_user(s, k_u2, "two@example.com", "two");
    s.execute("DELETE FROM ferry_changes", {});

    SECTION("INSERT OR REPLACE on the same key: the old row deleted, the new one inserted") {
        s.execute("INSERT OR REPLACE INTO users(id, email, name) VALUES (?, 'one@example.com', 'uno')", {k_u1});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"delete " + k_u1, "insert " + k_u1});
    }
    SECTION("REPLACE INTO evicting another row through a unique column") {
        s.execute("REPLACE INTO users(id, email, name) VALUES (?, 'one@example.com', 'three')", {k_u3});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"delete " + k_u1, "insert " + k_u3});
        REQUIRE(text(s, "SELECT group_concat(name) FROM users ORDER BY id") == "two,three");
    }
    SECTION("REPLACE clashing on the key and on a unique column removes both rows") {
        s.execute("INSERT OR REPLACE INTO users(id, email, name) VALUES (?, 'two@example.com', 'both')", {k_u1});
        REQUIRE(sorted(log_of(s, "users")) ==
                std::vector<std::string>{"delete " + k_u1, "delete " + k_u2, "insert " + k_u1});
        REQUIRE(log_of(s, "users").back() == "insert " + k_u1);
    }
    SECTION("a REPLACE's delete cascades to child rows, and their deletes are captured too") {
        s.execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, 'docker-1', 'web', ?)", {k_c1, k_u1});
        s.execute("DELETE FROM ferry_changes", {});
        s.execute("INSERT OR REPLACE INTO users(id, email, name) VALUES (?, 'one@example.com', 'uno')", {k_u1});
        REQUIRE(log_of(s, "containers") == std::vector<std::string>{"delete " + k_c1});
        REQUIRE(ferry::test::count(s, "containers") == 0);
    }
    SECTION("INSERT ... ON CONFLICT DO UPDATE on the key: an update of the columns it changed") {
        s.execute("INSERT INTO users(id, email, name) VALUES (?, 'one@example.com', 'uno') "
                  "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                  {k_u1});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"update " + k_u1 + " name"});
    }
    SECTION("INSERT ... ON CONFLICT on a unique column, DO UPDATE and DO NOTHING") {
        s.execute("INSERT INTO users(id, email, name) VALUES (?, 'one@example.com', 'uno') "
                  "ON CONFLICT(email) DO UPDATE SET name = excluded.name",
                  {k_u3});
        s.execute("INSERT INTO users(id, email) VALUES (?, 'two@example.com') ON CONFLICT DO NOTHING", {k_u3});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"update " + k_u1 + " name"});
    }
    SECTION("UPDATE OR REPLACE deletes the row that held the unique value") {
        s.execute("UPDATE OR REPLACE users SET email = 'one@example.com' WHERE id = ?", {k_u2});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"delete " + k_u1, "update " + k_u2 + " email"});
    }
    SECTION("UPDATE OR REPLACE of a key onto another row's key") {
        s.execute("UPDATE OR REPLACE users SET id = ? WHERE id = ?", {k_u1, k_u2});
        REQUIRE(log_of(s, "users") ==
                std::vector<std::string>{"delete " + k_u1, "delete " + k_u2, "insert " + k_u1});
        REQUIRE(text(s, "SELECT name FROM users") == "two");
    }
    SECTION("INSERT OR IGNORE: nothing for the row it skipped, an insert for the new one") {
        s.execute("INSERT OR IGNORE INTO users(id, email) VALUES (?, 'x@example.com'), (?, 'three@example.com')",
                  {k_u1, k_u3});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"insert " + k_u3});
    }
    SECTION("recursive triggers cannot be turned off on an open store") {
        REQUIRE_THROWS_AS(s.exec("PRAGMA recursive_triggers = OFF"), ferry::Error);
        REQUIRE_THROWS_AS(s.exec("PRAGMA main.recursive_triggers = 0"), ferry::Error);
        REQUIRE(s.query_value("PRAGMA recursive_triggers")->as_int() == 1);
        s.execute("REPLACE INTO users(id, email, name) VALUES (?, 'one@example.com', 'uno')", {k_u1});
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"delete " + k_u1, "insert " + k_u1});
    }
    SECTION("OR ABORT and OR ROLLBACK keep nothing; OR FAIL keeps and captures the rows before the clash") {
        REQUIRE(code_of([&] { s.execute("INSERT OR ABORT INTO users(id, email) VALUES (?, 'one@example.com')", {k_u3}); }) ==
                ErrorCode::constraint);
        REQUIRE(code_of([&] { s.execute("INSERT OR ROLLBACK INTO users(id, email) VALUES (?, 'one@example.com')", {k_u3}); }) ==
                ErrorCode::constraint);
        REQUIRE(log_of(s, "users").empty());
        REQUIRE(code_of([&] {
                    s.execute("INSERT OR FAIL INTO users(id, email) VALUES (?, 'three@example.com'), (?, 'one@example.com')",
                              {k_u3, Store::new_id()});
                }) == ErrorCode::constraint);
        REQUIRE(log_of(s, "users") == std::vector<std::string>{"insert " + k_u3});
        REQUIRE(ferry::test::count(s, "users", "id = '" + k_u3 + "'") == 1);
    }
}

TEST_CASE("an update that an app trigger follows with its own update is captured once per change",
          "[unit][capture]") {
    ferry::test::TempDir dir;
    ferry::FakeClock clock;
    ferry::StoreOptions options;
    options.clock = &clock;
    auto s = Store::open(dir.file("maintained.db"), "december", options);
    add_user(s, k_u1, "one@example.com", "one");
    s.execute("INSERT INTO containers(id, container_id, name, user_id, updated_at) VALUES (?, 'd-1', 'web', ?, ferry_now())",
              {k_c1, k_u1});
    s.execute("DELETE FROM ferry_changes", {});

    SECTION("in the same millisecond as the last write: updated_at is already current, nothing more to record") {
        s.execute("UPDATE containers SET name = 'api' WHERE id = ?", {k_c1});
        REQUIRE(log_of(s, "containers") == std::vector<std::string>{"update " + k_c1 + " name"});
    }
    SECTION("later: the trigger's updated_at is its own change") {
        clock.advance(5);
        s.execute("UPDATE containers SET name = 'api' WHERE id = ?", {k_c1});
        REQUIRE(sorted(log_of(s, "containers")) ==
                std::vector<std::string>{"update " + k_c1 + " name", "update " + k_c1 + " updated_at"});
        REQUIRE(text(s, "SELECT updated_at FROM containers") == text(s, "SELECT ferry_now()"));
    }
    SECTION("an update that sets updated_at itself keeps its value") {
        clock.advance(5);
        s.execute("UPDATE containers SET name = 'api', updated_at = '2020-01-01T00:00:00.000Z' WHERE id = ?", {k_c1});
        REQUIRE(log_of(s, "containers") == std::vector<std::string>{"update " + k_c1 + " name,updated_at"});
        REQUIRE(text(s, "SELECT updated_at FROM containers") == "2020-01-01T00:00:00.000Z");
    }
}

namespace {
/// A devlog store on a clock that stands still, holding machine 1 seen at ferry_now(): its
/// last_seen_at trigger changes nothing, so the log holds only what each statement did.
struct MachineStore {
    ferry::test::TempDir dir;
    ferry::FakeClock clock;
    Store store = open(dir, clock);

    static Store open(ferry::test::TempDir& dir, ferry::FakeClock& clock) {
        ferry::StoreOptions options;
        options.clock = &clock;
        auto s = Store::open(dir.file("machines.db"), "devlog", options);
        s.exec("INSERT INTO machines(id, \"machineId\", hostname, username, \"osType\", \"machineType\", last_seen_at) "
               "VALUES (1, 'm-1', 'h', 'u', 'linux', 'laptop', ferry_now())");
        return s;
    }
};
}  // namespace

TEST_CASE("an update that changes a key, or nothing, is captured as what it did", "[unit][capture]") {
    // The key-change trigger is AFTER UPDATE OF the key's columns: SQLite codes it only into
    // updates whose SET names one of them, which is also what a foreign key's ON UPDATE CASCADE does.
    MachineStore m;
    Store& s = m.store;
    s.exec("INSERT INTO projects(id, name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") "
           "VALUES (10, 'p', 'o/p', 'https://example.com/o/p', 'o', 'p')");
    s.exec("INSERT INTO machine_projects(\"machineId\", \"projectId\") VALUES (1, 10)");
    s.execute("DELETE FROM ferry_changes", {});

    SECTION("a parent's key change cascades into a child's composite key: the child's old key deleted, the new inserted") {
        s.exec("UPDATE machines SET id = 2 WHERE id = 1");
        REQUIRE(log_of(s, "machines") == std::vector<std::string>{"delete 1", "insert 2"});
        REQUIRE(log_of(s, "machine_projects") == std::vector<std::string>{"delete 1", "insert 2"});
        REQUIRE(text(s, "SELECT pk FROM ferry_changes WHERE op = 1 AND tbl = "
                        "(SELECT id FROM ferry_tables WHERE name = 'machine_projects')") == "[2,10]");
    }
    SECTION("a SET that names the key but keeps it: an update of the other columns only") {
        s.exec("UPDATE machines SET id = 1, hostname = 'h2' WHERE id = 1");
        REQUIRE(log_of(s, "machines") == std::vector<std::string>{"update 1 hostname"});
        REQUIRE(log_of(s, "machine_projects").empty());
    }
    SECTION("an update that changes no column logs nothing, also on a table of key columns only") {
        s.exec("UPDATE machines SET hostname = hostname WHERE id = 1");
        s.exec("UPDATE machine_projects SET \"projectId\" = \"projectId\"");
        REQUIRE(log_of(s, "machines").empty());
        REQUIRE(log_of(s, "machine_projects").empty());
    }
    SECTION("an upsert's DO UPDATE that moves the key") {
        s.exec("INSERT INTO machine_projects(\"machineId\", \"projectId\") VALUES (1, 10) "
               "ON CONFLICT DO UPDATE SET \"machineId\" = 1, \"projectId\" = 10");
        REQUIRE(log_of(s, "machine_projects").empty());
        s.exec("INSERT INTO machines(id, \"machineId\", hostname, username, \"osType\", \"machineType\") "
               "VALUES (3, 'm-3', 'h', 'u', 'linux', 'laptop')");
        s.exec("INSERT INTO machine_projects(\"machineId\", \"projectId\") VALUES (1, 10) "
               "ON CONFLICT DO UPDATE SET \"machineId\" = 3");
        REQUIRE(log_of(s, "machine_projects") == std::vector<std::string>{"delete 1", "insert 3"});
    }
}

TEST_CASE("an update's mask names exactly the columns whose value changed", "[unit][capture]") {
    // ferry_changed_columns compares OLD and NEW in C: NULL against a value either way, text
    // byte for byte (case included), numbers by value; a column set to what it held is no change.
    MachineStore m;
    Store& s = m.store;
    s.execute("DELETE FROM ferry_changes", {});

    s.exec("UPDATE machines SET \"osVersion\" = '6.1' WHERE id = 1");
    s.exec("UPDATE machines SET \"osVersion\" = NULL WHERE id = 1");
    s.exec("UPDATE machines SET hostname = 'H', username = username WHERE id = 1");
    s.exec("UPDATE machines SET hostname = 'H', username = 'v', \"ipAddress\" = '10.0.0.1' WHERE id = 1");
    s.exec("UPDATE machines SET hostname = 'G', username = 'v', \"osType\" = 'linux' WHERE id = 1");
    s.exec("UPDATE machines SET id = 1.0 WHERE id = 1");  // the same key, spelled as a real
    REQUIRE(log_of(s, "machines") == std::vector<std::string>{"update 1 osVersion", "update 1 osVersion",
                                                                "update 1 hostname", "update 1 username,ipAddress",
                                                                "update 1 hostname"});

    SECTION("the mask is taken only by the trigger that found it") {
        REQUIRE(code_of([&] { s.query("SELECT ferry_taken_changed_columns()"); }) == ErrorCode::sql);
        REQUIRE_THROWS_WITH(s.query("SELECT ferry_taken_changed_columns()"),
                            Catch::Contains("runs only in the update capture trigger"));
    }
}

namespace {
/// A row in `table` with placeholder values for its key and required columns, written with
/// foreign keys off (and checks off, by the caller): enough for the table's UPDATE triggers.
void add_placeholder_row(Store& s, const std::string& table) {
    std::string names, values;
    for (const auto& c : s.query("SELECT name, type FROM pragma_table_info(?) WHERE pk > 0 OR "
                                 "(\"notnull\" AND dflt_value IS NULL)",
                                 {table})
                             .rows) {
        names += (names.empty() ? "" : ", ") + ferry::detail::quote_ident(c[0].as_text());
        const auto type = c[1].as_text();
        values += (values.empty() ? "" : ", ") + std::string(type == "TEXT" ? "'x'" : type == "BLOB" ? "x'00'" : "1");
    }
    s.exec("PRAGMA foreign_keys = OFF");
    s.execute("INSERT INTO " + ferry::detail::quote_ident(table) + " (" + names + ") VALUES (" + values + ")", {});
    s.exec("PRAGMA foreign_keys = ON");
}
}  // namespace

TEST_CASE("the seeds' triggers end with recursive triggers on, also when the clock stands still",
          "[unit][capture]") {
    // A maintenance trigger that sets updated_at = ferry_now() fires again on its own UPDATE
    // with recursive triggers on; when the value does not change (same millisecond), only a
    // guard stops it before SQLite's recursion limit. A stopped fake clock makes that certain.
    ferry::test::TempDir dir;
    for (const auto& app : Store::available_apps()) {
        ferry::FakeClock clock;
        ferry::StoreOptions options;
        options.clock = &clock;
        auto s = Store::open(dir.file(app + ".db"), app, options);
        const auto tables = s.query("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                                    "AND name NOT LIKE 'ferry_%' ORDER BY tbl_name",
                                    {});
        REQUIRE_FALSE(tables.rows.empty());
        s.exec("PRAGMA ignore_check_constraints = ON");  // placeholder values are not valid ids
        for (const auto& row : tables.rows) {
            const auto table = row[0].as_text();
            INFO("app " << app << ", table " << table);
            if (ferry::test::count(s, table) == 0) add_placeholder_row(s, table);
            std::string key;
            for (const auto& k : s.query("SELECT name FROM pragma_table_info(?) WHERE pk > 0", {table}).rows)
                key += (key.empty() ? "" : ", ") + ferry::detail::quote_ident(k[0].as_text()) + " = " +
                       ferry::detail::quote_ident(k[0].as_text());
            // Twice: the first brings the maintained column to ferry_now(), the second finds it there.
            const auto touch = "UPDATE " + ferry::detail::quote_ident(table) + " SET " + key;
            REQUIRE_NOTHROW(s.exec(touch));
            REQUIRE_NOTHROW(s.exec(touch));
        }
    }
}

namespace {
/// The columns named by each pending update of `table` (read as push reads them), by name.
std::vector<std::string> pending_update_columns(Store& s, const std::string& table) {
    std::vector<std::string> out;
    for (const auto& line : log_of(s, table)) {
        if (line.rfind("update ", 0) != 0) continue;
        std::vector<std::string> names;
        std::stringstream list(line.substr(line.rfind(' ') + 1));
        for (std::string name; std::getline(list, name, ',');) names.push_back(name);
        std::sort(names.begin(), names.end());
        std::string joined;
        for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
        out.push_back(joined);
    }
    return out;
}

void drop_capture_triggers(Store& s, const std::string& table) {
    for (const auto& r : s.query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                                 "AND name LIKE 'ferry_capture_%'",
                                 {table})
                             .rows)
        s.exec("DROP TRIGGER " + ferry::detail::quote_ident(r[0].as_text()));
}
}  // namespace

TEST_CASE("pending change masks follow the columns when a migration changes a synced table", "[unit][capture]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("masks.db");
    const std::string message = "55555555-5555-4555-8555-555555555555";
    {
        auto s = Store::open(path, "december");
        add_user(s, k_u1, "one@example.com", "one");
        s.execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, 'd-1', 'web', ?)", {k_c1, k_u1});
        s.execute("INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES (?, ?, 's', 'user', 'hi')",
                  {message, k_c1});
        s.execute("UPDATE chat_messages SET metadata = '{\"seen\":1}', content = 'hello' WHERE id = ?", {message});
        s.execute("UPDATE chat_messages SET created_at = '2024-01-01T00:00:00.000Z' WHERE id = ?", {message});
        REQUIRE(pending_update_columns(s, "chat_messages") == std::vector<std::string>{"content,metadata", "created_at"});
        // What a migration would do, without the capture triggers in its way (they name every column).
        drop_capture_triggers(s, "chat_messages");

        SECTION("a column before the changed ones is dropped") {
            s.exec("ALTER TABLE chat_messages DROP COLUMN role");
        }
        SECTION("a changed column is dropped: its bit goes, an update left with no column goes too") {
            s.exec("DROP INDEX idx_chat_messages_created_at");
            s.exec("ALTER TABLE chat_messages DROP COLUMN created_at");
        }
        SECTION("the table is rebuilt with its columns in another order and a new one in the middle") {
            s.exec("CREATE TABLE chat_messages_new (id TEXT NOT NULL PRIMARY KEY, metadata TEXT, extra TEXT, "
                   "created_at TEXT, content TEXT NOT NULL, role TEXT NOT NULL, session_id TEXT NOT NULL, "
                   "container_id TEXT REFERENCES containers(id) ON DELETE CASCADE, attachments TEXT) STRICT");
            s.exec("INSERT INTO chat_messages_new (id, metadata, created_at, content, role, session_id, container_id, "
                   "attachments) SELECT id, metadata, created_at, content, role, session_id, container_id, attachments "
                   "FROM chat_messages");
            s.exec("DROP TABLE chat_messages");
            // The view user_projects names chat_messages, which is missing until the rename.
            s.exec("PRAGMA legacy_alter_table = ON");
            s.exec("ALTER TABLE chat_messages_new RENAME TO chat_messages");
            s.exec("PRAGMA legacy_alter_table = OFF");
        }
    }
    auto s = Store::open(path, "december");  // finds the capture out of date and installs it again
    const auto columns = recorded_columns(s, "chat_messages");
    const bool created_at_kept = std::find(columns.begin(), columns.end(), "created_at") != columns.end();
    if (created_at_kept)
        REQUIRE(pending_update_columns(s, "chat_messages") == std::vector<std::string>{"content,metadata", "created_at"});
    else
        REQUIRE(pending_update_columns(s, "chat_messages") == std::vector<std::string>{"content,metadata"});
    // The insert still covers every column, and the regenerated triggers use the new positions.
    REQUIRE(log_of(s, "chat_messages").front() == "insert " + message);
    s.execute("UPDATE chat_messages SET content = 'again' WHERE id = ?", {message});
    REQUIRE(pending_update_columns(s, "chat_messages").back() == "content");
}
