// tests/integration/roundtrip_test.cpp: the type mapping of every app, device -> cloud -> device
// (DESIGN.md decision 9), against a real PostgreSQL server; three devices converging per app after
// interleaved offline work; and devlog's leased integer keys (decision 8).
//
// Round trips: device A writes rows that exercise every kind of column its app has (JSON with
// unicode and escapes, arrays, decimals at their limits, timestamps, booleans, bytes, enums,
// NULLs, integer extremes, inet, composite keys), syncs, and the values are checked IN
// PostgreSQL with SQL. A fresh device B then pulls everything: every value A wrote must reach B
// unchanged (JSON and decimals compared by value, since PostgreSQL normalises their text), and
// after A syncs again (receiving the server's normalised text) A and B must be byte-identical.
// The round trips run with the PostgreSQL session time zone set to Pacific/Chatham (+13:45), so a
// conversion that depends on the session's zone shows up as a wrong timestamp.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "ferry/apps/agentchat.hpp"
#include "ferry/apps/aiflowo.hpp"
#include "ferry/apps/december.hpp"
#include "ferry/apps/devlog.hpp"
#include "ferry/apps/projectme.hpp"
#include "ferry/error.hpp"
#include "tests/support/device.hpp"
#include "tests/support/replicas.hpp"
#include "tests/support/store_checks.hpp"

using ferry::Blob;
using ferry::FakeClock;
using ferry::Store;
using ferry::Value;
using ferry::test::count;
using ferry::test::Device;
using ferry::test::diff_dumps;
using ferry::test::dump_summary;
using ferry::test::dump_synced;
using ferry::test::Dump;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {

// ---------------------------------------------------------------------------------------------
// Values that exercise the type mapping.
// ---------------------------------------------------------------------------------------------

/// Nested JSON with every JSON type, unicode as UTF-8 and as \u escapes (a surrogate pair too),
/// every escape, an exponent and an integer beyond int64. jsonb reorders the keys, decodes the
/// escapes and rewrites 1e2, so the text comes back different but the value must not.
const std::string k_json =
    R"J({"z": "last key first", "nested": {"deep": [1, 2.5, -3, 1e2, {"x": null, "t": true, "f": false}]}, )J"
    R"J("unicode": "héllo wörld 日本語 🚀", "escapes": "quote \" backslash \\ slash \/ newline \n tab \t cr \r", )J"
    R"J("uescape": "\u00e9\u4e2d\ud83d\ude80", "empty": {}, "emptyArr": [], "big": 12345678901234567890, "small": -0.000123})J";

/// A JSON array of strings that need quoting in PostgreSQL's array syntax.
const std::string k_array =
    R"J(["plain", "with,comma", "with \"quotes\"", "back\\slash", "{braces}", "日本語 🚀", "", "NULL", "  spaced  "])J";
/// The same array as a PostgreSQL literal (standard_conforming_strings: a backslash is itself).
const std::string k_array_pg =
    R"(ARRAY['plain', 'with,comma', 'with "quotes"', 'back\slash', '{braces}', '日本語 🚀', '', 'NULL', '  spaced  ']::text[])";

/// Text with quotes, escapes, unicode and control characters.
const std::string k_text = "Ünïcödé \"double\" 'single' back\\slash\nnew line\ttab 日本語 🚀 \r\n end";

const std::int64_t k_int_max = std::numeric_limits<std::int32_t>::max();
const std::int64_t k_int_min = std::numeric_limits<std::int32_t>::min();
const std::int64_t k_bigint_max = std::numeric_limits<std::int64_t>::max();
const std::int64_t k_bigint_min = std::numeric_limits<std::int64_t>::min();

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

void install(PgDatabase& db, const std::string& app) { ferry::server::install_app_schema(db.conninfo(), app); }

/// A PostgreSQL string literal.
std::string lit(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

/// Sets an environment variable for the scope (libpq reads PGTZ when a connection opens).
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = std::string(old);
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (m_old) ::setenv(m_name.c_str(), m_old->c_str(), 1);
        else ::unsetenv(m_name.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

/// Inserts one row through SQL on the store (so it is captured like any app write).
void insert(Store& s, const std::string& table, const std::vector<std::pair<std::string, Value>>& cols) {
    std::string names, marks;
    std::vector<Value> vals;
    for (const auto& [name, value] : cols) {
        names += (names.empty() ? "\"" : ", \"") + name + "\"";
        marks += marks.empty() ? "?" : ", ?";
        vals.push_back(value);
    }
    s.execute("INSERT INTO \"" + table + "\" (" + names + ") VALUES (" + marks + ")", vals);
}

/// Asserts that the single value `query` selects in PostgreSQL IS NOT DISTINCT FROM the SQL
/// expression `expected` (typed like the value), reporting the value PostgreSQL holds otherwise.
void pg_expect(const PgDatabase& db, const std::string& query, const std::string& expected) {
    auto c = db.connect();
    pqxx::work tx(c);
    auto r = tx.exec("SELECT (x.v IS NOT DISTINCT FROM (" + expected + "))::text, x.v::text FROM (" + query + ") x(v)");
    const std::string actual = r.size() != 1 ? "<" + std::to_string(r.size()) + " rows>"
                               : r[0][1].is_null() ? "NULL"
                                                   : r[0][1].c_str();
    INFO("PostgreSQL: " << query << "\n  expected: " << expected << "\n  actual:   " << actual);
    REQUIRE(r.size() == 1);
    CHECK(std::string(r[0][0].c_str()) == "true");
}

/// Syncs and checks that the server refused nothing (listing what it refused otherwise).
ferry::SyncReport sync_clean(Device& d, ferry::SyncOptions options = {}) {
    auto r = d.sync(options);
    std::string why;
    for (const auto& w : ferry::rejected_writes(d.store()))
        why += "  " + w.table + " " + w.key_json + " " + w.op + ": " + w.code + ": " + w.reason + "\n";
    INFO("rejected writes:\n" << why);
    CHECK(r.rejected == 0);
    CHECK(why.empty());
    return r;
}

/// The second half of every round trip. `written` is A's synced tables as A wrote them, before
/// the sync that pushed them (the test has checked PostgreSQL since). A fresh device B pulls
/// everything and must hold every value A wrote (JSON and decimals by value); after A syncs
/// again, A and B are byte-identical; `check_b` then looks at B's values. Returns B's dump.
Dump finish_round_trip(PgDatabase& db, Device& a, const std::string& app, const Dump& written,
                       const std::function<void(Store&)>& check_b = {}) {
    Device b(db, app);
    sync_clean(b);
    const Dump at_b = dump_synced(b.store());
    INFO("rows written by A: " << dump_summary(written) << "\nrows at B: " << dump_summary(at_b));
    {
        INFO("every value A wrote must reach B unchanged (JSON and decimals compared by value)");
        CHECK(diff_dumps(written, at_b, true) == "");
    }
    sync_clean(a);
    {
        INFO("after A syncs again, A holds the server's text of every value, as B does");
        CHECK(diff_dumps(dump_synced(a.store()), at_b, false) == "");
    }
    if (check_b) check_b(b.store());
    // Nothing is left to push anywhere, and B syncing again changes nothing.
    CHECK(a.store().status().pending_changes == 0);
    CHECK(b.store().status().pending_changes == 0);
    sync_clean(b);
    CHECK(diff_dumps(dump_synced(b.store()), at_b, false) == "");
    return at_b;
}

/// Every device's synced tables equal the first one's, byte for byte.
void check_converged(const std::vector<Device*>& devices, const std::vector<std::string>& names) {
    const Dump first = dump_synced(devices[0]->store());
    for (std::size_t i = 1; i < devices.size(); ++i) {
        INFO("device " << names[0] << ": " << dump_summary(first) << "\ndevice " << names[i] << ": "
                       << dump_summary(dump_synced(devices[i]->store())));
        CHECK(diff_dumps(first, dump_synced(devices[i]->store()), false) == "");
    }
}


// Inputs of the typed helpers, with every field set (the structs are aggregates).
namespace ac = ferry::apps::agentchat;
namespace af = ferry::apps::aiflowo;
namespace dl = ferry::apps::devlog;

ac::NewDocumentVersion doc_version(std::optional<std::string> id, const std::string& content, const std::string& user,
                                   const std::string& chat) {
    ac::NewDocumentVersion v;
    v.id = std::move(id);
    v.title = "Doc";
    v.content = content;
    v.user_id = user;
    v.chat_id = chat;
    return v;
}

af::NewTask af_task(const std::string& user, const std::string& title, const std::string& intent, const std::string& priority) {
    af::NewTask t;
    t.user_id = user;
    t.title = title;
    t.intent = intent;
    t.priority = priority;
    return t;
}

af::NewTaskLog af_log(const std::string& task, const std::string& level, const std::string& message) {
    af::NewTaskLog l;
    l.task_id = task;
    l.level = level;
    l.message = message;
    return l;
}

af::NewToolExecution af_execution(const std::string& tool, const std::string& task, const std::string& input,
                                  const std::string& status = "COMPLETED") {
    af::NewToolExecution e;
    e.tool_id = tool;
    e.task_id = task;
    e.input_json = input;
    e.status = status;
    return e;
}

af::NewArtifact af_artifact(const std::string& task, const std::string& type, const std::string& name, const std::string& url,
                            std::int64_t size) {
    af::NewArtifact a;
    a.task_id = task;
    a.type = type;
    a.name = name;
    a.url = url;
    a.size = size;
    return a;
}

af::NewQueueJob af_job(const std::string& queue, const std::string& task, const std::string& data) {
    af::NewQueueJob j;
    j.queue = queue;
    j.task_id = task;
    j.data_json = data;
    return j;
}

/// A project "owner/name" at https://github.com/owner/name.
dl::ProjectInfo dl_project(const std::string& name, const std::string& full_name) {
    dl::ProjectInfo p;
    p.name = name;
    p.full_name = full_name;
    p.repo_url = "https://github.com/" + full_name;
    p.repo_owner = full_name.substr(0, full_name.find('/'));
    p.repo_name = full_name.substr(full_name.find('/') + 1);
    return p;
}

dl::MachineInfo dl_machine(const std::string& machine_id, const std::string& hostname, const std::string& os_type,
                           std::optional<std::string> os_version = std::nullopt) {
    dl::MachineInfo m;
    m.machine_id = machine_id;
    m.hostname = hostname;
    m.username = "dev";
    m.os_type = os_type;
    m.os_version = std::move(os_version);
    m.machine_type = "local";
    return m;
}

dl::WorkspaceInfo dl_workspace(std::int64_t project, std::int64_t machine, const std::string& workspace_id,
                               const std::string& path) {
    dl::WorkspaceInfo w;
    w.project_id = project;
    w.machine_id = machine;
    w.workspace_id = workspace_id;
    w.workspace_path = path;
    w.workspace_type = "folder";
    return w;
}

dl::NewChatSession dl_chat_session(std::int64_t workspace, const std::string& agent) {
    dl::NewChatSession c;
    c.workspace_id = workspace;
    c.agent_type = agent;
    return c;
}

dl::NewDevlogEntry dl_entry(const std::string& key, const std::string& title, const std::string& description,
                            std::int64_t project) {
    dl::NewDevlogEntry e;
    e.key = key;
    e.title = title;
    e.description = description;
    e.project_id = project;
    return e;
}

dl::NewAgentEvent dl_event(const std::string& type, const std::string& agent, const std::string& session, std::int64_t project) {
    dl::NewAgentEvent e;
    e.event_type = type;
    e.agent_id = agent;
    e.agent_version = "1";
    e.session_id = session;
    e.project_id = project;
    return e;
}

}  // namespace

// =============================================================================================
// 1. Round trips of every column type, one app at a time.
// =============================================================================================

TEST_CASE("projectme: every column type round-trips device -> cloud -> device", "[integration][roundtrip]") {
    ScopedEnv tz("PGTZ", "Pacific/Chatham");
    PgDatabase db;
    install(db, "projectme");
    // Users come from the server's sign-up (User.email never leaves the server).
    db.exec(R"(INSERT INTO "User"(id, email, username, name, "createdAt", "updatedAt") VALUES
        ('user-full', 'full@example.com', 'zoë_ü', 'Zoë "Z" O''Brien — 日本語 🚀', '2024-02-29 23:59:59.999', '2024-03-01 00:00:00.000'),
        ('user-null', 'null@example.com', NULL, NULL, '1970-01-01 00:00:00.000', '2038-01-19 03:14:07.999'))");

    Device a(db, "projectme");
    sync_clean(a);
    REQUIRE(count(a.store(), "User") == 2);
    CHECK(text(a.store(), R"(SELECT "createdAt" FROM "User" WHERE id = 'user-full')") == "2024-02-29T23:59:59.999Z");
    CHECK(text(a.store(), R"(SELECT name FROM "User" WHERE id = 'user-full')") == "Zoë \"Z\" O'Brien — 日本語 🚀");
    CHECK(text(a.store(), R"(SELECT username FROM "User" WHERE id = 'user-null')") == "NULL");
    CHECK(text(a.store(), R"(SELECT "updatedAt" FROM "User" WHERE id = 'user-null')") == "2038-01-19T03:14:07.999Z");

    Store& s = a.store();
    insert(s, "Task", {{"id", "task-full"}, {"userId", "user-full"}, {"title", k_text}, {"description", "line1\nline2"},
                       {"status", "running"}, {"type", "code"}, {"payload", k_json}, {"tags", k_array},
                       {"priority", k_int_max}, {"isPublic", 1}, {"outputText", "output ✓"},
                       {"outputRaw", R"J([1, "two", {"three": 3.0}, [], null])J"}, {"errorMessage", ""},
                       {"executionTime", k_int_min}, {"createdAt", "2024-02-29T23:59:59.999Z"},
                       {"updatedAt", "2024-03-01T00:00:00.000Z"}});
    insert(s, "Task", {{"id", "task-null"}, {"userId", nullptr}, {"title", "t"}, {"description", nullptr},
                       {"status", "pending"}, {"type", "llm"}, {"payload", nullptr}, {"tags", nullptr}, {"priority", 0},
                       {"isPublic", 0}, {"outputText", nullptr}, {"outputRaw", nullptr}, {"errorMessage", nullptr},
                       {"executionTime", nullptr}, {"createdAt", "1900-01-01T00:00:00.001Z"},
                       {"updatedAt", "9999-12-31T23:59:59.999Z"}});
    // JSON scalars: a JSON null is not SQL NULL; a JSON string; an empty array.
    insert(s, "Task", {{"id", "task-scalars"}, {"userId", "user-null"}, {"title", "scalars"}, {"payload", "null"},
                       {"tags", "[]"}, {"outputRaw", R"("just a string")"}, {"priority", k_int_min},
                       {"createdAt", "2000-01-01T00:00:00.000Z"}, {"updatedAt", "2000-01-01T00:00:00.000Z"}});
    insert(s, "Task", {{"id", "task-arrays"}, {"userId", "user-full"}, {"title", "arrays"}, {"payload", "42"},
                       {"tags", R"J(["NULL", null, "a\"b", "  spaced  "])J"}, {"outputRaw", "[]"},
                       {"createdAt", "2024-02-29T00:00:00.000Z"}, {"updatedAt", "2024-02-29T12:00:00.500Z"}});
    insert(s, "Event", {{"id", "event-full"}, {"userId", "user-full"}, {"taskId", "task-full"}, {"eventType", "task.started"},
                        {"data", k_json}, {"level", "warn"}, {"timestamp", "1999-12-31T23:59:59.999Z"}});
    insert(s, "Event", {{"id", "event-null"}, {"userId", nullptr}, {"taskId", nullptr}, {"eventType", "system"},
                        {"data", nullptr}, {"level", "info"}, {"timestamp", "2024-02-29T00:00:00.000Z"}});
    insert(s, "Settings", {{"id", "settings-full"}, {"userId", "user-full"}, {"runnerUrl", "https://runner.example/ü?q=1&x=\"y\""},
                           {"preferences", R"J({"theme": "dark", "langs": ["en", "日本語"], "n": {"a": {"b": {"c": []}}}})J"},
                           {"createdAt", "2024-02-29T23:59:59.999Z"}, {"updatedAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "Settings", {{"id", "settings-null"}, {"userId", nullptr}, {"runnerUrl", nullptr}, {"preferences", "{}"},
                           {"createdAt", "2024-01-01T00:00:00.000Z"}, {"updatedAt", "2024-01-01T00:00:00.000Z"}});
    insert(s, "LLMSession", {{"id", "llm-full"}, {"userId", "user-full"}, {"sessionId", "chat-ü-1"}, {"title", k_text},
                             {"systemPrompt", "You are\n\"helpful\"."}, {"summary", "σύνοψη"},
                             {"createdAt", "2024-02-29T10:00:00.000Z"}, {"updatedAt", "2024-02-29T10:00:00.001Z"}});
    insert(s, "LLMSession", {{"id", "llm-null"}, {"userId", nullptr}, {"sessionId", "chat-null"}, {"title", nullptr},
                             {"systemPrompt", nullptr}, {"summary", nullptr}, {"createdAt", "2024-02-29T10:00:00.000Z"},
                             {"updatedAt", "2024-02-29T10:00:00.000Z"}});
    insert(s, "LLMMessage", {{"id", "msg-full"}, {"sessionId", "llm-full"}, {"role", "assistant"}, {"content", k_text},
                             {"tokens", 0}, {"metadata", k_json}, {"createdAt", "2024-02-29T10:00:00.999Z"}});
    insert(s, "LLMMessage", {{"id", "msg-null"}, {"sessionId", "llm-null"}, {"role", "user"}, {"content", ""},
                             {"tokens", nullptr}, {"metadata", nullptr}, {"createdAt", "2024-02-29T10:00:01.000Z"}});
    insert(s, "SandboxFile", {{"id", "file-deleted"}, {"userId", "user-full"}, {"path", "/dir/ünï cöde, \"q\".txt"},
                              {"content", k_text}, {"size", static_cast<std::int64_t>(k_text.size())}, {"isDeleted", 1},
                              {"createdAt", "2024-02-29T23:59:59.999Z"}, {"updatedAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "SandboxFile", {{"id", "file-live"}, {"userId", "user-full"}, {"path", "/empty"}, {"content", ""},
                              {"size", 0}, {"isDeleted", 0}, {"createdAt", "2024-02-29T23:59:59.999Z"},
                              {"updatedAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "AuditLog", {{"id", "audit-full"}, {"userId", "user-full"}, {"action", "delete_task"}, {"resource", "task:task-x"},
                           {"ipAddress", "2001:db8::1"}, {"userAgent", "Mozilla/5.0 (X11; Linux) \"q\""},
                           {"metadata", k_json}, {"createdAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "AuditLog", {{"id", "audit-null"}, {"userId", nullptr}, {"action", "noop"}, {"resource", nullptr},
                           {"ipAddress", nullptr}, {"userAgent", nullptr}, {"metadata", nullptr},
                           {"createdAt", "2024-02-29T00:00:00.000Z"}});
    // A's own user row: a device may update its user (not create one).
    s.execute(R"(UPDATE "User" SET name = ?, "updatedAt" = '2024-03-01T12:34:56.789Z' WHERE id = 'user-null')", {"ναμε"});

    const Dump written = dump_synced(a.store());
    sync_clean(a);

    // In PostgreSQL, with its own types.
    pg_expect(db, R"(SELECT payload FROM "Task" WHERE id = 'task-full')", lit(k_json) + "::jsonb");
    pg_expect(db, R"(SELECT payload ->> 'unicode' FROM "Task" WHERE id = 'task-full')", "'héllo wörld 日本語 🚀'");
    pg_expect(db, R"(SELECT payload ->> 'uescape' FROM "Task" WHERE id = 'task-full')", "'é中🚀'");
    pg_expect(db, R"(SELECT payload ->> 'big' FROM "Task" WHERE id = 'task-full')", "'12345678901234567890'");
    pg_expect(db, R"(SELECT tags FROM "Task" WHERE id = 'task-full')", k_array_pg);
    pg_expect(db, R"(SELECT title FROM "Task" WHERE id = 'task-full')", lit(k_text));
    pg_expect(db, R"(SELECT priority FROM "Task" WHERE id = 'task-full')", "2147483647");
    pg_expect(db, R"(SELECT "executionTime" FROM "Task" WHERE id = 'task-full')", "-2147483648");
    pg_expect(db, R"(SELECT "isPublic" FROM "Task" WHERE id = 'task-full')", "true");
    pg_expect(db, R"(SELECT "errorMessage" FROM "Task" WHERE id = 'task-full')", "''");
    pg_expect(db, R"(SELECT "outputRaw" FROM "Task" WHERE id = 'task-full')", R"('[1, "two", {"three": 3.0}, [], null]'::jsonb)");
    pg_expect(db, R"(SELECT "createdAt" FROM "Task" WHERE id = 'task-full')", "'2024-02-29 23:59:59.999'::timestamp");
    pg_expect(db, R"(SELECT "updatedAt" FROM "Task" WHERE id = 'task-full')", "'2024-03-01 00:00:00.000'::timestamp");
    for (const char* col : {"userId", "description", "payload", "tags", "outputText", "outputRaw", "errorMessage", "executionTime"})
        pg_expect(db, std::string("SELECT \"") + col + R"(" FROM "Task" WHERE id = 'task-null')", "NULL");
    pg_expect(db, R"(SELECT "isPublic" FROM "Task" WHERE id = 'task-null')", "false");
    pg_expect(db, R"(SELECT "createdAt" FROM "Task" WHERE id = 'task-null')", "'1900-01-01 00:00:00.001'::timestamp");
    pg_expect(db, R"(SELECT "updatedAt" FROM "Task" WHERE id = 'task-null')", "'9999-12-31 23:59:59.999'::timestamp");
    pg_expect(db, R"(SELECT jsonb_typeof(payload) FROM "Task" WHERE id = 'task-scalars')", "'null'");  // not SQL NULL
    pg_expect(db, R"(SELECT tags FROM "Task" WHERE id = 'task-scalars')", "'{}'::text[]");
    pg_expect(db, R"(SELECT "outputRaw" FROM "Task" WHERE id = 'task-scalars')", R"('"just a string"'::jsonb)");
    pg_expect(db, R"(SELECT tags FROM "Task" WHERE id = 'task-arrays')", R"(ARRAY['NULL', NULL, 'a"b', '  spaced  ']::text[])");
    pg_expect(db, R"(SELECT tags[2] IS NULL FROM "Task" WHERE id = 'task-arrays')", "true");
    pg_expect(db, R"(SELECT payload FROM "Task" WHERE id = 'task-arrays')", "'42'::jsonb");
    pg_expect(db, R"(SELECT "updatedAt" FROM "Task" WHERE id = 'task-arrays')", "'2024-02-29 12:00:00.5'::timestamp");
    pg_expect(db, R"(SELECT "timestamp" FROM "Event" WHERE id = 'event-full')", "'1999-12-31 23:59:59.999'::timestamp");
    pg_expect(db, R"(SELECT data FROM "Event" WHERE id = 'event-full')", lit(k_json) + "::jsonb");
    pg_expect(db, R"(SELECT data FROM "Event" WHERE id = 'event-null')", "NULL");
    pg_expect(db, R"(SELECT "taskId" FROM "Event" WHERE id = 'event-null')", "NULL");
    pg_expect(db, R"(SELECT preferences -> 'langs' ->> 1 FROM "Settings" WHERE id = 'settings-full')", "'日本語'");
    pg_expect(db, R"(SELECT "runnerUrl" FROM "Settings" WHERE id = 'settings-full')", lit("https://runner.example/ü?q=1&x=\"y\""));
    pg_expect(db, R"(SELECT "runnerToken" FROM "Settings" WHERE id = 'settings-full')", "NULL");
    pg_expect(db, R"(SELECT "userId" FROM "Settings" WHERE id = 'settings-null')", "NULL");
    pg_expect(db, R"(SELECT "sessionId" FROM "LLMSession" WHERE id = 'llm-full')", "'chat-ü-1'");
    pg_expect(db, R"(SELECT summary FROM "LLMSession" WHERE id = 'llm-null')", "NULL");
    pg_expect(db, R"(SELECT content FROM "LLMMessage" WHERE id = 'msg-full')", lit(k_text));
    pg_expect(db, R"(SELECT tokens FROM "LLMMessage" WHERE id = 'msg-full')", "0");
    pg_expect(db, R"(SELECT tokens FROM "LLMMessage" WHERE id = 'msg-null')", "NULL");
    pg_expect(db, R"(SELECT content FROM "LLMMessage" WHERE id = 'msg-null')", "''");
    pg_expect(db, R"(SELECT "isDeleted" FROM "SandboxFile" WHERE id = 'file-deleted')", "true");
    pg_expect(db, R"(SELECT "isDeleted" FROM "SandboxFile" WHERE id = 'file-live')", "false");
    pg_expect(db, R"(SELECT path FROM "SandboxFile" WHERE id = 'file-deleted')", lit("/dir/ünï cöde, \"q\".txt"));
    for (const char* col : {"userId", "resource", "ipAddress", "userAgent", "metadata"})
        pg_expect(db, std::string("SELECT \"") + col + R"(" FROM "AuditLog" WHERE id = 'audit-null')", "NULL");
    pg_expect(db, R"(SELECT name FROM "User" WHERE id = 'user-null')", "'ναμε'");
    pg_expect(db, R"(SELECT "updatedAt" FROM "User" WHERE id = 'user-null')", "'2024-03-01 12:34:56.789'::timestamp");
    pg_expect(db, R"(SELECT email FROM "User" WHERE id = 'user-null')", "'null@example.com'");  // untouched

    finish_round_trip(db, a, "projectme", written, [&](Store& b) {
        // jsonb's text is what B holds (PostgreSQL's normal form), and it is the same JSON value.
        CHECK(text(b, R"(SELECT payload FROM "Task" WHERE id = 'task-full')") ==
              db.scalar(R"(SELECT payload::text FROM "Task" WHERE id = 'task-full')"));
        CHECK(text(b, R"(SELECT json_extract(payload, '$.uescape') FROM "Task" WHERE id = 'task-full')") == "é中🚀");
        CHECK(text(b, R"(SELECT json_extract(tags, '$[3]') FROM "Task" WHERE id = 'task-full')") == "back\\slash");
        CHECK(text(b, R"(SELECT json_type(payload) FROM "Task" WHERE id = 'task-scalars')") == "null");
        CHECK(text(b, R"(SELECT payload IS NULL FROM "Task" WHERE id = 'task-null')") == "1");
        CHECK(text(b, R"(SELECT json_type(tags, '$[1]') FROM "Task" WHERE id = 'task-arrays')") == "null");
        CHECK(text(b, R"(SELECT typeof("isPublic") || "isPublic" FROM "Task" WHERE id = 'task-full')") == "integer1");
    });
}

TEST_CASE("projectme: values the device accepts but PostgreSQL cannot store are rejected naming their column",
          "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "projectme");
    db.exec(R"(INSERT INTO "User"(id, email, "updatedAt") VALUES ('user-1', 'u1@example.com', '2024-01-01 00:00:00'))");
    Device a(db, "projectme");
    sync_clean(a);
    Store& s = a.store();
    // Valid on the device (json_valid, the timestamp GLOB, a 64-bit INTEGER), not in the cloud:
    // jsonb refuses \u0000, there is no 30 February, "tokens" is a 32-bit integer.
    insert(s, "Task", {{"id", "task-ok"}, {"userId", "user-1"}, {"title", "fine"}, {"payload", R"({"ok": true})"}});
    insert(s, "Task", {{"id", "task-nul"}, {"userId", "user-1"}, {"title", "nul"}, {"payload", R"({"a": "x\u0000y"})"}});
    insert(s, "Task", {{"id", "task-date"}, {"userId", "user-1"}, {"title", "date"}, {"createdAt", "2024-02-30T00:00:00.000Z"}});
    insert(s, "LLMSession", {{"id", "llm-1"}, {"userId", "user-1"}, {"sessionId", "chat-1"}});
    insert(s, "LLMMessage", {{"id", "msg-big"}, {"sessionId", "llm-1"}, {"role", "user"}, {"content", "c"},
                             {"tokens", std::int64_t(1) << 40}});
    auto r = a.sync();
    CHECK(r.rejected == 3);
    CHECK(r.applied == 2);
    const auto rejected = ferry::rejected_writes(s);
    REQUIRE(rejected.size() == 3);
    const std::map<std::string, std::string> column_of = {
        {R"(["task-nul"])", "payload"}, {R"(["task-date"])", "createdAt"}, {R"(["msg-big"])", "tokens"}};
    for (const auto& w : rejected) {
        INFO(w.table << " " << w.key_json << ": " << w.code << ": " << w.reason);
        REQUIRE(column_of.count(w.key_json) == 1);
        CHECK(w.code == "invalid_argument");
        CHECK(w.reason.find(column_of.at(w.key_json)) != std::string::npos);  // names the column
        CHECK(w.values_json.find(column_of.at(w.key_json)) != std::string::npos);  // the refused value is kept
    }
    // The rest of the batch applied; the refused rows were brought back to the server's state.
    pg_expect(db, R"(SELECT string_agg(id, ',' ORDER BY id) FROM "Task")", "'task-ok'");
    pg_expect(db, R"(SELECT count(*) FROM "LLMSession")", "1");
    pg_expect(db, R"(SELECT count(*) FROM "LLMMessage")", "0");
    CHECK(text(s, R"(SELECT group_concat(id) FROM "Task")") == "task-ok");
    CHECK(count(s, "LLMMessage") == 0);
    CHECK(s.status().pending_changes == 0);
}

TEST_CASE("december: every column type round-trips device -> cloud -> device", "[integration][roundtrip]") {
    ScopedEnv tz("PGTZ", "Pacific/Chatham");
    PgDatabase db;
    install(db, "december");
    Device a(db, "december");
    Store& s = a.store();

    const std::string u_full = "10000000-0000-4000-8000-000000000001";
    const std::string u_null = "10000000-0000-4000-8000-000000000002";
    const std::string c_full = "20000000-0000-4000-8000-000000000001";
    const std::string c_null = "20000000-0000-4000-8000-000000000002";
    const std::string p_full = "30000000-0000-4000-8000-000000000001";
    const std::string p_null = "30000000-0000-4000-8000-000000000002";
    const std::string m_full = "40000000-0000-4000-8000-000000000001";
    const std::string m_null = "40000000-0000-4000-8000-000000000002";
    const std::string f_max = "50000000-0000-4000-8000-000000000001";
    const std::string f_min = "50000000-0000-4000-8000-000000000002";
    const std::string f_null = "50000000-0000-4000-8000-000000000003";
    std::string long_name;  // VARCHAR(255) counts characters: 255 two-byte characters fit
    for (int i = 0; i < 255; ++i) long_name += "é";

    insert(s, "users", {{"id", u_full}, {"email", "zoë@exämple.com"}, {"name", k_text}, {"avatar_url", "https://x.example/a.png?s=1&t=\"2\""},
                        {"created_at", "2024-02-29T23:59:59.999Z"}, {"updated_at", "2024-03-01T00:00:00.000Z"},
                        {"last_login", "1999-12-31T23:59:59.999Z"}, {"is_active", 0}});
    insert(s, "users", {{"id", u_null}, {"email", "null@example.com"}, {"name", nullptr}, {"avatar_url", nullptr},
                        {"created_at", nullptr}, {"updated_at", nullptr}, {"last_login", nullptr}, {"is_active", nullptr}});
    insert(s, "containers", {{"id", c_full}, {"container_id", "docker-ü-1"}, {"name", long_name}, {"status", "running"},
                             {"image_name", "node:20-alpine"}, {"assigned_port", 65535}, {"url", "http://localhost:65535/?q=\"x\""},
                             {"created_at", "2024-02-29T00:00:00.000Z"}, {"updated_at", "2024-02-29T23:59:59.999Z"},
                             {"started_at", "1970-01-01T00:00:00.000Z"}, {"stopped_at", "2038-01-19T03:14:07.999Z"},
                             {"user_id", u_full}, {"labels", k_json}, {"metadata", R"J({"ports": [3000, 65535], "env": {"A": "b=c"}})J"}});
    insert(s, "containers", {{"id", c_null}, {"container_id", "docker-null"}, {"name", "n"}, {"status", "created"},
                             {"image_name", nullptr}, {"assigned_port", nullptr}, {"url", nullptr}, {"created_at", nullptr},
                             {"updated_at", nullptr}, {"started_at", nullptr}, {"stopped_at", nullptr}, {"user_id", nullptr},
                             {"labels", nullptr}, {"metadata", nullptr}});
    insert(s, "projects", {{"id", p_full}, {"container_id", c_full}, {"name", k_text.substr(0, 40)}, {"description", k_text},
                           {"type", "nextjs"}, {"status", "archived"}, {"created_at", "2024-02-29T12:00:00.001Z"},
                           {"updated_at", "2024-02-29T12:00:00.002Z"}, {"user_id", u_full}, {"metadata", "[]"},
                           {"settings", R"J({"theme": null, "list": [{"a": [1, {"b": "ü"}]}]})J"}});
    insert(s, "projects", {{"id", p_null}, {"container_id", nullptr}, {"name", "n"}, {"description", nullptr}, {"type", nullptr},
                           {"status", nullptr}, {"created_at", nullptr}, {"updated_at", nullptr}, {"user_id", nullptr},
                           {"metadata", nullptr}, {"settings", nullptr}});
    insert(s, "chat_messages", {{"id", m_full}, {"container_id", c_full}, {"session_id", "s-ü"}, {"role", "assistant"},
                                {"content", k_text}, {"attachments", R"J([{"name": "a,b.png", "size": 12}, {"name": "日本.txt"}])J"},
                                {"created_at", "2024-02-29T23:59:59.999Z"}, {"metadata", k_json}});
    insert(s, "chat_messages", {{"id", m_null}, {"container_id", nullptr}, {"session_id", "s"}, {"role", "user"}, {"content", ""},
                                {"attachments", nullptr}, {"created_at", nullptr}, {"metadata", nullptr}});
    insert(s, "file_storage", {{"id", f_max}, {"container_id", c_full}, {"file_path", "/app/ünï, \"q\"/x.ts"}, {"file_name", "x.ts"},
                               {"file_size", k_bigint_max}, {"mime_type", "text/typescript"}, {"created_at", "2024-02-29T00:00:00.000Z"},
                               {"updated_at", "2024-02-29T00:00:00.000Z"}, {"is_deleted", 1}});
    insert(s, "file_storage", {{"id", f_min}, {"container_id", c_full}, {"file_path", "/b"}, {"file_name", "b"},
                               {"file_size", k_bigint_min}, {"mime_type", "application/octet-stream"},
                               {"created_at", "2024-02-29T00:00:00.000Z"}, {"updated_at", "2024-02-29T00:00:00.000Z"},
                               {"is_deleted", 0}});
    insert(s, "file_storage", {{"id", f_null}, {"container_id", nullptr}, {"file_path", "/n"}, {"file_name", "n"},
                               {"file_size", nullptr}, {"mime_type", nullptr}, {"created_at", nullptr}, {"updated_at", nullptr},
                               {"is_deleted", nullptr}});
    sync_clean(a);

    // Sessions need their token, which never leaves the server: the web app creates them.
    const std::string s_v4 = "60000000-0000-4000-8000-000000000001";
    const std::string s_v6 = "60000000-0000-4000-8000-000000000002";
    const std::string s_net = "60000000-0000-4000-8000-000000000003";
    const std::string s_null = "60000000-0000-4000-8000-000000000004";
    db.exec("INSERT INTO sessions(id, user_id, token, expires_at, created_at, last_activity, ip_address, user_agent, is_active) VALUES "
            "('" + s_v4 + "', '" + u_full + "', 'tok-1', '2024-02-29T23:59:59.999Z', '2024-02-29T00:00:00.000Z', "
            "'2024-02-29T12:00:00.123Z', '192.168.1.10', 'curl/8 \"x\"', true), "
            "('" + s_v6 + "', '" + u_full + "', 'tok-2', '2030-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', "
            "'2024-01-01T00:00:00.000Z', '2001:db8::1', NULL, false), "
            "('" + s_net + "', '" + u_full + "', 'tok-3', '2030-01-01T00:00:00.000Z', NULL, NULL, '10.0.0.0/8', NULL, NULL), "
            "('" + s_null + "', NULL, 'tok-4', '2030-01-01T00:00:00.000Z', NULL, NULL, NULL, NULL, NULL)");
    sync_clean(a);
    REQUIRE(count(s, "sessions") == 4);
    // inet arrives as PostgreSQL prints it: a host address without "/32" or "/128".
    CHECK(text(s, "SELECT ip_address FROM sessions WHERE id = ?", {s_v4}) == "192.168.1.10");
    CHECK(text(s, "SELECT ip_address FROM sessions WHERE id = ?", {s_v6}) == "2001:db8::1");
    CHECK(text(s, "SELECT ip_address FROM sessions WHERE id = ?", {s_net}) == "10.0.0.0/8");
    CHECK(text(s, "SELECT ip_address FROM sessions WHERE id = ?", {s_null}) == "NULL");
    CHECK(text(s, "SELECT expires_at FROM sessions WHERE id = ?", {s_v4}) == "2024-02-29T23:59:59.999Z");
    CHECK(text(s, "SELECT last_activity FROM sessions WHERE id = ?", {s_v4}) == "2024-02-29T12:00:00.123Z");
    CHECK(text(s, "SELECT is_active FROM sessions WHERE id = ?", {s_v6}) == "0");
    CHECK(text(s, "SELECT is_active FROM sessions WHERE id = ?", {s_null}) == "NULL");
    CHECK(count(s, "sessions", "created_at IS NULL") == 2);
    // The device writes inet values back (sessions are listed and edited there).
    s.execute("UPDATE sessions SET ip_address = '203.0.113.7', is_active = 0 WHERE id = ?", {s_v4});
    s.execute("UPDATE sessions SET ip_address = '::ffff:192.0.2.1' WHERE id = ?", {s_v6});
    s.execute("UPDATE sessions SET ip_address = '172.16.0.0/12', user_agent = ? WHERE id = ?", {k_text, s_null});

    const Dump written = dump_synced(a.store());
    sync_clean(a);

    const auto where = [](const std::string& id) { return " WHERE id = '" + id + "'"; };
    pg_expect(db, "SELECT name FROM users" + where(u_full), lit(k_text));
    pg_expect(db, "SELECT email FROM users" + where(u_full), "'zoë@exämple.com'");
    pg_expect(db, "SELECT is_active FROM users" + where(u_full), "false");
    pg_expect(db, "SELECT last_login FROM users" + where(u_full), "'1999-12-31T23:59:59.999Z'::timestamptz");
    pg_expect(db, "SELECT created_at FROM users" + where(u_full), "'2024-02-29T23:59:59.999Z'::timestamptz");
    for (const char* col : {"name", "avatar_url", "created_at", "updated_at", "last_login", "is_active"})
        pg_expect(db, std::string("SELECT ") + col + " FROM users" + where(u_null), "NULL");
    pg_expect(db, "SELECT name FROM containers" + where(c_full), lit(long_name));
    pg_expect(db, "SELECT char_length(name) FROM containers" + where(c_full), "255");
    pg_expect(db, "SELECT assigned_port FROM containers" + where(c_full), "65535");
    pg_expect(db, "SELECT labels FROM containers" + where(c_full), lit(k_json) + "::jsonb");
    pg_expect(db, "SELECT metadata -> 'env' ->> 'A' FROM containers" + where(c_full), "'b=c'");
    pg_expect(db, "SELECT started_at FROM containers" + where(c_full), "'1970-01-01T00:00:00.000Z'::timestamptz");
    pg_expect(db, "SELECT stopped_at FROM containers" + where(c_full), "'2038-01-19T03:14:07.999Z'::timestamptz");
    for (const char* col : {"image_name", "assigned_port", "url", "created_at", "updated_at", "started_at", "stopped_at", "user_id",
                            "labels", "metadata"})
        pg_expect(db, std::string("SELECT ") + col + " FROM containers" + where(c_null), "NULL");
    pg_expect(db, "SELECT metadata FROM projects" + where(p_full), "'[]'::jsonb");
    pg_expect(db, "SELECT settings FROM projects" + where(p_full), R"('{"theme": null, "list": [{"a": [1, {"b": "ü"}]}]}'::jsonb)");
    pg_expect(db, "SELECT updated_at FROM projects" + where(p_full), "'2024-02-29T12:00:00.002Z'::timestamptz");
    for (const char* col : {"container_id", "description", "type", "status", "created_at", "updated_at", "user_id", "metadata", "settings"})
        pg_expect(db, std::string("SELECT ") + col + " FROM projects" + where(p_null), "NULL");
    pg_expect(db, "SELECT attachments -> 1 ->> 'name' FROM chat_messages" + where(m_full), "'日本.txt'");
    pg_expect(db, "SELECT content FROM chat_messages" + where(m_full), lit(k_text));
    for (const char* col : {"container_id", "attachments", "created_at", "metadata"})
        pg_expect(db, std::string("SELECT ") + col + " FROM chat_messages" + where(m_null), "NULL");
    pg_expect(db, "SELECT file_size FROM file_storage" + where(f_max), "9223372036854775807");
    pg_expect(db, "SELECT file_size FROM file_storage" + where(f_min), "-9223372036854775808");
    pg_expect(db, "SELECT is_deleted FROM file_storage" + where(f_max), "true");
    pg_expect(db, "SELECT is_deleted FROM file_storage" + where(f_min), "false");
    for (const char* col : {"container_id", "file_size", "mime_type", "created_at", "updated_at", "is_deleted"})
        pg_expect(db, std::string("SELECT ") + col + " FROM file_storage" + where(f_null), "NULL");
    pg_expect(db, "SELECT ip_address FROM sessions" + where(s_v4), "'203.0.113.7'::inet");
    pg_expect(db, "SELECT ip_address FROM sessions" + where(s_v6), "'::ffff:192.0.2.1'::inet");
    pg_expect(db, "SELECT ip_address FROM sessions" + where(s_net), "'10.0.0.0/8'::inet");
    pg_expect(db, "SELECT ip_address FROM sessions" + where(s_null), "'172.16.0.0/12'::inet");
    pg_expect(db, "SELECT is_active FROM sessions" + where(s_v4), "false");
    pg_expect(db, "SELECT user_agent FROM sessions" + where(s_null), lit(k_text));
    pg_expect(db, "SELECT token FROM sessions" + where(s_v4), "'tok-1'");  // untouched by the device

    finish_round_trip(db, a, "december", written, [&](Store& b) {
        CHECK(text(b, "SELECT file_size FROM file_storage WHERE id = ?", {f_max}) == "9223372036854775807");
        CHECK(text(b, "SELECT file_size FROM file_storage WHERE id = ?", {f_min}) == "-9223372036854775808");
        CHECK(text(b, "SELECT typeof(file_size) FROM file_storage WHERE id = ?", {f_max}) == "integer");
        CHECK(text(b, "SELECT ip_address FROM sessions WHERE id = ?", {s_v4}) == "203.0.113.7");
        CHECK(text(b, "SELECT ip_address FROM sessions WHERE id = ?", {s_null}) == "172.16.0.0/12");
        CHECK(text(b, "SELECT length(name) FROM containers WHERE id = ?", {c_full}) == "255");
        CHECK(text(b, "SELECT json_extract(labels, '$.unicode') FROM containers WHERE id = ?", {c_full}) == "héllo wörld 日本語 🚀");
        // The token stays on the server.
        CHECK(b.query("SELECT * FROM sessions").columns.size() == 8);
    });
}

TEST_CASE("agentchat: every column type round-trips device -> cloud -> device", "[integration][roundtrip]") {
    ScopedEnv tz("PGTZ", "Pacific/Chatham");
    PgDatabase db;
    install(db, "agentchat");
    const std::string u1 = "11111111-1111-4111-8111-111111111111";
    const std::string u2 = "22222222-2222-4222-8222-222222222222";
    // user_id columns must name auth.users rows (validate_user_id() in the cloud).
    db.exec("INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ('" + u1 + "', 'u1@example.com', '{}'), ('" + u2 +
            "', 'u2@example.com', '{}')");
    Device a(db, "agentchat");
    sync_clean(a);
    Store& s = a.store();

    const std::string chat_full = "c0000000-0000-4000-8000-000000000001";
    const std::string chat_null = "c0000000-0000-4000-8000-000000000002";
    const std::string chat_scale = "c0000000-0000-4000-8000-000000000003";
    const std::string msg_full = "d0000000-0000-4000-8000-000000000001";
    const std::string msg_null = "d0000000-0000-4000-8000-000000000002";
    const std::string doc = "e0000000-0000-4000-8000-000000000001";
    const std::string doc_null = "e0000000-0000-4000-8000-000000000002";
    const std::string v1 = "2024-01-01T00:00:00.000Z", v2 = "2024-01-01T00:00:00.001Z", v3 = "2024-02-29T23:59:59.999Z";
    // A json (not jsonb) column keeps its text exactly: spacing, key order, duplicate keys.
    const std::string parts = R"J([ {"type":"text",  "text":"héllo \"wörld\"\n\u00e9", "b":1, "a":2, "a":3} ,{"type" : "image"}])J";

    insert(s, "Chat", {{"id", chat_full}, {"createdAt", "2024-02-29T12:00:00.000Z"}, {"title", k_text}, {"user_id", u1},
                       {"visibility", "public"}, {"lastContext", k_json}, {"total_input_tokens", k_int_max},
                       {"total_output_tokens", 0}, {"total_cost", "9999.999999"}, {"updated_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "Chat", {{"id", chat_null}, {"createdAt", "2024-02-29T12:00:00.000Z"}, {"title", "t"}, {"user_id", u2},
                       {"visibility", "private"}, {"lastContext", nullptr}, {"total_input_tokens", nullptr},
                       {"total_output_tokens", nullptr}, {"total_cost", nullptr}, {"updated_at", nullptr}});
    insert(s, "Chat", {{"id", chat_scale}, {"createdAt", "1970-01-01T00:00:00.000Z"}, {"title", "scale"}, {"user_id", u1},
                       {"total_cost", "-0.50"}, {"lastContext", "[]"}, {"total_input_tokens", k_int_min}});
    insert(s, "Message_v2", {{"id", msg_full}, {"chatId", chat_full}, {"role", "assistant"}, {"parts", parts},
                             {"attachments", R"J([{"url": "https://x.example/a,b.png", "name": "ü"}])J"},
                             {"createdAt", "2024-02-29T12:00:00.999Z"}, {"model_used", "gemini-2.5-pro"},
                             {"input_tokens", k_int_max}, {"output_tokens", 0}, {"cost", "0.000001"}});
    insert(s, "Message_v2", {{"id", msg_null}, {"chatId", chat_full}, {"role", "user"}, {"parts", "[]"}, {"attachments", "[]"},
                             {"createdAt", "2024-02-29T12:00:01.000Z"}, {"model_used", nullptr}, {"input_tokens", nullptr},
                             {"output_tokens", nullptr}, {"cost", nullptr}});
    // Composite keys: Vote_v2 (chatId, messageId), Document (id, "createdAt").
    insert(s, "Vote_v2", {{"chatId", chat_full}, {"messageId", msg_full}, {"isUpvoted", 1}});
    insert(s, "Vote_v2", {{"chatId", chat_full}, {"messageId", msg_null}, {"isUpvoted", 0}});
    insert(s, "Document", {{"id", doc}, {"createdAt", v1}, {"title", "v1"}, {"content", k_text}, {"kind", "text"},
                           {"user_id", u1}, {"chat_id", chat_full}, {"parent_version_id", nullptr}, {"version_number", 1},
                           {"metadata", k_json}});
    insert(s, "Document", {{"id", doc}, {"createdAt", v2}, {"title", "v2"}, {"content", "print('ü')\n"}, {"kind", "python code"},
                           {"user_id", u1}, {"chat_id", chat_full}, {"parent_version_id", doc}, {"version_number", 2},
                           {"metadata", R"J({"updateType": "edit", "lines": [1, 3]})J"}});
    insert(s, "Document", {{"id", doc}, {"createdAt", v3}, {"title", "v3"}, {"content", "graph TD; A-->B"}, {"kind", "mermaid code"},
                           {"user_id", u1}, {"chat_id", nullptr}, {"parent_version_id", doc}, {"version_number", k_int_max},
                           {"metadata", "{}"}});
    insert(s, "Document", {{"id", doc_null}, {"createdAt", v1}, {"title", "null"}, {"content", nullptr}, {"kind", "sheet"},
                           {"user_id", u2}, {"chat_id", nullptr}, {"parent_version_id", nullptr}, {"version_number", 1},
                           {"metadata", nullptr}});
    insert(s, "Suggestion", {{"id", "f0000000-0000-4000-8000-000000000001"}, {"documentId", doc}, {"documentCreatedAt", v2},
                             {"originalText", "print('ü')"}, {"suggestedText", "print(\"ü\")"}, {"description", k_text},
                             {"isResolved", 1}, {"user_id", u1}, {"createdAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "Suggestion", {{"id", "f0000000-0000-4000-8000-000000000002"}, {"documentId", doc_null}, {"documentCreatedAt", v1},
                             {"originalText", ""}, {"suggestedText", ""}, {"description", nullptr}, {"isResolved", 0},
                             {"user_id", u2}, {"createdAt", "2024-02-29T00:00:00.000Z"}});
    insert(s, "Stream", {{"id", "a1000000-0000-4000-8000-000000000001"}, {"chatId", chat_full}, {"createdAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "admin_config", {{"id", "a2000000-0000-4000-8000-000000000001"}, {"config_key", "rt_settings"}, {"config_data", k_json},
                               {"updated_by", u1}, {"updated_at", "2024-02-29T23:59:59.999Z"}, {"created_at", "2024-02-29T00:00:00.000Z"}});
    insert(s, "admin_config", {{"id", "a2000000-0000-4000-8000-000000000002"}, {"config_key", "rt_null"}, {"config_data", "[]"},
                               {"updated_by", nullptr}, {"updated_at", nullptr}, {"created_at", nullptr}});
    insert(s, "model_config", {{"id", "a3000000-0000-4000-8000-000000000001"}, {"model_id", "rt-model"}, {"name", k_text.substr(0, 30)},
                               {"description", k_text}, {"provider", "rt-provider"}, {"is_active", 0}, {"is_default", 1},
                               {"thinking_enabled", 0}, {"input_pricing_per_million_tokens", "999999.9999"},
                               {"output_pricing_per_million_tokens", "0.0001"}, {"metadata", k_json},
                               {"created_at", "2024-02-29T00:00:00.000Z"}, {"updated_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "model_config", {{"id", "a3000000-0000-4000-8000-000000000002"}, {"model_id", "rt-model-null"}, {"name", "n"},
                               {"description", nullptr}, {"provider", "rt-provider-2"}, {"is_active", nullptr},
                               {"is_default", nullptr}, {"thinking_enabled", nullptr},
                               {"input_pricing_per_million_tokens", "-999999.9999"}, {"output_pricing_per_million_tokens", "1.5"},
                               {"metadata", nullptr}, {"created_at", nullptr}, {"updated_at", nullptr}});
    insert(s, "usage_logs", {{"id", "a4000000-0000-4000-8000-000000000001"}, {"user_id", u1}, {"chat_id", chat_full},
                             {"agent_type", "chat"}, {"model_used", "m"}, {"provider", "google"}, {"input_tokens", k_int_max},
                             {"output_tokens", 0}, {"total_tokens", k_int_min}, {"input_cost", "-9999.999999"},
                             {"output_cost", "123.45"}, {"total_cost", "1234.5678"}, {"request_timestamp", "2024-02-29T23:59:59.999Z"},
                             {"response_timestamp", "2024-03-01T00:00:00.000Z"}, {"duration_ms", 0}, {"metadata", k_json}});
    insert(s, "usage_logs", {{"id", "a4000000-0000-4000-8000-000000000002"}, {"user_id", u2}, {"chat_id", nullptr},
                             {"agent_type", "chat"}, {"model_used", nullptr}, {"provider", nullptr}, {"input_tokens", nullptr},
                             {"output_tokens", nullptr}, {"total_tokens", nullptr}, {"input_cost", nullptr},
                             {"output_cost", nullptr}, {"total_cost", nullptr}, {"request_timestamp", nullptr},
                             {"response_timestamp", nullptr}, {"duration_ms", nullptr}, {"metadata", nullptr}});
    insert(s, "rate_limit_tracking", {{"id", "a5000000-0000-4000-8000-000000000001"}, {"user_id", u1}, {"agent_type", "chat"},
                                      {"period_start", "2024-02-29T00:00:00.000Z"}, {"period_end", "2024-02-29T23:59:59.999Z"},
                                      {"request_count", 7}, {"limit_type", "daily"}, {"limit_value", k_int_max},
                                      {"created_at", "2024-02-29T00:00:00.000Z"}});
    insert(s, "rate_limit_tracking", {{"id", "a5000000-0000-4000-8000-000000000002"}, {"user_id", u2}, {"agent_type", "chat"},
                                      {"period_start", "1970-01-01T00:00:00.000Z"}, {"period_end", "1970-01-01T00:00:00.001Z"},
                                      {"request_count", nullptr}, {"limit_type", "minute"}, {"limit_value", 0},
                                      {"created_at", nullptr}});
    insert(s, "github_repositories", {{"id", "a6000000-0000-4000-8000-000000000001"}, {"user_id", u1}, {"repo_owner", "öwner"},
                                      {"repo_name", "repo.name-ü"}, {"repo_url", "https://github.com/öwner/repo"},
                                      {"default_branch", "feature/ü"}, {"is_active", 0},
                                      {"last_accessed", "2024-02-29T23:59:59.999Z"}, {"created_at", "2024-02-29T00:00:00.000Z"}});
    insert(s, "github_repositories", {{"id", "a6000000-0000-4000-8000-000000000002"}, {"user_id", u2}, {"repo_owner", "o"},
                                      {"repo_name", "r"}, {"repo_url", nullptr}, {"default_branch", nullptr}, {"is_active", nullptr},
                                      {"last_accessed", nullptr}, {"created_at", nullptr}});
    insert(s, "error_logs", {{"id", "a7000000-0000-4000-8000-000000000001"}, {"user_id", u1}, {"error_type", "api"},
                             {"error_category", "ü"}, {"error_message", k_text}, {"error_details", k_json},
                             {"request_path", "/api/chat?x=\"1\""}, {"request_method", "POST"}, {"user_agent", "UA"},
                             {"ip_address", "2001:0db8:0000:0000:0000:ff00:0042:8329"}, {"session_id", "sess"},
                             {"severity", "critical"}, {"resolved", 1}, {"resolved_by", u2},
                             {"resolved_at", "2024-03-01T00:00:00.000Z"}, {"resolution_notes", "fixed\nin 1.2"},
                             {"created_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "error_logs", {{"id", "a7000000-0000-4000-8000-000000000002"}, {"user_id", nullptr}, {"error_type", "db"},
                             {"error_category", "c"}, {"error_message", ""}, {"error_details", nullptr}, {"request_path", nullptr},
                             {"request_method", nullptr}, {"user_agent", nullptr}, {"ip_address", nullptr}, {"session_id", nullptr},
                             {"severity", "error"}, {"resolved", nullptr}, {"resolved_by", nullptr}, {"resolved_at", nullptr},
                             {"resolution_notes", nullptr}, {"created_at", nullptr}});
    insert(s, "user_activity_logs", {{"id", "a8000000-0000-4000-8000-000000000001"}, {"user_id", u1},
                                     {"correlation_id", "a8100000-0000-4000-8000-000000000001"}, {"activity_type", "chat_create"},
                                     {"activity_category", "chat"}, {"activity_metadata", k_json},
                                     {"resource_id", chat_full}, {"resource_type", "chat"}, {"ip_address", "192.0.2.1"},
                                     {"user_agent", "UA ü"}, {"request_path", "/"}, {"request_method", "GET"},
                                     {"session_id", "s"}, {"success", 0}, {"error_message", k_text},
                                     {"created_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "user_activity_logs", {{"id", "a8000000-0000-4000-8000-000000000002"}, {"user_id", u2},
                                     {"correlation_id", "a8100000-0000-4000-8000-000000000002"}, {"activity_type", "t"},
                                     {"activity_category", "c"}, {"activity_metadata", nullptr}, {"resource_id", nullptr},
                                     {"resource_type", nullptr}, {"ip_address", nullptr}, {"user_agent", nullptr},
                                     {"request_path", nullptr}, {"request_method", nullptr}, {"session_id", nullptr},
                                     {"success", nullptr}, {"error_message", nullptr}, {"created_at", nullptr}});
    insert(s, "agent_activity_logs", {{"id", "a9000000-0000-4000-8000-000000000001"}, {"user_id", u1},
                                      {"correlation_id", "a8100000-0000-4000-8000-000000000001"}, {"agent_type", "chat_model_agent"},
                                      {"operation_type", "generate"}, {"operation_category", "llm"},
                                      {"operation_metadata", k_json}, {"resource_id", msg_full}, {"resource_type", "message"},
                                      {"duration_ms", k_int_max}, {"start_time", "2024-02-29T23:59:59.000Z"},
                                      {"end_time", "2024-02-29T23:59:59.999Z"}, {"model_id", "gemini"}, {"provider", "google"},
                                      {"thinking_mode", 1}, {"input_tokens", 1}, {"output_tokens", 2}, {"reasoning_tokens", 3},
                                      {"total_tokens", 6}, {"input_cost", "0.000001"}, {"output_cost", "9999.999999"},
                                      {"total_cost", "-0.10"}, {"success", 0}, {"error_type", "timeout"},
                                      {"error_message", k_text}, {"retry_count", k_int_max},
                                      {"created_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "agent_activity_logs", {{"id", "a9000000-0000-4000-8000-000000000002"}, {"user_id", nullptr},
                                      {"correlation_id", "a8100000-0000-4000-8000-000000000002"}, {"agent_type", "a"},
                                      {"operation_type", "o"}, {"operation_category", "c"}, {"operation_metadata", nullptr},
                                      {"resource_id", nullptr}, {"resource_type", nullptr}, {"duration_ms", nullptr},
                                      {"start_time", nullptr}, {"end_time", nullptr}, {"model_id", nullptr}, {"provider", nullptr},
                                      {"thinking_mode", nullptr}, {"input_tokens", nullptr}, {"output_tokens", nullptr},
                                      {"reasoning_tokens", nullptr}, {"total_tokens", nullptr}, {"input_cost", nullptr},
                                      {"output_cost", nullptr}, {"total_cost", nullptr}, {"success", nullptr},
                                      {"error_type", nullptr}, {"error_message", nullptr}, {"retry_count", nullptr},
                                      {"created_at", nullptr}});

    const Dump written = dump_synced(a.store());
    sync_clean(a);

    const auto where = [](const std::string& id) { return " WHERE id = '" + id + "'"; };
    pg_expect(db, "SELECT total_cost FROM \"Chat\"" + where(chat_full), "9999.999999");
    pg_expect(db, "SELECT total_cost FROM \"Chat\"" + where(chat_scale), "-0.5");
    pg_expect(db, "SELECT total_cost::text FROM \"Chat\"" + where(chat_scale), "'-0.500000'");  // the declared scale
    pg_expect(db, "SELECT total_cost FROM \"Chat\"" + where(chat_null), "NULL");
    pg_expect(db, "SELECT total_input_tokens FROM \"Chat\"" + where(chat_full), "2147483647");
    pg_expect(db, "SELECT total_input_tokens FROM \"Chat\"" + where(chat_scale), "-2147483648");
    pg_expect(db, "SELECT total_input_tokens FROM \"Chat\"" + where(chat_null), "NULL");
    pg_expect(db, "SELECT \"lastContext\" FROM \"Chat\"" + where(chat_full), lit(k_json) + "::jsonb");
    pg_expect(db, "SELECT \"createdAt\" FROM \"Chat\"" + where(chat_full), "'2024-02-29 12:00:00'::timestamp");
    pg_expect(db, "SELECT updated_at FROM \"Chat\"" + where(chat_null), "NULL");
    pg_expect(db, "SELECT parts::text FROM \"Message_v2\"" + where(msg_full), lit(parts));  // json keeps its text
    pg_expect(db, "SELECT cost FROM \"Message_v2\"" + where(msg_full), "0.000001");
    pg_expect(db, "SELECT cost FROM \"Message_v2\"" + where(msg_null), "NULL");
    pg_expect(db, "SELECT \"isUpvoted\" FROM \"Vote_v2\" WHERE \"messageId\" = '" + msg_full + "'", "true");
    pg_expect(db, "SELECT \"isUpvoted\" FROM \"Vote_v2\" WHERE \"messageId\" = '" + msg_null + "'", "false");
    pg_expect(db, "SELECT count(*) FROM \"Document\"" + where(doc), "3");
    pg_expect(db, "SELECT title FROM \"Document\" WHERE id = '" + doc + "' AND \"createdAt\" = '2024-01-01 00:00:00.001'", "'v2'");
    pg_expect(db, "SELECT version_number FROM \"Document\" WHERE id = '" + doc + "' AND \"createdAt\" = '2024-02-29 23:59:59.999'",
              "2147483647");
    pg_expect(db, "SELECT metadata FROM \"Document\"" + where(doc_null), "NULL");
    pg_expect(db, "SELECT \"documentCreatedAt\" FROM \"Suggestion\" WHERE id = 'f0000000-0000-4000-8000-000000000001'",
              "'2024-01-01 00:00:00.001'::timestamp");
    pg_expect(db, "SELECT \"isResolved\" FROM \"Suggestion\" WHERE id = 'f0000000-0000-4000-8000-000000000001'", "true");
    pg_expect(db, "SELECT config_data FROM admin_config WHERE config_key = 'rt_settings'", lit(k_json) + "::jsonb");
    pg_expect(db, "SELECT updated_at FROM admin_config WHERE config_key = 'rt_settings'", "'2024-02-29 23:59:59.999'::timestamp");
    pg_expect(db, "SELECT created_at FROM admin_config WHERE config_key = 'rt_null'", "NULL");
    pg_expect(db, "SELECT input_pricing_per_million_tokens FROM model_config WHERE model_id = 'rt-model'", "999999.9999");
    pg_expect(db, "SELECT output_pricing_per_million_tokens FROM model_config WHERE model_id = 'rt-model'", "0.0001");
    pg_expect(db, "SELECT input_pricing_per_million_tokens FROM model_config WHERE model_id = 'rt-model-null'", "-999999.9999");
    pg_expect(db, "SELECT is_default FROM model_config WHERE model_id = 'rt-model'", "true");
    pg_expect(db, "SELECT thinking_enabled FROM model_config WHERE model_id = 'rt-model'", "false");
    pg_expect(db, "SELECT is_default FROM model_config WHERE model_id = 'rt-model-null'", "NULL");
    pg_expect(db, "SELECT input_cost FROM usage_logs WHERE id = 'a4000000-0000-4000-8000-000000000001'", "-9999.999999");
    pg_expect(db, "SELECT total_cost FROM usage_logs WHERE id = 'a4000000-0000-4000-8000-000000000001'", "1234.5678");
    pg_expect(db, "SELECT output_cost::text FROM usage_logs WHERE id = 'a4000000-0000-4000-8000-000000000001'", "'123.450000'");
    pg_expect(db, "SELECT total_tokens FROM usage_logs WHERE id = 'a4000000-0000-4000-8000-000000000001'", "-2147483648");
    pg_expect(db, "SELECT request_timestamp FROM usage_logs WHERE id = 'a4000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT request_count FROM rate_limit_tracking WHERE id = 'a5000000-0000-4000-8000-000000000001'", "7");
    pg_expect(db, "SELECT request_count FROM rate_limit_tracking WHERE id = 'a5000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT period_end FROM rate_limit_tracking WHERE id = 'a5000000-0000-4000-8000-000000000002'",
              "'1970-01-01 00:00:00.001'::timestamp");
    pg_expect(db, "SELECT default_branch FROM github_repositories WHERE id = 'a6000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT is_active FROM github_repositories WHERE id = 'a6000000-0000-4000-8000-000000000001'", "false");
    pg_expect(db, "SELECT ip_address FROM error_logs WHERE id = 'a7000000-0000-4000-8000-000000000001'",
              "'2001:0db8:0000:0000:0000:ff00:0042:8329'");  // VARCHAR(45), kept as written
    pg_expect(db, "SELECT resolved FROM error_logs WHERE id = 'a7000000-0000-4000-8000-000000000001'", "true");
    pg_expect(db, "SELECT error_details -> 'nested' -> 'deep' -> 4 ->> 'f' FROM error_logs WHERE id = "
                  "'a7000000-0000-4000-8000-000000000001'", "'false'");
    pg_expect(db, "SELECT resolved FROM error_logs WHERE id = 'a7000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT success FROM user_activity_logs WHERE id = 'a8000000-0000-4000-8000-000000000001'", "false");
    pg_expect(db, "SELECT activity_metadata FROM user_activity_logs WHERE id = 'a8000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT total_cost FROM agent_activity_logs WHERE id = 'a9000000-0000-4000-8000-000000000001'", "-0.1");
    pg_expect(db, "SELECT thinking_mode FROM agent_activity_logs WHERE id = 'a9000000-0000-4000-8000-000000000001'", "true");
    pg_expect(db, "SELECT thinking_mode FROM agent_activity_logs WHERE id = 'a9000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT end_time FROM agent_activity_logs WHERE id = 'a9000000-0000-4000-8000-000000000001'",
              "'2024-02-29 23:59:59.999'::timestamp");

    finish_round_trip(db, a, "agentchat", written, [&](Store& b) {
        CHECK(text(b, "SELECT parts FROM \"Message_v2\" WHERE id = ?", {msg_full}) == parts);
        CHECK(text(b, "SELECT total_cost FROM \"Chat\" WHERE id = ?", {chat_scale}) == "-0.500000");
        CHECK(text(b, "SELECT total_cost FROM \"Chat\" WHERE id = ?", {chat_full}) == "9999.999999");
        CHECK(text(b, "SELECT count(*) FROM \"Document\" WHERE id = ?", {doc}) == "3");
        CHECK(text(b, "SELECT title FROM document_latest WHERE id = ?", {doc}) == "v3");
        CHECK(text(b, "SELECT \"isUpvoted\" FROM \"Vote_v2\" WHERE \"chatId\" = ? AND \"messageId\" = ?", {chat_full, msg_null}) ==
              "0");
        CHECK(text(b, "SELECT input_pricing_per_million_tokens FROM model_config WHERE model_id = 'rt-model'") == "999999.9999");
    });
}

TEST_CASE("aiflowo: every column type and every enum value round-trips device -> cloud -> device",
          "[integration][roundtrip]") {
    ScopedEnv tz("PGTZ", "Pacific/Chatham");
    PgDatabase db;
    install(db, "aiflowo");
    Device a(db, "aiflowo");
    sync_clean(a);
    Store& s = a.store();

    insert(s, "User", {{"id", "user-1"}, {"email", "zoë@exämple.com"}, {"createdAt", "2024-02-29T23:59:59.999Z"},
                       {"updatedAt", "2024-03-01T00:00:00.000Z"}});
    insert(s, "User", {{"id", "user-2"}, {"email", "two@example.com"}, {"createdAt", "1970-01-01T00:00:00.000Z"},
                       {"updatedAt", "1970-01-01T00:00:00.000Z"}});
    insert(s, "User", {{"id", "user-3"}, {"email", "three@example.com"}, {"createdAt", "2024-01-01T00:00:00.000Z"},
                       {"updatedAt", "2024-01-01T00:00:00.000Z"}});
    insert(s, "UserProfile", {{"id", "profile-full"}, {"userId", "user-1"}, {"name", k_text}, {"profilePicUrl", "https://p.example/ü.png"},
                              {"preferredAirlines", k_array}, {"preferredCabinClass", "business"},
                              {"frequentFlyerNumbers", R"J({"LH": "992 001", "NH": "日本-1", "nested": {"tier": ["gold", null]}})J"},
                              {"socialAccounts", k_json}, {"resumeUrl", "https://r.example/cv.pdf"},
                              {"linkedInUrl", "https://linkedin.com/in/zoë"}, {"githubUrl", "https://github.com/z"},
                              {"portfolioUrl", "https://z.example/?a=1&b=\"2\""}, {"timezone", "Pacific/Chatham"},
                              {"notifications", 0}, {"createdAt", "2024-02-29T23:59:59.999Z"},
                              {"updatedAt", "2024-02-29T23:59:59.999Z"}});
    insert(s, "UserProfile", {{"id", "profile-null"}, {"userId", "user-2"}, {"name", nullptr}, {"profilePicUrl", nullptr},
                              {"preferredAirlines", nullptr}, {"preferredCabinClass", nullptr}, {"frequentFlyerNumbers", nullptr},
                              {"socialAccounts", nullptr}, {"resumeUrl", nullptr}, {"linkedInUrl", nullptr}, {"githubUrl", nullptr},
                              {"portfolioUrl", nullptr}, {"timezone", "UTC"}, {"notifications", 1},
                              {"createdAt", "2024-02-29T00:00:00.000Z"}, {"updatedAt", "2024-02-29T00:00:00.000Z"}});
    insert(s, "UserProfile", {{"id", "profile-empty"}, {"userId", "user-3"}, {"preferredAirlines", "[]"},
                              {"frequentFlyerNumbers", "{}"}, {"socialAccounts", "[]"},
                              {"createdAt", "2024-02-29T00:00:00.000Z"}, {"updatedAt", "2024-02-29T00:00:00.000Z"}});
    // Every value of every enum.
    const std::vector<std::string> statuses = {"PENDING", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED"};
    const std::vector<std::string> priorities = {"LOW", "MEDIUM", "HIGH", "URGENT"};
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        const bool full = i == 0;
        insert(s, "Task", {{"id", "task-" + statuses[i]}, {"userId", "user-1"}, {"title", full ? k_text : statuses[i]},
                           {"description", full ? Value(k_text) : Value()}, {"intent", "book a flight to 東京"},
                           {"status", statuses[i]}, {"priority", priorities[i % priorities.size()]},
                           {"plan", full ? Value(k_json) : Value()}, {"currentStep", full ? k_int_max : 0},
                           {"totalSteps", full ? k_int_max : 0}, {"result", full ? Value(R"J({"ok": true, "items": []})J") : Value()},
                           {"error", full ? Value("Error: \"x\"\n  at y") : Value()},
                           {"startedAt", full ? Value("2024-02-29T23:59:59.999Z") : Value()},
                           {"completedAt", full ? Value("2024-03-01T00:00:00.000Z") : Value()},
                           {"createdAt", "2024-02-29T00:00:00.00" + std::to_string(i) + "Z"},
                           {"updatedAt", "2024-02-29T00:00:00.00" + std::to_string(i) + "Z"}});
    }
    const std::vector<std::string> levels = {"DEBUG", "INFO", "WARN", "ERROR"};
    for (std::size_t i = 0; i < levels.size(); ++i)
        insert(s, "TaskLog", {{"id", "log-" + levels[i]}, {"taskId", "task-RUNNING"}, {"level", levels[i]}, {"message", k_text},
                              {"step", i == 0 ? Value() : Value(static_cast<std::int64_t>(i) - 2)},
                              {"metadata", i == 0 ? Value() : Value(k_json)}, {"timestamp", "2024-02-29T23:59:59.99" + std::to_string(i) + "Z"}});
    const std::vector<std::string> artifact_types = {"SCREENSHOT", "PDF", "FILE", "IMAGE", "VIDEO", "JSON", "TEXT"};
    for (std::size_t i = 0; i < artifact_types.size(); ++i)
        insert(s, "TaskArtifact", {{"id", "artifact-" + artifact_types[i]}, {"taskId", "task-SUCCEEDED"}, {"type", artifact_types[i]},
                                   {"name", "ärtifact " + artifact_types[i]}, {"description", i == 0 ? Value() : Value(k_text)},
                                   {"url", "s3://bucket/ü/" + artifact_types[i]}, {"size", i == 0 ? Value() : Value(k_int_max)},
                                   {"mimeType", i == 0 ? Value() : Value("image/png")}, {"createdAt", "2024-02-29T23:59:59.999Z"}});
    const std::vector<std::string> categories = {"BROWSER", "API", "FILE", "EMAIL", "SOCIAL", "TRAVEL", "JOB", "GENERAL"};
    for (std::size_t i = 0; i < categories.size(); ++i)
        insert(s, "Tool", {{"id", "rt-tool-" + categories[i]}, {"name", "rt_tool_" + categories[i]},
                           {"displayName", "Tööl " + categories[i]}, {"description", k_text}, {"category", categories[i]},
                           {"schema", i == 0 ? k_json : std::string(R"J({"type": "object"})J")}, {"enabled", i % 2 == 0 ? 1 : 0},
                           {"usageCount", i == 0 ? k_int_max : static_cast<std::int64_t>(i)},
                           {"createdAt", "2024-02-29T00:00:00.000Z"}, {"updatedAt", "2024-02-29T23:59:59.999Z"}});
    const std::vector<std::string> exec_statuses = {"PENDING", "RUNNING", "COMPLETED", "FAILED"};
    for (std::size_t i = 0; i < exec_statuses.size(); ++i) {
        const bool full = i == 2;
        insert(s, "ToolExecution", {{"id", "exec-" + exec_statuses[i]}, {"toolId", "rt-tool-BROWSER"},
                                    {"taskId", full ? Value("task-RUNNING") : Value()}, {"input", k_json},
                                    {"output", full ? Value(R"J([{"title": "ü", "rank": 1}])J") : Value()},
                                    {"error", full ? Value(k_text) : Value()}, {"status", exec_statuses[i]},
                                    {"duration", full ? Value(k_int_max) : Value()},
                                    {"startedAt", full ? Value("2024-02-29T23:59:59.000Z") : Value()},
                                    {"completedAt", full ? Value("2024-02-29T23:59:59.999Z") : Value()},
                                    {"createdAt", "2024-02-29T23:59:59.999Z"}});
    }
    const std::vector<std::string> queues = {"TASK", "BROWSER", "MEDIA", "EMAIL"};
    for (std::size_t i = 0; i < queues.size(); ++i) {
        const bool full = i == 0;
        insert(s, "QueueJob", {{"id", "job-" + queues[i]}, {"queue", queues[i]}, {"jobId", "bull:" + queues[i] + ":ü"},
                               {"taskId", full ? Value("task-PENDING") : Value()}, {"data", full ? k_json : std::string("{}")},
                               {"status", full ? "completed" : "waiting"}, {"progress", full ? 100 : 0},
                               {"attempts", full ? k_int_max : 0}, {"maxAttempts", 3}, {"error", full ? Value(k_text) : Value()},
                               {"result", full ? Value("[1, 2, 3]") : Value()}, {"createdAt", "2024-02-29T00:00:00.000Z"},
                               {"startedAt", full ? Value("2024-02-29T00:00:00.001Z") : Value()},
                               {"completedAt", full ? Value("2024-02-29T23:59:59.999Z") : Value()},
                               {"failedAt", full ? Value("1970-01-01T00:00:00.000Z") : Value()}});
    }

    const Dump written = dump_synced(a.store());
    sync_clean(a);

    for (const auto& st : statuses) {
        pg_expect(db, "SELECT status FROM \"Task\" WHERE id = 'task-" + st + "'", "'" + st + "'::\"TaskStatus\"");
        pg_expect(db, "SELECT pg_typeof(status)::text FROM \"Task\" WHERE id = 'task-" + st + "'", "'\"TaskStatus\"'");
    }
    pg_expect(db, "SELECT count(DISTINCT priority) FROM \"Task\"", "4");
    pg_expect(db, "SELECT priority FROM \"Task\" WHERE id = 'task-FAILED'", "'LOW'::\"TaskPriority\"");
    for (const auto& l : levels) pg_expect(db, "SELECT level FROM \"TaskLog\" WHERE id = 'log-" + l + "'", "'" + l + "'::\"LogLevel\"");
    for (const auto& t : artifact_types)
        pg_expect(db, "SELECT type FROM \"TaskArtifact\" WHERE id = 'artifact-" + t + "'", "'" + t + "'::\"ArtifactType\"");
    for (const auto& c : categories)
        pg_expect(db, "SELECT category FROM \"Tool\" WHERE id = 'rt-tool-" + c + "'", "'" + c + "'::\"ToolCategory\"");
    for (const auto& e : exec_statuses)
        pg_expect(db, "SELECT status FROM \"ToolExecution\" WHERE id = 'exec-" + e + "'", "'" + e + "'::\"ExecutionStatus\"");
    for (const auto& q : queues) pg_expect(db, "SELECT queue FROM \"QueueJob\" WHERE id = 'job-" + q + "'", "'" + q + "'::\"QueueName\"");
    pg_expect(db, R"(SELECT "preferredAirlines" FROM "UserProfile" WHERE id = 'profile-full')", k_array_pg);
    pg_expect(db, R"(SELECT "preferredAirlines" FROM "UserProfile" WHERE id = 'profile-empty')", "'{}'::text[]");
    pg_expect(db, R"(SELECT cardinality("preferredAirlines") FROM "UserProfile" WHERE id = 'profile-empty')", "0");
    pg_expect(db, R"(SELECT "preferredAirlines" FROM "UserProfile" WHERE id = 'profile-null')", "NULL");
    pg_expect(db, R"(SELECT "frequentFlyerNumbers" ->> 'NH' FROM "UserProfile" WHERE id = 'profile-full')", "'日本-1'");
    pg_expect(db, R"(SELECT "socialAccounts" FROM "UserProfile" WHERE id = 'profile-full')", lit(k_json) + "::jsonb");
    pg_expect(db, R"(SELECT "socialAccounts" FROM "UserProfile" WHERE id = 'profile-empty')", "'[]'::jsonb");
    pg_expect(db, R"(SELECT notifications FROM "UserProfile" WHERE id = 'profile-full')", "false");
    pg_expect(db, R"(SELECT notifications FROM "UserProfile" WHERE id = 'profile-null')", "true");
    for (const char* col : {"name", "profilePicUrl", "preferredCabinClass", "frequentFlyerNumbers", "socialAccounts", "resumeUrl",
                            "linkedInUrl", "githubUrl", "portfolioUrl"})
        pg_expect(db, std::string("SELECT \"") + col + R"(" FROM "UserProfile" WHERE id = 'profile-null')", "NULL");
    pg_expect(db, R"(SELECT plan FROM "Task" WHERE id = 'task-PENDING')", lit(k_json) + "::jsonb");
    pg_expect(db, R"(SELECT "currentStep" FROM "Task" WHERE id = 'task-PENDING')", "2147483647");
    pg_expect(db, R"(SELECT "startedAt" FROM "Task" WHERE id = 'task-PENDING')", "'2024-02-29 23:59:59.999'::timestamp");
    for (const char* col : {"description", "plan", "result", "error", "startedAt", "completedAt"})
        pg_expect(db, std::string("SELECT \"") + col + R"(" FROM "Task" WHERE id = 'task-PAUSED')", "NULL");
    pg_expect(db, R"(SELECT step FROM "TaskLog" WHERE id = 'log-DEBUG')", "NULL");
    pg_expect(db, R"(SELECT step FROM "TaskLog" WHERE id = 'log-INFO')", "-1");
    pg_expect(db, R"(SELECT "timestamp" FROM "TaskLog" WHERE id = 'log-ERROR')", "'2024-02-29 23:59:59.993'::timestamp");
    pg_expect(db, R"(SELECT size FROM "TaskArtifact" WHERE id = 'artifact-PDF')", "2147483647");
    pg_expect(db, R"(SELECT size FROM "TaskArtifact" WHERE id = 'artifact-SCREENSHOT')", "NULL");
    pg_expect(db, R"(SELECT enabled FROM "Tool" WHERE id = 'rt-tool-API')", "false");
    pg_expect(db, R"(SELECT enabled FROM "Tool" WHERE id = 'rt-tool-BROWSER')", "true");
    pg_expect(db, R"(SELECT "usageCount" FROM "Tool" WHERE id = 'rt-tool-BROWSER')", "2147483647");
    pg_expect(db, R"(SELECT "taskId" FROM "ToolExecution" WHERE id = 'exec-PENDING')", "NULL");
    pg_expect(db, R"(SELECT output -> 0 ->> 'title' FROM "ToolExecution" WHERE id = 'exec-COMPLETED')", "'ü'");
    pg_expect(db, R"(SELECT "failedAt" FROM "QueueJob" WHERE id = 'job-TASK')", "'1970-01-01 00:00:00'::timestamp");
    pg_expect(db, R"(SELECT result FROM "QueueJob" WHERE id = 'job-TASK')", "'[1, 2, 3]'::jsonb");
    pg_expect(db, R"(SELECT result FROM "QueueJob" WHERE id = 'job-MEDIA')", "NULL");
    pg_expect(db, R"(SELECT "updatedAt" FROM "User" WHERE id = 'user-1')", "'2024-03-01 00:00:00'::timestamp");

    finish_round_trip(db, a, "aiflowo", written, [&](Store& b) {
        for (const auto& st : statuses) CHECK(text(b, "SELECT status FROM \"Task\" WHERE id = ?", {"task-" + st}) == st);
        for (const auto& q : queues) CHECK(text(b, "SELECT queue FROM \"QueueJob\" WHERE id = ?", {"job-" + q}) == q);
        CHECK(text(b, R"(SELECT json_extract("preferredAirlines", '$[2]') FROM "UserProfile" WHERE id = 'profile-full')") ==
              "with \"quotes\"");
        CHECK(text(b, R"(SELECT "preferredAirlines" FROM "UserProfile" WHERE id = 'profile-empty')") == "[]");
        CHECK(text(b, R"(SELECT "usageCount" FROM "Tool" WHERE id = 'rt-tool-BROWSER')") == "2147483647");
    });
}

TEST_CASE("devlog: every column type round-trips device -> cloud -> device", "[integration][roundtrip]") {
    ScopedEnv tz("PGTZ", "Pacific/Chatham");
    PgDatabase db;
    install(db, "devlog");
    // Users come from the server's sign-up (the cloud requires password_hash).
    db.exec("INSERT INTO users(id, email, name, avatar_url, password_hash, is_email_verified, created_at, updated_at, last_login_at) "
            "VALUES (900001, 'zoë@exämple.com', " + lit(k_text) + ", 'https://a.example/ü.png', 'hash', true, "
            "'2024-02-29T23:59:59.999Z', '2024-03-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z'), "
            "(900002, 'null@example.com', NULL, NULL, 'hash', false, '1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z', NULL)");
    Device a(db, "devlog");
    auto r = sync_clean(a);  // leases ids for the integer-key tables, pulls the users
    CHECK(r.leased > 0);
    Store& s = a.store();
    REQUIRE(count(s, "users") == 2);
    CHECK(text(s, "SELECT name FROM users WHERE id = 900001") == k_text);
    CHECK(text(s, "SELECT is_email_verified FROM users WHERE id = 900001") == "1");
    CHECK(text(s, "SELECT last_login_at FROM users WHERE id = 900001") == "1999-12-31T23:59:59.999Z");
    CHECK(text(s, "SELECT last_login_at FROM users WHERE id = 900002") == "NULL");
    s.execute("UPDATE users SET avatar_url = NULL, last_login_at = '2024-02-29T12:00:00.500Z' WHERE id = 900001");

    const auto id_of = [&](const std::string& table, const std::string& col, const std::string& key) {
        return s.query_value("SELECT id FROM \"" + table + "\" WHERE \"" + col + "\" = ?", {key})->as_int();
    };
    insert(s, "projects", {{"name", k_text}, {"fullName", "öwner/repo"}, {"repoUrl", "https://github.com/öwner/repo"},
                           {"repoOwner", "öwner"}, {"repoName", "repo"}, {"description", k_text},
                           {"created_at", "2024-02-29T23:59:59.999Z"}, {"updated_at", "2024-03-01T00:00:00.000Z"}});
    insert(s, "projects", {{"name", "n"}, {"fullName", "o/n"}, {"repoUrl", "u"}, {"repoOwner", "o"}, {"repoName", "n"},
                           {"description", nullptr}, {"created_at", "1970-01-01T00:00:00.000Z"}, {"updated_at", "1970-01-01T00:00:00.000Z"}});
    const auto p1 = id_of("projects", "fullName", "öwner/repo"), p2 = id_of("projects", "fullName", "o/n");
    insert(s, "machines", {{"machineId", "zoë-mbp-darwin"}, {"hostname", "zoë-mbp"}, {"username", "zoë"}, {"osType", "darwin"},
                           {"osVersion", "14.4"}, {"machineType", "local"}, {"ipAddress", "10.1.2.3"}, {"metadata", k_json},
                           {"created_at", "2024-02-29T00:00:00.000Z"}, {"last_seen_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "machines", {{"machineId", "ci-1"}, {"hostname", "ci"}, {"username", "ci"}, {"osType", "linux"}, {"osVersion", nullptr},
                           {"machineType", "ci"}, {"ipAddress", nullptr}, {"metadata", "{}"},
                           {"created_at", "2024-02-29T00:00:00.000Z"}, {"last_seen_at", "2024-02-29T00:00:00.000Z"}});
    const auto m1 = id_of("machines", "machineId", "zoë-mbp-darwin"), m2 = id_of("machines", "machineId", "ci-1");
    insert(s, "machine_projects", {{"machineId", m1}, {"projectId", p1}});
    insert(s, "machine_projects", {{"machineId", m1}, {"projectId", p2}});
    insert(s, "machine_projects", {{"machineId", m2}, {"projectId", p1}});
    insert(s, "workspaces", {{"project_id", p1}, {"machine_id", m1}, {"workspace_id", "ws-ü-1"}, {"workspace_path", "/Users/zoë/src/repo"},
                             {"workspace_type", "folder"}, {"branch", "feature/ü"}, {"commit", "0123456789abcdef"},
                             {"created_at", "2024-02-29T00:00:00.000Z"}, {"last_seen_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "workspaces", {{"project_id", p2}, {"machine_id", m2}, {"workspace_id", "ws-2"}, {"workspace_path", "/w"},
                             {"workspace_type", "multi-root"}, {"branch", nullptr}, {"commit", nullptr},
                             {"created_at", "2024-02-29T00:00:00.000Z"}, {"last_seen_at", "2024-02-29T00:00:00.000Z"}});
    const auto w1 = id_of("workspaces", "workspace_id", "ws-ü-1"), w2 = id_of("workspaces", "workspace_id", "ws-2");
    const std::string cs1 = "c5000000-0000-4000-8000-000000000001", cs2 = "c5000000-0000-4000-8000-000000000002";
    insert(s, "chat_sessions", {{"sessionId", cs1}, {"workspace_id", w1}, {"agent_type", "copilot"}, {"model_id", "gpt-4o"},
                                {"started_at", "2024-02-29T23:00:00.000Z"}, {"ended_at", "2024-02-29T23:59:59.999Z"},
                                {"message_count", 3}, {"total_tokens", k_int_max}, {"created_at", "2024-02-29T23:00:00.000Z"}});
    insert(s, "chat_sessions", {{"sessionId", cs2}, {"workspace_id", w2}, {"agent_type", "claude"}, {"model_id", nullptr},
                                {"started_at", "2024-02-29T00:00:00.000Z"}, {"ended_at", nullptr}, {"message_count", 0},
                                {"total_tokens", 0}, {"created_at", "2024-02-29T00:00:00.000Z"}});
    insert(s, "chat_messages", {{"id", "c6000000-0000-4000-8000-000000000001"}, {"session_id", cs1}, {"role", "assistant"},
                                {"content", k_text}, {"timestamp", "2024-02-29T23:59:59.999Z"}, {"sequence", k_int_max},
                                {"metadata", k_json}, {"search_content", "ünïcödé search"}});
    insert(s, "chat_messages", {{"id", "c6000000-0000-4000-8000-000000000002"}, {"session_id", cs1}, {"role", "user"},
                                {"content", ""}, {"timestamp", "2024-02-29T23:00:00.000Z"}, {"sequence", 0},
                                {"metadata", "{}"}, {"search_content", nullptr}});
    const std::string e1 = "c7000000-0000-4000-8000-000000000001", e2 = "c7000000-0000-4000-8000-000000000002";
    insert(s, "agent_events", {{"id", e1}, {"timestamp", "2024-02-29T23:59:59.999Z"}, {"event_type", "llm_request"},
                               {"agent_id", "copilot"}, {"agent_version", "1.2.3"}, {"session_id", cs1}, {"project_id", p1},
                               {"context", k_json}, {"data", R"J({"prompt": "héllo \"x\"", "tokens": [1, 2]})J"},
                               {"metrics", R"J({"duration": 120, "ratio": 0.5})J"}, {"parent_event_id", nullptr},
                               {"related_event_ids", R"J(["c7000000-0000-4000-8000-000000000002", "external,id"])J"},
                               {"tags", k_array}, {"severity", "warning"}});
    insert(s, "agent_events", {{"id", e2}, {"timestamp", "1970-01-01T00:00:00.000Z"}, {"event_type", "tool_use"},
                               {"agent_id", "claude"}, {"agent_version", "0"}, {"session_id", cs2}, {"project_id", p2},
                               {"context", "{}"}, {"data", "{}"}, {"metrics", nullptr}, {"parent_event_id", e1},
                               {"related_event_ids", "[]"}, {"tags", nullptr}, {"severity", nullptr}});
    // quality_score is DECIMAL(5,2): its limits, a negative fraction, fewer decimals than the scale.
    const std::vector<std::pair<std::string, Value>> scores = {
        {"c8000000-0000-4000-8000-000000000001", "999.99"}, {"c8000000-0000-4000-8000-000000000002", "-999.99"},
        {"c8000000-0000-4000-8000-000000000003", "-0.50"},  {"c8000000-0000-4000-8000-000000000004", "0.5"},
        {"c8000000-0000-4000-8000-000000000005", "100"},    {"c8000000-0000-4000-8000-000000000006", Value()}};
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const bool full = i == 0;
        insert(s, "agent_sessions", {{"id", scores[i].first}, {"agent_id", "copilot"}, {"agent_version", "1"},
                                     {"project_id", p1}, {"start_time", "2024-02-29T23:00:00.00" + std::to_string(i) + "Z"},
                                     {"end_time", full ? Value("2024-02-29T23:59:59.999Z") : Value()},
                                     {"duration", full ? Value(k_int_max) : Value()}, {"context", full ? k_json : std::string("{}")},
                                     {"metrics", full ? std::string(R"J({"n": [1.5, -2]})J") : std::string("{}")},
                                     {"outcome", full ? Value("success") : Value()}, {"quality_score", scores[i].second}});
    }
    insert(s, "devlog_entries", {{"key_field", "DEV-ü-1"}, {"title", k_text}, {"type", "bug"}, {"description", k_text},
                                 {"status", "done"}, {"priority", "critical"}, {"created_at", "2024-02-29T00:00:00.000Z"},
                                 {"updated_at", "2024-02-29T23:59:59.999Z"}, {"closed_at", "2024-03-01T00:00:00.000Z"},
                                 {"archived", 1}, {"assignee", "zoë"}, {"project_id", p1}, {"business_context", k_text},
                                 {"technical_context", "ctx"}, {"tags", R"(["a","b"])"}, {"files", "src/a.ts,src/b.ts"},
                                 {"dependencies", "DEV-2"}});
    insert(s, "devlog_entries", {{"key_field", "DEV-2"}, {"title", "t"}, {"type", "task"}, {"description", ""}, {"status", "new"},
                                 {"priority", "medium"}, {"created_at", "2024-02-29T00:00:00.000Z"},
                                 {"updated_at", "2024-02-29T00:00:00.000Z"}, {"closed_at", nullptr}, {"archived", 0},
                                 {"assignee", nullptr}, {"project_id", p2}, {"business_context", nullptr},
                                 {"technical_context", nullptr}, {"tags", nullptr}, {"files", nullptr}, {"dependencies", nullptr}});
    const auto d1 = id_of("devlog_entries", "key_field", "DEV-ü-1"), d2 = id_of("devlog_entries", "key_field", "DEV-2");
    insert(s, "devlog_notes", {{"id", "c9000000-0000-4000-8000-000000000001"}, {"devlog_id", d1},
                               {"timestamp", "2024-02-29T23:59:59.999Z"}, {"category", "progress"}, {"content", k_text}});
    insert(s, "devlog_dependencies", {{"id", "ca000000-0000-4000-8000-000000000001"}, {"devlog_id", d1}, {"type", "blocks"},
                                      {"description", k_text}, {"external_id", "JIRA-1"}, {"target_devlog_id", d2}});
    insert(s, "devlog_dependencies", {{"id", "ca000000-0000-4000-8000-000000000002"}, {"devlog_id", d2}, {"type", "relates"},
                                      {"description", "d"}, {"external_id", nullptr}, {"target_devlog_id", nullptr}});
    // bytea: 0x00 and 0xff bytes (and every other byte value), an empty value, NULL.
    Blob all_bytes;
    for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<std::uint8_t>(i));
    all_bytes.push_back(0x00);
    all_bytes.push_back(0xff);
    const std::string doc_bin = "cb000000-0000-4000-8000-000000000001", doc_text = "cb000000-0000-4000-8000-000000000002",
                      doc_small = "cb000000-0000-4000-8000-000000000003", doc_empty = "cb000000-0000-4000-8000-000000000004";
    insert(s, "devlog_documents", {{"id", doc_bin}, {"devlog_id", d1}, {"filename", "bin.dat"}, {"original_name", "bïn.dat"},
                                   {"mime_type", "application/octet-stream"}, {"size", static_cast<std::int64_t>(all_bytes.size())},
                                   {"type", "binary"}, {"text_content", nullptr}, {"binary_content", all_bytes},
                                   {"metadata", k_json}, {"uploaded_by", "zoë"}, {"created_at", "2024-02-29T00:00:00.000Z"},
                                   {"updated_at", "2024-02-29T23:59:59.999Z"}});
    insert(s, "devlog_documents", {{"id", doc_text}, {"devlog_id", d1}, {"filename", "t.md"}, {"original_name", "t.md"},
                                   {"mime_type", "text/markdown"}, {"size", 3}, {"type", "text"}, {"text_content", k_text},
                                   {"binary_content", nullptr}, {"metadata", "{}"}, {"uploaded_by", nullptr},
                                   {"created_at", "2024-02-29T00:00:00.000Z"}, {"updated_at", "2024-02-29T00:00:00.000Z"}});
    insert(s, "devlog_documents", {{"id", doc_small}, {"devlog_id", d2}, {"filename", "s"}, {"original_name", "s"},
                                   {"mime_type", "application/octet-stream"}, {"size", 2}, {"type", "binary"},
                                   {"binary_content", Blob{0x00, 0xff}}, {"created_at", "2024-02-29T00:00:00.000Z"},
                                   {"updated_at", "2024-02-29T00:00:00.000Z"}});
    s.execute("INSERT INTO devlog_documents(id, devlog_id, filename, original_name, mime_type, size, type, binary_content, "
              "created_at, updated_at) VALUES (?, ?, 'e', 'e', 'application/octet-stream', 0, 'binary', x'', "
              "'2024-02-29T00:00:00.000Z', '2024-02-29T00:00:00.000Z')",
              {doc_empty, d2});
    REQUIRE(text(s, "SELECT typeof(binary_content) || length(binary_content) FROM devlog_documents WHERE id = ?", {doc_empty}) ==
            "blob0");

    const Dump written = dump_synced(a.store());
    sync_clean(a);

    // Every row kept the id it was given offline.
    pg_expect(db, "SELECT id FROM projects WHERE \"fullName\" = 'öwner/repo'", std::to_string(p1));
    pg_expect(db, "SELECT id FROM machines WHERE \"machineId\" = 'ci-1'", std::to_string(m2));
    pg_expect(db, "SELECT id FROM workspaces WHERE workspace_id = 'ws-2'", std::to_string(w2));
    pg_expect(db, "SELECT id FROM devlog_entries WHERE key_field = 'DEV-2'", std::to_string(d2));
    pg_expect(db, "SELECT count(*) FROM machine_projects", "3");
    pg_expect(db, "SELECT count(*) FROM machine_projects WHERE \"machineId\" = " + std::to_string(m1) +
                      " AND \"projectId\" = " + std::to_string(p2), "1");
    pg_expect(db, "SELECT description FROM projects WHERE id = " + std::to_string(p2), "NULL");
    pg_expect(db, "SELECT updated_at FROM projects WHERE id = " + std::to_string(p1), "'2024-03-01T00:00:00.000Z'::timestamptz");
    pg_expect(db, "SELECT metadata FROM machines WHERE id = " + std::to_string(m1), lit(k_json) + "::jsonb");
    pg_expect(db, "SELECT \"ipAddress\" FROM machines WHERE id = " + std::to_string(m1), "'10.1.2.3'");
    pg_expect(db, "SELECT \"osVersion\" FROM machines WHERE id = " + std::to_string(m2), "NULL");
    pg_expect(db, "SELECT branch FROM workspaces WHERE id = " + std::to_string(w2), "NULL");
    pg_expect(db, "SELECT total_tokens FROM chat_sessions WHERE \"sessionId\" = '" + cs1 + "'", "2147483647");
    pg_expect(db, "SELECT ended_at FROM chat_sessions WHERE \"sessionId\" = '" + cs1 + "'", "'2024-02-29T23:59:59.999Z'::timestamptz");
    pg_expect(db, "SELECT model_id FROM chat_sessions WHERE \"sessionId\" = '" + cs2 + "'", "NULL");
    pg_expect(db, "SELECT sequence FROM chat_messages WHERE id = 'c6000000-0000-4000-8000-000000000001'", "2147483647");
    pg_expect(db, "SELECT search_content FROM chat_messages WHERE id = 'c6000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT tags FROM agent_events WHERE id = '" + e1 + "'", k_array_pg);
    pg_expect(db, "SELECT related_event_ids FROM agent_events WHERE id = '" + e1 + "'",
              "ARRAY['c7000000-0000-4000-8000-000000000002', 'external,id']::text[]");
    pg_expect(db, "SELECT related_event_ids FROM agent_events WHERE id = '" + e2 + "'", "'{}'::text[]");
    pg_expect(db, "SELECT tags FROM agent_events WHERE id = '" + e2 + "'", "NULL");
    pg_expect(db, "SELECT parent_event_id FROM agent_events WHERE id = '" + e2 + "'", "'" + e1 + "'::uuid");
    pg_expect(db, "SELECT (metrics ->> 'duration')::int FROM agent_events WHERE id = '" + e1 + "'", "120");
    pg_expect(db, "SELECT \"timestamp\" FROM agent_events WHERE id = '" + e2 + "'", "'1970-01-01T00:00:00.000Z'::timestamptz");
    pg_expect(db, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000001'", "999.99");
    pg_expect(db, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000002'", "-999.99");
    pg_expect(db, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000003'", "-0.5");
    pg_expect(db, "SELECT quality_score::text FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000004'", "'0.50'");
    pg_expect(db, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000005'", "100");
    pg_expect(db, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000006'", "NULL");
    pg_expect(db, "SELECT duration FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000001'", "2147483647");
    pg_expect(db, "SELECT end_time FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT archived FROM devlog_entries WHERE id = " + std::to_string(d1), "true");
    pg_expect(db, "SELECT archived FROM devlog_entries WHERE id = " + std::to_string(d2), "false");
    pg_expect(db, "SELECT closed_at FROM devlog_entries WHERE id = " + std::to_string(d1), "'2024-03-01T00:00:00.000Z'::timestamptz");
    for (const char* col : {"closed_at", "assignee", "business_context", "technical_context", "tags", "files", "dependencies"})
        pg_expect(db, std::string("SELECT ") + col + " FROM devlog_entries WHERE id = " + std::to_string(d2), "NULL");
    pg_expect(db, "SELECT target_devlog_id FROM devlog_dependencies WHERE id = 'ca000000-0000-4000-8000-000000000001'",
              std::to_string(d2));
    pg_expect(db, "SELECT target_devlog_id FROM devlog_dependencies WHERE id = 'ca000000-0000-4000-8000-000000000002'", "NULL");
    pg_expect(db, "SELECT binary_content FROM devlog_documents WHERE id = '" + doc_small + "'", R"('\x00ff'::bytea)");
    pg_expect(db, "SELECT binary_content FROM devlog_documents WHERE id = '" + doc_bin + "'",
              "(SELECT string_agg(set_byte('\\x00'::bytea, 0, i), ''::bytea ORDER BY i) FROM generate_series(0, 255) i) || "
              "'\\x00ff'::bytea");
    pg_expect(db, "SELECT length(binary_content) FROM devlog_documents WHERE id = '" + doc_bin + "'", "258");
    pg_expect(db, "SELECT binary_content FROM devlog_documents WHERE id = '" + doc_text + "'", "NULL");
    pg_expect(db, "SELECT binary_content FROM devlog_documents WHERE id = '" + doc_empty + "'", "'\\x'::bytea");  // empty, not NULL
    pg_expect(db, "SELECT uploaded_by FROM devlog_documents WHERE id = '" + doc_text + "'", "NULL");
    pg_expect(db, "SELECT avatar_url FROM users WHERE id = 900001", "NULL");
    pg_expect(db, "SELECT last_login_at FROM users WHERE id = 900001", "'2024-02-29T12:00:00.500Z'::timestamptz");
    pg_expect(db, "SELECT password_hash FROM users WHERE id = 900001", "'hash'");  // untouched

    finish_round_trip(db, a, "devlog", written, [&](Store& b) {
        auto bin = b.query_value("SELECT binary_content FROM devlog_documents WHERE id = ?", {doc_bin});
        REQUIRE(bin);
        REQUIRE(bin->type() == Value::Type::blob);
        CHECK(bin->as_blob() == all_bytes);
        CHECK(text(b, "SELECT hex(binary_content) FROM devlog_documents WHERE id = ?", {doc_small}) == "00FF");
        CHECK(text(b, "SELECT typeof(binary_content) || length(binary_content) FROM devlog_documents WHERE id = ?", {doc_empty}) ==
              "blob0");
        CHECK(text(b, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000003'") == "-0.50");
        CHECK(text(b, "SELECT quality_score FROM agent_sessions WHERE id = 'c8000000-0000-4000-8000-000000000004'") == "0.50");
        CHECK(text(b, "SELECT count(*) FROM machine_projects") == "3");
        CHECK(text(b, "SELECT id FROM devlog_entries WHERE key_field = 'DEV-2'") == std::to_string(d2));
    });
}

// =============================================================================================
// 2. Three devices converge after interleaved offline work, one app at a time.
// =============================================================================================

namespace {
/// Three devices with clocks the test controls, and the times of their offline writes: A's
/// writes are older than B's, B's older than C's (all well within the server's skew limit).
struct Trio {
    std::int64_t now = ferry::SystemClock::instance().now_ms();
    FakeClock ca{now}, cb{now}, cc{now};
    Device a, b, c;
    Trio(PgDatabase& db, const std::string& app) : a(db, app, &ca), b(db, app, &cb), c(db, app, &cc) {}
    /// Moves the clocks forward: A +60 s, B +120 s, C +180 s from the real time.
    void go_offline() {
        const auto t = ferry::SystemClock::instance().now_ms();
        ca.set(t + 60000);
        cb.set(t + 120000);
        cc.set(t + 180000);
    }
    void sync_all() {
        sync_clean(a);
        sync_clean(b);
        sync_clean(c);
    }
    /// A, B, C, A, B, C; then a fresh device D pulls everything; all four must be equal.
    void interleave_and_check(PgDatabase& db, const std::string& app, const std::function<void(Store&, const char*)>& expect) {
        sync_all();
        sync_all();
        Device d(db, app);
        sync_clean(d);
        check_converged({&a, &b, &c, &d}, {"A", "B", "C", "D"});
        const std::vector<std::pair<Device*, const char*>> all = {{&a, "A"}, {&b, "B"}, {&c, "C"}, {&d, "D"}};
        for (const auto& [dev, name] : all) {
            INFO("device " << name);
            CHECK(dev->store().status().pending_changes == 0);
            expect(dev->store(), name);
        }
    }
};
}  // namespace

TEST_CASE("projectme: three devices converge after interleaved offline work", "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "projectme");
    db.exec(R"(INSERT INTO "User"(id, email, username, "updatedAt") VALUES ('user-1', 'u1@example.com', 'u1', '2024-01-01 00:00:00'))");
    Trio t(db, "projectme");
    namespace pm = ferry::apps::projectme;
    sync_clean(t.a);
    const auto shared = pm::create_task(t.a.store(), {"user-1", "shared", std::string("base"), std::nullopt, std::nullopt,
                                                       std::nullopt, {"base"}, 1, false});
    const auto doomed = pm::create_task(t.a.store(), {"user-1", "doomed", std::nullopt, std::nullopt, std::nullopt,
                                                       std::nullopt, {}, 0, false});
    pm::create_llm_session(t.a.store(), {"conv-1", std::string("user-1"), std::string("Conversation"), std::nullopt});
    pm::save_sandbox_file(t.a.store(), {"user-1", "/shared.txt", "v1"});
    t.sync_all();
    REQUIRE(count(t.c.store(), "Task") == 2);

    t.go_offline();
    // A: edits the title, sets the status, adds a task and a message, deletes a task.
    t.a.store().execute(R"(UPDATE "Task" SET title = 'title by A', status = 'running' WHERE id = ?)", {shared.id});
    pm::create_task(t.a.store(), {"user-1", "from A", std::nullopt, std::nullopt, std::nullopt, std::string(R"({"n": 1})"),
                                  {"a", "x,y"}, 0, true});
    pm::add_llm_message(t.a.store(), {"conv-1", "user", "hello from A", 3, std::nullopt});
    t.a.store().execute(R"(DELETE FROM "Task" WHERE id = ?)", {doomed.id});
    // B: edits the description of the same task, updates the task A deleted (later clock: the
    // delete still wins), saves a file and logs an action.
    t.b.store().execute(R"(UPDATE "Task" SET description = 'description by B' WHERE id = ?)", {shared.id});
    t.b.store().execute(R"(UPDATE "Task" SET priority = 5 WHERE id = ?)", {doomed.id});
    pm::save_sandbox_file(t.b.store(), {"user-1", "/b.txt", "from B ü"});
    pm::create_audit_log(t.b.store(), {std::string("user-1"), "edit_task", std::string("task:" + shared.id), std::nullopt,
                                       std::nullopt, std::string(R"({"by": "B"})")});
    // C: sets the same status as A later (C wins), soft-deletes the shared file, adds a message.
    t.c.store().execute(R"(UPDATE "Task" SET status = 'done' WHERE id = ?)", {shared.id});
    REQUIRE(pm::delete_sandbox_file(t.c.store(), "user-1", "/shared.txt"));
    pm::add_llm_message(t.c.store(), {"conv-1", "assistant", "hello from C", std::nullopt, std::string(R"({"model": "m"})")});
    // The web app writes to PostgreSQL directly meanwhile.
    db.exec(R"(INSERT INTO "Task"(id, "userId", title, tags, payload) VALUES ('task-web', 'user-1', 'from the web', ARRAY['web'], '{"w": true}'))");

    t.interleave_and_check(db, "projectme", [&](Store& s, const char*) {
        CHECK(text(s, R"(SELECT title FROM "Task" WHERE id = ?)", {shared.id}) == "title by A");
        CHECK(text(s, R"(SELECT description FROM "Task" WHERE id = ?)", {shared.id}) == "description by B");
        CHECK(text(s, R"(SELECT status FROM "Task" WHERE id = ?)", {shared.id}) == "done");
        CHECK(count(s, "Task", "id = '" + doomed.id + "'") == 0);
        CHECK(count(s, "Task", "title = 'from A'") == 1);
        CHECK(text(s, R"(SELECT tags FROM "Task" WHERE id = 'task-web')") == R"(["web"])");
        CHECK(text(s, R"(SELECT json_extract(payload, '$.w') FROM "Task" WHERE id = 'task-web')") == "1");
        CHECK(count(s, "LLMMessage") == 2);
        CHECK(text(s, R"(SELECT "isDeleted" FROM "SandboxFile" WHERE path = '/shared.txt')") == "1");
        CHECK(text(s, R"(SELECT content FROM "SandboxFile" WHERE path = '/b.txt')") == "from B ü");
        CHECK(count(s, "AuditLog") == 1);
        CHECK(count(s, "Task") == 3);  // shared, from A, from the web
    });
    pg_expect(db, R"(SELECT status FROM "Task" WHERE id = ')" + shared.id + "'", "'done'");
    pg_expect(db, R"(SELECT count(*) FROM "Task")", "3");
}

TEST_CASE("december: three devices converge after interleaved offline work", "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "december");
    Trio t(db, "december");
    namespace dc = ferry::apps::december;
    const auto user = dc::create_user(t.a.store(), {"ann@example.com", std::string("Ann"), std::nullopt});
    const auto container = dc::create_container(t.a.store(), {"docker-1", "web", "created", std::nullopt, 3000, std::nullopt,
                                                              user, R"({"tier": "free"})", "{}"});
    const auto project = dc::create_project(t.a.store(), {"site", container, std::string("base"), "nextjs", "active", user});
    dc::add_chat_message(t.a.store(), {container, "s1", "user", "hi", "[]", "{}"});
    t.sync_all();
    REQUIRE(count(t.c.store(), "projects") == 1);

    t.go_offline();
    t.a.store().execute("UPDATE containers SET name = 'name by A' WHERE id = ?", {container});
    dc::update_container_status(t.a.store(), container, "running");
    const auto pa = dc::create_project(t.a.store(), {"from A", container, std::nullopt, "react", "active", user});
    dc::add_chat_message(t.a.store(), {container, "s1", "assistant", "reply from A", R"([{"name": "a.png"}])", "{}"});
    t.b.store().execute("UPDATE containers SET image_name = 'node:20', labels = '{\"tier\": \"pro\"}' WHERE id = ?", {container});
    t.b.store().execute("UPDATE projects SET description = 'edited by B' WHERE id = ?", {project});
    t.b.store().execute("INSERT INTO file_storage(container_id, file_path, file_name, file_size) VALUES (?, '/b.txt', 'b.txt', 12)",
                        {container});
    t.c.store().execute("UPDATE containers SET name = 'name by C' WHERE id = ?", {container});
    t.c.store().execute("DELETE FROM projects WHERE id = ?", {project});
    t.c.store().execute("UPDATE users SET name = 'Ann C' WHERE id = ?", {user});
    db.exec("INSERT INTO containers(container_id, name, user_id, labels) VALUES ('web-1', 'from the web', '" + user +
            "', '{\"src\": \"web\"}')");

    t.interleave_and_check(db, "december", [&](Store& s, const char*) {
        CHECK(text(s, "SELECT name FROM containers WHERE id = ?", {container}) == "name by C");
        CHECK(text(s, "SELECT status FROM containers WHERE id = ?", {container}) == "running");
        CHECK(text(s, "SELECT started_at IS NOT NULL FROM containers WHERE id = ?", {container}) == "1");
        CHECK(text(s, "SELECT image_name FROM containers WHERE id = ?", {container}) == "node:20");
        CHECK(text(s, "SELECT json_extract(labels, '$.tier') FROM containers WHERE id = ?", {container}) == "pro");
        CHECK(count(s, "projects", "id = '" + project + "'") == 0);  // the delete wins over B's edit
        CHECK(count(s, "projects", "id = '" + pa + "'") == 1);
        CHECK(count(s, "chat_messages") == 2);
        CHECK(count(s, "file_storage") == 1);
        CHECK(text(s, "SELECT name FROM users") == "Ann C");
        CHECK(text(s, "SELECT name FROM containers WHERE container_id = 'web-1'") == "from the web");
    });
    pg_expect(db, "SELECT name FROM containers WHERE id = '" + container + "'", "'name by C'");
    pg_expect(db, "SELECT count(*) FROM projects", "1");
}

TEST_CASE("agentchat: three devices converge after interleaved offline work", "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "agentchat");
    const std::string u1 = "11111111-1111-4111-8111-111111111111";
    db.exec("INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ('" + u1 + "', 'u1@example.com', '{}')");
    Trio t(db, "agentchat");
    const std::string chat = "c0000000-0000-4000-8000-000000000001";
    const std::string m1 = "d0000000-0000-4000-8000-000000000001";
    insert(t.a.store(), "Chat", {{"id", chat}, {"title", "base"}, {"user_id", u1}, {"total_input_tokens", 100}});
    insert(t.a.store(), "Message_v2", {{"id", m1}, {"chatId", chat}, {"role", "user"}, {"parts", R"([{"text": "hi"}])"}});
    const auto v1 = ac::save_document_version(t.a.store(), doc_version(std::nullopt, "v1", u1, chat));
    t.sync_all();
    REQUIRE(count(t.c.store(), "Document") == 1);

    t.go_offline();
    t.a.store().execute("UPDATE \"Chat\" SET title = 'by A', total_input_tokens = total_input_tokens + 10 WHERE id = ?", {chat});
    insert(t.a.store(), "Message_v2", {{"id", "d0000000-0000-4000-8000-00000000000a"}, {"chatId", chat}, {"role", "assistant"},
                                       {"parts", R"([{"text": "from A"}])"}});
    insert(t.a.store(), "Vote_v2", {{"chatId", chat}, {"messageId", m1}, {"isUpvoted", 1}});
    const auto va = ac::save_document_version(t.a.store(), doc_version(v1.id, "v2 by A", u1, chat));
    t.b.store().execute("UPDATE \"Chat\" SET visibility = 'public', total_input_tokens = total_input_tokens + 5 WHERE id = ?",
                        {chat});
    // save_document_version stamps "createdAt" with the system clock (not the store's clock):
    // two saves within one millisecond on two devices would share the key (id, "createdAt") and
    // merge into one row. Keep the two offline versions a few milliseconds apart.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto vb = ac::save_document_version(t.b.store(), doc_version(v1.id, "v2 by B", u1, chat));
    REQUIRE(vb.created_at != va.created_at);
    insert(t.b.store(), "Stream", {{"id", "a1000000-0000-4000-8000-000000000001"}, {"chatId", chat}});
    t.c.store().execute("UPDATE \"Chat\" SET title = 'by C', total_cost = '0.123456' WHERE id = ?", {chat});
    insert(t.c.store(), "usage_logs", {{"user_id", u1}, {"chat_id", chat}, {"agent_type", "chat"}, {"total_cost", "0.5"}});
    db.exec("INSERT INTO \"Chat\"(id, title, user_id) VALUES ('c0000000-0000-4000-8000-0000000000eb', 'from the web', '" + u1 + "')");
    db.exec("INSERT INTO \"Message_v2\"(\"chatId\", role, parts) VALUES ('c0000000-0000-4000-8000-0000000000eb', 'user', "
            "'[{\"text\": \"web\"}]')");

    t.interleave_and_check(db, "agentchat", [&](Store& s, const char*) {
        CHECK(text(s, "SELECT title FROM \"Chat\" WHERE id = ?", {chat}) == "by C");
        CHECK(text(s, "SELECT visibility FROM \"Chat\" WHERE id = ?", {chat}) == "public");
        CHECK(text(s, "SELECT total_input_tokens FROM \"Chat\" WHERE id = ?", {chat}) == "115");  // a counter: deltas add up
        CHECK(text(s, "SELECT total_cost FROM \"Chat\" WHERE id = ?", {chat}) == "0.123456");
        CHECK(count(s, "Document", "id = '" + v1.id + "'") == 3);  // v1 and both offline versions (composite key)
        CHECK(count(s, "Document", "id = '" + v1.id + "' AND \"createdAt\" = '" + va.created_at + "'") == 1);
        CHECK(count(s, "Document", "id = '" + v1.id + "' AND \"createdAt\" = '" + vb.created_at + "'") == 1);
        CHECK(text(s, "SELECT \"isUpvoted\" FROM \"Vote_v2\" WHERE \"chatId\" = ? AND \"messageId\" = ?", {chat, m1}) == "1");
        CHECK(count(s, "Message_v2") == 3);
        CHECK(count(s, "Stream") == 1);
        CHECK(count(s, "usage_logs") == 1);
        CHECK(text(s, "SELECT title FROM \"Chat\" WHERE id = 'c0000000-0000-4000-8000-0000000000eb'") == "from the web");
    });
    pg_expect(db, "SELECT total_input_tokens FROM \"Chat\" WHERE id = '" + chat + "'", "115");
}

TEST_CASE("aiflowo: three devices converge after interleaved offline work", "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "aiflowo");
    Trio t(db, "aiflowo");
    const std::string tool = "tool_search_google";
    insert(t.a.store(), "User", {{"id", "user-1"}, {"email", "u1@example.com"}});
    const auto task = af::create_task(t.a.store(), af_task("user-1", "Book", "book a flight", "MEDIUM"));
    const auto doomed = af::create_task(t.a.store(), af_task("user-1", "Doomed", "nothing", "LOW"));
    t.sync_all();
    const auto start = std::stoll(db.scalar("SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'"));

    t.go_offline();
    t.a.store().execute(R"(UPDATE "Task" SET status = 'RUNNING', "currentStep" = 1 WHERE id = ?)", {task.id});
    af::append_task_log(t.a.store(), af_log(task.id, "INFO", "started ü"));
    af::record_tool_execution(t.a.store(), af_execution(tool, task.id, R"({"q": "flights"})"));
    af::enqueue_job(t.a.store(), af_job("TASK", task.id, R"({"step": 1})"));
    af::append_task_log(t.a.store(), af_log(doomed.id, "WARN", "about to be deleted elsewhere"));
    t.b.store().execute(R"(UPDATE "Task" SET priority = 'HIGH' WHERE id = ?)", {task.id});
    af::record_tool_execution(t.b.store(), af_execution(tool, task.id, R"({"q": "hotels"})"));
    af::add_artifact(t.b.store(), af_artifact(task.id, "PDF", "ticket.pdf", "s3://b/ticket.pdf", 1234));
    t.c.store().execute(R"(UPDATE "Task" SET status = 'SUCCEEDED' WHERE id = ?)", {task.id});
    af::record_tool_execution(t.c.store(), af_execution(tool, task.id, R"({"q": "cars"})", "FAILED"));
    t.c.store().execute(R"(DELETE FROM "Task" WHERE id = ?)", {doomed.id});
    db.exec(R"(INSERT INTO "Task"(id, "userId", title, intent, status, priority, "updatedAt") VALUES )"
            R"(('task-web', 'user-1', 'from the web', 'web intent', 'PAUSED', 'URGENT', '2024-05-01 12:00:00'))");

    t.interleave_and_check(db, "aiflowo", [&](Store& s, const char*) {
        CHECK(text(s, R"(SELECT status FROM "Task" WHERE id = ?)", {task.id}) == "SUCCEEDED");
        CHECK(text(s, R"(SELECT priority FROM "Task" WHERE id = ?)", {task.id}) == "HIGH");
        CHECK(text(s, R"(SELECT "currentStep" FROM "Task" WHERE id = ?)", {task.id}) == "1");
        CHECK(text(s, R"(SELECT "usageCount" FROM "Tool" WHERE id = ?)", {tool}) == std::to_string(start + 3));
        CHECK(count(s, "ToolExecution") == 3);
        CHECK(count(s, "TaskLog") == 1);  // the log under the deleted task went with it
        CHECK(count(s, "Task", "id = '" + doomed.id + "'") == 0);
        CHECK(count(s, "TaskArtifact", "type = 'PDF'") == 1);
        CHECK(count(s, "QueueJob") == 1);
        CHECK(text(s, R"(SELECT status || ' ' || priority FROM "Task" WHERE id = 'task-web')") == "PAUSED URGENT");
    });
    pg_expect(db, "SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'", std::to_string(start + 3));

    // Another new device (which, like every device, seeded the tool catalogue locally) takes the
    // server's count on its first pull, and its own use adds one to it on the server.
    Device e(db, "aiflowo");
    sync_clean(e);
    CHECK(text(e.store(), R"(SELECT "usageCount" FROM "Tool" WHERE id = ?)", {tool}) == std::to_string(start + 3));
    af::record_tool_execution(e.store(), af_execution(tool, task.id, R"({"q": "trains"})"));
    sync_clean(e);
    pg_expect(db, "SELECT \"usageCount\" FROM \"Tool\" WHERE id = '" + tool + "'", std::to_string(start + 4));
    sync_clean(t.a);
    CHECK(text(t.a.store(), R"(SELECT "usageCount" FROM "Tool" WHERE id = ?)", {tool}) == std::to_string(start + 4));
    CHECK(text(e.store(), R"(SELECT "usageCount" FROM "Tool" WHERE id = ?)", {tool}) == std::to_string(start + 4));
}

TEST_CASE("devlog: three devices converge after interleaved offline work", "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "devlog");
    Trio t(db, "devlog");
    sync_clean(t.a);  // leases ids
    const auto p1 = dl::upsert_project(t.a.store(), dl_project("repo", "o/repo"));
    const auto m1 = dl::register_machine(t.a.store(), dl_machine("m-a", "host-a", "linux"));
    const auto w1 = dl::upsert_workspace(t.a.store(), dl_workspace(p1, m1, "ws-1", "/src/repo"));
    const auto session = dl::start_chat_session(t.a.store(), dl_chat_session(w1, "copilot"));
    const auto e1 = dl::create_devlog_entry(t.a.store(), dl_entry("DEV-1", "shared", "base", p1));
    const auto doomed = dl::create_devlog_entry(t.a.store(), dl_entry("DEV-DOOMED", "doomed", "x", p1));
    t.sync_all();
    REQUIRE(count(t.c.store(), "devlog_entries") == 2);

    t.go_offline();
    t.a.store().execute("UPDATE devlog_entries SET status = 'in-progress' WHERE id = ?", {e1});
    const auto ea = dl::create_devlog_entry(t.a.store(), dl_entry("DEV-A", "from A", "d", p1));
    dl::add_devlog_note(t.a.store(), e1, "progress", "note from A ü");
    dl::record_agent_event(t.a.store(), dl_event("llm_request", "copilot", session, p1));
    t.a.store().execute("UPDATE chat_sessions SET message_count = message_count + 2 WHERE \"sessionId\" = ?", {session});
    t.b.store().execute("UPDATE devlog_entries SET priority = 'high' WHERE id = ?", {e1});
    const auto mb = dl::register_machine(t.b.store(), dl_machine("m-b", "host-b", "darwin", std::string("14")));
    insert(t.b.store(), "machine_projects", {{"machineId", mb}, {"projectId", p1}});
    t.b.store().execute("UPDATE chat_sessions SET message_count = message_count + 3 WHERE \"sessionId\" = ?", {session});
    dl::add_devlog_note(t.b.store(), doomed, "progress", "note under a doomed entry");
    const auto eb = dl::create_devlog_entry(t.b.store(), dl_entry("DEV-B", "from B", "d", p1));
    t.c.store().execute("UPDATE devlog_entries SET status = 'done' WHERE id = ?", {e1});
    t.c.store().execute("DELETE FROM devlog_entries WHERE id = ?", {doomed});
    const auto pc = dl::upsert_project(t.c.store(), dl_project("c", "o/c"));
    db.exec("INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") VALUES "
            "('web', 'o/web', 'https://github.com/o/web', 'o', 'web')");
    db.exec("INSERT INTO devlog_entries(key_field, title, description, project_id) SELECT 'DEV-WEB', 'from the web', 'w', id "
            "FROM projects WHERE \"fullName\" = 'o/web'");

    t.interleave_and_check(db, "devlog", [&](Store& s, const char*) {
        CHECK(text(s, "SELECT status FROM devlog_entries WHERE id = ?", {e1}) == "done");
        CHECK(text(s, "SELECT priority FROM devlog_entries WHERE id = ?", {e1}) == "high");
        CHECK(count(s, "devlog_entries", "id = " + std::to_string(doomed)) == 0);
        CHECK(count(s, "devlog_entries", "id IN (" + std::to_string(ea) + ", " + std::to_string(eb) + ")") == 2);
        CHECK(count(s, "devlog_notes") == 1);  // the note under the deleted entry went with it
        CHECK(text(s, "SELECT message_count FROM chat_sessions WHERE \"sessionId\" = ?", {session}) == "5");
        CHECK(count(s, "machine_projects") == 1);
        CHECK(count(s, "projects", "id = " + std::to_string(pc)) == 1);
        CHECK(count(s, "agent_events") == 1);
        CHECK(text(s, "SELECT title FROM devlog_entries WHERE key_field = 'DEV-WEB'") == "from the web");
        CHECK(count(s, "projects") == 3);
    });
}

// =============================================================================================
// 3. devlog: integer keys created offline never collide; an exhausted lease says to sync.
// =============================================================================================

TEST_CASE("devlog: integer keys created offline on two devices never collide", "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "devlog");
    Device a(db, "devlog"), b(db, "devlog");
    ferry::SyncOptions small;
    small.lease_block = 20;
    small.lease_low_water = 5;
    CHECK(sync_clean(a, small).leased > 0);
    CHECK(sync_clean(b, small).leased > 0);
    // The leased blocks do not overlap.
    for (const char* table : {"projects", "machines", "workspaces", "devlog_entries"}) {
        auto ra = a.store().query("SELECT min(next_id), max(last_id) FROM ferry_id_leases WHERE tbl = ?", {table});
        auto rb = b.store().query("SELECT min(next_id), max(last_id) FROM ferry_id_leases WHERE tbl = ?", {table});
        INFO(table);
        REQUIRE(!ra.rows[0][0].is_null());
        REQUIRE(!rb.rows[0][0].is_null());
        CHECK((ra.rows[0][1].as_int() < rb.rows[0][0].as_int() || rb.rows[0][1].as_int() < ra.rows[0][0].as_int()));
    }

    // Offline, both create projects, machines, workspaces and entries (more than the low-water
    // mark, fewer than the block).
    std::set<std::int64_t> ids_a, ids_b;
    std::vector<std::int64_t> entries_a, entries_b;
    for (auto [dev, tag, ids, entries] : {std::make_tuple(&a, std::string("a"), &ids_a, &entries_a),
                                          std::make_tuple(&b, std::string("b"), &ids_b, &entries_b)}) {
        Store& s = dev->store();
        for (int i = 0; i < 12; ++i) {
            const std::string n = tag + std::to_string(i);
            const auto p = dl::upsert_project(s, dl_project("p" + n, "o/" + n));
            const auto m = dl::register_machine(s, dl_machine("machine-" + n, "h" + n, "linux"));
            dl::upsert_workspace(s, dl_workspace(p, m, "ws-" + n, "/src/" + n));
            entries->push_back(dl::create_devlog_entry(s, dl_entry("KEY-" + n, "t", "d", p)));
            ids->insert(p);
        }
    }
    // The web app inserts a project meanwhile: its id comes from the same sequence.
    db.exec("INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") VALUES "
            "('web', 'o/web', 'https://github.com/o/web', 'o', 'web')");
    const auto web_id = std::stoll(db.scalar("SELECT id FROM projects WHERE \"fullName\" = 'o/web'"));

    for (auto id : ids_a) CHECK(ids_b.count(id) == 0);
    CHECK(ids_a.count(web_id) == 0);
    CHECK(ids_b.count(web_id) == 0);
    sync_clean(a, small);
    sync_clean(b, small);
    sync_clean(a, small);

    pg_expect(db, "SELECT count(*) FROM projects", "25");
    pg_expect(db, "SELECT count(DISTINCT id) FROM projects", "25");
    pg_expect(db, "SELECT count(*) FROM machines", "24");
    pg_expect(db, "SELECT count(*) FROM workspaces", "24");
    pg_expect(db, "SELECT count(*) FROM devlog_entries", "24");
    // Every row kept the id its device gave it.
    for (auto [tag, ids] : {std::make_pair(std::string("a"), &ids_a), std::make_pair(std::string("b"), &ids_b)}) {
        std::string list;
        for (auto id : *ids) list += (list.empty() ? "" : ",") + std::to_string(id);
        pg_expect(db, "SELECT count(*) FROM projects WHERE \"fullName\" LIKE 'o/" + tag + "%' AND id IN (" + list + ")", "12");
    }
    for (auto [dev, name] : {std::make_pair(&a, "A"), std::make_pair(&b, "B")}) {
        INFO("device " << name);
        CHECK(count(dev->store(), "projects") == 25);
        CHECK(count(dev->store(), "devlog_entries") == 24);
        CHECK(count(dev->store(), "workspaces") == 24);
        CHECK(text(dev->store(), "SELECT count(DISTINCT id) FROM machines") == "24");
    }
    check_converged({&a, &b}, {"A", "B"});
    // The leases were topped up past the low-water mark, with ids no other device holds.
    for (const char* table : {"projects", "devlog_entries"}) {
        INFO(table);
        auto left_a = a.store().query_value("SELECT coalesce(sum(last_id - next_id + 1), 0) FROM ferry_id_leases WHERE tbl = ?",
                                            {table})->as_int();
        CHECK(left_a >= small.lease_low_water);
        auto r = a.store().query("SELECT next_id, last_id FROM ferry_id_leases WHERE tbl = ?", {table});
        for (const auto& row : r.rows) {
            auto lo = row[0].as_int(), hi = row[1].as_int();
            const std::string present = db.scalar(std::string("SELECT count(*) FROM \"") + table + "\" WHERE id BETWEEN " +
                                                  std::to_string(lo) + " AND " + std::to_string(hi));
            CHECK(present == "0");
            CHECK(b.store().query_value("SELECT count(*) FROM ferry_id_leases WHERE tbl = ? AND next_id <= ? AND last_id >= ?",
                                        {table, hi, lo})->as_int() == 0);
        }
    }
}

TEST_CASE("devlog: an exhausted id lease fails with lease_exhausted and a message saying to sync",
          "[integration][roundtrip]") {
    PgDatabase db;
    install(db, "devlog");
    Device a(db, "devlog");
    Store& s = a.store();
    const auto insert_project = [&](const std::string& n) {
        s.execute("INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") VALUES (?, ?, ?, 'o', ?)",
                  {n, "o/" + n, "https://github.com/o/" + n, n});
    };

    SECTION("a store that never synced has no ids at all") {
        try {
            insert_project("p0");
            FAIL("an insert without a leased id succeeded");
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ferry::ErrorCode::lease_exhausted);
            CHECK(std::string(e.what()).find("projects") != std::string::npos);
            CHECK(std::string(e.what()).find("sync") != std::string::npos);
        }
        CHECK(count(s, "projects") == 0);
        CHECK(s.status().pending_changes == 0);
    }

    SECTION("a lease of three ids gives three rows, then lease_exhausted; syncing leases more") {
        ferry::SyncOptions tiny;
        tiny.lease_block = 3;
        tiny.lease_low_water = 1;
        // Three ids for each integer-key table: projects, machines, workspaces, chat_sessions, devlog_entries.
        CHECK(ferry::SyncClient(s, a.transport(), tiny).lease_ids() == 3 * 5);
        auto ids_left = [&](const std::string& table) {
            for (const auto& t : s.status().tables)
                if (t.name == table) return t.leased_ids_left;
            return std::int64_t{-2};
        };
        CHECK(ids_left("projects") == 3);
        CHECK(ids_left("machine_projects") == -1);  // no leased key (a composite one): not shown
        for (int i = 0; i < 3; ++i) insert_project("p" + std::to_string(i));
        CHECK(ids_left("projects") == 0);
        CHECK(ids_left("machines") == 3);
        std::string message;
        try {
            insert_project("p3");
            FAIL("a fourth insert with three leased ids succeeded");
        } catch (const ferry::Error& e) {
            message = e.what();
            CHECK(e.code() == ferry::ErrorCode::lease_exhausted);
            CHECK_FALSE(e.is_transient());
        }
        INFO(message);
        CHECK(message.find("no leased ids left for table projects") != std::string::npos);
        CHECK(message.find("sync") != std::string::npos);
        // Nothing of the failed insert remains; the other tables still have their ids.
        CHECK(count(s, "projects") == 3);
        CHECK(s.status().pending_changes == 3);
        CHECK_NOTHROW(dl::register_machine(s, dl_machine("m", "h", "linux")));
        // The typed helper reports the same.
        try {
            dl::upsert_project(s, dl_project("p3", "o/p3"));
            FAIL("upsert_project without a leased id succeeded");
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ferry::ErrorCode::lease_exhausted);
            CHECK(std::string(e.what()).find("sync") != std::string::npos);
        }

        // Online again: the sync pushes the three rows and leases a new block.
        auto r = sync_clean(a, tiny);
        CHECK(r.leased >= 3);
        pg_expect(db, "SELECT count(*) FROM projects", "3");
        CHECK_NOTHROW(insert_project("p3"));
        const auto used = db.scalar("SELECT string_agg(id::text, ',') FROM projects");
        const auto new_id = s.query_value("SELECT id FROM projects WHERE name = 'p3'")->as_int();
        INFO("ids in the cloud: " << used << "; new id " << new_id);
        CHECK(db.scalar("SELECT count(*) FROM projects WHERE id = " + std::to_string(new_id)) == "0");
        sync_clean(a, tiny);
        pg_expect(db, "SELECT count(*) FROM projects", "4");
        pg_expect(db, "SELECT name FROM projects WHERE id = " + std::to_string(new_id), "'p3'");
    }
}
