// bench/task_rows.hpp: deterministic rows of projectme's "Task" table for the throughput
// benchmark (a ~200-byte JSON payload, a tags array, title, description and the other columns
// filled as the app fills them), their COPY text form for PostgreSQL, and an order-independent
// checksum of the synced columns, computed alike on the device and on the server.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"

namespace bench {

using Row = std::vector<Value>;

/// The columns of "Task" in the order a Row holds them (sql/apps/projectme/*/0001_schema.sql).
inline const std::vector<std::string>& task_columns() {
    static const std::vector<std::string> c = {"id",         "userId",        "title",     "description",
                                               "status",     "type",          "payload",   "tags",
                                               "priority",   "isPublic",      "outputText", "outputRaw",
                                               "errorMessage", "executionTime", "createdAt", "updatedAt"};
    return c;
}

/// The column list, each name quoted, separated by ", " (libpqxx 6.4 quotes nothing itself).
inline std::string task_column_list() {
    std::string out;
    for (const auto& c : task_columns()) out += (out.empty() ? "" : ", ") + qi(c);
    return out;
}

/// A cuid-like id ("c" and 24 base-36 characters), as Prisma and ferry_cuid() make them.
inline std::string cuid(Rng& r) {
    static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string s = "c";
    for (int i = 0; i < 24; ++i) s += digits[r.below(36)];
    return s;
}

/// `s` as a JSON string literal.
inline std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default: out += c;
        }
    }
    return out + "\"";
}

inline std::string task_payload(Rng& r, std::size_t i) {
    return "{\"model\":\"claude-sonnet\",\"prompt\":" + json_quote(words(r, 90 + r.below(40))) +
           ",\"temperature\":0." + std::to_string(r.below(10)) + ",\"maxTokens\":" + std::to_string(256 + r.below(4000)) +
           ",\"attempt\":" + std::to_string(i % 3) + "}";
}

inline std::string task_tags(Rng& r) {
    static const char* tags[] = {"work", "home", "urgent", "later", "research", "bug", "ops", "writing"};
    std::string out = "[";
    const std::uint64_t n = 1 + r.below(4);
    for (std::uint64_t k = 0; k < n; ++k) out += (k ? ",\"" : "\"") + std::string(tags[r.below(8)]) + "\"";
    return out + "]";
}

/// Row `i` of the benchmark's tasks, owned by `user`.
inline Row task_row(Rng& r, std::size_t i, const std::string& user) {
    static const char* statuses[] = {"pending", "running", "completed", "failed"};
    static const char* types[] = {"llm", "shell", "http"};
    const std::string status = statuses[r.below(4)];
    const std::string created = timestamp(r);
    Row v;
    v.reserve(task_columns().size());
    v.emplace_back(cuid(r));
    v.emplace_back(user);
    v.emplace_back(words(r, 24 + r.below(24)));
    v.emplace_back(words(r, 80 + r.below(80)));
    v.emplace_back(status);
    v.emplace_back(types[r.below(3)]);
    v.emplace_back(task_payload(r, i));
    v.emplace_back(task_tags(r));
    v.emplace_back(static_cast<std::int64_t>(r.below(5)));
    v.emplace_back(static_cast<std::int64_t>(i % 10 == 0));
    const bool done = status == "completed", failed = status == "failed";
    v.emplace_back(done ? Value(words(r, 60)) : Value());
    v.emplace_back(done ? Value("{\"exitCode\":0,\"tokens\":" + std::to_string(r.below(9000)) + "}") : Value());
    v.emplace_back(failed ? Value("timeout after " + std::to_string(r.below(600)) + " s") : Value());
    v.emplace_back(done || failed ? Value(static_cast<std::int64_t>(r.below(120000))) : Value());
    v.emplace_back(created);
    v.emplace_back(created);
    return v;
}

/// `n` rows, the same for every run, transport and mode.
inline std::vector<Row> make_task_rows(std::size_t n, const std::string& user, std::uint64_t seed) {
    Rng r(seed);
    std::vector<Row> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(task_row(r, i, user));
    return out;
}

/// The fields of a Row as COPY sends them to PostgreSQL's "Task" (libpqxx escapes them):
/// isPublic as a boolean, tags (a JSON array of plain words) as a text[] literal.
using CopyFields = std::array<std::optional<std::string>, 16>;

inline CopyFields task_copy_fields(const Row& row) {
    CopyFields f;
    for (std::size_t c = 0; c < row.size(); ++c) {
        if (row[c].is_null()) continue;
        const std::string& name = task_columns()[c];
        if (name == "isPublic") f[c] = row[c].as_int() ? "t" : "f";
        else if (name == "tags") {
            std::string tags = row[c].as_text();
            tags.front() = '{';
            tags.back() = '}';
            f[c] = std::move(tags);
        } else f[c] = row[c].to_string();
    }
    return f;
}

/// What the correctness checks compare: the row count and the sum of a 64-bit hash of each
/// row's id, title, description, status, type, priority, isPublic and number of tags.
struct Checksum {
    std::int64_t rows = 0;
    std::uint64_t sum = 0;
    bool operator==(const Checksum& o) const { return rows == o.rows && sum == o.sum; }
    bool operator!=(const Checksum& o) const { return !(*this == o); }
    std::string text() const { return std::to_string(rows) + " rows, sum " + std::to_string(sum); }

    /// Adds one row given as its fields' text (nullptr for NULL).
    void add(const std::vector<const char*>& fields) {
        std::uint64_t h = 1469598103934665603ull;  // FNV-1a
        for (const char* f : fields) {
            for (const char* p = f ? f : "\x01N"; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 1099511628211ull;
            h = (h ^ 0x1f) * 1099511628211ull;
        }
        ++rows;
        sum += h;
    }
};

/// The checksum's columns on the device (SQLite) and on the server (PostgreSQL).
inline const char* k_device_checksum_sql =
    "SELECT id, title, description, status, type, priority, \"isPublic\", json_array_length(tags) FROM \"Task\"";
inline const char* k_server_checksum_sql =
    "SELECT id, title, description, status, type, priority, \"isPublic\"::int, cardinality(tags) FROM \"Task\"";

/// The checksum of "Task" on a device connection.
inline Checksum device_checksum(sqlite3* db) {
    Stmt st(db, k_device_checksum_sql);
    Checksum c;
    std::vector<const char*> fields(8);
    while (sqlite3_step(st.get()) == SQLITE_ROW) {
        for (int i = 0; i < 8; ++i) fields[i] = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), i));
        c.add(fields);
    }
    sqlite3_reset(st.get());
    return c;
}

}  // namespace bench
