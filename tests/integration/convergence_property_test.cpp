// tests/integration/convergence_property_test.cpp: a property test of convergence and of who wins.
// Several replicas of the december app and a web app writing plain SQL in PostgreSQL do random
// inserts, updates, deletes and unique-key clashes, and sync in random orders with interruptions
// (push only, pull only, lost push and pull responses, restarts, small batches and pages). Also
// in the random operations:
//   - every device's wall clock has its own offset from the real time (some ahead, all inside the
//     server's 5-minute skew limit), moves randomly, and several clocks are sometimes brought to
//     one exact value, so that only the site id orders their next writes;
//   - SQLite conflict clauses and upserts (INSERT OR REPLACE, REPLACE INTO, UPDATE OR REPLACE,
//     INSERT ... ON CONFLICT DO UPDATE) on the devices, INSERT ... ON CONFLICT in the cloud;
//   - SQL NULL and JSON null (the text 'null') in JSON columns, and changes between the two;
//   - values only the cloud refuses: a NUL character in text, an integer out of PostgreSQL's range;
//   - TRUNCATE in the cloud;
//   - replicas that join during the round and whose first snapshot is interrupted (a lost page,
//     a restart) and goes on later, with local writes made in between;
//   - two syncers of one store (two handles on one file, as an app and a daemon) syncing at once.
// When everyone has synced until quiet, every replica, a fresh replica and PostgreSQL itself must
// hold the same rows and nothing may be pending; and PostgreSQL must hold what an LWW oracle says:
// the oracle records every write with its clock (a device's from its change log right after the
// write, a cloud write's from ferry.rows right after it commits), and expects per column the value
// of the accepted write with the greatest (hlc, site); a row exists when its latest insert is newer
// than its latest delete (deletes win over updates; docs/protocol.md "Conflict rules"), and not
// when its parent is gone. Writes that the server rejected (listed in ferry_rejected of the device
// that made them) are left out, watched batch by batch (each push answer and pull page); every
// rejection must be explained (a unique value another row kept, a parent that is gone, a value the
// cloud refuses: invalid_argument naming the column), must throw away only writes that caused it,
// and is listed once; every pushed value the cloud refuses must be listed (or have lost LWW). Every
// change a device or the cloud makes must be captured (a log entry, a clock in ferry.rows). After
// every sync a device's clock must be past every clock of the rows it received (HLC's receive
// rule, DESIGN.md decision 1). A second property test does the same for counter columns (aiflowo
// "Tool"."usageCount", with LWW edits of the same rows): every replica must end with the seeded
// value plus the sum of every accepted increment.
//
// The seed of each round is printed, and on failure the operation log of the round (the writes
// numbered #n, as the oracle's explanations name them). Replay one round with
// FERRY_PROPERTY_SEED=<seed> (the same operations and keys; site ids and the real clock still
// differ between runs). The default run is 10 rounds of 120 operations (december) and 6 rounds of
// 80 (counters), about 40 s; the long run sets FERRY_PROPERTY_ROUNDS=<n> (rounds of each test, e.g.
// 200) and FERRY_PROPERTY_OPS=<n> (operations per round); print every round's log with
// FERRY_PROPERTY_VERBOSE=1; turn kinds of operations off with FERRY_PROPERTY_WITHOUT=<list>:
// swap, replace, pull-only, lost-push, conflict-clause, json-null, refused, truncate, join,
// two-syncers, ahead (clocks ahead of the real time).
//
// Below the property tests: the divergences they found (and a few found while reading the code
// behind them), each minimised to a small deterministic scenario that states what it expects.
#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "lib/store/store_impl.hpp"
#include "tests/support/device.hpp"
#include "tests/support/store_checks.hpp"

using ferry::FakeClock;
using ferry::Store;
using ferry::Value;
using ferry::test::columns_of;
using ferry::test::Device;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {

using json = nlohmann::json;

const std::vector<std::string> k_tables = {"users",    "sessions",      "containers",
                                           "projects", "chat_messages", "file_storage"};

/// Device clocks stay at most this far ahead of the real time: inside the server's 5-minute skew
/// limit, with room for the round's own duration.
constexpr std::int64_t k_max_ahead_ms = 270'000;

std::int64_t real_now_ms() { return ferry::SystemClock::instance().now_ms(); }

std::string short_id(const std::string& id) { return id.substr(0, 8); }

std::string quoted(const std::string& name) { return "\"" + name + "\""; }

/// Text for messages: NUL characters made visible.
std::string printable(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '\0' ? std::string("\\0") : std::string(1, c);
    return out;
}

/// FERRY_PROPERTY_WITHOUT=swap,replace,... turns kinds of operations off, to look past a known
/// failure for others. Every kind is on by default.
bool enabled(const std::string& kind) {
    const char* off = std::getenv("FERRY_PROPERTY_WITHOUT");
    if (!off) return true;
    const std::string list = "," + std::string(off) + ",";
    return list.find("," + kind + ",") == std::string::npos;
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_gen(seed) {}
    int below(int n) { return n <= 1 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(m_gen); }
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(m_gen);
    }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(m_gen) < p; }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(below(static_cast<int>(v.size())))];
    }
    /// A lowercase RFC 4122 v4 uuid drawn from the seeded generator, so a replayed seed makes the
    /// same keys (and picks the same rows).
    std::string uuid() {
        unsigned char b[16];
        for (auto& x : b) x = static_cast<unsigned char>(m_gen() & 0xff);
        b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
        b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
        static const char* hex = "0123456789abcdef";
        std::string out;
        for (int i = 0; i < 16; ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
            out += hex[b[i] >> 4];
            out += hex[b[i] & 15];
        }
        return out;
    }

private:
    std::mt19937_64 m_gen;
};

/// Forwards calls; can lose the response of the next push (after the server committed it), of
/// the next pull, or of the n-th pull from now (a snapshot interrupted after some pages), as a
/// dropped connection would.
class FlakyTransport : public ferry::Transport {
public:
    explicit FlakyTransport(ferry::Transport& inner) : m_inner(inner) {}
    bool lose_push_response = false;
    bool lose_pull_response = false;
    int lose_pull_at = 0;
    std::string call(const std::string& endpoint, const std::string& request) override {
        auto response = m_inner.call(endpoint, request);
        bool lose = (endpoint == "push" && lose_push_response) || (endpoint == "pull" && lose_pull_response);
        if (endpoint == "pull" && lose_pull_at > 0 && --lose_pull_at == 0) lose = true;
        if (lose) {
            lose_push_response = lose_pull_response = false;
            lose_pull_at = 0;
            throw ferry::Error(ferry::ErrorDomain::postgres, ferry::ErrorCode::connection,
                               "connection lost after the server answered (simulated)");
        }
        return response;
    }

private:
    ferry::Transport& m_inner;
};

/// One SQL statement with '?' placeholders and its values in device form.
struct Stmt {
    std::string sql;
    std::vector<Value> params;
};

/// Something that writes app data: a device through its store, or the web app through plain SQL
/// on PostgreSQL.
class Writer {
public:
    virtual ~Writer() = default;
    virtual const std::string& name() const = 0;
    virtual bool is_web() const = 0;
    /// Primary keys (the "id" column) of `table` as this writer sees them, sorted.
    virtual std::vector<std::string> ids(const std::string& table) = 0;
    /// A column of one row as text, as this writer sees it (nullopt: NULL or no row).
    virtual std::optional<std::string> text_of(const std::string& table, const std::string& column,
                                               const std::string& id) = 0;
    /// Runs the statements in one transaction; throws on failure (nothing is kept then).
    virtual void run(const std::vector<Stmt>& statements) = 0;
};

class DeviceWriter : public Writer {
public:
    DeviceWriter(std::string name, Device& device) : m_name(std::move(name)), m_device(device) {}
    const std::string& name() const override { return m_name; }
    bool is_web() const override { return false; }
    std::vector<std::string> ids(const std::string& table) override {
        std::vector<std::string> out;
        for (const auto& r : m_device.store().query("SELECT id FROM " + quoted(table) + " ORDER BY id").rows)
            out.push_back(r[0].as_text());
        return out;
    }
    std::optional<std::string> text_of(const std::string& table, const std::string& column,
                                       const std::string& id) override {
        auto v = m_device.store().query_value("SELECT " + quoted(column) + " FROM " + quoted(table) + " WHERE id = ?", {id});
        if (!v || v->is_null()) return std::nullopt;
        return v->as_text();
    }
    void run(const std::vector<Stmt>& statements) override {
        m_device.store().transaction([&] {
            for (const auto& s : statements) m_device.store().execute(s.sql, s.params);
        });
    }

private:
    std::string m_name;
    Device& m_device;
};

class WebWriter : public Writer {
public:
    explicit WebWriter(const PgDatabase& db) : m_conn(db.conninfo()) {}
    const std::string& name() const override { return m_name; }
    bool is_web() const override { return true; }
    std::vector<std::string> ids(const std::string& table) override {
        pqxx::work tx(m_conn);
        std::vector<std::string> out;
        for (const auto& r : tx.exec("SELECT id::text FROM " + quoted(table) + " ORDER BY id::text")) out.push_back(r[0].c_str());
        tx.commit();
        return out;
    }
    std::optional<std::string> text_of(const std::string& table, const std::string& column,
                                       const std::string& id) override {
        pqxx::work tx(m_conn);
        auto r = tx.exec("SELECT " + quoted(column) + "::text FROM " + quoted(table) + " WHERE id::text = " + tx.quote(id));
        tx.commit();
        if (r.empty() || r[0][0].is_null()) return std::nullopt;
        return std::string(r[0][0].c_str());
    }
    void run(const std::vector<Stmt>& statements) override {
        pqxx::work tx(m_conn);
        for (const auto& s : statements) tx.exec(bind(tx, s));
        tx.commit();
    }

private:
    /// Values become quoted literals (PostgreSQL casts '1' to boolean, '3000' to integer, ...).
    static std::string bind(pqxx::work& tx, const Stmt& s) {
        std::string out;
        std::size_t next = 0;
        for (char c : s.sql) {
            if (c != '?') {
                out += c;
                continue;
            }
            const Value& v = s.params.at(next++);
            if (v.is_null()) out += "NULL";
            else if (v.type() == Value::Type::integer) out += tx.quote(std::to_string(v.as_int()));
            else out += tx.quote(v.as_text());
        }
        return out;
    }
    std::string m_name = "web";
    pqxx::connection m_conn;
};

struct Replica {
    std::string name;
    std::int64_t offset = 0;  ///< its wall clock's offset from the real time, in ms
    std::unique_ptr<FakeClock> clock;
    std::unique_ptr<Device> device;
    std::unique_ptr<FlakyTransport> transport;
    std::unique_ptr<DeviceWriter> writer;
    /// The push batch in flight (its answer lost) and the step at which it was cut.
    std::int64_t inflight_seq = 0;
    int inflight_step = 0;
    /// A second handle on the same store file with its own transport (another process syncing
    /// the same store, as a daemon next to the app). Declared last: closed first.
    std::unique_ptr<Store> second;
    std::unique_ptr<ferry::Transport> second_transport;
    Store& store() { return device->store(); }
};

/// Moves a replica's wall clock forward by `ms` from where it is (at least its offset from the
/// real time), never more than k_max_ahead_ms ahead of the real time.
void advance(Replica& r, std::int64_t ms) {
    const std::int64_t now = real_now_ms();
    r.clock->set(std::min(std::max(r.clock->now_ms(), now + r.offset) + ms, now + k_max_ahead_ms));
}

// ---------------------------------------------------------------------------------------------
// Values: small domains, so that concurrent writers often write the same column, the same value,
// or the same unique key.

const std::vector<std::string> k_timestamps = {"2024-01-01T00:00:00.000Z", "2024-06-30T12:34:56.789Z",
                                               "2025-02-03T04:05:06.007Z"};

std::string email(Rng& rng) { return "u" + std::to_string(rng.below(6)) + "@example.com"; }
std::string docker_id(Rng& rng) { return "dock-" + std::to_string(rng.below(6)); }

/// A text PostgreSQL cannot store (a NUL character); SQLite keeps it.
Value nul_text(Rng& rng) { return Value(std::string("bad\0nul", 7) + std::to_string(rng.below(3))); }
/// An integer outside PostgreSQL's integer (int4) range.
constexpr std::int64_t k_out_of_range = 3'000'000'000;

/// A random value for a column that a device or the web app may write.
Value column_value(Rng& rng, const std::string& table, const std::string& col, Writer& w) {
    auto maybe_null = [&](Value v) { return rng.chance(0.2) ? Value() : v; };
    auto parent = [&](const std::string& t) -> Value {
        auto ids = w.ids(t);
        if (ids.empty() || rng.chance(0.1)) return Value();
        return Value(rng.pick(ids));
    };
    if (col == "email") return Value(email(rng));
    if (col == "container_id" && table == "containers") return Value(docker_id(rng));
    if (col == "container_id") return parent("containers");
    if (col == "user_id") return parent("users");
    if (col == "name" || col == "file_name") return Value("n" + std::to_string(rng.below(4)));
    if (col == "avatar_url" || col == "url") return maybe_null(Value("https://x.test/" + std::to_string(rng.below(3))));
    if (col == "description" || col == "user_agent") return maybe_null(Value("d" + std::to_string(rng.below(3))));
    if (col == "status") return Value(rng.pick(std::vector<std::string>{"created", "running", "stopped"}));
    if (col == "type") return Value(rng.pick(std::vector<std::string>{"nextjs", "react", "vue"}));
    if (col == "image_name") return maybe_null(Value(rng.pick(std::vector<std::string>{"node:20", "python:3"})));
    if (col == "assigned_port") return maybe_null(Value(static_cast<std::int64_t>(3000 + rng.below(3))));
    if (col == "file_size") return maybe_null(Value(static_cast<std::int64_t>(rng.below(3) * 1024)));
    if (col == "mime_type") return maybe_null(Value(rng.pick(std::vector<std::string>{"text/plain", "image/png"})));
    if (col == "file_path") return Value("/src/" + std::to_string(rng.below(3)));
    if (col == "is_active" || col == "is_deleted") return Value(static_cast<std::int64_t>(rng.below(2)));
    if (col == "last_login" || col == "started_at" || col == "expires_at" || col == "last_activity")
        return col == "expires_at" ? Value(rng.pick(k_timestamps)) : maybe_null(Value(rng.pick(k_timestamps)));
    // Values an app may spell otherwise than PostgreSQL prints them: every replica must still
    // end with PostgreSQL's spelling (docs/protocol.md).
    if (col == "ip_address")
        return maybe_null(Value(rng.pick(std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/32", "10.0.0.1"})));
    // JSON columns: SQL NULL and JSON null ('null') are different values (DESIGN.md decision 3).
    if (col == "labels" || col == "metadata" || col == "settings" || col == "attachments") {
        if (enabled("json-null") && rng.chance(0.2)) return rng.chance(0.5) ? Value() : Value("null");
        if (col == "attachments") return Value(rng.pick(std::vector<std::string>{"[]", "[\"f.txt\"]", "[\"f.txt\" ]"}));
        return Value(rng.pick(std::vector<std::string>{"{}", "{\"a\": 1}", "{\"b\": [1, 2]}", "{\"a\":1}"}));
    }
    if (col == "session_id") return Value("s" + std::to_string(rng.below(3)));
    if (col == "role") return Value(rng.pick(std::vector<std::string>{"user", "assistant"}));
    if (col == "content") return Value("c" + std::to_string(rng.below(4)));
    throw std::logic_error("no generator for " + table + "." + col);
}

const std::map<std::string, std::vector<std::string>> k_updatable = {
    {"users", {"email", "name", "avatar_url", "last_login", "is_active"}},
    {"sessions", {"expires_at", "last_activity", "ip_address", "user_agent", "is_active"}},
    {"containers",
     {"name", "status", "image_name", "assigned_port", "url", "started_at", "labels", "metadata", "user_id",
      "container_id"}},
    {"projects", {"name", "description", "type", "status", "metadata", "settings", "container_id", "user_id"}},
    {"chat_messages", {"content", "role", "session_id", "attachments", "metadata"}},
    {"file_storage", {"file_path", "file_name", "file_size", "mime_type", "is_deleted", "container_id"}},
};

const std::map<std::string, std::vector<std::string>> k_hot = {
    {"users", {"name", "email", "avatar_url"}}, {"sessions", {"user_agent", "is_active"}},
    {"containers", {"name", "status", "labels"}}, {"projects", {"name", "status", "metadata"}},
    {"chat_messages", {"content", "role"}},      {"file_storage", {"file_name", "file_size"}},
};

/// JSON columns of december, for the JSON-null operation.
const std::vector<std::pair<std::string, std::string>> k_json_columns = {
    {"containers", "labels"}, {"containers", "metadata"},      {"projects", "metadata"},
    {"projects", "settings"}, {"chat_messages", "attachments"}, {"chat_messages", "metadata"}};

std::string describe(const Value& v) { return v.is_null() ? "NULL" : printable(v.to_string()); }

/// What the round remembers to explain rejected writes: which rows were ever given each unique
/// value, which rows (users, containers: the tables with unique values) each device removed and
/// when, and when each device last gave a row a unique value (a write counter orders them).
struct Ledger {
    std::map<std::string, std::set<std::string>> holders;  // "email=..." / "container_id=..." -> row ids
    std::map<std::string, std::map<std::string, int>> removed;  // device -> id it deleted -> when
    std::map<std::string, std::map<std::string, int>> gave;     // device -> id it gave a unique value -> when
    std::map<std::string, int> given;                           // id -> when any writer last gave it a unique value
    int clock = 0;
    void wrote(const std::string& column, const Value& v, const std::string& row) {
        if (!v.is_null()) holders[column + "=" + v.as_text()].insert(row);
    }
};

/// What a random write did: its description, and the keys it re-created in place (a REPLACE of
/// an existing row deletes it and inserts a new one: for sync, an insert with a new clock).
struct WriteOutcome {
    std::string what;
    std::set<std::pair<std::string, std::string>> recreated;  // (table, id)
};

/// One random december write by `w`.
WriteOutcome random_write(Rng& rng, Writer& w, Ledger& ledger) {
    WriteOutcome out;
    int kind = rng.below(100);
    // Kinds turned off fall back to an insert, update or delete.
    if ((kind >= 76 && kind < 81 && !enabled("replace")) || (kind >= 81 && kind < 86 && !enabled("swap")) ||
        (kind >= 86 && kind < 93 && !enabled("conflict-clause")) || (kind >= 93 && kind < 96 && !enabled("json-null")) ||
        (kind >= 96 && w.is_web() && !enabled("truncate")) || (kind >= 96 && !w.is_web() && !enabled("refused")))
        kind = kind % 76;
    std::vector<Stmt> stmts;
    std::string& what = out.what;
    std::vector<std::tuple<std::string, Value, std::string>> unique_values;  // column, value, row
    if (kind < 36) {
        // Insert a row; children go under a parent this writer sees (another may be deleting it).
        static const std::vector<std::string> tables = {"users",    "containers",    "containers",  "projects",
                                                        "projects", "chat_messages", "file_storage", "sessions"};
        std::string t = rng.pick(tables);
        if (t == "sessions" && !w.is_web()) t = "chat_messages";  // devices cannot create sessions (token)
        const std::string id = rng.uuid();
        if (t == "users") {
            Value e = column_value(rng, t, "email", w);
            stmts.push_back({"INSERT INTO users(id, email, name, is_active) VALUES (?, ?, ?, ?)",
                             {id, e, column_value(rng, t, "name", w), column_value(rng, t, "is_active", w)}});
            unique_values.emplace_back("email", e, id);
        } else if (t == "containers") {
            Value d = column_value(rng, t, "container_id", w);
            stmts.push_back({"INSERT INTO containers(id, container_id, name, status, user_id, labels) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             {id, d, column_value(rng, t, "name", w), column_value(rng, t, "status", w),
                              column_value(rng, t, "user_id", w), column_value(rng, t, "labels", w)}});
            unique_values.emplace_back("container_id", d, id);
        } else if (t == "projects") {
            stmts.push_back({"INSERT INTO projects(id, container_id, name, type, user_id) VALUES (?, ?, ?, ?, ?)",
                             {id, column_value(rng, t, "container_id", w), column_value(rng, t, "name", w),
                              column_value(rng, t, "type", w), column_value(rng, t, "user_id", w)}});
        } else if (t == "chat_messages") {
            stmts.push_back({"INSERT INTO chat_messages(id, container_id, session_id, role, content) "
                             "VALUES (?, ?, ?, ?, ?)",
                             {id, column_value(rng, t, "container_id", w), column_value(rng, t, "session_id", w),
                              column_value(rng, t, "role", w), column_value(rng, t, "content", w)}});
        } else if (t == "file_storage") {
            stmts.push_back({"INSERT INTO file_storage(id, container_id, file_path, file_name, file_size) "
                             "VALUES (?, ?, ?, ?, ?)",
                             {id, column_value(rng, t, "container_id", w), column_value(rng, t, "file_path", w),
                              column_value(rng, t, "file_name", w), column_value(rng, t, "file_size", w)}});
        } else {
            stmts.push_back({"INSERT INTO sessions(id, user_id, token, expires_at, ip_address) VALUES (?, ?, ?, ?, ?)",
                             {id, column_value(rng, t, "user_id", w), "tok-" + rng.uuid(),
                              column_value(rng, t, "expires_at", w), column_value(rng, t, "ip_address", w)}});
        }
        what = "insert " + t + " " + short_id(id);
        for (const auto& v : stmts[0].params) what += " " + (v.is_null() ? "NULL" : short_id(v.to_string()));
    } else if (kind < 64) {
        // Update 1-3 random columns of a random row; often the few "hot" columns, so that
        // replicas write the same column of the same row concurrently.
        std::vector<std::string> candidates;
        for (const auto& t : k_tables)
            if (!w.ids(t).empty()) candidates.push_back(t);
        if (candidates.empty()) return {"update: no row", {}};
        const std::string t = rng.pick(candidates);
        auto ids = w.ids(t);
        const std::string id = rng.pick(ids);
        const bool hot = rng.chance(0.6);
        const auto& cols = hot ? k_hot.at(t) : k_updatable.at(t);
        std::set<std::string> chosen;
        const int n = 1 + rng.below(hot ? 2 : 3);
        for (int i = 0; i < n; ++i) chosen.insert(rng.pick(cols));
        std::string sets;
        std::vector<Value> params;
        what = "update " + t + " " + short_id(id) + " set";
        for (const auto& c : chosen) {
            sets += (sets.empty() ? "" : ", ") + c + " = ?";
            params.push_back(column_value(rng, t, c, w));
            what += " " + c + "=" + describe(params.back());
            // Only a write that really changes a unique value can take it from someone else.
            if ((c == "email" || (t == "containers" && c == "container_id")) && !params.back().is_null() &&
                w.text_of(t, c, id) != params.back().as_text())
                unique_values.emplace_back(c, params.back(), id);
        }
        params.push_back(id);
        stmts.push_back({"UPDATE " + t + " SET " + sets + " WHERE id = ?", params});
    } else if (kind < 76) {
        // Delete a row; parents (users, containers) more often, with whatever hangs below them.
        static const std::vector<std::string> tables = {"users",    "containers",    "containers",   "projects",
                                                        "sessions", "chat_messages", "file_storage", "projects"};
        const std::string t = rng.pick(tables);
        auto ids = w.ids(t);
        if (ids.empty()) return {"delete " + t + ": no row", {}};
        const std::string id = rng.pick(ids);
        stmts.push_back({"DELETE FROM " + t + " WHERE id = ?", {id}});
        what = "delete " + t + " " + short_id(id);
    } else if (kind < 81) {
        // Replace a user: delete it and create another with the same email, in one transaction.
        auto ids = w.ids("users");
        if (ids.empty()) return {"replace user: no row", {}};
        const std::string old_id = rng.pick(ids);
        auto e = w.text_of("users", "email", old_id);
        if (!e) return {"replace user: no email", {}};
        const std::string id = rng.uuid();
        stmts.push_back({"DELETE FROM users WHERE id = ?", {old_id}});
        stmts.push_back({"INSERT INTO users(id, email, name) VALUES (?, ?, 'replacement')", {id, *e}});
        unique_values.emplace_back("email", Value(*e), id);
        what = "replace user " + short_id(old_id) + " by " + short_id(id) + " with email " + *e;
    } else if (kind < 86) {
        // Swap the emails of two users through a temporary value, in one transaction.
        auto ids = w.ids("users");
        if (ids.size() < 2) return {"swap emails: fewer than two users", {}};
        const std::string a = rng.pick(ids);
        std::string b = rng.pick(ids);
        if (a == b) return {"swap emails: same user", {}};
        auto ea = w.text_of("users", "email", a), eb = w.text_of("users", "email", b);
        if (!ea || !eb) return {"swap emails: no email", {}};
        const std::string tmp = "swap-" + short_id(a) + "@example.com";
        stmts.push_back({"UPDATE users SET email = ? WHERE id = ?", {tmp, a}});
        stmts.push_back({"UPDATE users SET email = ? WHERE id = ?", {*ea, b}});
        stmts.push_back({"UPDATE users SET email = ? WHERE id = ?", {*eb, a}});
        unique_values.emplace_back("email", Value(*ea), b);
        unique_values.emplace_back("email", Value(*eb), a);
        unique_values.emplace_back("email", Value(tmp), a);
        what = "swap emails of " + short_id(a) + " (" + *ea + ") and " + short_id(b) + " (" + *eb + ")";
    } else if (kind < 93) {
        // Conflict clauses: SQLite's REPLACE (the row in the way is deleted, with its cascades) and
        // upserts on a device; INSERT ... ON CONFLICT in the cloud.
        auto users = w.ids("users");
        auto containers = w.ids("containers");
        const int variant = rng.below(6);
        if (w.is_web()) {
            if (variant < 3 && !users.empty()) {
                const std::string id = rng.pick(users);
                Value e = column_value(rng, "users", "email", w);
                stmts.push_back({"INSERT INTO users(id, email, name, avatar_url) VALUES (?, ?, ?, ?) "
                                 "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, avatar_url = EXCLUDED.avatar_url",
                                 {id, e, column_value(rng, "users", "name", w), column_value(rng, "users", "avatar_url", w)}});
                what = "upsert users " + short_id(id) + " on conflict (id) do update name, avatar_url";
            } else if (variant < 5) {
                const std::string id = rng.uuid();
                Value e = column_value(rng, "users", "email", w);
                bool held = false;
                for (const auto& u : users) held = held || w.text_of("users", "email", u) == e.as_text();
                stmts.push_back({"INSERT INTO users(id, email, name) VALUES (?, ?, ?) "
                                 "ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name",
                                 {id, e, column_value(rng, "users", "name", w)}});
                if (!held) unique_values.emplace_back("email", e, id);
                what = "upsert users " + short_id(id) + " email " + e.as_text() + " on conflict (email) do update name";
            } else {
                if (containers.empty()) return {"upsert container: no row", {}};
                const std::string id = rng.pick(containers);
                stmts.push_back({"INSERT INTO containers(id, container_id, name, status, labels) VALUES (?, ?, ?, ?, ?) "
                                 "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, labels = EXCLUDED.labels",
                                 {id, column_value(rng, "containers", "container_id", w), "n0",
                                  column_value(rng, "containers", "status", w), column_value(rng, "containers", "labels", w)}});
                what = "upsert containers " + short_id(id) + " on conflict (id) do update status, labels";
            }
        } else if (variant == 0) {
            if (users.empty()) return {"insert or replace user: no row", {}};
            const std::string id = rng.pick(users);
            Value e = rng.chance(0.5) ? Value(*w.text_of("users", "email", id)) : column_value(rng, "users", "email", w);
            stmts.push_back({"INSERT OR REPLACE INTO users(id, email, name, is_active) VALUES (?, ?, ?, ?)",
                             {id, e, column_value(rng, "users", "name", w), column_value(rng, "users", "is_active", w)}});
            out.recreated.emplace("users", id);
            unique_values.emplace_back("email", e, id);
            what = "insert or replace users " + short_id(id) + " email " + e.as_text();
        } else if (variant == 1) {
            if (users.empty()) return {"replace into users: no row", {}};
            const std::string other = rng.pick(users);
            auto e = w.text_of("users", "email", other);
            if (!e) return {"replace into users: no email", {}};
            const std::string id = rng.uuid();
            stmts.push_back({"REPLACE INTO users(id, email, name) VALUES (?, ?, 'replaced')", {id, *e}});
            unique_values.emplace_back("email", Value(*e), id);
            what = "replace into users " + short_id(id) + " with the email of " + short_id(other) + " (" + *e + ")";
        } else if (variant == 2) {
            if (containers.empty()) return {"upsert container: no row", {}};
            const std::string id = rng.pick(containers);
            stmts.push_back({"INSERT INTO containers(id, container_id, name, status) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = excluded.status",
                             {id, column_value(rng, "containers", "container_id", w),
                              column_value(rng, "containers", "name", w), column_value(rng, "containers", "status", w)}});
            what = "upsert containers " + short_id(id) + " on conflict(id) do update name, status";
        } else if (variant == 3) {
            const std::string id = rng.uuid();
            Value e = column_value(rng, "users", "email", w);
            bool held = false;
            for (const auto& u : users) held = held || w.text_of("users", "email", u) == e.as_text();
            stmts.push_back({"INSERT INTO users(id, email, name, avatar_url) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(email) DO UPDATE SET name = excluded.name, avatar_url = excluded.avatar_url",
                             {id, e, column_value(rng, "users", "name", w), column_value(rng, "users", "avatar_url", w)}});
            if (!held) unique_values.emplace_back("email", e, id);
            what = "upsert users " + short_id(id) + " email " + e.as_text() + " on conflict(email) do update name, avatar_url";
        } else if (variant == 4) {
            if (users.size() < 2) return {"update or replace: fewer than two users", {}};
            const std::string a = rng.pick(users), b = rng.pick(users);
            auto eb = w.text_of("users", "email", b);
            if (a == b || !eb) return {"update or replace: same user", {}};
            stmts.push_back({"UPDATE OR REPLACE users SET email = ? WHERE id = ?", {*eb, a}});
            unique_values.emplace_back("email", Value(*eb), a);
            what = "update or replace users " + short_id(a) + " set the email of " + short_id(b) + " (" + *eb + ")";
        } else {
            static const std::vector<std::string> tables = {"file_storage", "chat_messages", "projects"};
            const std::string t = rng.pick(tables);
            auto ids = w.ids(t);
            if (ids.empty()) return {"insert or replace " + t + ": no row", {}};
            const std::string id = rng.pick(ids);
            if (t == "file_storage")
                stmts.push_back({"INSERT OR REPLACE INTO file_storage(id, container_id, file_path, file_name, file_size) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 {id, column_value(rng, t, "container_id", w), column_value(rng, t, "file_path", w),
                                  column_value(rng, t, "file_name", w), column_value(rng, t, "file_size", w)}});
            else if (t == "chat_messages")
                stmts.push_back({"INSERT OR REPLACE INTO chat_messages(id, container_id, session_id, role, content, metadata) "
                                 "VALUES (?, ?, ?, ?, ?, ?)",
                                 {id, column_value(rng, t, "container_id", w), column_value(rng, t, "session_id", w),
                                  column_value(rng, t, "role", w), column_value(rng, t, "content", w),
                                  column_value(rng, t, "metadata", w)}});
            else
                stmts.push_back({"INSERT OR REPLACE INTO projects(id, container_id, name, type, user_id) VALUES (?, ?, ?, ?, ?)",
                                 {id, column_value(rng, t, "container_id", w), column_value(rng, t, "name", w),
                                  column_value(rng, t, "type", w), column_value(rng, t, "user_id", w)}});
            out.recreated.emplace(t, id);
            what = "insert or replace " + t + " " + short_id(id);
        }
    } else if (kind < 96) {
        // A JSON column between SQL NULL and JSON null (and other values).
        const auto& [t, c] = k_json_columns[static_cast<std::size_t>(rng.below(static_cast<int>(k_json_columns.size())))];
        auto ids = w.ids(t);
        if (ids.empty()) return {"json null " + t + ": no row", {}};
        const std::string id = rng.pick(ids);
        const auto now = w.text_of(t, c, id);
        Value v = !now ? Value("null") : *now == "null" ? Value() : rng.chance(0.5) ? Value("null") : Value();
        stmts.push_back({"UPDATE " + t + " SET " + c + " = ? WHERE id = ?", {v, id}});
        what = "update " + t + " " + short_id(id) + " set " + c + " from " + (now ? *now : "NULL") + " to " +
               (v.is_null() ? "SQL NULL" : "JSON null");
    } else if (w.is_web()) {
        // TRUNCATE: every row of a table goes at once (leaf tables; containers with its children).
        const int which = rng.below(4);
        const std::string t = which == 0 ? "chat_messages" : which == 1 ? "file_storage" : which == 2 ? "projects" : "containers";
        stmts.push_back({"TRUNCATE " + t + (t == "containers" ? " CASCADE" : ""), {}});
        what = "truncate " + t;
    } else {
        // Values only the cloud refuses: a NUL character in text, an integer out of range.
        static const std::vector<std::pair<std::string, std::string>> texts = {
            {"users", "name"}, {"containers", "name"}, {"projects", "description"}, {"chat_messages", "content"},
            {"file_storage", "file_name"}};
        const bool nul = rng.chance(0.6);
        if (rng.chance(0.3)) {
            const std::string id = rng.uuid();
            if (nul)
                stmts.push_back({"INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES (?, ?, 's0', 'user', ?)",
                                 {id, column_value(rng, "chat_messages", "container_id", w), nul_text(rng)}});
            else {
                Value d = column_value(rng, "containers", "container_id", w);
                stmts.push_back({"INSERT INTO containers(id, container_id, name, assigned_port) VALUES (?, ?, 'n0', ?)",
                                 {id, d, k_out_of_range}});
                unique_values.emplace_back("container_id", d, id);
            }
            what = std::string("insert ") + (nul ? "chat_messages " : "containers ") + short_id(id) +
                   (nul ? " with a NUL in content" : " with assigned_port out of range");
        } else {
            const auto& [t, c] = nul ? texts[static_cast<std::size_t>(rng.below(static_cast<int>(texts.size())))]
                                     : std::pair<std::string, std::string>("containers", "assigned_port");
            auto ids = w.ids(t);
            if (ids.empty()) return {"refused value " + t + ": no row", {}};
            const std::string id = rng.pick(ids);
            stmts.push_back({"UPDATE " + t + " SET " + c + " = ? WHERE id = ?", {nul ? nul_text(rng) : Value(k_out_of_range), id}});
            what = "update " + t + " " + short_id(id) + " set " + c + (nul ? " with a NUL character" : " out of range");
        }
    }
    try {
        std::set<std::string> before;
        if (!w.is_web())
            for (const char* t : {"users", "containers"})
                for (const auto& id : w.ids(t)) before.insert(id);
        w.run(stmts);
        const int now = ++ledger.clock;
        for (const auto& [c, v, row] : unique_values) {
            ledger.wrote(c, v, row);
            ledger.given[row] = now;
            if (!w.is_web()) ledger.gave[w.name()][row] = now;
        }
        if (!w.is_web()) {
            for (const char* t : {"users", "containers"})
                for (const auto& id : w.ids(t)) before.erase(id);
            for (const auto& id : before) ledger.removed[w.name()].emplace(id, now);
        }
        return out;
    } catch (const std::exception& e) {
        std::string msg = e.what();
        out.what += "  [refused locally: " + printable(msg.substr(0, std::min(msg.find('\n'), msg.find(" (running")))) + "]";
        out.recreated.clear();
        return out;
    }
}

// ---------------------------------------------------------------------------------------------
// What an app looks like to the oracle.

struct AppModel {
    std::string app;
    std::vector<std::string> tables;
    /// table -> (foreign-key column, parent table); the parents delete their children (CASCADE).
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> parents;
    std::set<std::string> json, inet, int4, counters, unique;  // "table.column"
    bool has(const std::set<std::string>& s, const std::string& t, const std::string& c) const {
        return s.count(t + "." + c) > 0;
    }
    /// Columns the oracle does not predict: timestamps the triggers on either side maintain.
    static bool loose(const std::string& column) {
        return column == "created_at" || column == "updated_at" || column == "createdAt" || column == "updatedAt";
    }
};

AppModel december_model() {
    AppModel m;
    m.app = "december";
    m.tables = k_tables;
    m.parents = {{"sessions", {{"user_id", "users"}}},
                 {"containers", {{"user_id", "users"}}},
                 {"projects", {{"container_id", "containers"}, {"user_id", "users"}}},
                 {"chat_messages", {{"container_id", "containers"}}},
                 {"file_storage", {{"container_id", "containers"}}}};
    for (const auto& [t, c] : k_json_columns) m.json.insert(t + "." + c);
    m.inet = {"sessions.ip_address"};
    m.int4 = {"containers.assigned_port"};
    m.unique = {"users.email", "containers.container_id"};
    return m;
}

AppModel aiflowo_model() {
    AppModel m;
    m.app = "aiflowo";
    m.tables = {"Tool"};
    m.json = {"Tool.schema"};
    m.int4 = {"Tool.usageCount"};
    m.counters = {"Tool.usageCount"};
    m.unique = {"Tool.name"};
    return m;
}

// ---------------------------------------------------------------------------------------------
// Snapshots: every synced table as id -> column -> value, in device form.

using Cells = std::map<std::string, std::string>;   // column -> rendered value
using TableRows = std::map<std::string, Cells>;     // id -> row
using Snapshot = std::map<std::string, TableRows>;  // table -> rows

std::string render(const Value& v) {
    switch (v.type()) {
    case Value::Type::null: return "NULL";
    case Value::Type::integer: return "i:" + std::to_string(v.as_int());
    case Value::Type::real: return "r:" + std::to_string(v.as_real());
    case Value::Type::text: return "s:" + v.as_text();
    case Value::Type::blob: return "b:" + v.to_string();
    }
    return "?";
}

std::string row_text(const Cells& row) {
    std::string out;
    for (const auto& [c, v] : row) out += c + "=" + printable(v) + "; ";
    return out;
}

std::string key_json(const std::string& id) { return json::array({id}).dump(); }

Snapshot device_snapshot(Store& s, const std::vector<std::string>& tables) {
    Snapshot out;
    for (const auto& t : tables) {
        auto& rows = out[t];
        auto r = s.query("SELECT * FROM " + quoted(t));
        const auto id = r.column_index("id");
        for (const auto& row : r.rows) {
            Cells cells;
            for (std::size_t i = 0; i < r.columns.size(); ++i) cells[r.columns[i]] = render(row[i]);
            rows[row[id].as_text()] = std::move(cells);
        }
    }
    return out;
}

/// A (hlc, site) clock: the total order of writes.
struct Clk {
    std::int64_t hlc = 0;
    std::string site;
};
bool operator<(const Clk& a, const Clk& b) { return a.hlc != b.hlc ? a.hlc < b.hlc : a.site < b.site; }
bool operator==(const Clk& a, const Clk& b) { return a.hlc == b.hlc && a.site == b.site; }

std::int64_t g_epoch_ms = 0;  ///< the round's start, so that clocks print short
std::string show(const Clk& c) {
    std::ostringstream o;
    o << (ferry::hlc::physical_ms(c.hlc) - g_epoch_ms) << "ms";
    if (ferry::hlc::counter(c.hlc)) o << "+" << ferry::hlc::counter(c.hlc);
    o << "/" << (c.site == "server" ? "server" : c.site.substr(0, 6));
    return o.str();
}

/// The clocks ferry.rows records for one row.
struct RowClocks {
    std::map<std::string, Clk> columns;
    std::optional<Clk> created;
    std::optional<Clk> deleted;
    std::int64_t newest() const {
        std::int64_t h = 0;
        for (const auto& [c, k] : columns) h = std::max(h, k.hlc);
        if (created) h = std::max(h, created->hlc);
        if (deleted) h = std::max(h, deleted->hlc);
        return h;
    }
};
using ClockMap = std::map<std::pair<std::string, std::string>, RowClocks>;  // (table, id)

/// PostgreSQL read directly: the app's tables converted to the device form (docs/protocol.md:
/// uuid and text as text, inet without a full mask, timestamps as ISO-8601 UTC with milliseconds,
/// booleans 0/1, jsonb as its text), for the columns the device has (sessions.token stays on the
/// server), and Ferry's clocks.
class ServerReader {
public:
    ServerReader(const PgDatabase& db, Store& reference, const AppModel& model) : m_conn(db.conninfo()), m_model(model) {
        pqxx::work tx(m_conn);
        for (const auto& t : model.tables) {
            std::map<std::string, std::string> types;
            for (const auto& r : tx.exec("SELECT column_name, data_type FROM information_schema.columns "
                                         "WHERE table_schema = 'public' AND table_name = " + tx.quote(t)))
                types[r[0].c_str()] = r[1].c_str();
            TableSql& sql = m_sql[t];
            sql.columns = columns_of(reference, t);
            for (const auto& col : sql.columns) {
                const auto& type = types.at(col);
                const std::string q = quoted(col);
                std::string e;
                if (type == "timestamp with time zone")
                    e = "to_char(" + q + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
                else if (type == "timestamp without time zone")
                    e = "to_char(" + q + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
                else if (type == "boolean")
                    e = "(CASE WHEN " + q + " THEN '1' WHEN NOT " + q + " THEN '0' END)";
                else if (type == "inet")
                    e = "(CASE WHEN masklen(" + q + ") = 32 AND family(" + q + ") = 4 THEN host(" + q + ") "
                        "WHEN masklen(" + q + ") = 128 THEN host(" + q + ") ELSE " + q + "::text END)";
                else
                    e = q + "::text";
                sql.integer.push_back(type == "boolean" || type == "integer" || type == "bigint" || type == "smallint");
                sql.select += (sql.select.empty() ? "" : ", ") + e;
            }
        }
        tx.commit();
    }

    Snapshot read() {
        Snapshot out;
        pqxx::work tx(m_conn);
        for (const auto& t : m_model.tables) {
            const TableSql& sql = m_sql.at(t);
            auto& rows = out[t];
            for (const auto& r : tx.exec("SELECT id::text, " + sql.select + " FROM " + quoted(t))) {
                Cells cells;
                for (std::size_t i = 0; i < sql.columns.size(); ++i) {
                    const auto& f = r[static_cast<int>(i + 1)];
                    cells[sql.columns[i]] = f.is_null() ? "NULL" : (sql.integer[i] ? "i:" : "s:") + std::string(f.c_str());
                }
                rows[r[0].c_str()] = std::move(cells);
            }
        }
        tx.commit();
        return out;
    }

    ClockMap clocks() {
        ClockMap out;
        pqxx::work tx(m_conn);
        for (const auto& r : tx.exec("SELECT tbl, pk ->> 0, clocks::text, created_hlc, created_site, deleted_hlc, "
                                     "deleted_site FROM ferry.rows")) {
            RowClocks& rc = out[{r[0].c_str(), r[1].c_str()}];
            const json parsed = json::parse(r[2].c_str());
            for (const auto& [col, v] : parsed.items())
                if (v.is_array() && v.size() == 2) rc.columns[col] = Clk{v[0].get<std::int64_t>(), v[1].get<std::string>()};
            if (r[3].as<std::int64_t>() > 0) rc.created = Clk{r[3].as<std::int64_t>(), r[4].c_str()};
            if (!r[5].is_null()) rc.deleted = Clk{r[5].as<std::int64_t>(), r[6].is_null() ? "" : r[6].c_str()};
        }
        tx.commit();
        return out;
    }

    std::int64_t now_hlc() {
        pqxx::work tx(m_conn);
        auto h = tx.exec("SELECT ferry.now_hlc()")[0][0].as<std::int64_t>();
        tx.commit();
        return h;
    }

    /// Whether a row other than `except_id` holds `value` in `table`.`column` now.
    bool holds(const std::string& table, const std::string& column, const std::string& value, const std::string& except_id) {
        pqxx::work tx(m_conn);
        auto r = tx.exec("SELECT count(*) FROM " + quoted(table) + " WHERE " + quoted(column) + "::text = " + tx.quote(value) +
                         " AND id::text <> " + tx.quote(except_id));
        tx.commit();
        return r[0][0].as<int>() > 0;
    }

    bool exists(const std::string& table, const std::string& id) {
        pqxx::work tx(m_conn);
        auto r = tx.exec("SELECT count(*) FROM " + quoted(table) + " WHERE id::text = " + tx.quote(id));
        tx.commit();
        return r[0][0].as<int>() > 0;
    }

private:
    struct TableSql {
        std::vector<std::string> columns;
        std::vector<bool> integer;
        std::string select;
    };
    pqxx::connection m_conn;
    const AppModel& m_model;
    std::map<std::string, TableSql> m_sql;
};

/// The differences between two snapshots, readable; empty when equal.
std::string diff(const std::vector<std::string>& tables, const std::string& an, const Snapshot& a, const std::string& bn,
                 const Snapshot& b) {
    std::ostringstream o;
    int shown = 0;
    for (const auto& t : tables) {
        const auto& ta = a.at(t);
        const auto& tb = b.at(t);
        std::set<std::string> keys;
        for (const auto& [k, v] : ta) keys.insert(k);
        for (const auto& [k, v] : tb) keys.insert(k);
        for (const auto& k : keys) {
            auto ia = ta.find(k), ib = tb.find(k);
            if (ia != ta.end() && ib != tb.end() && ia->second == ib->second) continue;
            if (++shown > 8) {
                o << "  ... more differences\n";
                return o.str();
            }
            o << "  " << t << " " << k << ":\n    " << an << ": " << (ia == ta.end() ? "<no row>" : row_text(ia->second))
              << "\n    " << bn << ": " << (ib == tb.end() ? "<no row>" : row_text(ib->second)) << "\n";
        }
    }
    return o.str();
}

std::size_t rows_in(const Snapshot& s) {
    std::size_t n = 0;
    for (const auto& [t, rows] : s) n += rows.size();
    return n;
}

/// A value in the form the oracle compares: JSON by its parsed value (PostgreSQL normalises
/// jsonb), an inet without a full /32 mask.
std::string normalise(const AppModel& m, const std::string& t, const std::string& c, const std::string& v) {
    if (v.rfind("s:", 0) != 0) return v;
    if (m.has(m.json, t, c)) {
        try {
            return "s:" + json::parse(v.substr(2)).dump();
        } catch (const json::exception&) {
            return v;
        }
    }
    if (m.has(m.inet, t, c) && v.size() > 5 && v.compare(v.size() - 3, 3, "/32") == 0) return v.substr(0, v.size() - 3);
    return v;
}

/// The column of a row holding a value the cloud refuses (a NUL character in text, an integer
/// out of range for an integer column), or "".
std::string refused_column(const AppModel& m, const std::string& t, const Cells& row) {
    for (const auto& [c, v] : row) {
        if (v.rfind("s:", 0) == 0 && v.find('\0') != std::string::npos) return c;
        if (m.has(m.int4, t, c) && v.rfind("i:", 0) == 0) {
            const long long n = std::stoll(v.substr(2));
            if (n > INT_MAX || n < INT_MIN) return c;
        }
    }
    return "";
}

// ---------------------------------------------------------------------------------------------
// The LWW oracle.

enum class Op { insert, update, remove };
const char* op_name(Op op) { return op == Op::insert ? "insert" : op == Op::update ? "update" : "delete"; }

/// One write of one row, as a writer made it.
struct Write {
    int id = 0;
    int step = 0;
    std::string writer;  ///< "d0", ... or "web"
    std::string table, key;
    Op op = Op::update;
    Clk clock;  ///< insert, delete: the row's clock; update: the newest of its columns
    std::map<std::string, std::pair<std::string, Clk>> cells;  ///< column -> (value, clock)
    std::map<std::string, std::int64_t> deltas;                ///< counter column -> increment
    std::set<std::int64_t> seqs;  ///< the device's change-log entries that carry it
    /// insert, delete: the entry of the insert or delete; update: per column, the entry whose
    /// clock the column carries (the latest one that changed it). A batch cut may split a write's
    /// entries: a rejection takes what its batch covered, and the rest travels later.
    std::int64_t op_seq = 0;
    std::map<std::string, std::int64_t> cell_seq;
    std::set<std::string> rejected_cells;  ///< update: columns whose entry was in a rejected change
    bool captured = true;         ///< false: no change-log entry (device) or no clock (cloud) for it
    bool rejected = false;
    /// Its counter increments were in a rejected change: a device sends a counter as the row's
    /// current value minus the agreed base, so the first batch that carries the row after an
    /// increment takes it (even when the increment's own log entry lies after the cut).
    bool deltas_rejected = false;
    int delta_batch = 0;  ///< the push batch (numbered per round) that carried its increments
    std::string rejection;
    std::string refused;  ///< the column holding a value the cloud refuses, if any
};

std::string describe(const Write& w) {
    std::ostringstream o;
    o << "#" << w.id << " (step " << w.step << ", " << w.writer << ") " << op_name(w.op) << " " << w.table << " "
      << short_id(w.key);
    if (w.op != Op::update) o << " @" << show(w.clock);
    if (!w.captured) o << " [NOT CAPTURED]";
    if (w.rejected) o << " [rejected: " << w.rejection << "]";
    if (!w.rejected && !w.rejected_cells.empty()) {
        o << " [columns rejected:";
        for (const auto& c : w.rejected_cells) o << " " << c;
        o << " (" << w.rejection << ")]";
    }
    if (!w.rejected && w.deltas_rejected) o << " [its increments rejected: " << w.rejection << "]";
    if (!w.deltas.empty() && w.writer != "web" && w.writer != "seed")
        o << (w.delta_batch ? " (increments sent with push answer " + std::to_string(w.delta_batch) + ")"
                            : std::string(" (increments not sent)"));
    return o.str();
}

class Oracle {
public:
    explicit Oracle(const AppModel& model) : m_model(model) {}
    const AppModel& model() const { return m_model; }

    Write& add(Write w) {
        w.id = static_cast<int>(m_writes.size()) + 1;
        m_writes.push_back(std::move(w));
        return m_writes.back();
    }
    std::deque<Write>& writes() { return m_writes; }

    enum class State { absent, present, maybe };
    struct Expect {
        State state = State::absent;
        Cells cells;                        ///< the winners, normalised
        std::map<std::string, int> winner;  ///< column -> the write that set it
        std::set<std::string> loose;        ///< columns the oracle cannot decide
        std::string why;                    ///< for absent and maybe
        const Write* last_insert = nullptr;
    };

    /// What PostgreSQL must hold: per row, whether it exists and the winning value of each column.
    std::map<std::string, std::map<std::string, Expect>> expected() const {
        std::map<std::pair<std::string, std::string>, std::vector<const Write*>> by_row;
        for (const auto& w : m_writes)
            if (!w.rejected) by_row[{w.table, w.key}].push_back(&w);
        std::map<std::pair<std::string, std::string>, Expect> own;
        for (const auto& [row, list] : by_row) {
            const auto& [t, key] = row;
            Expect e;
            const Write* ins = nullptr;
            const Write* del = nullptr;
            for (const Write* w : list) {
                if (w->op == Op::insert && (!ins || ins->clock < w->clock)) ins = w;
                if (w->op == Op::remove && (!del || del->clock < w->clock)) del = w;
            }
            e.last_insert = ins;
            if (!ins) {
                e.why = "never inserted";
                own[row] = e;
                continue;
            }
            if (del && ins->clock < del->clock) {
                e.why = "deleted by #" + std::to_string(del->id) + " @" + show(del->clock) + ", after its latest insert #" +
                        std::to_string(ins->id) + " @" + show(ins->clock);
                own[row] = e;
                continue;
            }
            e.state = State::present;
            std::map<std::string, std::pair<Clk, const Write*>> best;
            for (const Write* w : list) {
                if (w->op == Op::remove) continue;
                for (const auto& [col, vc] : w->cells) {
                    if (m_model.has(m_model.counters, t, col) || w->rejected_cells.count(col)) continue;
                    const Clk& clk = vc.second;
                    if (del && w != ins) {
                        // After a delete, only the re-insert and what came after it count; an
                        // update newer than the re-insert may have reached the server while the row
                        // was deleted, and then it is lost (protocol.md, known limit).
                        if (clk < ins->clock) continue;
                        if (w->op == Op::update) e.loose.insert(col);
                    }
                    auto it = best.find(col);
                    if (it == best.end() || it->second.first < clk) best[col] = {clk, w};
                }
            }
            for (const auto& [col, cw] : best) {
                e.cells[col] = normalise(m_model, t, col, cw.second->cells.at(col).first);
                e.winner[col] = cw.second->id;
            }
            // Counters: the inserted value plus every accepted increment.
            for (const auto& qualified : m_model.counters) {
                const auto dot = qualified.find('.');
                if (qualified.substr(0, dot) != t) continue;
                const std::string col = qualified.substr(dot + 1);
                std::int64_t total = 0;
                auto base = ins->cells.find(col);
                if (base != ins->cells.end() && base->second.first.rfind("i:", 0) == 0)
                    total = std::stoll(base->second.first.substr(2));
                for (const Write* w : list) {
                    auto d = w->deltas.find(col);
                    if (d != w->deltas.end() && !w->deltas_rejected) total += d->second;
                }
                e.cells[col] = "i:" + std::to_string(total);
                e.winner.erase(col);
            }
            own[row] = e;
        }

        // Parents: a row whose parent is gone is gone too (the cloud cascades); a row that ever
        // pointed at a parent that is gone may have been deleted with it.
        std::map<std::pair<std::string, std::string>, State> memo;
        std::function<State(const std::string&, const std::string&)> state_of = [&](const std::string& t,
                                                                                    const std::string& key) -> State {
            auto done = memo.find({t, key});
            if (done != memo.end()) return done->second;
            memo[{t, key}] = State::maybe;  // a cycle (none in the apps) stays undecided
            auto it = own.find({t, key});
            if (it == own.end()) return memo[{t, key}] = State::absent;
            Expect& e = it->second;
            if (e.state == State::absent) return memo[{t, key}] = State::absent;
            auto fks = m_model.parents.find(t);
            if (fks != m_model.parents.end()) {
                for (const auto& [col, parent] : fks->second) {
                    auto cell = e.cells.find(col);
                    const std::string final_value = cell == e.cells.end() ? "NULL" : cell->second;
                    if (e.loose.count(col)) {
                        e.state = State::maybe;
                        e.why = "its " + col + " is undecided";
                    }
                    if (final_value.rfind("s:", 0) == 0) {
                        const std::string pid = final_value.substr(2);
                        const State ps = state_of(parent, pid);
                        if (ps == State::absent) {
                            e.state = State::absent;
                            e.why = "its parent " + parent + " " + short_id(pid) + " (" + col + ") is gone";
                            return memo[{t, key}] = State::absent;
                        }
                        if (ps == State::maybe && e.state == State::present) {
                            e.state = State::maybe;
                            e.why = "its parent " + parent + " " + short_id(pid) + " may be gone";
                        }
                        // A parent deleted and created again: the delete may reach the cloud after the
                        // child was inserted there, and cascade to it (a delete and a concurrent child
                        // insert), whatever their clocks say.
                        auto pw = by_row.find({parent, pid});
                        if (ps == State::present && e.state == State::present && pw != by_row.end() &&
                            std::any_of(pw->second.begin(), pw->second.end(), [](const Write* w) { return w->op == Op::remove; })) {
                            e.state = State::maybe;
                            e.why = "its parent " + parent + " " + short_id(pid) + " was deleted and created again";
                        }
                    }
                    for (const Write* w : by_row.at({t, key})) {
                        auto c = w->cells.find(col);
                        if (c == w->cells.end() || c->second.first.rfind("s:", 0) != 0 || c->second.first == final_value) continue;
                        const std::string q = c->second.first.substr(2);
                        if (state_of(parent, q) != State::present && e.state == State::present) {
                            e.state = State::maybe;
                            e.why = "it pointed at " + parent + " " + short_id(q) + " (#" + std::to_string(w->id) +
                                    "), which is gone: the cloud may have deleted it with that parent";
                        }
                    }
                }
            }
            return memo[{t, key}] = e.state;
        };
        std::map<std::string, std::map<std::string, Expect>> out;
        for (auto& [row, e] : own) {
            state_of(row.first, row.second);
            out[row.first][row.second] = e;
        }
        return out;
    }

    /// Every write of one row (and, with `column`, those that wrote that column), for messages.
    std::string history(const std::string& t, const std::string& key, const std::string& column = "") const {
        std::ostringstream o;
        for (const auto& w : m_writes) {
            if (w.table != t || w.key != key) continue;
            if (!column.empty() && w.op == Op::update && !w.cells.count(column) && !w.deltas.count(column)) continue;
            o << "      " << describe(w);
            if (!column.empty()) {
                auto c = w.cells.find(column);
                if (c != w.cells.end()) o << " " << column << "=" << printable(c->second.first) << " @" << show(c->second.second);
                auto d = w.deltas.find(column);
                if (d != w.deltas.end()) o << " " << column << " += " << d->second;
            }
            o << "\n";
        }
        return o.str();
    }

private:
    const AppModel& m_model;
    std::deque<Write> m_writes;
};

/// Compares PostgreSQL with the oracle; one failure per wrong row or column.
void check_oracle(const Oracle& oracle, const Snapshot& server, std::vector<std::string>& failures) {
    const AppModel& m = oracle.model();
    const auto expected = oracle.expected();
    std::vector<std::string> found;
    for (const auto& t : m.tables) {
        const auto& rows = server.at(t);
        static const std::map<std::string, Oracle::Expect> none;
        auto et = expected.find(t);
        const auto& exp = et == expected.end() ? none : et->second;
        std::set<std::string> keys;
        for (const auto& [k, v] : rows) keys.insert(k);
        for (const auto& [k, v] : exp) keys.insert(k);
        for (const auto& k : keys) {
            auto s = rows.find(k);
            auto e = exp.find(k);
            const std::string where = t + " " + k;
            if (e == exp.end()) {
                if (s != rows.end()) found.push_back("PostgreSQL holds " + where + ", which no recorded write created\n");
                continue;
            }
            const Oracle::Expect& x = e->second;
            if (s == rows.end()) {
                if (x.state == Oracle::State::present)
                    found.push_back("LWW oracle: " + where + " should exist, PostgreSQL lacks it; its writes:\n" +
                                    oracle.history(t, k));
                continue;
            }
            if (x.state == Oracle::State::absent) {
                found.push_back("LWW oracle: " + where + " should be gone (" + x.why + "), PostgreSQL holds it; its writes:\n" +
                                oracle.history(t, k));
                continue;
            }
            for (const auto& [col, value] : s->second) {
                if (AppModel::loose(col) || x.loose.count(col)) continue;
                auto want = x.cells.find(col);
                if (want == x.cells.end()) continue;
                const std::string have = normalise(m, t, col, value);
                if (have == want->second) continue;
                auto win = x.winner.find(col);
                found.push_back("LWW oracle: " + where + " " + col + ": PostgreSQL holds " + printable(have) + ", expected " +
                                printable(want->second) +
                                (win == x.winner.end() ? std::string(" (counter: seeded value plus accepted increments)")
                                                       : " (from write #" + std::to_string(win->second) + ")") +
                                "; the writes of this column:\n" + oracle.history(t, k, col));
            }
        }
    }
    for (std::size_t i = 0; i < found.size() && i < 10; ++i) failures.push_back(found[i]);
    if (found.size() > 10) failures.push_back("LWW oracle: " + std::to_string(found.size() - 10) + " more differences");
}

// ---------------------------------------------------------------------------------------------
// A round's machinery: replicas, recording writes for the oracle, watching syncs.

struct RoundResult {
    std::ostringstream trace;
    std::vector<std::string> failures;     ///< broken properties, readable
    std::vector<std::string> sync_errors;  ///< non-transient sync errors (random phase and final syncs)
    std::size_t rows = 0;
    std::int64_t rejected = 0;
    std::int64_t superseded = 0;
    std::size_t writes = 0;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

struct Round {
    Round(std::uint64_t seed, const AppModel& m, RoundResult& r) : rng(seed), model(m), out(r), oracle(m) {}
    Rng rng;
    const AppModel& model;
    RoundResult& out;
    PgDatabase db;
    Oracle oracle;
    Ledger ledger;
    std::unique_ptr<WebWriter> web;
    std::unique_ptr<ServerReader> server;
    std::vector<std::unique_ptr<Replica>> replicas;
    int step = 0;
    int batches = 0;  ///< push answers seen, to number them
    std::ostringstream& trace() { return out.trace; }
    void fail(const std::string& f) { out.failures.push_back(f); }
};

Replica& add_replica(Round& R) {
    auto r = std::make_unique<Replica>();
    r->name = "d" + std::to_string(R.replicas.size());
    r->offset = enabled("ahead") ? R.rng.between(-90'000, 240'000) : R.rng.between(-90'000, -1'000);
    r->clock = std::make_unique<FakeClock>(real_now_ms() + r->offset);
    r->device = std::make_unique<Device>(R.db, R.model.app, r->clock.get());
    r->transport = std::make_unique<FlakyTransport>(r->device->transport());
    r->writer = std::make_unique<DeviceWriter>(r->name, *r->device);
    R.trace() << r->name << " site " << ferry::detail::impl_of(r->store()).site_id << ", wall clock " << (r->offset >= 0 ? "+" : "")
              << r->offset / 1000.0 << " s off the real time\n";
    R.replicas.push_back(std::move(r));
    return *R.replicas.back();
}

struct LogEntry {
    std::int64_t seq = 0, tbl = 0;
    std::string pk;
    int op = 0;
    std::int64_t mask = 0, hlc = 0;
};

struct TableIds {
    std::map<std::string, std::int64_t> id;
    std::map<std::int64_t, std::string> name;
    std::map<std::string, std::vector<std::string>> columns;
};

TableIds table_ids(Store& s) {
    TableIds out;
    for (const auto& r : s.query("SELECT id, name, columns FROM ferry_tables").rows) {
        out.id[r[1].as_text()] = r[0].as_int();
        out.name[r[0].as_int()] = r[1].as_text();
        out.columns[r[1].as_text()] = json::parse(r[2].as_text()).get<std::vector<std::string>>();
    }
    return out;
}

std::int64_t max_seq(Store& s) { return s.query_value("SELECT coalesce(max(seq), 0) FROM ferry_changes")->as_int(); }

std::string key_of(const std::string& pk) {
    const auto j = json::parse(pk);
    return j.at(0).is_string() ? j.at(0).get<std::string>() : j.at(0).dump();
}

/// Records in the oracle what one device write did: the rows it inserted, deleted (cascades
/// included) and changed, each with the clocks of its change-log entries.
void record_device_write(Round& R, Replica& r, const Snapshot& before, const Snapshot& after, std::int64_t seq0,
                         const WriteOutcome& outcome) {
    Store& s = r.store();
    const auto ids = table_ids(s);
    std::vector<LogEntry> log;
    for (const auto& row : s.query("SELECT seq, tbl, pk, op, mask, hlc FROM ferry_changes WHERE seq > ? ORDER BY seq", {seq0}).rows)
        log.push_back(LogEntry{row[0].as_int(), row[1].as_int(), row[2].as_text(), static_cast<int>(row[3].as_int()),
                               row[4].as_int(), row[5].as_int()});
    const std::string site = ferry::detail::impl_of(s).site_id;
    const std::int64_t fallback = ferry::detail::impl_of(s).clock.last();
    std::ostringstream note;
    for (const auto& t : R.model.tables) {
        const auto& b = before.at(t);
        const auto& a = after.at(t);
        std::set<std::string> keys;
        for (const auto& [k, v] : b) keys.insert(k);
        for (const auto& [k, v] : a) keys.insert(k);
        const std::int64_t tid = ids.id.count(t) ? ids.id.at(t) : -1;
        const auto cols = ids.columns.count(t) ? ids.columns.at(t) : std::vector<std::string>{};
        for (const auto& k : keys) {
            auto ib = b.find(k), ia = a.find(k);
            const bool recreated = outcome.recreated.count({t, k}) && ib != b.end() && ia != a.end();
            if (ib != b.end() && ia != a.end() && ib->second == ia->second && !recreated) continue;
            const std::string pk = key_json(k);
            std::vector<const LogEntry*> mine;
            for (const auto& e : log)
                if (e.tbl == tid && e.pk == pk) mine.push_back(&e);
            auto latest = [&](const std::function<bool(const LogEntry&)>& pred) {
                const LogEntry* found = nullptr;
                for (const auto* e : mine)
                    if (pred(*e)) found = e;
                return found;
            };
            Write w;
            w.step = R.step;
            w.writer = r.name;
            w.table = t;
            w.key = k;
            for (const auto* e : mine) w.seqs.insert(e->seq);
            auto clock_of = [&](const LogEntry* e) {
                if (!e) w.captured = false;
                return Clk{e ? e->hlc : fallback, site};
            };
            Cells written;
            if (ia != a.end() && (ib == b.end() || recreated)) {
                w.op = Op::insert;
                const LogEntry* e = latest([](const LogEntry& x) { return x.op == 1; });
                w.clock = clock_of(e);
                if (e) w.op_seq = e->seq;
                for (const auto& [c, v] : ia->second) w.cells[c] = {v, w.clock};
                written = ia->second;
            } else if (ia == a.end()) {
                w.op = Op::remove;
                const LogEntry* e = latest([](const LogEntry& x) { return x.op == 3; });
                w.clock = clock_of(e);
                if (e) w.op_seq = e->seq;
            } else {
                w.op = Op::update;
                for (const auto& [c, v] : ia->second) {
                    if (AppModel::loose(c) || ib->second.at(c) == v) continue;
                    written[c] = v;
                    if (R.model.has(R.model.counters, t, c)) {
                        w.deltas[c] = std::stoll(v.substr(2)) - std::stoll(ib->second.at(c).substr(2));
                        if (mine.empty()) w.captured = false;
                        continue;
                    }
                    const auto pos = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), c) - cols.begin());
                    const std::int64_t bit = std::int64_t(1) << (pos < 62 ? pos : 62);
                    const LogEntry* e = latest([&](const LogEntry& x) { return x.op == 1 || (x.op == 2 && (x.mask & bit)); });
                    const Clk clk = clock_of(e);
                    if (e) w.cell_seq[c] = e->seq;
                    w.cells[c] = {v, clk};
                    if (w.clock < clk) w.clock = clk;
                }
                if (w.cells.empty() && w.deltas.empty()) continue;  // only maintained timestamps moved
            }
            w.refused = refused_column(R.model, t, written);
            const Write& added = R.oracle.add(std::move(w));
            note << "\n      = #" << added.id << " " << op_name(added.op) << " " << t << " " << short_id(k);
            if (added.op == Op::update) {
                note << " {";
                for (const auto& [c, vc] : added.cells) note << " " << c << " @" << show(vc.second);
                for (const auto& [c, d] : added.deltas) note << " " << c << " += " << d;
                note << " }";
            } else {
                note << " @" << show(added.clock);
            }
            if (!added.refused.empty()) note << " [a value the cloud refuses in " << added.refused << "]";
            if (!added.captured) {
                note << " [NOT CAPTURED]";
                R.fail(r.name + "'s write at step " + std::to_string(R.step) + " (" + op_name(added.op) + " of " + t + " " + k +
                       ") changed the store, but its change log has no entry for it (#" + std::to_string(added.id) + ")");
            }
        }
    }
    R.trace() << note.str();
}

/// Records in the oracle what one write of the web app did, each change with the clock the cloud
/// gave it (ferry.rows right after the commit).
void record_web_write(Round& R, const Snapshot& before, const ClockMap& cb, const Snapshot& after, const ClockMap& ca) {
    std::ostringstream note;
    std::optional<std::int64_t> now;
    for (const auto& t : R.model.tables) {
        const auto& b = before.at(t);
        const auto& a = after.at(t);
        std::set<std::string> keys;
        for (const auto& [k, v] : b) keys.insert(k);
        for (const auto& [k, v] : a) keys.insert(k);
        int uncaptured = 0;
        for (const auto& k : keys) {
            auto ib = b.find(k), ia = a.find(k);
            if (ib != b.end() && ia != a.end() && ib->second == ia->second) continue;
            auto rb = cb.find({t, k}), ra = ca.find({t, k});
            const RowClocks none;
            const RowClocks& was = rb == cb.end() ? none : rb->second;
            const RowClocks& is = ra == ca.end() ? none : ra->second;
            Write w;
            w.step = R.step;
            w.writer = "web";
            w.table = t;
            w.key = k;
            auto clock_of = [&](const std::optional<Clk>& n, const std::optional<Clk>& o) {
                if (n && (!o || !(*n == *o))) return *n;
                w.captured = false;
                if (!now) now = R.server->now_hlc();
                return Clk{std::max(*now, was.newest() + 1), "server"};
            };
            if (ib == b.end()) {
                w.op = Op::insert;
                w.clock = clock_of(is.created, was.created);
                for (const auto& [c, v] : ia->second) w.cells[c] = {v, w.clock};
            } else if (ia == a.end()) {
                w.op = Op::remove;
                w.clock = clock_of(is.deleted, was.deleted);
            } else {
                w.op = Op::update;
                for (const auto& [c, v] : ia->second) {
                    if (AppModel::loose(c) || ib->second.at(c) == v) continue;
                    if (R.model.has(R.model.counters, t, c)) {
                        w.deltas[c] = std::stoll(v.substr(2)) - std::stoll(ib->second.at(c).substr(2));
                        continue;
                    }
                    auto n = is.columns.find(c);
                    auto o = was.columns.find(c);
                    const Clk clk = clock_of(n == is.columns.end() ? std::nullopt : std::optional<Clk>(n->second),
                                             o == was.columns.end() ? std::nullopt : std::optional<Clk>(o->second));
                    w.cells[c] = {v, clk};
                    if (w.clock < clk) w.clock = clk;
                }
                if (w.cells.empty() && w.deltas.empty()) continue;
            }
            const Write& added = R.oracle.add(std::move(w));
            note << "\n      = #" << added.id << " " << op_name(added.op) << " " << t << " " << short_id(k);
            if (added.op == Op::update) {
                note << " {";
                for (const auto& [c, vc] : added.cells) note << " " << c << "=" << printable(vc.first) << " @" << show(vc.second);
                for (const auto& [c, d] : added.deltas) note << " " << c << " += " << d;
                note << " }";
            } else {
                note << " @" << show(added.clock);
            }
            if (!added.captured) {
                note << " [NO CLOCK: NOT CAPTURED]";
                ++uncaptured;
                if (uncaptured == 1)
                    R.fail("the web app's write at step " + std::to_string(R.step) + " (" + op_name(added.op) + " of " + t +
                           " " + k + ", write #" + std::to_string(added.id) +
                           ") changed PostgreSQL, but Ferry recorded no clock for it (not captured)");
            }
        }
        if (uncaptured > 1)
            R.fail("... and " + std::to_string(uncaptured - 1) + " more uncaptured changes of " + t + " by that write");
    }
    R.trace() << note.str();
}

/// One device write through `write`, recorded in the oracle.
void device_write(Round& R, Replica& r, const std::function<WriteOutcome()>& write) {
    const Snapshot before = device_snapshot(r.store(), R.model.tables);
    const std::int64_t seq0 = max_seq(r.store());
    const WriteOutcome outcome = write();
    R.trace() << r.name << ": " << printable(outcome.what);
    record_device_write(R, r, before, device_snapshot(r.store(), R.model.tables), seq0, outcome);
    R.trace() << "\n";
}

/// One web write through `write`, recorded in the oracle.
void web_write(Round& R, const std::function<WriteOutcome()>& write) {
    const Snapshot before = R.server->read();
    const ClockMap cb = R.server->clocks();
    const WriteOutcome outcome = write();
    R.trace() << "web: " << printable(outcome.what);
    record_web_write(R, before, cb, R.server->read(), R.server->clocks());
    R.trace() << "\n";
}

/// Whether a rejection is explained (DESIGN.md decision 7): a value the cloud refuses (rejected as
/// invalid_argument naming the column), a unique value that another row kept, or a parent that
/// is gone; and the writes it threw away must be the ones that caused it.
void explain_rejection(Round& R, Replica& r, Store& s, const std::string& table, const std::string& id,
                       const std::string& op, const std::string& code, const std::string& reason,
                       const std::string& values, const std::vector<Write*>& matched) {
    std::string ids;
    for (const Write* m : matched) ids += " #" + std::to_string(m->id);
    const std::string what = r.name + " (site " + ferry::detail::impl_of(s).site_id + ") has a rejected " + op + " of " + table + " " + id +
                             " (" + code + ": " + reason + "; values " + printable(values) + "; covering" +
                             (ids.empty() ? " no write" : ids) + ")";
    std::set<std::string> refused_columns;
    for (const Write* m : matched)
        if (!m->refused.empty()) refused_columns.insert(m->refused);
    std::string refused = refused_columns.empty() ? std::string() : *refused_columns.begin();
    // The change carries the row's current values: a refused value may come from a later write
    // whose own entry lies after the batch's cut.
    if (refused.empty() && !values.empty()) {
        Cells sent;
        const json parsed = json::parse(values);
        for (const auto& [c, v] : parsed.items())
            sent[c] = v.is_string() ? "s:" + v.get<std::string>() : v.is_number_integer() ? "i:" + v.dump() : v.dump();
        refused = refused_column(R.model, table, sent);
        if (!refused.empty()) refused_columns.insert(refused);
    }
    // A change holding a value the cloud refuses is rejected as invalid_argument naming the column
    // (or for another fault it also has: a unique clash, a missing parent, explained below).
    if (!refused.empty() && (code != "constraint" || matched.empty())) {
        bool named = false;
        for (const auto& c : refused_columns) named = named || reason.find(c) != std::string::npos;
        if (code != "invalid_argument" || !named)
            R.fail(what + ": a value the cloud refuses (" + table + "." + refused +
                   ") must be rejected as invalid_argument, naming the column");
        return;
    }
    if (matched.empty()) {
        R.fail(what + ": it covers none of the writes this device made");
        return;
    }
    const bool unique = reason.find("unique key already taken") != std::string::npos;
    const bool parent = reason.find("referenced row does not exist") != std::string::npos;
    if (code != "constraint" || op == "delete" || !(unique || parent)) {
        R.fail(what + ": not a unique clash, a missing parent or a value the cloud refuses");
        return;
    }
    bool inserted = op == "insert";
    for (const Write* m : matched) inserted = inserted || m->op == Op::insert;
    auto touched = [&](const std::set<std::string>& columns) {
        if (inserted) return true;
        for (const Write* m : matched)
            for (const auto& [c, v] : m->cells)
                if (columns.count(table + "." + c)) return true;
        return false;
    };
    const auto vals = values.empty() ? json::object() : json::parse(values);
    if (unique) {
        if (!touched(R.model.unique))
            R.fail(what + ": refused for a unique clash, but the writes it threw away set no unique column");
        // A unique value that some row this device did not remove was also given.
        bool explained = false;
        for (const std::string col : {"email", "container_id", "name"}) {
            if (!R.model.has(R.model.unique, table, col) || !vals.contains(col) || !vals[col].is_string()) continue;
            auto it = R.ledger.holders.find(col + "=" + vals[col].get<std::string>());
            if (it == R.ledger.holders.end()) continue;
            // A holder explains the clash unless this device removed it before it wrote the
            // refused value (then the refusal would be a bug of merge order), and nobody gave it
            // a unique value again since (another device re-creating it keeps the value).
            // A holder the server still has after this batch explains it too: this device's
            // removal of it lost to a newer write (another device re-created it with a newer clock).
            explained = explained || R.server->holds(table, col, vals[col].get<std::string>(), id);
            const auto& removed = R.ledger.removed[r.name];
            const int gave = R.ledger.gave[r.name].count(id) ? R.ledger.gave[r.name].at(id) : 0;
            for (const auto& holder : it->second) {
                auto gone = removed.find(holder);
                const auto again = R.ledger.given.find(holder);
                explained = explained || (holder != id && (gone == removed.end() || gone->second > gave ||
                                                           (again != R.ledger.given.end() && again->second > gone->second)));
            }
        }
        if (!explained)
            R.fail(what + ": no other row kept this value; only rows this device had removed before writing it held it");
    } else {
        std::set<std::string> fks;
        bool gone = false;
        auto p = R.model.parents.find(table);
        if (p != R.model.parents.end())
            for (const auto& [col, parent_table] : p->second) {
                fks.insert(table + "." + col);
                if (vals.contains(col) && vals[col].is_string())
                    gone = gone || !R.server->exists(parent_table, vals[col].get<std::string>());
            }
        if (!touched(fks)) R.fail(what + ": refused for a missing parent, but the writes it threw away set no parent");
        if (!gone) R.fail(what + ": every parent it names exists on the server");
    }
}

/// Watches one sync of a device, batch by batch (a checkpoint after every push answer and pull
/// page, through SyncOptions::on_progress): which change-log entries each batch cleared and
/// which rejections it recorded, so that a rejection leaves out exactly the writes of its batch;
/// whether every pushed value the cloud refuses was listed; and, at the end, whether the device's
/// clock is past every clock of the rows it received.
class Watch {
public:
    Watch(Round& round, Replica& replica) : m_round(round), m_replica(replica) { baseline(replica.store()); }

    /// Options with the watch's callbacks, for a sync through `s` (a handle of the replica's store).
    ferry::SyncOptions options(ferry::SyncOptions o, Store& s) {
        o.on_progress = [this, &s](const ferry::SyncProgress& p) { checkpoint(s, p.phase); };
        o.on_remote_changes = [this](const std::vector<ferry::RemoteChange>& v) {
            std::lock_guard<std::recursive_mutex> lock(m_mutex);
            m_received.insert(m_received.end(), v.begin(), v.end());
        };
        return o;
    }

    /// After the sync: the last checkpoint, the notes for the trace, the receive rule.
    void end(const std::string& label) {
        Round& R = m_round;
        Replica& r = m_replica;
        Store& s = r.store();
        m_label = label;
        checkpoint(s, "");
        R.trace() << m_notes;
        if (auto inflight = s.query_value("SELECT value FROM ferry_meta WHERE key = 'push_inflight'")) {
            const auto seq = json::parse(inflight->as_text()).value("seq", std::int64_t{0});
            if (seq != r.inflight_seq) {
                r.inflight_seq = seq;
                r.inflight_step = R.step;
            }
        }
        if (m_received.empty()) return;
        const ClockMap clocks = R.server->clocks();
        // The clock the handle's next write takes: it first catches up with the clock stored in
        // the file by another handle (the other syncer's pulls).
        s.query_value("SELECT count(*) FROM ferry_meta");  // a read: the file's data version is current
        ferry::detail::impl_of(s).observe_stored_clock();
        const std::int64_t mine = ferry::detail::impl_of(s).clock.last();
        int late = 0;
        std::string first;
        for (const auto& rc : m_received) {
            if (rc.deleted) continue;
            auto c = clocks.find({rc.table, key_of(rc.key_json)});
            if (c == clocks.end() || c->second.newest() <= mine) continue;
            if (late++ == 0)
                first = rc.table + " " + key_of(rc.key_json) + " (its newest clock " + show(Clk{c->second.newest(), ""}) + ")";
        }
        if (late)
            R.fail("receive rule: after '" + label + "' at step " + std::to_string(R.step) + ", " + r.name + " holds " +
                   std::to_string(late) + " row(s) as the server sent them, with clocks past its own clock (" +
                   show(Clk{mine, ""}) + "), e.g. " + first +
                   ": an edit it makes now would be ordered before a value it has seen");
    }

private:
    void baseline(Store& s) {
        const auto ids = table_ids(s);
        if (!m_started) {
            m_started = true;
            if (auto inflight = s.query_value("SELECT value FROM ferry_meta WHERE key = 'push_inflight'")) {
                const json batch = json::parse(inflight->as_text());
                if (batch.value("seq", std::int64_t{0}) == m_replica.inflight_seq) m_inflight_step = m_replica.inflight_step;
                m_inflight_changes = batch.value("changes", json::array());
            }
        }
        m_seqs.clear();
        m_rows.clear();
        m_doomed.clear();
        m_counter_seqs.clear();
        for (const auto& row : s.query("SELECT seq, tbl, pk, op, mask FROM ferry_changes").rows) {
            m_seqs.insert(row[0].as_int());
            auto t = ids.name.find(row[1].as_int());
            if (t == ids.name.end()) continue;
            const std::pair<std::string, std::string> key{t->second, key_of(row[2].as_text())};
            auto& e = m_rows[key];
            e.first.insert(row[0].as_int());
            if (row[3].as_int() == 1) e.second = true;
            // Entries that change a counter column: a batch covering one sends the row's delta.
            const auto& cols = ids.columns.at(t->second);
            for (std::size_t i = 0; i < cols.size(); ++i)
                if (m_round.model.has(m_round.model.counters, t->second, cols[i]) &&
                    (row[4].as_int() & (std::int64_t(1) << (i < 62 ? i : 62))))
                    m_counter_seqs[key].insert(row[0].as_int());
        }
        m_last_rejected = s.query_value("SELECT coalesce(max(id), 0) FROM ferry_rejected")->as_int();
        for (const auto& [key, e] : m_rows) {
            auto q = s.query("SELECT * FROM " + quoted(key.first) + " WHERE id = ?", {key.second});
            if (q.rows.empty()) continue;
            Cells cells;
            for (std::size_t i = 0; i < q.columns.size(); ++i) cells[q.columns[i]] = render(q.rows[0][i]);
            const auto col = refused_column(m_round.model, key.first, cells);
            if (!col.empty()) m_doomed[key] = col;
        }
    }

    /// What happened since the last checkpoint (one batch or page).
    void checkpoint(Store& s, const std::string& phase) {
        std::lock_guard<std::recursive_mutex> lock(m_mutex);
        Round& R = m_round;
        Replica& r = m_replica;
        // The first push answer of a sync is that of the batch in flight, if there was one: cut at
        // an earlier step. Any other batch was cut during this sync.
        int cut_step = R.step;
        bool inflight_answer = false;
        if (phase == "push" && !m_first_push_seen) {
            m_first_push_seen = true;
            if (m_inflight_step) cut_step = *m_inflight_step;
            inflight_answer = m_inflight_changes.is_array() && !m_inflight_changes.empty();
        }
        std::set<std::int64_t> now;
        for (const auto& row : s.query("SELECT seq FROM ferry_changes").rows) now.insert(row[0].as_int());
        std::set<std::int64_t> removed;
        for (auto seq : m_seqs)
            if (!now.count(seq)) removed.insert(seq);
        auto covered = [&](const Write& x) {
            for (auto seq : x.seqs)
                if (removed.count(seq)) return true;
            return false;
        };
        // A push answer: the counter increments made before its batch was cut, of the rows whose
        // counter it carried, were sent with it (a device sends a counter as its current value
        // minus the agreed base, so the first batch covering a counter entry of the row takes
        // every increment made before the cut).
        int batch_id = 0;
        if (phase == "push") {
            batch_id = ++R.batches;
            std::set<std::pair<std::string, std::string>> carried;
            for (const auto& [key, seqs] : m_counter_seqs)
                for (auto seq : seqs)
                    if (removed.count(seq)) carried.insert(key);
            if (inflight_answer)
                for (const auto& ch : m_inflight_changes)
                    if (ch.contains("deltas") && ch.contains("pk") && ch["pk"].is_array() && !ch["pk"].empty())
                        carried.insert({ch.value("t", std::string()),
                                        ch["pk"][0].is_string() ? ch["pk"][0].get<std::string>() : ch["pk"][0].dump()});
            for (auto& x : R.oracle.writes())
                if (x.writer == r.name && !x.deltas.empty() && x.delta_batch == 0 && x.step < cut_step &&
                    carried.count({x.table, x.key}))
                    x.delta_batch = batch_id;
        }
        std::set<std::pair<std::string, std::string>> rejected_rows;
        for (const auto& row : s.query("SELECT id, tbl, pk, op, code, reason, coalesce(row_values, '') FROM ferry_rejected "
                                       "WHERE id > ? ORDER BY id",
                                       {m_last_rejected})
                                   .rows) {
            const std::string table = row[1].as_text(), id = key_of(row[2].as_text()), op = row[3].as_text();
            const std::string code = row[4].as_text(), reason = row[5].as_text(), values = row[6].as_text();
            rejected_rows.insert({table, id});
            // What the rejected change took: the parts of this device's writes of the row whose
            // entries its batch covered (a whole insert or delete, or single columns), and the
            // counter increments its batch carried (see Write::deltas_rejected).
            std::vector<Write*> matched;
            std::vector<Write*> touched_only;
            std::string notes;
            const auto row_entries = m_rows.find({table, id});
            bool row_removed = false;
            if (row_entries != m_rows.end())
                for (auto seq : row_entries->second.first) row_removed = row_removed || removed.count(seq);
            // The answer to the batch in flight since an earlier sync names its changes by their
            // clocks (their entries may be gone meanwhile: a pull that brought the row's deletion).
            const json* stored = nullptr;
            if (inflight_answer)
                for (const auto& ch : m_inflight_changes)
                    if (ch.value("t", std::string()) == table && ch.contains("pk") && ch["pk"] == json::array({id})) stored = &ch;
            std::set<std::int64_t> stored_clocks;
            if (stored) {
                stored_clocks.insert((*stored).value("hlc", std::int64_t{0}));
                const json clocks = (*stored).value("clocks", json::object());
                for (const auto& [c, h] : clocks.items())
                    if (h.is_number_integer()) stored_clocks.insert(h.get<std::int64_t>());
            }
            const int stored_op = stored ? (*stored).value("op", 0) : 0;
            std::string again;
            const json stored_column_clocks = stored ? (*stored).value("clocks", json::object()) : json::object();
            for (auto& x : R.oracle.writes()) {
                if (x.writer != r.name || x.table != table || x.key != id) continue;
                std::string took;
                const bool was_rejected = x.rejected;
                const std::set<std::string> was_cells = x.rejected_cells;
                auto take_all = [&](bool by_clock) {
                    if (was_rejected && by_clock) again += " #" + std::to_string(x.id);
                    if (x.rejected) return;
                    x.rejected = true;
                    took = "all";
                };
                auto take_cell = [&](const std::string& c, bool by_clock) {
                    if ((was_rejected || was_cells.count(c)) && by_clock) again += " #" + std::to_string(x.id) + " (" + c + ")";
                    if (x.rejected || x.rejected_cells.count(c)) return;
                    x.rejected_cells.insert(c);
                    took += (took.empty() ? "" : ",") + c;
                };
                // The parts whose entries this batch cleared ...
                if (x.op != Op::update) {
                    if (x.op_seq && removed.count(x.op_seq)) take_all(false);
                } else {
                    for (const auto& [c, seq] : x.cell_seq)
                        if (removed.count(seq)) take_cell(c, false);
                }
                // ... and, for the batch in flight, the parts its change names by their clocks.
                if (stored) {
                    if (x.op != Op::update && stored_clocks.count(x.clock.hlc) && (x.op == Op::remove || stored_op == 1))
                        take_all(true);
                    if (x.op == Op::update)
                        for (const auto& [c, vc] : x.cells)
                            if (stored_column_clocks.contains(c) && stored_column_clocks[c] == vc.second.hlc) take_cell(c, true);
                }
                // Counter increments travel with the batch that carried the row first after them.
                if (batch_id > 0 && x.delta_batch == batch_id && !x.deltas_rejected) {
                    x.deltas_rejected = true;
                    took += std::string(took.empty() ? "" : ",") + "its increments";
                }
                if (x.op == Op::update && !x.cells.empty() && x.rejected_cells.size() == x.cells.size() &&
                    (x.deltas.empty() || x.deltas_rejected))
                    x.rejected = true;
                if (!took.empty()) {
                    x.rejection = code + ": " + first_line(reason);
                    matched.push_back(&x);
                    notes += " #" + std::to_string(x.id) + (took == "all" ? std::string() : " (" + took + ")");
                } else if (covered(x)) {
                    touched_only.push_back(&x);
                }
            }
            m_notes += "    rejected " + op + " " + table + " " + short_id(id) + " (" + code + ": " +
                       printable(first_line(reason)) + ")" + (batch_id ? " in push answer " + std::to_string(batch_id) : std::string()) +
                       ":" + (notes.empty() ? std::string(" nothing") : notes);
            if (matched.empty() && !touched_only.empty())
                m_notes += " (its batch held only entries whose values later entries of the same writes carry)";
            m_notes += "\n";
            if (matched.empty() && !again.empty()) {
                R.fail(r.name + " lists a write of " + table + " " + id + " as rejected again at step " +
                       std::to_string(R.step) + " (" + code + ": " + first_line(reason) +
                       "): the answer to its batch in flight rejects what was already rejected and listed:" + again);
                continue;
            }
            if (matched.empty() && !row_removed && !stored) {
                std::string before;
                for (const auto& x : R.oracle.writes())
                    if (x.writer == r.name && x.table == table && x.key == id && (x.rejected || !x.rejected_cells.empty()))
                        before += " " + describe(x);
                R.fail(r.name + " lists a rejection of " + table + " " + id + " at step " + std::to_string(R.step) + " (" +
                       code + ": " + first_line(reason) + ") that covers none of its pending changes" +
                       (before.empty() ? std::string() : "; writes of the row rejected and listed before:" + before));
                continue;
            }
            if (matched.empty()) matched = touched_only;
            explain_rejection(R, r, s, table, id, op, code, reason, values, matched);
        }

        // A pushed value the cloud refuses is listed as rejected on the device that wrote it.
        for (const auto& [key, column] : m_doomed) {
            const auto& pending = m_rows.at(key);
            bool all = true;
            for (auto seq : pending.first) all = all && removed.count(seq);
            if (!all || rejected_rows.count(key)) continue;
            // A value that lost last-writer-wins may be answered as superseded instead.
            std::optional<Clk> mine;
            for (const auto& x : R.oracle.writes())
                if (x.writer == r.name && x.table == key.first && x.key == key.second && x.cells.count(column))
                    mine = x.cells.at(column).second;
            const ClockMap clocks = R.server->clocks();
            auto rc = clocks.find(key);
            if (mine && rc != clocks.end() && rc->second.columns.count(column) &&
                *mine < rc->second.columns.at(column)) {
                m_notes += "    " + key.first + " " + short_id(key.second) + " " + column +
                           ": the refused value lost to a newer one (superseded)\n";
                continue;
            }
            // (Gone from the server: an update of a deleted row is superseded; an insert that
            // vanished unlisted shows as a row the oracle misses.)
            if (R.server->exists(key.first, key.second))
                R.fail(r.name + " pushed " + key.first + " " + key.second + " holding a value the cloud refuses (" +
                       key.first + "." + column + ") at step " + std::to_string(R.step) +
                       ", and it is not listed in ferry_rejected");
        }
        baseline(s);
    }

    Round& m_round;
    Replica& m_replica;
    bool m_started = false;
    std::optional<int> m_inflight_step;  ///< the step at which the batch in flight at the start was cut
    json m_inflight_changes;             ///< its changes, as stored
    bool m_first_push_seen = false;
    std::string m_label;
    std::string m_notes;
    std::set<std::int64_t> m_seqs;
    std::map<std::pair<std::string, std::string>, std::pair<std::set<std::int64_t>, bool>> m_rows;  // -> (seqs, insert)
    std::int64_t m_last_rejected = 0;
    std::map<std::pair<std::string, std::string>, std::string> m_doomed;  // pending rows holding a refused value
    std::map<std::pair<std::string, std::string>, std::set<std::int64_t>> m_counter_seqs;
    std::recursive_mutex m_mutex;
    std::vector<ferry::RemoteChange> m_received;
};

/// One random way of syncing a replica (all of them watched).
void random_sync(Round& R, Replica& r) {
    auto& rng = R.rng;
    auto options = [&] {
        ferry::SyncOptions o;
        if (rng.chance(0.3)) o.push_batch = 1 + rng.below(3);
        if (rng.chance(0.3)) o.pull_page = 1 + rng.below(3);
        return o;
    };
    ferry::SyncOptions o = options();
    int how = rng.below(100);
    if (how >= 55 && how < 75 && !enabled("pull-only")) how -= 55;
    if (how >= 83 && how < 88 && !enabled("pull-only")) how -= 83;
    if (how >= 75 && how < 83 && !enabled("lost-push")) how -= 75;
    if (how >= 88 && how < 94 && !enabled("two-syncers")) how -= 88;
    std::string action;
    Watch watch(R, r);
    o = watch.options(o, r.store());
    auto count = [&](const ferry::SyncReport& rep, bool pulled) {
        R.out.rejected += rep.rejected;
        R.out.superseded += rep.superseded;
        return " (pushed " + std::to_string(rep.pushed) + ", superseded " + std::to_string(rep.superseded) + ", rejected " +
               std::to_string(rep.rejected) + (pulled ? ", pulled " + std::to_string(rep.pulled) : std::string()) + ")";
    };
    try {
        if (how < 35) {
            action = "sync";
            action += count(ferry::SyncClient(r.store(), *r.transport, o).sync(), true);
        } else if (how < 55) {
            action = "push";
            action += count(ferry::SyncClient(r.store(), *r.transport, o).push(), false);
        } else if (how < 75) {
            action = "pull";
            auto rep = ferry::SyncClient(r.store(), *r.transport, o).pull();
            action += " (pulled " + std::to_string(rep.pulled) + ")";
        } else if (how < 83) {
            action = "push, response lost";
            r.transport->lose_push_response = true;
            ferry::SyncClient(r.store(), *r.transport, o).push();
        } else if (how < 88) {
            action = "pull, response lost";
            r.transport->lose_pull_response = true;
            ferry::SyncClient(r.store(), *r.transport, o).pull();
        } else if (how < 94) {
            // Two syncers of one store at once: this handle and a second one on the same file.
            action = "two syncers at once";
            if (!r.second) {
                ferry::StoreOptions so;
                so.clock = r.clock.get();
                r.second = std::make_unique<Store>(Store::open(r.store().path(), R.model.app, so));
                r.second_transport = ferry::connect_postgres(R.db.conninfo(), R.model.app);
            }
            ferry::SyncOptions o2 = watch.options(options(), *r.second);
            std::optional<ferry::SyncReport> theirs;
            std::string their_error, my_error;
            std::thread other([&] {
                try {
                    theirs = ferry::SyncClient(*r.second, *r.second_transport, o2).sync();
                } catch (const ferry::Error& e) {
                    their_error = std::string(ferry::error_code_name(e.code())) + ": " + first_line(e.what());
                    if (e.code() != ferry::ErrorCode::busy) their_error = "ERROR " + their_error;
                } catch (const std::exception& e) {
                    their_error = std::string("ERROR ") + e.what();
                }
            });
            try {
                action += ": this one" + count(ferry::SyncClient(r.store(), *r.transport, o).sync(), true);
            } catch (const ferry::Error& e) {
                my_error = std::string(ferry::error_code_name(e.code())) + ": " + first_line(e.what());
                if (e.code() != ferry::ErrorCode::busy) my_error = "ERROR " + my_error;
            } catch (const std::exception& e) {
                my_error = std::string("ERROR ") + e.what();
            }
            other.join();
            if (!my_error.empty()) action += ": this one [" + my_error + "]";
            action += theirs ? ", the other" + count(*theirs, true) : ", the other [" + their_error + "]";
            if (my_error.rfind("ERROR", 0) == 0 || their_error.rfind("ERROR", 0) == 0)
                R.out.sync_errors.push_back(r.name + " " + action);
        } else {
            action = "restart";
            r.device->reopen(r.clock.get());
        }
    } catch (const ferry::Error& e) {
        if (e.code() == ferry::ErrorCode::connection) {
            action += " [lost]";
        } else {
            action += std::string(" [ERROR ") + ferry::error_code_name(e.code()) + ": " + first_line(e.what()) + "]";
            R.out.sync_errors.push_back(r.name + " " + action);
        }
    }
    r.transport->lose_push_response = r.transport->lose_pull_response = false;
    r.transport->lose_pull_at = 0;
    if (o.push_batch != 1000 || o.pull_page != 1000)
        action += " [batch " + std::to_string(o.push_batch) + ", page " + std::to_string(o.pull_page) + "]";
    R.trace() << r.name << ": " << action << "\n";
    watch.end(action);
}

/// Clocks: move some, or bring several replicas to one exact clock value, so that their next
/// writes carry identical (hlc) values and only the site id orders them.
void random_clocks(Round& R) {
    std::vector<Replica*> chosen;
    for (auto& r : R.replicas)
        if (R.rng.chance(0.6)) chosen.push_back(r.get());
    if (chosen.size() < 2) {
        for (auto* r : chosen) advance(*r, R.rng.between(0, 5000));
        R.trace() << "clocks advance\n";
        return;
    }
    std::int64_t top = 0, wall = 0;
    for (auto* r : chosen) {
        top = std::max(top, ferry::detail::impl_of(r->store()).clock.last());
        wall = std::max(wall, r->clock->now_ms());
    }
    std::string names;
    for (auto* r : chosen) {
        r->clock->set(wall);
        ferry::detail::impl_of(r->store()).clock.observe(top);
        names += " " + r->name;
    }
    R.trace() << "clock tie at " << show(Clk{top, ""}) << ":" << names << "\n";
}

/// A replica joins: its first pull is a snapshot, interrupted after a few pages (the answer of
/// one page lost, sometimes a restart after it); it goes on with the next syncs, and may write
/// locally before it has finished.
void join(Round& R) {
    Replica& r = add_replica(R);
    ferry::SyncOptions o;
    o.pull_page = 1 + R.rng.below(3);
    const int lost = 1 + R.rng.below(4);
    r.transport->lose_pull_at = lost;
    Watch watch(R, r);
    o = watch.options(o, r.store());
    std::string action = "joins; snapshot with page " + std::to_string(o.pull_page) + ", answer " + std::to_string(lost) + " lost";
    try {
        ferry::SyncClient(r.store(), *r.transport, o).sync();
        action += " (finished first)";
    } catch (const ferry::Error& e) {
        if (e.code() == ferry::ErrorCode::connection) {
            action += " [interrupted]";
        } else {
            action += std::string(" [ERROR ") + ferry::error_code_name(e.code()) + ": " + first_line(e.what()) + "]";
            R.out.sync_errors.push_back(r.name + " " + action);
        }
    }
    r.transport->lose_pull_at = 0;
    if (R.rng.chance(0.5)) {
        r.device->reopen(r.clock.get());
        action += ", restart";
    }
    const auto snapshot = r.store().query_value("SELECT value FROM ferry_meta WHERE key = 'snapshot'");
    action += snapshot ? ", snapshot unfinished" : ", snapshot done";
    R.trace() << r.name << ": " << action << "\n";
    watch.end(action);
}

/// Everyone syncs until a whole round pushes and pulls nothing. False if they never got quiet.
bool sync_until_quiet(Round& R) {
    bool quiet = false;
    for (int round = 0; round < 8 && !quiet; ++round) {
        quiet = true;
        for (auto& rp : R.replicas) {
            Replica& r = *rp;
            Watch watch(R, r);
            ferry::SyncOptions o = watch.options({}, r.store());
            std::string label = "final sync " + std::to_string(round);
            try {
                auto rep = ferry::SyncClient(r.store(), *r.transport, o).sync();
                R.out.rejected += rep.rejected;
                R.out.superseded += rep.superseded;
                if (rep.pushed || rep.pulled) quiet = false;
                R.trace() << "final " << round << " " << r.name << ": pushed " << rep.pushed << ", rejected " << rep.rejected
                          << ", pulled " << rep.pulled << "\n";
            } catch (const ferry::Error& e) {
                quiet = false;
                R.trace() << "final " << round << " " << r.name << ": ERROR " << first_line(e.what()) << "\n";
                R.out.sync_errors.push_back("final sync of " + r.name + ": " + first_line(e.what()));
            }
            watch.end(label);
        }
    }
    return quiet;
}

/// The end of a round: every replica and a fresh one equal PostgreSQL, nothing is pending, and
/// PostgreSQL holds what the oracle expects.
void final_checks(Round& R) {
    auto& failures = R.out.failures;
    if (!sync_until_quiet(R)) failures.push_back("the replicas did not become quiet (nothing to push or pull) in 8 sync rounds");
    const auto& tables = R.model.tables;
    Device fresh(R.db, R.model.app);
    fresh.sync();
    const Snapshot server = R.server->read();
    R.out.rows = rows_in(server);
    R.out.writes = R.oracle.writes().size();
    const Snapshot fresh_snap = device_snapshot(fresh.store(), tables);
    if (fresh_snap != server)
        failures.push_back("a fresh replica differs from PostgreSQL:\n" + diff(tables, "fresh", fresh_snap, "postgres", server));
    for (const auto& t : tables) {
        const auto count = R.db.scalar("SELECT count(*) FROM " + quoted(t));
        if (std::to_string(server.at(t).size()) != count)
            failures.push_back("PostgreSQL's " + t + " has " + count + " rows, the snapshot " + std::to_string(server.at(t).size()));
    }
    for (auto& rp : R.replicas) {
        Store& s = rp->store();
        const std::string who = rp->name + " (site " + s.status().site_id + ")";
        if (const auto pending = s.status().pending_changes)
            failures.push_back(who + " still has " + std::to_string(pending) + " pending changes");
        if (s.query_value("SELECT count(*) FROM ferry_meta WHERE key = 'push_inflight'")->as_int() != 0)
            failures.push_back(who + " still has a push batch in flight");
        if (s.query_value("SELECT count(*) FROM ferry_meta WHERE key = 'snapshot'")->as_int() != 0)
            failures.push_back(who + " still has a snapshot unfinished");
        const Snapshot mine = device_snapshot(s, tables);
        if (mine != server) failures.push_back(who + " differs from PostgreSQL:\n" + diff(tables, rp->name, mine, "postgres", server));
    }
    check_oracle(R.oracle, server, failures);
}

// ---------------------------------------------------------------------------------------------
// The rounds.

void initial_sync(Round& R) {
    for (auto& rp : R.replicas) {
        Watch watch(R, *rp);
        ferry::SyncClient(rp->store(), *rp->transport, watch.options({}, rp->store())).sync();
        watch.end("first sync");
    }
}

/// december: devices and the web app write, replicas sync and join, clocks move.
void run_round(std::uint64_t seed, int ops, RoundResult& out) {
    static const AppModel model = december_model();
    Round R(seed, model, out);
    ferry::server::install_app_schema(R.db.conninfo(), model.app);
    R.web = std::make_unique<WebWriter>(R.db);
    g_epoch_ms = real_now_ms();
    const int n = 3 + R.rng.below(2);
    for (int i = 0; i < n; ++i) add_replica(R);
    R.server = std::make_unique<ServerReader>(R.db, R.replicas[0]->store(), model);

    // A few rows made by the web app, known to every replica before the random phase.
    for (int i = 0; i < 4; ++i) web_write(R, [&] { return random_write(R.rng, *R.web, R.ledger); });
    initial_sync(R);

    int joins = 0;
    for (R.step = 0; R.step < ops; ++R.step) {
        R.trace() << R.step << " ";
        const int what = R.rng.below(100);
        if (what < 42) {
            Replica& r = *R.replicas[static_cast<std::size_t>(R.rng.below(static_cast<int>(R.replicas.size())))];
            advance(r, R.rng.between(0, 1500));
            device_write(R, r, [&] { return random_write(R.rng, *r.writer, R.ledger); });
        } else if (what < 52) {
            web_write(R, [&] { return random_write(R.rng, *R.web, R.ledger); });
        } else if (what < 87) {
            random_sync(R, *R.replicas[static_cast<std::size_t>(R.rng.below(static_cast<int>(R.replicas.size())))]);
        } else if (what < 90 && enabled("join") && joins < 2) {
            ++joins;
            join(R);
        } else {
            random_clocks(R);
        }
    }
    final_checks(R);
}

/// One random write of the aiflowo tool catalogue: counter increments (the usage count), plain
/// LWW edits of the same rows, and now and then an increment the cloud cannot store.
WriteOutcome counter_write(Rng& rng, Writer& w, const std::vector<std::string>& tools) {
    WriteOutcome out;
    const std::string id = rng.pick(tools);
    int kind = rng.below(100);
    if (kind >= 95 && (w.is_web() || !enabled("refused"))) kind = 0;
    const auto k = static_cast<std::int64_t>(1 + rng.below(3));
    const Value description("d" + std::to_string(rng.below(4)));
    std::vector<Stmt> stmts;
    if (kind < 60) {
        stmts.push_back({"UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + ? WHERE id = ?", {k, id}});
        out.what = "usageCount of " + id + " += " + std::to_string(k);
    } else if (kind < 75) {
        stmts.push_back({"UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + ?, description = ? WHERE id = ?",
                         {k, description, id}});
        out.what = "usageCount of " + id + " += " + std::to_string(k) + ", description = " + description.as_text();
    } else if (kind < 95) {
        if (rng.chance(0.5)) {
            stmts.push_back({"UPDATE \"Tool\" SET description = ? WHERE id = ?", {description, id}});
            out.what = "description of " + id + " = " + description.as_text();
        } else {
            const auto on = static_cast<std::int64_t>(rng.below(2));
            stmts.push_back({"UPDATE \"Tool\" SET enabled = ? WHERE id = ?", {on, id}});
            out.what = "enabled of " + id + " = " + std::to_string(on);
        }
    } else {
        stmts.push_back({"UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + ? WHERE id = ?", {k_out_of_range, id}});
        out.what = "usageCount of " + id + " += " + std::to_string(k_out_of_range) + " (out of the cloud's range)";
    }
    try {
        w.run(stmts);
    } catch (const std::exception& e) {
        out.what += "  [refused locally: " + first_line(e.what()) + "]";
    }
    return out;
}

/// aiflowo: counters merge by adding deltas; every replica must end with the seeded value plus
/// every accepted increment, whatever was lost, retried, restarted or synced twice at once.
void run_counter_round(std::uint64_t seed, int ops, RoundResult& out) {
    static const AppModel model = aiflowo_model();
    Round R(seed, model, out);
    ferry::server::install_app_schema(R.db.conninfo(), model.app);
    R.web = std::make_unique<WebWriter>(R.db);
    g_epoch_ms = real_now_ms();
    for (int i = 0; i < 3; ++i) add_replica(R);
    R.server = std::make_unique<ServerReader>(R.db, R.replicas[0]->store(), model);
    // The seeded tools, as the oracle's first writes.
    const Snapshot seeded = R.server->read();
    const ClockMap clocks = R.server->clocks();
    for (const auto& [id, cells] : seeded.at("Tool")) {
        Write w;
        w.writer = "seed";
        w.table = "Tool";
        w.key = id;
        w.op = Op::insert;
        auto c = clocks.find({"Tool", id});
        w.clock = c != clocks.end() && c->second.created ? *c->second.created : Clk{0, "server"};
        for (const auto& [col, v] : cells) w.cells[col] = {v, w.clock};
        R.oracle.add(std::move(w));
    }
    std::vector<std::string> tools;
    for (const auto& [id, cells] : seeded.at("Tool"))
        if (tools.size() < 3) tools.push_back(id);
    initial_sync(R);

    int joins = 0;
    for (R.step = 0; R.step < ops; ++R.step) {
        R.trace() << R.step << " ";
        const int what = R.rng.below(100);
        if (what < 45) {
            Replica& r = *R.replicas[static_cast<std::size_t>(R.rng.below(static_cast<int>(R.replicas.size())))];
            advance(r, R.rng.between(0, 1500));
            device_write(R, r, [&] { return counter_write(R.rng, *r.writer, tools); });
        } else if (what < 55) {
            web_write(R, [&] { return counter_write(R.rng, *R.web, tools); });
        } else if (what < 90) {
            random_sync(R, *R.replicas[static_cast<std::size_t>(R.rng.below(static_cast<int>(R.replicas.size())))]);
        } else if (what < 92 && enabled("join") && joins < 1) {
            ++joins;
            join(R);
        } else {
            random_clocks(R);
        }
    }
    final_checks(R);
}

std::uint64_t random_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v ? std::max(1, std::atoi(v)) : fallback;
}

/// Runs the rounds of one property test: FERRY_PROPERTY_SEED (one round), FERRY_PROPERTY_ROUNDS,
/// FERRY_PROPERTY_OPS, FERRY_PROPERTY_VERBOSE.
void run_rounds(const std::string& title, const std::function<void(std::uint64_t, int, RoundResult&)>& round,
                int default_rounds, int default_ops) {
    const char* fixed = std::getenv("FERRY_PROPERTY_SEED");
    const bool verbose = std::getenv("FERRY_PROPERTY_VERBOSE") != nullptr;
    const int rounds = fixed ? 1 : env_int("FERRY_PROPERTY_ROUNDS", default_rounds);
    const int ops = env_int("FERRY_PROPERTY_OPS", default_ops);
    const std::uint64_t base = fixed ? std::stoull(fixed) : random_seed();
    std::size_t total_rows = 0;
    std::int64_t total_rejected = 0, total_superseded = 0;
    for (int i = 0; i < rounds; ++i) {
        const std::uint64_t seed = base + static_cast<std::uint64_t>(i);
        std::cout << title << ": seed " << seed << " (replay with FERRY_PROPERTY_SEED=" << seed << ")" << std::endl;
        RoundResult result;
        try {
            round(seed, ops, result);
        } catch (const std::exception& e) {
            result.failures.push_back(std::string("the round threw: ") + printable(e.what()));
        }
        for (const auto& e : result.sync_errors) result.failures.push_back("sync error: " + printable(e));
        std::cout << "  rows " << result.rows << ", writes " << result.writes << ", superseded " << result.superseded
                  << ", rejected " << result.rejected << ", sync errors " << result.sync_errors.size()
                  << ", broken properties " << result.failures.size() << std::endl;
        std::string report;
        for (const auto& f : result.failures) report += "- " + f + "\n";
        if (verbose || !result.failures.empty())
            std::cout << (result.failures.empty() ? "" : "  FAILED seed " + std::to_string(seed) + ":\n" + report)
                      << "  operations of the round:\n" << result.trace.str() << std::endl;
        INFO("seed " << seed << " (replay with FERRY_PROPERTY_SEED=" << seed << ")\n" << report);
        CHECK(result.failures.empty());
        total_rows += result.rows;
        total_rejected += result.rejected;
        total_superseded += result.superseded;
    }
    // The rounds did real work: rows survived, and conflicts happened.
    CHECK(total_rows > 0);
    CHECK(total_superseded + total_rejected > 0);
}

}  // namespace

TEST_CASE("random writers and sync orders converge on the LWW oracle: every replica equals PostgreSQL",
          "[integration][property]") {
    run_rounds("convergence property", run_round, 10, 120);
}

TEST_CASE("random increments, lost answers and double syncers: counters equal the sum of accepted increments",
          "[integration][property]") {
    run_rounds("counter property", run_counter_round, 6, 80);
}

// ---------------------------------------------------------------------------------------------
// Minimised scenarios of divergences the property test found (each names what it expects).

namespace {
const char* k_user_a = "aaaaaaaa-0000-4000-8000-000000000001";
const char* k_user_b = "aaaaaaaa-0000-4000-8000-000000000002";
const char* k_container = "cccccccc-0000-4000-8000-000000000001";
}  // namespace

TEST_CASE("scenario A: a lost push, then a local delete of a row the lost batch inserted",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'one@example.com')", {k_user_a});
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'two@example.com')", {k_user_b});
    FlakyTransport flaky(a.transport());
    ferry::SyncClient client(a.store(), flaky);
    flaky.lose_push_response = true;
    REQUIRE_THROWS_AS(client.push(), ferry::Error);
    REQUIRE(db.scalar("SELECT count(*) FROM users") == "2");  // the server applied the batch

    a.store().execute("DELETE FROM users WHERE id = ?", {k_user_b});
    // Expected: the retry is answered as a duplicate, then the delete goes out.
    REQUIRE_NOTHROW(client.sync());
    CHECK(a.store().status().pending_changes == 0);
    CHECK(db.scalar("SELECT count(*) FROM users") == "1");
    CHECK(text(a.store(), "SELECT count(*) FROM users") == "1");
}

TEST_CASE("scenario B: a lost push, a newer write elsewhere, a pull before the retry", "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO containers(id, container_id, name) VALUES (?, 'dock-1', 'start')", {k_container});
    a.sync();
    b.sync();

    a.store().execute("UPDATE containers SET name = 'from-a' WHERE id = ?", {k_container});
    FlakyTransport flaky(a.transport());
    ferry::SyncClient client(a.store(), flaky);
    flaky.lose_push_response = true;
    REQUIRE_THROWS_AS(client.push(), ferry::Error);  // applied on the server, the answer lost

    ferry::detail::impl_of(b.store()).clock.observe(ferry::detail::impl_of(a.store()).clock.last() + 1000);
    b.store().execute("UPDATE containers SET name = 'from-b' WHERE id = ?", {k_container});  // newer
    b.sync();
    REQUIRE(db.scalar("SELECT name FROM containers") == "from-b");

    client.pull();  // a's own write is still pending: the pulled name is left alone
    client.sync();  // the retry is a duplicate: "applied"
    b.sync();
    // Expected: the newer write wins everywhere.
    CHECK(text(b.store(), "SELECT name FROM containers") == "from-b");
    CHECK(text(a.store(), "SELECT name FROM containers") == "from-b");
}

TEST_CASE("scenario L: a lost push of an insert, deleted elsewhere, a pull before the retry",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'one@example.com')", {k_user_a});
    FlakyTransport flaky(a.transport());
    ferry::SyncClient client(a.store(), flaky);
    flaky.lose_push_response = true;
    REQUIRE_THROWS_AS(client.push(), ferry::Error);

    b.sync();
    b.store().execute("DELETE FROM users WHERE id = ?", {k_user_a});
    b.sync();
    REQUIRE(db.scalar("SELECT count(*) FROM users") == "0");

    client.pull();
    client.sync();
    // Expected: the delete reaches a.
    CHECK(text(a.store(), "SELECT count(*) FROM users") == "0");
}

TEST_CASE("scenario C: pull while a write is pending, then a push whose winning column changes nothing",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO users(id, email, name) VALUES (?, 'one@example.com', 'start')", {k_user_a});
    a.sync();
    b.sync();

    b.store().execute("UPDATE users SET avatar_url = 'A' WHERE id = ?", {k_user_a});
    b.sync();
    // a, later than b's first write, sets the same avatar and another name ...
    ferry::detail::impl_of(a.store()).clock.observe(ferry::detail::impl_of(b.store()).clock.last() + 1000);
    a.store().execute("UPDATE users SET name = 'from-a', avatar_url = 'A' WHERE id = ?", {k_user_a});
    // ... and b, later still, sets the name.
    ferry::detail::impl_of(b.store()).clock.observe(ferry::detail::impl_of(a.store()).clock.last() + 1000);
    b.store().execute("UPDATE users SET name = 'from-b' WHERE id = ?", {k_user_a});
    b.sync();

    ferry::SyncClient client(a.store(), a.transport());
    client.pull();  // a's name is pending: b's name is left alone, the cursor moves past it
    auto r = client.sync();  // the avatar wins (same value, nothing changes), the name loses
    b.sync();
    INFO("push: applied " << r.applied << ", superseded " << r.superseded);
    CHECK(db.scalar("SELECT name FROM users") == "from-b");
    CHECK(text(b.store(), "SELECT name FROM users") == "from-b");
    CHECK(text(a.store(), "SELECT name FROM users") == "from-b");
}

TEST_CASE("scenario D: a JSON value equal to the server's but written in another form", "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO containers(id, container_id, name) VALUES (?, 'dock-1', 'c')", {k_container});
    a.store().execute("INSERT INTO chat_messages(id, container_id, session_id, role, content, metadata) "
                      "VALUES (?, ?, 's', 'user', 'hi', '{\"a\": 1}')",
                      {k_user_b, k_container});
    a.sync();
    b.sync();
    a.store().execute("UPDATE chat_messages SET metadata = '{\"a\":1}'");  // same JSON, other spelling
    a.sync();
    b.sync();
    // Expected: every replica holds PostgreSQL's (normalised) text.
    CHECK(db.scalar("SELECT metadata::text FROM chat_messages") == "{\"a\": 1}");
    CHECK(text(b.store(), "SELECT metadata FROM chat_messages") == "{\"a\": 1}");
    CHECK(text(a.store(), "SELECT metadata FROM chat_messages") == "{\"a\": 1}");
}

TEST_CASE("scenario E: the web app swaps two unique values, a replica pulls both rows", "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    db.exec(std::string("INSERT INTO users(id, email) VALUES ('") + k_user_a + "', 'one@example.com'), ('" + k_user_b +
            "', 'two@example.com')");
    Device a(db, "december");
    a.sync();
    db.exec(std::string("UPDATE users SET email = 'tmp@example.com' WHERE id = '") + k_user_a + "';" +
            "UPDATE users SET email = 'one@example.com' WHERE id = '" + k_user_b + "';" +
            "UPDATE users SET email = 'two@example.com' WHERE id = '" + k_user_a + "'");
    // Expected: the pull applies the swap (the device has nothing pending).
    REQUIRE_NOTHROW(a.sync());
    CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_a}) == "two@example.com");
    CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_b}) == "one@example.com");
}

TEST_CASE("scenario E3: a unique value handed from one row to another, the receiver changed first",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    db.exec(std::string("INSERT INTO users(id, email) VALUES ('") + k_user_a + "', 'one@example.com'), ('" + k_user_b +
            "', 'two@example.com')");
    Device a(db, "december");
    a.sync();
    // No cycle: b is renamed, then a gives up 'one', then b takes it (three transactions).
    db.exec(std::string("UPDATE users SET name = 'b' WHERE id = '") + k_user_b + "'");
    db.exec(std::string("UPDATE users SET email = 'three@example.com' WHERE id = '") + k_user_a + "'");
    db.exec(std::string("UPDATE users SET email = 'one@example.com' WHERE id = '") + k_user_b + "'");
    // Expected: the pull applies all three (the device has nothing pending).
    REQUIRE_NOTHROW(a.sync());
    CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_a}) == "three@example.com");
    CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_b}) == "one@example.com");
}

TEST_CASE("scenario F: a device replaces a row by another with the same unique value", "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {k_user_a});
    a.sync();
    a.store().transaction([&] {
        a.store().execute("DELETE FROM users WHERE id = ?", {k_user_a});
        a.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {k_user_b});
    });
    auto r = a.sync();
    // Expected: nobody else holds the email: the replacement is applied, nothing is rejected.
    CHECK(r.rejected == 0);
    CHECK(db.scalar("SELECT count(*) FROM users WHERE id = '" + std::string(k_user_b) + "'") == "1");
    CHECK(text(a.store(), "SELECT id FROM users WHERE email = 'same@example.com'") == k_user_b);
}

TEST_CASE("scenario G: a device swaps two unique values in one transaction", "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'one@example.com')", {k_user_a});
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'two@example.com')", {k_user_b});
    a.sync();
    a.store().transaction([&] {
        a.store().execute("UPDATE users SET email = 'tmp@example.com' WHERE id = ?", {k_user_a});
        a.store().execute("UPDATE users SET email = 'one@example.com' WHERE id = ?", {k_user_b});
        a.store().execute("UPDATE users SET email = 'two@example.com' WHERE id = ?", {k_user_a});
    });
    // Expected: the push is answered (applied, or refused and listed) and the device is brought to
    // the server's state; it never gets stuck.
    REQUIRE_NOTHROW(a.sync());
    REQUIRE_NOTHROW(a.sync());
    CHECK(a.store().status().pending_changes == 0);
    CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_a}) ==
          db.scalar(std::string("SELECT email FROM users WHERE id = '") + k_user_a + "'"));
    CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_b}) ==
          db.scalar(std::string("SELECT email FROM users WHERE id = '") + k_user_b + "'"));
}

TEST_CASE("scenario E2: a pull brings a unique value that an unpushed local insert holds", "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {k_user_a});
    a.sync();
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {k_user_b});
    ferry::SyncClient client(b.store(), b.transport());
    // Expected: the pull succeeds; b's own insert clashes with the server's row, so it is listed
    // as rejected (by the pull that found the clash) and the server's row takes its place.
    CHECK_NOTHROW(client.pull());
    client.sync();
    CHECK(ferry::rejected_writes(b.store()).size() == 1);
    CHECK(b.store().status().pending_changes == 0);
    CHECK(text(b.store(), "SELECT id FROM users WHERE email = 'same@example.com'") == k_user_a);
}

TEST_CASE("scenario H: a pull applies a swap of two emails while one of the two users has a pending edit",
          "[integration][property]") {
    for (const char* edited : {k_user_a, k_user_b}) {
        PgDatabase db;
        ferry::server::install_app_schema(db.conninfo(), "december");
        db.exec(std::string("INSERT INTO users(id, email) VALUES ('") + k_user_a + "', 'one@example.com'), ('" + k_user_b +
                "', 'two@example.com')");
        Device a(db, "december");
        a.sync();
        a.store().execute("UPDATE users SET name = 'edited' WHERE id = ?", {edited});
        db.exec(std::string("UPDATE users SET email = 'tmp@example.com' WHERE id = '") + k_user_a + "';" +
                "UPDATE users SET email = 'one@example.com' WHERE id = '" + k_user_b + "';" +
                "UPDATE users SET email = 'two@example.com' WHERE id = '" + k_user_a + "'");
        INFO("the user edited on the device: " << edited);
        // Expected: the pull applies the swap and keeps the pending edit, which the next push sends.
        ferry::SyncClient client(a.store(), a.transport());
        REQUIRE_NOTHROW(client.pull());
        CHECK(text(a.store(), "SELECT count(*) FROM users") == "2");
        CHECK(text(a.store(), "SELECT name FROM users WHERE id = ?", {edited}) == "edited");
        REQUIRE_NOTHROW(a.sync());
        CHECK(a.store().status().pending_changes == 0);
        CHECK(ferry::rejected_writes(a.store()).empty());
        CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_a}) == "two@example.com");
        CHECK(text(a.store(), "SELECT email FROM users WHERE id = ?", {k_user_b}) == "one@example.com");
        CHECK(db.scalar(std::string("SELECT name FROM users WHERE id = '") + edited + "'") == "edited");
    }
}

TEST_CASE("scenario I: a lost push of a refused insert, a pull before the retry: the refusal is listed once",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {k_user_b});
    b.sync();
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'same@example.com')", {k_user_a});
    FlakyTransport flaky(a.transport());
    ferry::SyncClient client(a.store(), flaky);
    flaky.lose_push_response = true;
    REQUIRE_THROWS_AS(client.push(), ferry::Error);  // refused by the server, the answer lost
    REQUIRE_NOTHROW(client.pull());                   // b's user takes the email back on a
    REQUIRE_NOTHROW(client.sync());                   // the retry is answered with the stored refusal
    // Expected: one write, one rejection listed; the device holds the server's state.
    CHECK(ferry::rejected_writes(a.store()).size() == 1);
    CHECK(a.store().status().pending_changes == 0);
    CHECK(text(a.store(), "SELECT id FROM users WHERE email = 'same@example.com'") == k_user_b);
}

TEST_CASE("scenario J: an increment the cloud cannot store is rejected naming the counter column",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "aiflowo");
    Device a(db, "aiflowo");
    a.sync();
    a.store().execute("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 3000000000 WHERE id = 'tool_search_google'");
    REQUIRE_NOTHROW(a.sync());
    // Expected: invalid_argument naming Tool.usageCount (DESIGN.md decision 9: "a clear error naming
    // the table and column"); the server and the device keep the old count.
    const auto rejected = ferry::rejected_writes(a.store());
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].code == "invalid_argument");
    CHECK(rejected[0].reason.find("usageCount") != std::string::npos);
    CHECK(db.scalar("SELECT \"usageCount\" FROM \"Tool\" WHERE id = 'tool_search_google'") == "0");
    CHECK(text(a.store(), "SELECT \"usageCount\" FROM \"Tool\" WHERE id = 'tool_search_google'") == "0");
}

TEST_CASE("scenario L: a second handle of the store (a daemon) pulls a value, the app's edit after seeing it wins",
          "[integration][property]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    FakeClock ahead(real_now_ms() + 200'000), behind(real_now_ms() - 60'000);  // both inside the skew limit
    Device other(db, "december", &ahead);
    other.store().execute("INSERT INTO containers(id, container_id, name) VALUES (?, 'dock-1', 'from-other')", {k_container});
    other.sync();
    Device a(db, "december", &behind);
    ferry::StoreOptions so;
    so.clock = &behind;
    Store daemon = Store::open(a.store().path(), "december", so);
    auto transport = ferry::connect_postgres(db.conninfo(), "december");
    ferry::SyncClient(daemon, *transport).sync();
    REQUIRE(text(a.store(), "SELECT name FROM containers") == "from-other");  // the app sees the value
    a.store().execute("UPDATE containers SET name = 'seen-and-edited' WHERE id = ?", {k_container});
    ferry::SyncClient(daemon, *transport).sync();
    // Expected (HLC receive rule, DESIGN.md decision 1): the edit made after seeing the value is
    // ordered after it, whichever handle of the store pulled it.
    CHECK(db.scalar("SELECT name FROM containers") == "seen-and-edited");
    CHECK(text(a.store(), "SELECT name FROM containers") == "seen-and-edited");
}
