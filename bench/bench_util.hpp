// bench/bench_util.hpp: shared pieces of the benchmarks: deterministic rows of the december app's
// tables, timing, medians, raw sqlite3 helpers and result tables. Benchmarks print ratios
// measured side by side in one run; they never assert on time.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "ferry/value.hpp"

namespace bench {

using ferry::Value;

// ---------------------------------------------------------------------------------------------
// Timing and statistics

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Runs `f` and returns its wall time in seconds.
template <class F>
double timed(F&& f) {
    const auto t0 = Clock::now();
    f();
    return seconds_since(t0);
}

/// Wall time and this process's CPU time (user + system) of one measurement. On a shared machine
/// the CPU time is the steadier of the two: it does not count time the process waited for a core.
struct Sample {
    double wall = 0;
    double cpu = 0;
};

inline double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Runs `f` and returns its wall and CPU time in seconds.
template <class F>
Sample measure(F&& f) {
    const double c0 = cpu_now();
    const auto t0 = Clock::now();
    f();
    return Sample{seconds_since(t0), cpu_now() - c0};
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double min_of(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }
inline double max_of(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

/// Samples of named measurements: sample[name] holds one value per run.
struct Samples {
    std::map<std::string, std::vector<double>> v;
    void add(const std::string& name, double x) { v[name].push_back(x); }
    bool has(const std::string& name) const { return v.count(name) && !v.at(name).empty(); }
    double med(const std::string& name) const { return has(name) ? median(v.at(name)) : 0; }
    const std::vector<double>& all(const std::string& name) const {
        static const std::vector<double> none;
        return has(name) ? v.at(name) : none;
    }
};

// ---------------------------------------------------------------------------------------------
// Deterministic data

struct Rng {
    std::uint64_t s;
    explicit Rng(std::uint64_t seed) : s(seed) {}
    std::uint64_t next() {  // splitmix64
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

/// A lowercase RFC 4122 v4 uuid, as the december schema's CHECK requires.
inline std::string uuid(Rng& r) {
    static const char* hex = "0123456789abcdef";
    std::uint64_t a = r.next(), b = r.next();
    char s[37];
    int k = 0;
    for (int i = 0; i < 32; ++i) {
        std::uint64_t& src = i < 16 ? a : b;
        int nib = static_cast<int>(src & 15);
        src >>= 4;
        if (i == 12) nib = 4;
        if (i == 16) nib = 8 | (nib & 3);
        if (i == 8 || i == 12 || i == 16 || i == 20) s[k++] = '-';
        s[k++] = hex[nib];
    }
    s[k] = 0;
    return s;
}

/// "YYYY-MM-DDTHH:MM:SS.mmmZ" (the device form of a timestamp), somewhere in 2024.
inline std::string timestamp(Rng& r) {
    char s[32];
    std::snprintf(s, sizeof s, "2024-%02d-%02dT%02d:%02d:%02d.%03dZ", int(1 + r.below(12)), int(1 + r.below(28)),
                  int(r.below(24)), int(r.below(60)), int(r.below(60)), int(r.below(1000)));
    return s;
}

inline std::string words(Rng& r, std::size_t approx_len) {
    static const char* w[] = {"the",   "build",  "failed", "because", "module", "\"react\"", "was",   "not",
                              "found", "please", "retry",  "with",    "npm",    "install",   "then",  "deploy",
                              "it's",  "fine",   "\\path", "line\n2", "tab\tx", "container", "port",  "3000"};
    std::string s;
    while (s.size() < approx_len) {
        if (!s.empty()) s += ' ';
        s += w[r.below(sizeof w / sizeof *w)];
    }
    return s;
}

/// One synced table of the december app with a row generator and a 1-column update.
struct TableSpec {
    std::string name;
    std::vector<std::string> columns;              ///< columns the insert sets
    std::string update_column;                     ///< the column the 1-column update sets
    std::function<std::vector<Value>(Rng&, std::size_t)> row;  ///< values for `columns`, row i
    std::function<Value(std::size_t)> update_value;            ///< new value for update_column
};

/// Ids of the parent rows every generated row refers to (inserted by the benchmark first).
struct Parents {
    std::string user_id = "11111111-1111-4111-8111-111111111111";
    std::vector<std::string> container_ids;  ///< containers.id of 10 parent containers
};

inline Parents make_parents() {
    Parents p;
    Rng r(7);
    for (int i = 0; i < 10; ++i) p.container_ids.push_back(uuid(r));
    return p;
}

inline TableSpec chat_messages_spec(const Parents& p) {
    TableSpec t;
    t.name = "chat_messages";
    t.columns = {"id", "container_id", "session_id", "role", "content", "attachments", "created_at", "metadata"};
    t.update_column = "role";
    auto containers = p.container_ids;
    t.row = [containers](Rng& r, std::size_t i) {
        std::vector<Value> v;
        v.emplace_back(uuid(r));
        v.emplace_back(containers[i % containers.size()]);
        v.emplace_back("session-" + std::to_string(i / 50));
        v.emplace_back(i % 2 ? "assistant" : "user");
        v.emplace_back(words(r, 120 + r.below(160)));  // ~200 B of text on average
        v.emplace_back(i % 7 ? std::string("[]") : std::string("[\"screenshot-") + std::to_string(i) + ".png\"]");
        v.emplace_back(timestamp(r));
        v.emplace_back("{\"model\":\"claude\",\"tokens\":" + std::to_string(r.below(4000)) + "}");
        return v;
    };
    t.update_value = [](std::size_t i) { return Value(i % 2 ? "user" : "assistant"); };
    return t;
}

inline TableSpec containers_spec(const Parents& p) {
    TableSpec t;
    t.name = "containers";
    t.columns = {"id",         "container_id", "name",       "status",     "image_name", "assigned_port", "url",
                 "created_at", "updated_at",   "started_at", "stopped_at", "user_id",    "labels",        "metadata"};
    t.update_column = "status";
    const std::string user = p.user_id;
    t.row = [user](Rng& r, std::size_t i) {
        std::vector<Value> v;
        const std::string id = uuid(r);
        const std::int64_t port = 3000 + static_cast<std::int64_t>(i % 5000);
        v.emplace_back(id);
        v.emplace_back("docker-" + id.substr(0, 8) + id.substr(24));
        v.emplace_back("app-" + std::to_string(i));
        v.emplace_back("created");
        v.emplace_back(i % 3 ? "node:20-alpine" : "python:3.12-slim");
        v.emplace_back(port);
        v.emplace_back("http://localhost:" + std::to_string(port));
        const std::string ts = timestamp(r);
        v.emplace_back(ts);
        v.emplace_back(ts);
        v.emplace_back(i % 2 ? Value(timestamp(r)) : Value());
        v.emplace_back(Value());
        v.emplace_back(user);
        v.emplace_back("{\"env\":\"dev\",\"team\":\"t" + std::to_string(i % 13) + "\"}");
        v.emplace_back("{\"cpu\":" + std::to_string(1 + r.below(4)) + ",\"memory_mb\":512}");
        return v;
    };
    t.update_value = [](std::size_t i) { return Value(i % 2 ? "running" : "stopped"); };
    return t;
}

inline TableSpec table_spec(const std::string& name, const Parents& p) {
    if (name == "chat_messages") return chat_messages_spec(p);
    if (name == "containers") return containers_spec(p);
    throw std::runtime_error("unknown bench table '" + name + "' (use chat_messages or containers)");
}

/// `n` rows of `t`, the same for every run and mode.
inline std::vector<std::vector<Value>> make_rows(const TableSpec& t, std::size_t n, std::uint64_t seed) {
    Rng r(seed);
    std::vector<std::vector<Value>> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(t.row(r, i));
    return out;
}

/// A fixed permutation of 0..n-1 (update and delete visit rows in random key order).
inline std::vector<std::size_t> shuffled(std::size_t n, std::uint64_t seed) {
    std::vector<std::size_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i;
    Rng r(seed);
    for (std::size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[r.below(i)]);
    return idx;
}

// ---------------------------------------------------------------------------------------------
// SQL text

inline std::string qi(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

inline std::string insert_sql(const std::string& table, const std::vector<std::string>& cols) {
    std::string names, marks;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        names += (i ? ", " : "") + qi(cols[i]);
        marks += i ? ", ?" : "?";
    }
    return "INSERT INTO " + qi(table) + " (" + names + ") VALUES (" + marks + ")";
}

// ---------------------------------------------------------------------------------------------
// Raw sqlite3 on a connection (no per-call allocation in the timed loops)

inline void check(sqlite3* db, int rc, const std::string& what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
}

inline void raw_exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error(sql.substr(0, 200) + ": " + msg);
    }
}

/// A prepared statement, finalized at scope end.
class Stmt {
public:
    Stmt(sqlite3* db, const std::string& sql) : m_db(db) {
        check(db, sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &m_st, nullptr),
              "prepare " + sql.substr(0, 200));
    }
    ~Stmt() { sqlite3_finalize(m_st); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int idx, const Value& v) {
        int rc = SQLITE_OK;
        switch (v.type()) {
        case Value::Type::null: rc = sqlite3_bind_null(m_st, idx); break;
        case Value::Type::integer: rc = sqlite3_bind_int64(m_st, idx, v.as_int()); break;
        case Value::Type::real: rc = sqlite3_bind_double(m_st, idx, v.as_real()); break;
        case Value::Type::text:
            rc = sqlite3_bind_text(m_st, idx, v.as_text().data(), static_cast<int>(v.as_text().size()), SQLITE_STATIC);
            break;
        case Value::Type::blob:
            rc = sqlite3_bind_blob(m_st, idx, v.as_blob().data(), static_cast<int>(v.as_blob().size()), SQLITE_STATIC);
            break;
        }
        check(m_db, rc, "bind");
    }
    void bind_all(const std::vector<Value>& vals) {
        for (std::size_t i = 0; i < vals.size(); ++i) bind(static_cast<int>(i + 1), vals[i]);
    }
    /// Steps to the end, then resets (bindings are kept).
    void run() {
        int rc;
        while ((rc = sqlite3_step(m_st)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) {
            std::string msg = sqlite3_errmsg(m_db);
            sqlite3_reset(m_st);
            throw std::runtime_error("step: " + msg);
        }
        sqlite3_reset(m_st);
    }
    sqlite3_stmt* get() { return m_st; }

private:
    sqlite3* m_db;
    sqlite3_stmt* m_st = nullptr;
};

inline std::int64_t raw_int(sqlite3* db, const std::string& sql) {
    Stmt st(db, sql);
    std::int64_t v = 0;
    if (sqlite3_step(st.get()) == SQLITE_ROW) v = sqlite3_column_int64(st.get(), 0);
    sqlite3_reset(st.get());
    return v;
}

// ---------------------------------------------------------------------------------------------
// Copies of a synced table

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
    return s;
}

struct SchemaObject {
    std::string name, sql;
};

inline std::vector<SchemaObject> schema_objects(sqlite3* db, const std::string& type, const std::string& table) {
    Stmt st(db, "SELECT name, sql FROM sqlite_master WHERE type = ?1 AND tbl_name = ?2 AND sql IS NOT NULL ORDER BY name");
    const Value t(type), n(table);  // bound without a copy: must outlive the statement's use
    st.bind(1, t);
    st.bind(2, n);
    std::vector<SchemaObject> out;
    while (sqlite3_step(st.get()) == SQLITE_ROW)
        out.push_back({reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)),
                       reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1))});
    sqlite3_reset(st.get());
    return out;
}

/// `sql` with the table's name (a whole identifier, quoted or not) replaced by `to`.
inline std::string retarget(const std::string& sql, const std::string& table, const std::string& to) {
    // \b does not match inside longer identifiers (chat_messages_id_uuid, ferry_capture_ins_...).
    return std::regex_replace(sql, std::regex("\"" + table + "\"|\\b" + table + "\\b"), qi(to));
}

/// Text transformation of a capture trigger (a variant), or nullptr for the live text as it is.
using TriggerXform = std::function<std::string(const std::string& trigger_name, const std::string& sql)>;

/// Creates `copy` with the DDL, indexes and app triggers of `table`; with `capture`, also
/// Ferry's capture triggers of `table` (transformed by `xform`, which may return "" to drop one).
inline void copy_table(sqlite3* db, const std::string& table, const std::string& copy, bool capture,
                const TriggerXform& xform = nullptr) {
    auto tables = schema_objects(db, "table", table);
    if (tables.size() != 1) throw std::runtime_error("no table " + table);
    raw_exec(db, std::regex_replace(tables[0].sql, std::regex("^CREATE TABLE\\s+(\"" + table + "\"|" + table + ")"),
                                    "CREATE TABLE " + qi(copy)));
    for (const auto& ix : schema_objects(db, "index", table)) {
        const std::string sql = std::regex_replace(ix.sql, std::regex("^(CREATE (UNIQUE )?INDEX\\s+)\"?" + ix.name + "\"?"),
                                                   "$1" + qi(copy + "__" + ix.name));
        raw_exec(db, retarget(sql, table, copy));
    }
    // Tables whose foreign keys name `table` get an empty copy naming `copy` instead, so a delete
    // from the copy does the same child lookups (and cascade checks) as a delete from the table.
    Stmt children(db, "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
                      "WHERE m.type = 'table' AND f.\"table\" = ?1 AND m.name <> ?1 AND m.name NOT LIKE 'bench_%'");
    const Value parent(table);
    children.bind(1, parent);
    std::vector<std::string> child_tables;
    while (sqlite3_step(children.get()) == SQLITE_ROW)
        child_tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(children.get(), 0)));
    sqlite3_reset(children.get());
    for (const auto& child : child_tables) {
        const std::string child_copy = copy + "__child_" + child;
        const std::string sql = std::regex_replace(schema_objects(db, "table", child).at(0).sql,
                                                   std::regex("^CREATE TABLE\\s+(\"" + child + "\"|" + child + ")"),
                                                   "CREATE TABLE " + qi(child_copy));
        raw_exec(db, retarget(sql, table, copy));
        for (const auto& ix : schema_objects(db, "index", child)) {
            const std::string isql = std::regex_replace(
                ix.sql, std::regex("^(CREATE (UNIQUE )?INDEX\\s+)\"?" + ix.name + "\"?"), "$1" + qi(child_copy + "__" + ix.name));
            raw_exec(db, retarget(isql, child, child_copy));
        }
    }
    for (const auto& tr : schema_objects(db, "trigger", table)) {
        const bool is_capture = tr.name.rfind("ferry_capture_", 0) == 0;
        if (is_capture && !capture) continue;
        std::string sql = std::regex_replace(tr.sql, std::regex("^CREATE TRIGGER\\s+\"?" + tr.name + "\"?"),
                                             "CREATE TRIGGER " + qi(copy + "__" + tr.name));
        if (is_capture && xform) sql = xform(tr.name, sql);
        if (sql.empty()) continue;
        raw_exec(db, retarget(sql, table, copy));
    }
}

// ---------------------------------------------------------------------------------------------
// Output

inline std::string fmt(const char* f, double x) {
    char b[64];
    std::snprintf(b, sizeof b, f, x);
    return b;
}

/// A goal from research/perf.md: time ratio (captured / plain) at most `max` (stretch if > 0).
struct Goal {
    std::string id;
    double max = 0;
    double stretch = 0;
    std::string text() const {
        if (id.empty()) return "-";
        std::string s = id + " <=" + fmt("%.2fx", max);
        if (stretch > 0) s += " (stretch " + fmt("%.2fx", stretch) + ")";
        return s;
    }
    std::string verdict(double ratio) const {
        if (id.empty()) return "";
        if (ratio <= max) return stretch > 0 && ratio <= stretch ? "meets (and stretch)" : "meets";
        return "MISSES by " + fmt("%.0f%%", (ratio / max - 1) * 100);
    }
};

/// A temporary directory, removed (with its files) at scope end unless keep is set.
class TempDir {
public:
    explicit TempDir(const std::string& base = "") {
        std::string tmpl = (base.empty() ? std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") : base) +
                           "/ferry-bench-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back(0);
        if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp " + tmpl + " failed");
        m_path = buf.data();
    }
    ~TempDir() {
        if (keep) return;
        std::string cmd = "rm -rf '" + m_path + "'";
        if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", m_path.c_str());
    }
    std::string file(const std::string& name) const { return m_path + "/" + name; }
    const std::string& path() const { return m_path; }
    bool keep = false;

private:
    std::string m_path;
};

}  // namespace bench
