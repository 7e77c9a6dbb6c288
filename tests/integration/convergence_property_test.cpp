// tests/integration/convergence_property_test.cpp: a property test of convergence. Several
// replicas of the december app and a web app writing plain SQL in PostgreSQL do random inserts,
// updates, deletes and unique-key clashes, and sync in random orders with interruptions (push
// only, pull only, lost push responses, restarts, small batches and pages) while their clocks
// move randomly, sometimes to exact ties. When everyone has synced until quiet, every replica,
// a fresh replica and PostgreSQL itself must hold the same rows, nothing may be pending, and
// every rejected write must be explained (a unique value another row kept, a parent that is gone).
//
// The seed of each round is printed. Replay one round with FERRY_PROPERTY_SEED=<seed> (the same
// operations and keys; site ids and the server's clock still differ between runs); run more rounds
// with FERRY_PROPERTY_ROUNDS=<n>; print every round's trace with FERRY_PROPERTY_VERBOSE=1; turn
// kinds of operations off with FERRY_PROPERTY_WITHOUT=swap,replace,pull-only,lost-push.
//
// Below the property test: the divergences it found (and a few found while reading the code
// behind them), each minimised to a small deterministic scenario that states what it expects.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
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

const std::vector<std::string> k_tables = {"users",    "sessions",      "containers",
                                           "projects", "chat_messages", "file_storage"};

std::int64_t real_now_ms() { return ferry::SystemClock::instance().now_ms(); }

std::string short_id(const std::string& id) { return id.substr(0, 8); }

/// FERRY_PROPERTY_WITHOUT=swap,replace,pull-only,lost-push turns kinds of operations off, to look
/// past a known failure for others. Every kind is on by default.
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

/// Forwards calls; can lose the response of the next push (after the server committed it), or of
/// the next pull, as a dropped connection would.
class FlakyTransport : public ferry::Transport {
public:
    explicit FlakyTransport(ferry::Transport& inner) : m_inner(inner) {}
    bool lose_push_response = false;
    bool lose_pull_response = false;
    std::string call(const std::string& endpoint, const std::string& request) override {
        auto response = m_inner.call(endpoint, request);
        if ((endpoint == "push" && lose_push_response) || (endpoint == "pull" && lose_pull_response)) {
            lose_push_response = lose_pull_response = false;
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

/// Something that writes december data: a device through its store, or the web app through
/// plain SQL on PostgreSQL.
class Writer {
public:
    virtual ~Writer() = default;
    virtual const std::string& name() const = 0;
    virtual bool is_web() const = 0;
    /// Primary keys of `table` as this writer sees them, sorted.
    virtual std::vector<std::string> ids(const std::string& table) = 0;
    /// users.email (or another text column) of one row as this writer sees it.
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
        for (const auto& r : m_device.store().query("SELECT id FROM " + table + " ORDER BY id").rows)
            out.push_back(r[0].as_text());
        return out;
    }
    std::optional<std::string> text_of(const std::string& table, const std::string& column,
                                       const std::string& id) override {
        auto v = m_device.store().query_value("SELECT " + column + " FROM " + table + " WHERE id = ?", {id});
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
        for (const auto& r : tx.exec("SELECT id::text FROM " + table + " ORDER BY id::text")) out.push_back(r[0].c_str());
        tx.commit();
        return out;
    }
    std::optional<std::string> text_of(const std::string& table, const std::string& column,
                                       const std::string& id) override {
        pqxx::work tx(m_conn);
        auto r = tx.exec("SELECT " + column + "::text FROM " + table + " WHERE id = " + tx.quote(id));
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
    std::unique_ptr<FakeClock> clock;
    std::unique_ptr<Device> device;
    std::unique_ptr<FlakyTransport> transport;
    std::unique_ptr<DeviceWriter> writer;
};

// ---------------------------------------------------------------------------------------------
// Values: small domains, so that concurrent writers often write the same column, the same value,
// or the same unique key.

const std::vector<std::string> k_timestamps = {"2024-01-01T00:00:00.000Z", "2024-06-30T12:34:56.789Z",
                                               "2025-02-03T04:05:06.007Z"};

std::string email(Rng& rng) { return "u" + std::to_string(rng.below(6)) + "@example.com"; }
std::string docker_id(Rng& rng) { return "dock-" + std::to_string(rng.below(6)); }

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
    if (col == "labels" || col == "metadata" || col == "settings")
        return Value(rng.pick(std::vector<std::string>{"{}", "{\"a\": 1}", "{\"b\": [1, 2]}", "{\"a\":1}"}));
    if (col == "attachments") return Value(rng.pick(std::vector<std::string>{"[]", "[\"f.txt\"]", "[\"f.txt\" ]"}));
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
    {"containers", {"name", "status"}},          {"projects", {"name", "status"}},
    {"chat_messages", {"content", "role"}},      {"file_storage", {"file_name", "file_size"}},
};

std::string describe(const Value& v) { return v.is_null() ? "NULL" : v.to_string(); }

/// What the round remembers to explain rejected writes: which rows were ever given each unique
/// value, which rows (users, containers: the tables with unique values) each device removed and
/// when, and when each device last gave a row a unique value (a write counter orders them).
struct Ledger {
    std::map<std::string, std::set<std::string>> holders;  // "email=..." / "container_id=..." -> row ids
    std::map<std::string, std::map<std::string, int>> removed;  // device -> id it deleted -> when
    std::map<std::string, std::map<std::string, int>> gave;     // device -> id it gave a unique value -> when
    int clock = 0;
    void wrote(const std::string& column, const Value& v, const std::string& row) {
        if (!v.is_null()) holders[column + "=" + v.as_text()].insert(row);
    }
};

/// One random write by `w`. Returns its description for the trace.
std::string random_write(Rng& rng, Writer& w, Ledger& ledger) {
    int kind = rng.below(100);
    if ((kind >= 84 && kind < 91 && !enabled("replace")) || (kind >= 91 && !enabled("swap"))) kind = kind % 72;
    std::vector<Stmt> stmts;
    std::string what;
    std::vector<std::tuple<std::string, Value, std::string>> unique_values;  // column, value, row
    if (kind < 40) {
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
    } else if (kind < 72) {
        // Update 1-3 random columns of a random row; often the few "hot" columns, so that
        // replicas write the same column of the same row concurrently.
        std::vector<std::string> candidates;
        for (const auto& t : k_tables)
            if (!w.ids(t).empty()) candidates.push_back(t);
        if (candidates.empty()) return "update: no row";
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
    } else if (kind < 84) {
        // Delete a row; parents (users, containers) more often, with whatever hangs below them.
        static const std::vector<std::string> tables = {"users",    "containers",    "containers",   "projects",
                                                        "sessions", "chat_messages", "file_storage", "projects"};
        const std::string t = rng.pick(tables);
        auto ids = w.ids(t);
        if (ids.empty()) return "delete " + t + ": no row";
        const std::string id = rng.pick(ids);
        stmts.push_back({"DELETE FROM " + t + " WHERE id = ?", {id}});
        what = "delete " + t + " " + short_id(id);
    } else if (kind < 91) {
        // Replace a user: delete it and create another with the same email, in one transaction.
        auto ids = w.ids("users");
        if (ids.empty()) return "replace user: no row";
        const std::string old_id = rng.pick(ids);
        auto e = w.text_of("users", "email", old_id);
        if (!e) return "replace user: no email";
        const std::string id = rng.uuid();
        stmts.push_back({"DELETE FROM users WHERE id = ?", {old_id}});
        stmts.push_back({"INSERT INTO users(id, email, name) VALUES (?, ?, 'replacement')", {id, *e}});
        unique_values.emplace_back("email", Value(*e), id);
        what = "replace user " + short_id(old_id) + " by " + short_id(id) + " with email " + *e;
    } else {
        // Swap the emails of two users through a temporary value, in one transaction.
        auto ids = w.ids("users");
        if (ids.size() < 2) return "swap emails: fewer than two users";
        const std::string a = rng.pick(ids);
        std::string b = rng.pick(ids);
        if (a == b) return "swap emails: same user";
        auto ea = w.text_of("users", "email", a), eb = w.text_of("users", "email", b);
        if (!ea || !eb) return "swap emails: no email";
        const std::string tmp = "swap-" + short_id(a) + "@example.com";
        stmts.push_back({"UPDATE users SET email = ? WHERE id = ?", {tmp, a}});
        stmts.push_back({"UPDATE users SET email = ? WHERE id = ?", {*ea, b}});
        stmts.push_back({"UPDATE users SET email = ? WHERE id = ?", {*eb, a}});
        unique_values.emplace_back("email", Value(*ea), b);
        unique_values.emplace_back("email", Value(*eb), a);
        unique_values.emplace_back("email", Value(tmp), a);
        what = "swap emails of " + short_id(a) + " (" + *ea + ") and " + short_id(b) + " (" + *eb + ")";
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
            if (!w.is_web()) ledger.gave[w.name()][row] = now;
        }
        if (!w.is_web()) {
            for (const char* t : {"users", "containers"})
                for (const auto& id : w.ids(t)) before.erase(id);
            for (const auto& id : before) ledger.removed[w.name()].emplace(id, now);
        }
        return what;
    } catch (const std::exception& e) {
        std::string msg = e.what();
        return what + "  [refused locally: " + msg.substr(0, std::min(msg.find('\n'), msg.find(" (running"))) + "]";
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots: every synced table as key -> row text, in device form.

using TableSnapshot = std::map<std::string, std::string>;
using Snapshot = std::map<std::string, TableSnapshot>;

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

Snapshot device_snapshot(Store& s) {
    Snapshot out;
    for (const auto& t : k_tables) {
        auto& snap = out[t];
        auto r = s.query("SELECT * FROM " + t);
        for (const auto& row : r.rows) {
            std::string text;
            for (std::size_t i = 0; i < r.columns.size(); ++i) text += r.columns[i] + "=" + render(row[i]) + "; ";
            snap[row[r.column_index("id")].as_text()] = text;
        }
    }
    return out;
}

/// PostgreSQL's tables read directly and converted to the device form (docs/protocol.md: uuid
/// and text as text, inet as text without a full mask, timestamps as ISO-8601 UTC with milliseconds, booleans 0/1, jsonb as
/// its text), for the columns the device has (sessions.token stays on the server).
Snapshot server_snapshot(const PgDatabase& db, Store& reference) {
    Snapshot out;
    auto c = db.connect();
    pqxx::work tx(c);
    for (const auto& t : k_tables) {
        std::map<std::string, std::string> types;
        for (const auto& r : tx.exec("SELECT column_name, data_type FROM information_schema.columns "
                                     "WHERE table_schema = 'public' AND table_name = " + tx.quote(t)))
            types[r[0].c_str()] = r[1].c_str();
        const auto cols = columns_of(reference, t);
        std::string select;
        std::vector<bool> integer;
        for (const auto& col : cols) {
            const auto& type = types.at(col);
            std::string e;
            if (type == "timestamp with time zone")
                e = "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
            else if (type == "boolean")
                e = "(CASE WHEN " + col + " THEN '1' WHEN NOT " + col + " THEN '0' END)";
            else if (type == "inet")
                e = "(CASE WHEN masklen(" + col + ") = 32 AND family(" + col + ") = 4 THEN host(" + col + ") "
                    "WHEN masklen(" + col + ") = 128 THEN host(" + col + ") ELSE " + col + "::text END)";
            else
                e = col + "::text";
            integer.push_back(type == "boolean" || type == "integer" || type == "bigint" || type == "smallint");
            select += (select.empty() ? "" : ", ") + e;
        }
        auto& snap = out[t];
        for (const auto& r : tx.exec("SELECT id::text, " + select + " FROM " + t)) {
            std::string text;
            for (std::size_t i = 0; i < cols.size(); ++i) {
                const auto& f = r[static_cast<int>(i + 1)];
                text += cols[i] + "=" + (f.is_null() ? "NULL" : (integer[i] ? "i:" : "s:") + std::string(f.c_str())) + "; ";
            }
            snap[r[0].c_str()] = text;
        }
    }
    tx.commit();
    return out;
}

/// The differences between two snapshots, readable; empty when equal.
std::string diff(const std::string& an, const Snapshot& a, const std::string& bn, const Snapshot& b) {
    std::ostringstream o;
    int shown = 0;
    for (const auto& t : k_tables) {
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
            o << "  " << t << " " << k << ":\n    " << an << ": " << (ia == ta.end() ? "<no row>" : ia->second)
              << "\n    " << bn << ": " << (ib == tb.end() ? "<no row>" : ib->second) << "\n";
        }
    }
    return o.str();
}

std::size_t rows_in(const Snapshot& s) {
    std::size_t n = 0;
    for (const auto& [t, rows] : s) n += rows.size();
    return n;
}

// ---------------------------------------------------------------------------------------------
// One round.

struct RoundResult {
    std::ostringstream trace;
    std::vector<std::string> failures;     ///< broken properties, readable
    std::vector<std::string> sync_errors;  ///< non-transient sync errors (random phase and final syncs)
    std::size_t rows = 0;
    std::int64_t rejected = 0;
    std::int64_t superseded = 0;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

void run_round(std::uint64_t seed, int ops, RoundResult& out) {
    Rng rng(seed);
    std::ostringstream& trace = out.trace;
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    WebWriter web(db);
    Ledger ledger;

    // Clocks run behind the real time (by 1-90 s), so the server's skew limit never refuses them.
    const int n = 3 + rng.below(2);
    std::vector<Replica> replicas(static_cast<std::size_t>(n));
    const std::int64_t start = real_now_ms() - 90'000;
    for (int i = 0; i < n; ++i) {
        auto& r = replicas[static_cast<std::size_t>(i)];
        r.name = "d" + std::to_string(i);
        r.clock = std::make_unique<FakeClock>(start + rng.between(0, 30'000));
        r.device = std::make_unique<Device>(db, "december", r.clock.get());
        r.transport = std::make_unique<FlakyTransport>(r.device->transport());
        r.writer = std::make_unique<DeviceWriter>(r.name, *r.device);
        trace << r.name << " site " << r.device->store().status().site_id << "\n";
    }
    auto advance = [&](FakeClock& c, std::int64_t ms) { c.set(std::min(c.now_ms() + ms, real_now_ms() - 1000)); };

    // A few rows made by the web app, known to every replica before the random phase.
    for (int i = 0; i < 4; ++i) trace << "web: " << random_write(rng, web, ledger) << "\n";
    for (auto& r : replicas) ferry::SyncClient(r.device->store(), *r.transport).sync();

    std::int64_t rejected = 0, superseded = 0;
    for (int step = 0; step < ops; ++step) {
        trace << step << " ";
        const int what = rng.below(100);
        if (what < 45) {
            auto& r = replicas[static_cast<std::size_t>(rng.below(n))];
            advance(*r.clock, rng.between(0, 1500));
            trace << r.name << ": " << random_write(rng, *r.writer, ledger) << "\n";
        } else if (what < 55) {
            trace << "web: " << random_write(rng, web, ledger) << "\n";
        } else if (what < 90) {
            auto& r = replicas[static_cast<std::size_t>(rng.below(n))];
            ferry::SyncOptions o;
            if (rng.chance(0.3)) o.push_batch = 1 + rng.below(3);
            if (rng.chance(0.3)) o.pull_page = 1 + rng.below(3);
            int how = rng.below(100);
            if (how >= 55 && how < 75 && !enabled("pull-only")) how -= 55;
            if (how >= 85 && how < 90 && !enabled("pull-only")) how -= 85;
            if (how >= 75 && how < 85 && !enabled("lost-push")) how -= 75;
            std::string action;
            try {
                ferry::SyncClient client(r.device->store(), *r.transport, o);
                if (how < 35) {
                    action = "sync";
                    auto rep = client.sync();
                    rejected += rep.rejected;
                    superseded += rep.superseded;
                    action += " (pushed " + std::to_string(rep.pushed) + ", superseded " +
                              std::to_string(rep.superseded) + ", rejected " + std::to_string(rep.rejected) +
                              ", pulled " + std::to_string(rep.pulled) + ")";
                } else if (how < 55) {
                    action = "push";
                    auto rep = client.push();
                    rejected += rep.rejected;
                    superseded += rep.superseded;
                    action += " (pushed " + std::to_string(rep.pushed) + ", superseded " +
                              std::to_string(rep.superseded) + ", rejected " + std::to_string(rep.rejected) + ")";
                } else if (how < 75) {
                    action = "pull";
                    auto rep = client.pull();
                    action += " (pulled " + std::to_string(rep.pulled) + ")";
                } else if (how < 85) {
                    action = "push, response lost";
                    r.transport->lose_push_response = true;
                    client.push();
                } else if (how < 90) {
                    action = "pull, response lost";
                    r.transport->lose_pull_response = true;
                    client.pull();
                } else {
                    action = "restart";
                    r.device->reopen(r.clock.get());
                }
            } catch (const ferry::Error& e) {
                if (e.code() == ferry::ErrorCode::connection) {
                    action += " [lost]";
                } else {
                    action += std::string(" [ERROR ") + ferry::error_code_name(e.code()) + ": " + first_line(e.what()) + "]";
                    out.sync_errors.push_back(r.name + " " + action);
                }
            }
            r.transport->lose_push_response = r.transport->lose_pull_response = false;
            if (o.push_batch != 1000 || o.pull_page != 1000)
                action += " [batch " + std::to_string(o.push_batch) + ", page " + std::to_string(o.pull_page) + "]";
            trace << r.name << ": " << action << "\n";
        } else {
            // Clocks: move some, or bring several replicas to one exact clock value, so their next
            // writes carry identical (hlc) values and only the site id orders them.
            std::vector<Replica*> chosen;
            for (auto& r : replicas)
                if (rng.chance(0.6)) chosen.push_back(&r);
            if (chosen.size() < 2) {
                for (auto* r : chosen) advance(*r->clock, rng.between(0, 5000));
                trace << "clocks advance\n";
                continue;
            }
            std::int64_t top = 0, wall = 0;
            for (auto* r : chosen) {
                top = std::max(top, r->device->store().impl().clock.last());
                wall = std::max(wall, r->clock->now_ms());
            }
            std::string names;
            for (auto* r : chosen) {
                r->clock->set(wall);
                r->device->store().impl().clock.observe(top);
                names += " " + r->name;
            }
            trace << "clock tie at " << top << ":" << names << "\n";
        }
    }

    // Everyone syncs until a whole round pushes and pulls nothing.
    bool quiet = false;
    for (int round = 0; round < 6 && !quiet; ++round) {
        quiet = true;
        for (auto& r : replicas) {
            try {
                auto rep = ferry::SyncClient(r.device->store(), *r.transport).sync();
                rejected += rep.rejected;
                superseded += rep.superseded;
                if (rep.pushed || rep.pulled) quiet = false;
                trace << "final " << round << " " << r.name << ": pushed " << rep.pushed << ", rejected "
                      << rep.rejected << ", pulled " << rep.pulled << "\n";
            } catch (const ferry::Error& e) {
                quiet = false;
                trace << "final " << round << " " << r.name << ": ERROR " << first_line(e.what()) << "\n";
                out.sync_errors.push_back("final sync of " + r.name + ": " + first_line(e.what()));
            }
        }
    }
    out.rejected = rejected;
    out.superseded = superseded;
    auto& failures = out.failures;
    if (!quiet) failures.push_back("the replicas did not become quiet (nothing to push or pull) in 6 sync rounds");

    // A fresh replica that pulls everything, and PostgreSQL read directly.
    Device fresh(db, "december");
    fresh.sync();
    const Snapshot server = server_snapshot(db, fresh.store());
    out.rows = rows_in(server);
    const Snapshot fresh_snap = device_snapshot(fresh.store());
    if (fresh_snap != server) failures.push_back("a fresh replica differs from PostgreSQL:\n" + diff("fresh", fresh_snap, "postgres", server));
    for (const auto& t : k_tables) {
        const auto count = db.scalar("SELECT count(*) FROM " + t);
        if (std::to_string(server.at(t).size()) != count)
            failures.push_back("PostgreSQL's " + t + " has " + count + " rows, the snapshot " +
                               std::to_string(server.at(t).size()));
    }

    for (auto& r : replicas) {
        Store& s = r.device->store();
        const std::string who = r.name + " (site " + s.status().site_id + ")";
        if (const auto pending = s.status().pending_changes)
            failures.push_back(who + " still has " + std::to_string(pending) + " pending changes");
        if (s.query_value("SELECT count(*) FROM ferry_meta WHERE key = 'push_inflight'")->as_int() != 0)
            failures.push_back(who + " still has a push batch in flight");
        const Snapshot mine = device_snapshot(s);
        if (mine != server) failures.push_back(who + " differs from PostgreSQL:\n" + diff(r.name, mine, "postgres", server));

        // Every rejected write is explained: a unique value that some row this device did not
        // remove was also given, or a parent that is gone from the server.
        for (const auto& w : ferry::rejected_writes(s)) {
            const std::string what = who + " has a rejected " + w.op + " of " + w.table + " " + w.key_json + " (" +
                                     w.code + ": " + w.reason + "; values " + w.values_json + ")";
            const bool unique = w.reason.find("unique key already taken") != std::string::npos;
            const bool parent = w.reason.find("referenced row does not exist") != std::string::npos;
            if (w.code != "constraint" || w.op == "delete" || !(unique || parent)) {
                failures.push_back(what + ": not a unique clash or a missing parent");
                continue;
            }
            const auto vals = w.values_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(w.values_json);
            const std::string row = nlohmann::json::parse(w.key_json).at(0).get<std::string>();
            if (unique) {
                bool explained = false;
                for (const std::string col : {"email", "container_id"}) {
                    if (!vals.contains(col) || !vals[col].is_string()) continue;
                    if (col == "container_id" && w.table != "containers") continue;
                    auto it = ledger.holders.find(col + "=" + vals[col].get<std::string>());
                    if (it == ledger.holders.end()) continue;
                    // A holder explains the clash unless this device removed it before it wrote
                    // the refused value (then the refusal would be a bug of merge order).
                    const auto& removed = ledger.removed[r.name];
                    const int gave = ledger.gave[r.name].count(row) ? ledger.gave[r.name].at(row) : 0;
                    for (const auto& holder : it->second) {
                        auto gone = removed.find(holder);
                        explained = explained || (holder != row && (gone == removed.end() || gone->second > gave));
                    }
                }
                if (!explained)
                    failures.push_back(what + ": no other row kept this value; only rows this device had removed "
                                              "before writing it held it");
            } else {
                bool gone = false;
                for (const std::string col : {"user_id", "container_id"}) {
                    if (!vals.contains(col) || !vals[col].is_string()) continue;
                    if (w.table == "containers" && col == "container_id") continue;
                    gone = gone || !server.at(col == "user_id" ? "users" : "containers").count(vals[col].get<std::string>());
                }
                if (!gone) failures.push_back(what + ": every parent it names exists on the server");
            }
        }
    }
}

std::uint64_t random_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

TEST_CASE("random writers and sync orders converge: every replica equals PostgreSQL", "[integration][property]") {
    const char* fixed = std::getenv("FERRY_PROPERTY_SEED");
    const char* rounds_env = std::getenv("FERRY_PROPERTY_ROUNDS");
    const bool verbose = std::getenv("FERRY_PROPERTY_VERBOSE") != nullptr;
    const int rounds = fixed ? 1 : (rounds_env ? std::max(1, std::atoi(rounds_env)) : 5);
    const std::uint64_t base = fixed ? std::stoull(fixed) : random_seed();
    std::size_t total_rows = 0;
    std::int64_t total_rejected = 0, total_superseded = 0;
    for (int i = 0; i < rounds; ++i) {
        const std::uint64_t seed = base + static_cast<std::uint64_t>(i);
        std::cout << "convergence property: seed " << seed << " (replay with FERRY_PROPERTY_SEED=" << seed << ")"
                  << std::endl;
        RoundResult result;
        try {
            run_round(seed, 80, result);
        } catch (const std::exception& e) {
            result.failures.push_back(std::string("the round threw: ") + e.what());
        }
        for (const auto& e : result.sync_errors) result.failures.push_back("sync error: " + e);
        std::cout << "  rows " << result.rows << ", superseded " << result.superseded << ", rejected "
                  << result.rejected << ", sync errors " << result.sync_errors.size() << ", broken properties "
                  << result.failures.size() << std::endl;
        if (verbose) std::cout << result.trace.str();
        std::string report;
        for (const auto& f : result.failures) report += "- " + f + "\n";
        INFO("seed " << seed << " (replay with FERRY_PROPERTY_SEED=" << seed << ")\n" << report << "trace:\n"
                     << result.trace.str());
        CHECK(result.failures.empty());
        total_rows += result.rows;
        total_rejected += result.rejected;
        total_superseded += result.superseded;
    }
    // The rounds did real work: rows survived, and conflicts happened.
    CHECK(total_rows > 0);
    CHECK(total_superseded + total_rejected > 0);
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

    b.store().impl().clock.observe(a.store().impl().clock.last() + 1000);
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
    a.store().impl().clock.observe(b.store().impl().clock.last() + 1000);
    a.store().execute("UPDATE users SET name = 'from-a', avatar_url = 'A' WHERE id = ?", {k_user_a});
    // ... and b, later still, sets the name.
    b.store().impl().clock.observe(a.store().impl().clock.last() + 1000);
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

TEST_CASE("scenario E: the web app swaps two unique values; a replica pulls both rows", "[integration][property]") {
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
