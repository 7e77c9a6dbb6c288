// bench/capture_bench.cpp: the cost of Ferry's change capture on the device, as same-run ratios
// against the same table without capture (research/perf.md, goals G1-G4), plus the device side
// of sync with a fake in-process transport (G6 apply of pulled rows, G8 outbox drain).
//
// Method: one real store file (ferry::Store::open, app december, WAL, synchronous=NORMAL). The
// synced table's CREATE TABLE, its indexes and its app triggers are copied from sqlite_master
// into the same file under another name, without Ferry's capture triggers ("plain"). The app's
// own triggers (containers' updated_at maintenance, which calls ferry_capturing() and
// ferry_now()) are copied too, so plain and captured do the same app work. Every scenario runs
// on both, in the same run, in rotating order; the ratio captured / plain is taken per run and
// the median over runs is printed. Nothing here asserts on time.
//
// Two ways to drive the statements:
//   api  ferry::Store::execute with params, in a loop inside Store::transaction (the public API;
//        it prepares the statement on every call)
//   raw  sqlite3 on the store's own connection (Store::impl().handle()), one statement prepared
//        once and reset per row: the engine cost the goals in perf.md were measured with.
// In raw mode the capture triggers are also measured in variants (copies of the live trigger
// text with one part removed) to show which part costs what.
//
// Usage: capture_bench [--rows N] [--txns N] [--runs N] [--table chat_messages|containers|all]
//                      [--sync-rows N] [--no-api] [--variants TABLE|all|none] [--no-sync] [--no-capture]
//                      [--only-variants NAME,...] [--profile] [--pragma 'NAME=VALUE']...
//                      [--dir DIR] [--keep]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>

#include "bench/bench_util.hpp"
#include "ferry/error.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "lib/store/store_impl.hpp"

using namespace bench;
using ferry::Store;
using nlohmann::json;

namespace {

struct Config {
    std::size_t rows = 50000;
    std::size_t txns = 5000;
    int runs = 5;
    std::vector<std::string> tables = {"chat_messages", "containers"};
    // The push's cost grows faster than linearly with the log's length (see bench/README.md), so
    // the sync scenarios default to fewer rows than the capture ones.
    std::size_t sync_rows = 10000;
    bool api = true;
    std::string variants = "chat_messages";  // table(s) whose trigger variants are measured
    std::vector<std::string> only_variants;   // empty: all
    bool sync = true;
    bool capture = true;
    bool profile = false;
    std::vector<std::string> pragmas;  // diagnostic: PRAGMAs run on the store's connection after open
    std::string dir;
    bool keep = false;
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "%s\nusage: capture_bench [--rows N (50000)] [--txns N (5000)] [--runs N (5)] [--table chat_messages|containers|all (all)]\n"
                 "                     [--sync-rows N (10000)] [--no-api] [--variants TABLE|all|none (chat_messages)]\n"
                 "                     [--only-variants NAME,NAME...] [--no-sync] [--no-capture] [--profile]\n"
                 "                     [--pragma 'NAME=VALUE']...\n"
                 "                     [--dir DIR] [--keep]\n",
                 msg);
    std::exit(2);
}

Config parse_args(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        auto num = [&]() -> std::size_t {
            std::string v = next();
            char* end = nullptr;
            unsigned long long x = std::strtoull(v.c_str(), &end, 10);
            if (!end || *end || x == 0) usage(("bad number for " + a + ": " + v).c_str());
            return static_cast<std::size_t>(x);
        };
        if (a == "--rows") c.rows = num();
        else if (a == "--txns") c.txns = num();
        else if (a == "--runs") c.runs = static_cast<int>(num());
        else if (a == "--sync-rows") c.sync_rows = num();
        else if (a == "--table") {
            std::string t = next();
            if (t == "all") c.tables = {"chat_messages", "containers"};
            else c.tables = {t};
        } else if (a == "--no-api") c.api = false;
        else if (a == "--variants") c.variants = next();
        else if (a == "--only-variants") {
            std::string list = next();
            for (std::size_t p = 0; p <= list.size();) {
                std::size_t q = list.find(',', p);
                if (q == std::string::npos) q = list.size();
                if (q > p) c.only_variants.push_back(list.substr(p, q - p));
                p = q + 1;
            }
        }
        else if (a == "--no-variants") c.variants = "none";
        else if (a == "--no-sync") c.sync = false;
        else if (a == "--no-capture") c.capture = false;
        else if (a == "--profile") c.profile = true;
        else if (a == "--pragma") c.pragmas.push_back(next());
        else if (a == "--dir") c.dir = next();
        else if (a == "--keep") c.keep = true;
        else if (a == "-h" || a == "--help") usage("capture_bench: Ferry's capture cost as same-run ratios");
        else usage(("unknown argument " + a).c_str());
    }
    return c;
}

/// The log table of the "no AUTOINCREMENT" variants: ferry_changes without AUTOINCREMENT.
const char* k_rowid_log = "bench_changes_rowid";

struct Variant {
    std::string name;
    std::string what;
    TriggerXform xform;
};

std::string no_hlc(const std::string&, const std::string& s) { return replace_all(s, "ferry_hlc()", "0"); }
std::string no_json(const std::string&, const std::string& s) {
    return std::regex_replace(s, std::regex("json_array\\(((NEW|OLD)\\.\"[^\"]*\")\\)"), "$1");
}
std::string no_guard(const std::string&, const std::string& s) { return replace_all(s, "ferry_capturing()", "1"); }
std::string no_autoinc(const std::string&, const std::string& s) {
    return replace_all(s, "INTO ferry_changes(", std::string("INTO ") + k_rowid_log + "(");
}
std::string no_mask(const std::string&, const std::string& s) {
    return std::regex_replace(s, std::regex(", 2, \\(\\(CASE WHEN [\\s\\S]*?END\\)\\), "), ", 2, -1, ");
}
std::string no_rekey(const std::string& name, const std::string& s) {
    return name.rfind("ferry_capture_rekey_", 0) == 0 ? std::string() : s;
}
std::string dead(const std::string&, const std::string& s) { return replace_all(s, "ferry_capturing()", "0"); }
std::string noop_body(const std::string&, const std::string& s) {
    return std::regex_replace(s, std::regex("BEGIN [\\s\\S]*END$"), "BEGIN SELECT 1; END");
}

std::vector<std::string> g_only_variants;  // --only-variants

std::vector<Variant> all_variants();
std::vector<Variant> variants() {
    std::vector<Variant> out;
    for (auto& v : all_variants())
        if (g_only_variants.empty() || v.name == "mirror" ||
            std::find(g_only_variants.begin(), g_only_variants.end(), v.name) != g_only_variants.end())
            out.push_back(std::move(v));
    return out;
}

std::vector<Variant> all_variants() {
    auto all = [](const std::string& n, const std::string& s) {
        return no_rekey(n, no_mask(n, no_autoinc(n, no_guard(n, no_json(n, no_hlc(n, s))))));
    };
    return {
        {"mirror", "copy with the live capture triggers unchanged (control: should match captured)", nullptr},
        {"no_hlc", "ferry_hlc() replaced by 0", no_hlc},
        {"no_json", "json_array(NEW.pk) replaced by NEW.pk", no_json},
        {"no_guard", "WHEN ferry_capturing() replaced by WHEN 1", no_guard},
        {"no_autoinc", "log table without AUTOINCREMENT (no sqlite_sequence update)", no_autoinc},
        {"no_mask", "update: per-column CASE mask replaced by -1", no_mask},
        {"no_rekey", "update: the key-change trigger dropped (one AFTER UPDATE trigger left)", no_rekey},
        {"noop", "capture triggers fire but their body is SELECT 1 (trigger dispatch only)", noop_body},
        {"dead", "capture triggers present but WHEN 0: they never fire (see README: statement journal)", dead},
        {"lean", "no_hlc + no_json + no_guard + no_autoinc + no_mask + no_rekey at once", all},
    };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

struct Data {
    TableSpec spec;
    std::vector<std::vector<Value>> rows;       // bulk rows
    std::vector<std::vector<Value>> txn_rows;   // rows of the one-row transactions
    std::vector<std::vector<Value>> update_params;
    std::vector<std::vector<Value>> delete_params;
};

Data make_data(const TableSpec& spec, const Config& c) {
    Data d{spec, make_rows(spec, c.rows, 1), make_rows(spec, c.txns, 2), {}, {}};
    for (std::size_t i : shuffled(c.rows, 3)) d.update_params.push_back({spec.update_value(i), d.rows[i][0]});
    for (std::size_t i : shuffled(c.rows, 4)) d.delete_params.push_back({d.rows[i][0]});
    return d;
}

struct Times {
    Sample insert, update, del, txn;
};

void checkpoint(sqlite3* db) { raw_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"); }

void clear_logs(sqlite3* db) {
    raw_exec(db, std::string("DELETE FROM ferry_changes; DELETE FROM ") + k_rowid_log);
}

/// Empties `table` and the logs, checkpoints and vacuums: every measurement starts from the same
/// compact file (no free-list pages left over from the target measured before).
void reset(sqlite3* db, const std::string& table) {
    raw_exec(db, "DELETE FROM " + qi(table));
    clear_logs(db);
    checkpoint(db);
    raw_exec(db, "VACUUM");
    checkpoint(db);
}

Times run_raw(sqlite3* db, const std::string& table, const Data& d) {
    Times t;
    Stmt begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT");
    Stmt ins(db, insert_sql(table, d.spec.columns));
    Stmt upd(db, "UPDATE " + qi(table) + " SET " + qi(d.spec.update_column) + " = ?1 WHERE id = ?2");
    Stmt del(db, "DELETE FROM " + qi(table) + " WHERE id = ?1");
    reset(db, table);
    t.insert = measure([&] {
        begin.run();
        for (const auto& r : d.rows) {
            ins.bind_all(r);
            ins.run();
        }
        commit.run();
    });
    checkpoint(db);
    t.update = measure([&] {
        begin.run();
        for (const auto& p : d.update_params) {
            upd.bind_all(p);
            upd.run();
        }
        commit.run();
    });
    checkpoint(db);
    t.del = measure([&] {
        begin.run();
        for (const auto& p : d.delete_params) {
            del.bind_all(p);
            del.run();
        }
        commit.run();
    });
    clear_logs(db);
    checkpoint(db);
    t.txn = measure([&] {
        for (const auto& r : d.txn_rows) {
            begin.run();
            ins.bind_all(r);
            ins.run();
            commit.run();
        }
    });
    reset(db, table);
    return t;
}

Times run_api(Store& store, const std::string& table, const Data& d) {
    Times t;
    sqlite3* db = ferry::detail::impl_of(store).handle();
    const std::string ins = insert_sql(table, d.spec.columns);
    const std::string upd = "UPDATE " + qi(table) + " SET " + qi(d.spec.update_column) + " = ?1 WHERE id = ?2";
    const std::string del = "DELETE FROM " + qi(table) + " WHERE id = ?1";
    reset(db, table);
    t.insert = measure([&] {
        store.transaction([&] {
            for (const auto& r : d.rows) store.execute(ins, r);
        });
    });
    checkpoint(db);
    t.update = measure([&] {
        store.transaction([&] {
            for (const auto& p : d.update_params) store.execute(upd, p);
        });
    });
    checkpoint(db);
    t.del = measure([&] {
        store.transaction([&] {
            for (const auto& p : d.delete_params) store.execute(del, p);
        });
    });
    clear_logs(db);
    checkpoint(db);
    t.txn = measure([&] {
        for (const auto& r : d.txn_rows) store.transaction([&] { store.execute(ins, r); });
    });
    reset(db, table);
    return t;
}

// ---------------------------------------------------------------------------------------------
// Device side of sync with a fake transport (no server, no network)

/// Answers push batches with "applied" for every change, optionally echoing each change's values
/// as the server's row (the real server answers every change with the row as it now holds it).
/// The time spent here (parsing the request, building the answer) is the fake server's, and is
/// subtracted from the client's time.
class FakePushServer : public ferry::Transport {
public:
    explicit FakePushServer(bool echo_rows) : m_echo(echo_rows) {}
    std::string call(const std::string& endpoint, const std::string& request) override {
        const auto t0 = Clock::now();
        if (endpoint != "push") throw std::runtime_error("fake push server got " + endpoint);
        json req = json::parse(request);
        json results = json::array();
        for (const auto& ch : req.at("changes")) {
            json r = {{"status", "applied"}};
            if (m_echo) r["row"] = ch.value("vals", json());
            results.push_back(std::move(r));
        }
        changes += static_cast<std::int64_t>(req.at("changes").size());
        ++calls;
        std::string out = json{{"seq", req.at("seq")}, {"results", std::move(results)}}.dump();
        server_time += seconds_since(t0);
        return out;
    }
    double server_time = 0;
    std::int64_t changes = 0;
    int calls = 0;

private:
    bool m_echo;
};

/// Serves a snapshot of prepared pages (built before the clock starts).
class FakePullServer : public ferry::Transport {
public:
    FakePullServer(const TableSpec& spec, const std::vector<std::vector<Value>>& rows, std::size_t page) {
        const std::size_t pages = (rows.size() + page - 1) / page;
        for (std::size_t p = 0; p < pages; ++p) {
            json out = {{"cursor", "1:1"}, {"rows", json::array()}};
            for (std::size_t i = p * page; i < std::min(rows.size(), (p + 1) * page); ++i) {
                json row = json::object();
                for (std::size_t c = 0; c < spec.columns.size(); ++c) {
                    const Value& v = rows[i][c];
                    if (v.is_null()) row[spec.columns[c]] = nullptr;
                    else if (v.type() == Value::Type::integer) row[spec.columns[c]] = v.as_int();
                    else row[spec.columns[c]] = v.as_text();
                }
                out["rows"].push_back({{"t", spec.name}, {"pk", json::array({rows[i][0].as_text()})}, {"row", row}});
            }
            const bool last = p + 1 == pages;
            out["snapshot"] = last ? json(nullptr) : json{{"cursor", "1:1"}, {"table", spec.name}, {"after", p}};
            out["more"] = !last;
            m_pages.push_back(out.dump());
        }
    }
    /// Parses every page as the client does (to show what the JSON parse alone costs).
    void parse_all() const {
        for (const auto& p : m_pages) {
            auto j = json::parse(p);
            if (!j.is_object()) throw std::runtime_error("bad page");
        }
    }
    std::string call(const std::string& endpoint, const std::string&) override {
        if (endpoint != "pull") throw std::runtime_error("fake pull server got " + endpoint);
        if (m_next >= m_pages.size()) throw std::runtime_error("fake pull server: no more pages");
        return m_pages[m_next++];
    }

private:
    std::vector<std::string> m_pages;
    std::size_t m_next = 0;
};

/// Time spent stepping each statement (by SQL text), from SQLite's profile trace, and what one
/// prepare of that statement costs. Ferry caches prepared statements, so a statement is prepared
/// once however often it runs (the estimate below counts one prepare per distinct statement).
/// SQLite's profile clock has millisecond resolution here: sums over thousands of calls are
/// estimates.
struct StatementProfile {
    struct Entry {
        std::string sql;
        std::int64_t count = 0;
        double seconds = 0;
        double prepare = 0;  // seconds per prepare + finalize, measured afterwards
    };
    std::map<std::string, Entry> by_sql;

    static int callback(unsigned type, void* ctx, void* p, void* x) {
        if (type != SQLITE_TRACE_PROFILE) return 0;
        auto* self = static_cast<StatementProfile*>(ctx);
        const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(p));
        auto& e = self->by_sql[sql ? sql : "?"];
        if (e.sql.empty()) e.sql = sql ? sql : "?";
        e.count++;
        e.seconds += static_cast<double>(*static_cast<sqlite3_int64*>(x)) / 1e9;
        return 0;
    }
    void attach(sqlite3* db) { sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, callback, this); }
    static void detach(sqlite3* db) { sqlite3_trace_v2(db, 0, nullptr, nullptr); }

    /// Measures one prepare of every statement run at least 100 times (on the same connection).
    void measure_prepares(sqlite3* db) {
        for (auto& [key, e] : by_sql) {
            if (e.count < 100) continue;
            const int n = 200;
            sqlite3_stmt* st = nullptr;
            const Sample t = measure([&] {
                for (int i = 0; i < n; ++i) {
                    if (sqlite3_prepare_v2(db, e.sql.c_str(), -1, &st, nullptr) != SQLITE_OK) break;
                    sqlite3_finalize(st);
                }
            });
            e.prepare = t.wall / n;
        }
    }

    void print(const char* title, double total, std::size_t top = 10) const {
        std::vector<Entry> v;
        for (const auto& [k, e] : by_sql) v.push_back(e);
        std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) {
            return a.seconds + a.prepare > b.seconds + b.prepare;
        });
        double stepped = 0, prepared = 0;
        std::int64_t statements = 0;
        for (const auto& e : v) stepped += e.seconds, prepared += e.prepare, statements += e.count;
        std::printf("\n  %s: %.0f ms in total = %.0f ms stepping %lld statements + ~%.0f ms preparing them once "
                    "+ %.0f ms elsewhere (C++, JSON)\n",
                    title, total * 1000, stepped * 1000, static_cast<long long>(statements), prepared * 1000,
                    (total - stepped - prepared) * 1000);
        std::printf("  %9s %9s %9s %10s %11s  %s\n", "step ms", "calls", "us/call", "prepare us", "prepare ms",
                    "statement");
        for (std::size_t i = 0; i < v.size() && i < top; ++i) {
            std::string sql = v[i].sql;
            if (sql.size() > 100) sql = sql.substr(0, 97) + "...";
            std::printf("  %9.1f %9lld %9.1f %10.1f %11.1f  %s\n", v[i].seconds * 1000,
                        static_cast<long long>(v[i].count), v[i].seconds / static_cast<double>(v[i].count) * 1e6,
                        v[i].prepare * 1e6, v[i].prepare * 1000, sql.c_str());
        }
    }
};

void insert_parents(Store& s, const Parents& p) {
    s.execute("INSERT INTO users(id, email, name) VALUES (?, 'bench@example.com', 'Bench')", {p.user_id});
    int i = 0;
    for (const auto& c : p.container_ids)
        s.execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, ?, ?, ?)",
                  {c, "docker-parent-" + std::to_string(i), "parent-" + std::to_string(i), p.user_id}),
            ++i;
}

void raw_insert_all(sqlite3* db, const std::string& table, const TableSpec& spec,
                    const std::vector<std::vector<Value>>& rows) {
    Stmt ins(db, insert_sql(table, spec.columns));
    raw_exec(db, "BEGIN IMMEDIATE");
    for (const auto& r : rows) {
        ins.bind_all(r);
        ins.run();
    }
    raw_exec(db, "COMMIT");
}

struct SyncTimes {
    double plain_insert = 0;  // raw plain insert of the same rows, same file
    double push_client = 0, push_server = 0;
    double push_echo_client = 0, push_echo_server = 0;
    double pull = 0;
    double pull_plain_insert = 0;
    double pull_parse = 0;  // json::parse of every page the pull received (part of the pull's time)
};

/// With `profiles` (push acks, push echo, pull), every statement is traced (slower: a separate,
/// untimed pass).
SyncTimes run_sync_local(const TempDir& dir, int run, const TableSpec& spec, const Parents& parents,
                         const std::vector<std::vector<Value>>& rows, StatementProfile* profiles = nullptr) {
    SyncTimes t;
    for (int echo = 0; echo < 2; ++echo) {
        const std::string path = dir.file("push_" + std::to_string(run) + "_" + std::to_string(echo) + ".ferry");
        {
            Store s = Store::open(path, "december");
            sqlite3* db = ferry::detail::impl_of(s).handle();
            insert_parents(s, parents);
            copy_table(db, spec.name, "bench_plain", false);
            checkpoint(db);
            if (!echo) {
                t.plain_insert = timed([&] { raw_insert_all(db, "bench_plain", spec, rows); });
                checkpoint(db);
            }
            raw_insert_all(db, spec.name, spec, rows);  // captured: the log to drain
            checkpoint(db);
            FakePushServer server(echo != 0);
            ferry::SyncClient client(s, server);
            if (profiles) profiles[echo].attach(db);
            const double total = timed([&] { client.push(); });
            if (profiles) {
                StatementProfile::detach(db);
                profiles[echo].measure_prepares(db);
            }
            if (raw_int(db, "SELECT count(*) FROM ferry_changes") != 0) throw std::runtime_error("push left changes");
            (echo ? t.push_echo_client : t.push_client) = total - server.server_time;
            (echo ? t.push_echo_server : t.push_server) = server.server_time;
        }
        std::remove(path.c_str());
        std::remove((path + "-wal").c_str());
        std::remove((path + "-shm").c_str());
    }
    {
        const std::string path = dir.file("pull_" + std::to_string(run) + ".ferry");
        {
            Store s = Store::open(path, "december");
            sqlite3* db = ferry::detail::impl_of(s).handle();
            copy_table(db, spec.name, "bench_plain", false);
            checkpoint(db);
            FakePullServer server(spec, rows, ferry::SyncOptions{}.pull_page);
            ferry::SyncClient client(s, server);
            // The apply runs with foreign keys off (the server enforced them); so does its baseline.
            auto plain = [&] {
                raw_exec(db, "PRAGMA foreign_keys = OFF");
                t.pull_plain_insert = timed([&] { raw_insert_all(db, "bench_plain", spec, rows); });
                raw_exec(db, "PRAGMA foreign_keys = ON");
                checkpoint(db);
            };
            if (run % 2 == 0) plain();
            if (profiles) profiles[2].attach(db);
            t.pull = timed([&] { client.pull(); });
            if (profiles) {
                StatementProfile::detach(db);
                profiles[2].measure_prepares(db);
            }
            t.pull_parse = timed([&] { server.parse_all(); });
            checkpoint(db);
            if (run % 2 == 1) plain();
            if (raw_int(db, "SELECT count(*) FROM " + qi(spec.name)) != static_cast<std::int64_t>(rows.size()))
                throw std::runtime_error("pull did not apply every row");
        }
        std::remove(path.c_str());
        std::remove((path + "-wal").c_str());
        std::remove((path + "-shm").c_str());
    }
    return t;
}

// ---------------------------------------------------------------------------------------------
// Reporting

struct Scenario {
    const char* key;
    const char* label;
    Goal goal;
    Sample Times::*field;
    std::size_t Config::*count;
};

const Scenario k_scenarios[] = {
    {"insert", "bulk insert, 1 txn", {"G1", 1.5, 1.3}, &Times::insert, &Config::rows},
    {"update", "1-column update, 1 txn", {"G2", 1.5, 0}, &Times::update, &Config::rows},
    {"delete", "delete, 1 txn", {"G3", 2.0, 1.5}, &Times::del, &Config::rows},
    {"txn", "1-row transactions", {"G4", 1.35, 0}, &Times::txn, &Config::txns},
};

std::string rate(double count, double secs) {
    if (secs <= 0) return "-";
    return fmt("%.0f/s", count / secs);
}

std::string spread(const std::vector<double>& v) { return fmt("%.2f", min_of(v)) + "-" + fmt("%.2f", max_of(v)); }

void print_main(const Config& c, const std::string& title, const std::string& mode, const Samples& s) {
    std::printf("\n  mode %s\n", title.c_str());
    std::printf("  %-24s %9s %9s %10s %10s %7s %11s %7s  %-26s %s\n", "scenario", "plain ms", "capt. ms", "plain",
                "captured", "ratio", "runs", "cpu", "goal", "verdict");
    for (const auto& sc : k_scenarios) {
        const std::string p = mode + "/plain/" + sc.key, k = mode + "/captured/" + sc.key, r = mode + "/ratio/" + sc.key;
        const double n = static_cast<double>(c.*(sc.count));
        std::printf("  %-24s %9.1f %9.1f %10s %10s %6.2fx %11s %6.2fx  %-26s %s\n", sc.label, s.med(p) * 1000,
                    s.med(k) * 1000, rate(n, s.med(p)).c_str(), rate(n, s.med(k)).c_str(), s.med(r),
                    spread(s.all(r)).c_str(), s.med(mode + "/cpu_ratio/" + sc.key), sc.goal.text().c_str(),
                    sc.goal.verdict(s.med(r)).c_str());
    }
}

void print_variants(const Samples& s) {
    std::printf("\n  raw mode, capture trigger variants: CPU time / plain CPU time (median of per-run ratios;\n"
                "  CPU time because the differences are small and the machine is shared)\n");
    std::printf("  %-12s", "variant");
    for (const auto& sc : k_scenarios) std::printf(" %9s", sc.key);
    std::printf("   %s\n", "what changed");
    auto row = [&](const std::string& name, const std::string& what) {
        std::printf("  %-12s", name.c_str());
        for (const auto& sc : k_scenarios) std::printf(" %8.2fx", s.med("raw/cpu_ratio_" + name + "/" + sc.key));
        std::printf("   %s\n", what.c_str());
    };
    row("plain", "no capture triggers");
    row("captured", "the real synced table");
    for (const auto& v : variants()) row(v.name, v.what);
    std::printf("\n  share of the capture overhead (mirror - plain) that each removal saves (noisy: +-20 points):\n");
    for (const auto& v : variants()) {
        if (v.name == "mirror") continue;
        std::printf("  %-12s", v.name.c_str());
        for (const auto& sc : k_scenarios) {
            const double full = s.med("raw/cpu_ratio_mirror/" + std::string(sc.key));
            const double part = s.med("raw/cpu_ratio_" + v.name + "/" + sc.key);
            const double over = full - 1;
            std::printf(" %8s%%", over > 0.02 ? fmt("%.0f", (full - part) / over * 100).c_str() : "-");
        }
        std::printf("\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Config cfg = parse_args(argc, argv);
    g_only_variants = cfg.only_variants;
    try {
        TempDir dir(cfg.dir);
        dir.keep = cfg.keep;
        const Parents parents = make_parents();
        std::printf("capture_bench: rows %zu, one-row txns %zu, runs %d (medians), SQLite %s, WAL + synchronous=NORMAL\n",
                    cfg.rows, cfg.txns, cfg.runs, sqlite3_libversion());
        std::printf("store files in %s\n", dir.path().c_str());
        for (const auto& p : cfg.pragmas) std::printf("diagnostic: PRAGMA %s on the capture stores' connection\n", p.c_str());

        for (const auto& table : cfg.capture ? cfg.tables : std::vector<std::string>{}) {
            const TableSpec spec = table_spec(table, parents);
            const Data data = make_data(spec, cfg);
            Samples s;
            const std::string path = dir.file("capture_" + table + ".ferry");
            Store store = Store::open(path, "december");
            sqlite3* db = ferry::detail::impl_of(store).handle();
            for (const auto& p : cfg.pragmas) raw_exec(db, "PRAGMA " + p);
            insert_parents(store, parents);
            raw_exec(db, std::string("CREATE TABLE ") + k_rowid_log +
                             " (seq INTEGER PRIMARY KEY, tbl INTEGER NOT NULL, pk TEXT NOT NULL, op INTEGER NOT NULL, "
                             "mask INTEGER NOT NULL, hlc INTEGER NOT NULL) STRICT");
            copy_table(db, table, "bench_plain", false);
            std::vector<std::pair<std::string, std::string>> raw_targets = {{"plain", "bench_plain"},
                                                                           {"captured", table}};
            const bool with_variants = cfg.variants == "all" || cfg.variants == table;
            if (with_variants)
                for (const auto& v : variants()) {
                    copy_table(db, table, "bench_" + v.name, true, v.xform);
                    raw_targets.emplace_back(v.name, "bench_" + v.name);
                }
            clear_logs(db);
            checkpoint(db);

            std::printf("\n== table %s (%zu columns inserted, update sets %s)\n", table.c_str(), spec.columns.size(),
                        spec.update_column.c_str());
            auto apps = schema_objects(db, "trigger", table);
            std::string app_triggers;
            for (const auto& tr : apps)
                if (tr.name.rfind("ferry_capture_", 0) != 0) app_triggers += (app_triggers.empty() ? "" : ", ") + tr.name;
            std::printf("   plain copy: same CREATE TABLE and indexes%s%s; no capture triggers\n",
                        app_triggers.empty() ? " (the table has no app triggers)"
                                             : (", app triggers (" + app_triggers + ", copied)").c_str(),
                        table == "containers" ? ", empty copies of the child tables whose foreign keys name it" : "");

            for (int run = 0; run < cfg.runs; ++run) {
                std::fflush(stdout);
                std::fprintf(stderr, "  %s run %d/%d ...\n", table.c_str(), run + 1, cfg.runs);
                // Rotate the order of the targets between runs.
                std::vector<std::pair<std::string, std::string>> order = raw_targets;
                std::rotate(order.begin(), order.begin() + (run % order.size()), order.end());
                std::map<std::string, Times> raw;
                for (const auto& [name, t] : order) raw[name] = run_raw(db, t, data);
                // What the public API pays per call on top of the engine: preparing the statement.
                for (const std::string& target : {table, std::string("bench_plain")})
                    for (const auto& [key, sql] :
                         {std::pair<std::string, std::string>{"insert", insert_sql(target, spec.columns)},
                          {"update", "UPDATE " + qi(target) + " SET " + qi(spec.update_column) + " = ?1 WHERE id = ?2"},
                          {"delete", "DELETE FROM " + qi(target) + " WHERE id = ?1"}}) {
                        const int n = 1000;
                        const double secs = timed([&, &sql = sql] {
                            for (int i = 0; i < n; ++i) Stmt st(db, sql);
                        });
                        s.add((target == table ? "prepare/captured/" : "prepare/plain/") + key, secs / n);
                    }
                std::map<std::string, Times> api;
                if (cfg.api) {
                    const bool captured_first = run % 2;
                    if (captured_first) api["captured"] = run_api(store, table, data);
                    api["plain"] = run_api(store, "bench_plain", data);
                    if (!captured_first) api["captured"] = run_api(store, table, data);
                }
                const std::pair<std::string, std::map<std::string, Times>*> modes[] = {{"raw", &raw}, {"api", &api}};
                for (const auto& sc : k_scenarios) {
                    for (const auto& [mode, m] : modes) {
                        if (m->empty()) continue;
                        const Sample plain = (*m)["plain"].*(sc.field);
                        const Sample capt = (*m)["captured"].*(sc.field);
                        s.add(mode + "/plain/" + sc.key, plain.wall);
                        s.add(mode + "/captured/" + sc.key, capt.wall);
                        s.add(mode + "/ratio/" + sc.key, capt.wall / plain.wall);
                        s.add(mode + "/cpu_ratio/" + sc.key, capt.cpu / plain.cpu);
                        for (const auto& [name, times] : *m) {
                            s.add(mode + "/ratio_" + name + "/" + sc.key, (times.*(sc.field)).wall / plain.wall);
                            s.add(mode + "/cpu_ratio_" + name + "/" + sc.key, (times.*(sc.field)).cpu / plain.cpu);
                        }
                    }
                    if (cfg.api)
                        s.add(std::string("api_vs_raw/") + sc.key,
                              (api["captured"].*(sc.field)).wall / (raw["plain"].*(sc.field)).wall);
                }
            }

            print_main(cfg, "raw (sqlite3, statement prepared once, on the store's own connection)", "raw", s);
            if (cfg.api) {
                print_main(cfg, "api (ferry::Store::execute per row inside Store::transaction; statements cached)",
                           "api", s);
                std::printf("  api captured / raw plain (what an app using the public API pays vs the engine):");
                for (const auto& sc : k_scenarios) std::printf("  %s %.2fx", sc.key, s.med(std::string("api_vs_raw/") + sc.key));
                std::printf("\n  one prepare (sqlite3_prepare_v3 + finalize; SQLite codes the triggers into it), captured "
                            "table: insert %.1f us, update %.1f us, delete %.1f us; plain copy: %.1f / %.1f / %.1f us\n",
                            s.med("prepare/captured/insert") * 1e6, s.med("prepare/captured/update") * 1e6,
                            s.med("prepare/captured/delete") * 1e6, s.med("prepare/plain/insert") * 1e6,
                            s.med("prepare/plain/update") * 1e6, s.med("prepare/plain/delete") * 1e6);
                std::printf("  per row, raw plain: insert %.1f us, update %.1f us, delete %.1f us; api captured: insert "
                            "%.1f us, update %.1f us, delete %.1f us\n",
                            s.med("raw/plain/insert") / cfg.rows * 1e6, s.med("raw/plain/update") / cfg.rows * 1e6,
                            s.med("raw/plain/delete") / cfg.rows * 1e6, s.med("api/captured/insert") / cfg.rows * 1e6,
                            s.med("api/captured/update") / cfg.rows * 1e6, s.med("api/captured/delete") / cfg.rows * 1e6);
            }
            if (with_variants) print_variants(s);
        }

        if (cfg.sync) {
            const TableSpec spec = table_spec("chat_messages", parents);
            const auto rows = make_rows(spec, cfg.sync_rows, 11);
            Samples s;
            for (int run = 0; run < cfg.runs; ++run) {
                std::fflush(stdout);
                std::fprintf(stderr, "  sync (fake transport) run %d/%d ...\n", run + 1, cfg.runs);
                const SyncTimes t = run_sync_local(dir, run, spec, parents, rows);
                s.add("plain", t.plain_insert);
                s.add("push", t.push_client);
                s.add("push_server", t.push_server);
                s.add("push_echo", t.push_echo_client);
                s.add("push_echo_server", t.push_echo_server);
                s.add("pull", t.pull);
                s.add("pull_plain", t.pull_plain_insert);
                s.add("r_push", t.push_client / t.plain_insert);
                s.add("r_push_echo", t.push_echo_client / t.plain_insert);
                s.add("r_pull", t.pull / t.pull_plain_insert);
                s.add("pull_parse", t.pull_parse);
            }
            const double n = static_cast<double>(cfg.sync_rows);
            std::printf("\n== device side of sync, chat_messages, %zu rows, fake in-process transport (no server)\n",
                        cfg.sync_rows);
            std::printf("  %-46s %10s %12s %7s %11s  %-22s %s\n", "scenario", "ms", "rows/s", "ratio", "runs",
                        "goal", "verdict");
            auto line = [&](const char* label, const std::string& key, const std::string& ratio, const Goal& g) {
                std::printf("  %-46s %10.1f %12s %6.2fx %11s  %-22s %s\n", label, s.med(key) * 1000,
                            rate(n, s.med(key)).c_str(), s.med(ratio), spread(s.all(ratio)).c_str(), g.text().c_str(),
                            g.verdict(s.med(ratio)).c_str());
            };
            std::printf("  %-46s %10.1f %12s\n", "plain insert, raw, same rows (baseline, push)", s.med("plain") * 1000,
                        rate(n, s.med("plain")).c_str());
            line("push drain, server acks only (client time)", "push", "r_push", {"G8", 0.9, 0});
            line("push drain, server echoes rows (client time)", "push_echo", "r_push_echo", {"G8", 0.9, 0});
            std::printf("  %-46s %10.1f %12s\n", "plain insert, raw, same rows (baseline, pull)",
                        s.med("pull_plain") * 1000, rate(n, s.med("pull_plain")).c_str());
            line("pull: snapshot apply of new rows", "pull", "r_pull", {"G6", 1.2, 0});
            std::printf("  (fake server time, subtracted: acks %.1f ms, echo %.1f ms. Ratios: time / plain insert of\n"
                        "   the same rows in the same file and run. G8 in perf.md is the narrower 'read 1000 by seq +\n"
                        "   delete acked'; Ferry's push also folds the log, reads each row and builds JSON.)\n",
                        s.med("push_server") * 1000, s.med("push_echo_server") * 1000);
            std::printf("  (of the pull's time, parsing the pages' JSON alone takes %.1f ms)\n", s.med("pull_parse") * 1000);
            if (cfg.profile) {
                std::fflush(stdout);
                std::fprintf(stderr, "  sync (fake transport) profiled pass ...\n");
                StatementProfile prof[3];
                const SyncTimes t = run_sync_local(dir, 99, spec, parents, rows, prof);
                std::printf("\n  profiled pass (SQLite profile trace on; not part of the medians above):");
                prof[0].print("push drain, server acks only", t.push_client + t.push_server);
                prof[1].print("push drain, server echoes rows", t.push_echo_client + t.push_echo_server);
                prof[2].print("pull: snapshot apply", t.pull);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "capture_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
