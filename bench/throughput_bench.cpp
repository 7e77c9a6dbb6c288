// bench/throughput_bench.cpp: the throughput suite of issue 9 on projectme "Task" rows: initial
// sync, its peak RSS, push, incremental sync and capture, each against a baseline measured in
// the same run (plain SQLite insert, COPY TO / COPY FROM, the smallest size, a plain copy of the
// table), through the direct PostgreSQL transport and through a real `ferry gateway` process.
// Prints ratios with their spread and writes every measurement as JSON (--json). It checks what
// was synced after every step (row counts and checksums, device against server) and exits 3 on
// a mismatch; it never checks a time. See bench/README.md for the flags and the method.
#include <malloc.h>
#include <sqlite3.h>
#include <sys/utsname.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "bench/bench_util.hpp"
#include "bench/gateway_process.hpp"
#include "bench/pg_util.hpp"
#include "bench/report.hpp"
#include "bench/task_rows.hpp"
#include "ferry/http_transport.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "lib/store/store_impl.hpp"

using namespace bench;
using ferry::Store;

namespace {

const std::string k_app = "projectme";
const std::string k_user = "bench-user";  // the token's sub and every row's "userId"

// ---------------------------------------------------------------------------------------------
// Flags

struct Config {
    std::vector<std::size_t> sizes = {10000, 100000};
    int runs = 3;
    std::vector<std::string> transports = {"direct", "gateway"};
    std::set<std::string> measures = {"initial", "push", "incremental", "capture", "live"};
    std::size_t updates = 1000;
    std::size_t live_commits = 100;
    std::string json_path, dir, label;
    std::string ferry_cli = FERRY_CLI_PATH;
    bool keep = false;
};

const char* k_usage =
    "usage: throughput_bench [--rows N[,N...]] [--runs N] [--transport direct,gateway] "
    "[--measure initial,push,incremental,capture,live] [--updates N] [--live-commits N] [--json FILE] "
    "[--label TEXT] [--ferry PATH] "
    "[--dir DIR] [--keep]\n"
    "  needs a PostgreSQL server named by the PG* variables (scripts/bench.sh starts one); see bench/README.md\n";

[[noreturn]] void usage(const std::string& msg) {
    std::fprintf(stderr, "throughput_bench: %s\n%s", msg.c_str(), k_usage);
    std::exit(2);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

std::size_t positive(const std::string& flag, const std::string& text) {
    char* end = nullptr;
    const unsigned long long x = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] == '-' || *end || x == 0) usage("bad number '" + text + "' for " + flag + " (want a positive integer)");
    return static_cast<std::size_t>(x);
}

std::vector<std::string> checked_list(const std::string& flag, const std::string& text, const std::set<std::string>& allowed) {
    auto items = split(text);
    if (items.empty()) usage("empty list for " + flag);
    for (const auto& i : items)
        if (!allowed.count(i)) usage("unknown value '" + i + "' for " + flag);
    return items;
}

Config parse_args(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value after " + a);
            return argv[++i];
        };
        if (a == "--rows") {
            c.sizes.clear();
            for (const auto& n : split(value())) c.sizes.push_back(positive(a, n));
            if (c.sizes.empty()) usage("empty list for --rows");
            std::sort(c.sizes.begin(), c.sizes.end());
            c.sizes.erase(std::unique(c.sizes.begin(), c.sizes.end()), c.sizes.end());
        } else if (a == "--runs") c.runs = static_cast<int>(positive(a, value()));
        else if (a == "--transport") c.transports = checked_list(a, value(), {"direct", "gateway"});
        else if (a == "--measure") {
            const auto m = checked_list(a, value(), {"initial", "push", "incremental", "capture", "live"});
            c.measures = std::set<std::string>(m.begin(), m.end());
        } else if (a == "--updates") c.updates = positive(a, value());
        else if (a == "--live-commits") c.live_commits = positive(a, value());
        else if (a == "--json") c.json_path = value();
        else if (a == "--label") c.label = value();
        else if (a == "--ferry") c.ferry_cli = value();
        else if (a == "--dir") c.dir = value();
        else if (a == "--keep") c.keep = true;
        else if (a == "-h" || a == "--help") {
            std::printf("%s", k_usage);
            std::exit(0);
        } else usage("unknown argument " + a);
    }
    return c;
}

bool measures(const Config& c, const char* m) { return c.measures.count(m) > 0; }
bool measures_sync(const Config& c) {
    return measures(c, "initial") || measures(c, "push") || measures(c, "incremental") || measures(c, "live");
}

// ---------------------------------------------------------------------------------------------
// Correctness checks (never of a time)

/// What was synced differs between device and server: the run exits 3.
struct Mismatch : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Checksum server_checksum(pqxx::connection& pg) {
    pqxx::work tx(pg);
    const pqxx::result r = tx.exec(k_server_checksum_sql);
    Checksum sum;
    std::vector<const char*> fields(8);
    for (const auto& row : r) {
        for (int i = 0; i < 8; ++i) fields[i] = row[i].is_null() ? nullptr : row[i].c_str();
        sum.add(fields);
    }
    return sum;
}

/// Throws Mismatch unless the device's "Task" equals the server's and holds `rows` rows.
void expect_synced(const std::string& what, Store& device, pqxx::connection& pg, std::size_t rows) {
    const Checksum d = device_checksum(ferry::detail::impl_of(device).handle()), s = server_checksum(pg);
    if (d != s || s.rows != static_cast<std::int64_t>(rows))
        throw Mismatch(what + ": the device has " + d.text() + ", the server " + s.text() + ", expected " +
                       std::to_string(rows) + " rows");
}

// ---------------------------------------------------------------------------------------------
// The server: a database per round, the gateway in front of it, COPY baselines

/// A fresh projectme database with the benchmark's user, and a gateway when asked for.
class Server {
public:
    Server(const std::string& tag, const std::string& transport, const Config& cfg, const TempDir& dir)
        : m_db(tag), m_transport(transport) {
        ferry::server::install_app_schema(m_db.conninfo(), k_app);
        m_pg = std::make_unique<pqxx::connection>(m_db.conninfo());
        pqxx::work tx(*m_pg);
        // Users are made by the server's sign-up, never by a device (sync_rules.json).
        tx.exec("INSERT INTO \"User\"(id, email, username, name, \"updatedAt\") VALUES ('" + k_user +
                "', 'bench@example.com', 'bench', 'Bench User', now())");
        tx.commit();
        if (transport == "gateway") start_gateway(tag, cfg, dir);
    }

    std::unique_ptr<ferry::Transport> connect() const {
        if (m_transport == "direct") return ferry::connect_postgres(m_db.conninfo(), k_app);
        ferry::HttpOptions o;
        o.bearer_token = m_token;
        o.request_timeout_ms = 600000;  // a snapshot page of a million-row table is not a phone's request
        return ferry::connect_gateway(m_gateway->url(), o);
    }
    pqxx::connection& pg() { return *m_pg; }
    std::string conninfo() const { return m_db.conninfo(); }
    std::string gateway_url() const { return m_gateway ? m_gateway->url() : ""; }
    const std::string& token() const { return m_token; }

private:
    void start_gateway(const std::string& tag, const Config& cfg, const TempDir& dir) {
        const std::string config = dir.file("gateway-" + tag + ".json");
        std::ofstream(config) << "{\"rate_per_second\": 0}\n";  // one user sends every batch
        m_gateway = std::make_unique<GatewayProcess>(cfg.ferry_cli, m_db.conninfo(), config,
                                                     dir.file("gateway-" + tag + ".log"));
        m_token = gateway_token(cfg.ferry_cli, k_user);
    }

    Database m_db;
    std::string m_transport;
    std::unique_ptr<pqxx::connection> m_pg;
    std::unique_ptr<GatewayProcess> m_gateway;
    std::string m_token;
};

/// COPY FROM of `rows` into `table` (a quoted name), in `tx`.
void copy_rows(pqxx::work& tx, const std::string& table, const std::vector<Row>& rows) {
    std::vector<std::string> columns;
    for (const auto& c : task_columns()) columns.push_back(qi(c));
    pqxx::stream_to copy(tx, table, columns);
    for (const auto& r : rows) copy << task_copy_fields(r);
    copy.complete();
}

/// COPY FROM of `rows` into `table` (a quoted name), in one transaction.
void copy_from(pqxx::connection& pg, const std::string& table, const std::vector<Row>& rows) {
    pqxx::work tx(pg);
    copy_rows(tx, table, rows);
    tx.commit();
}

/// `COPY (SELECT <every column> FROM "Task") TO STDOUT`, read to the end; returns the lines read.
std::size_t copy_to(pqxx::connection& pg) {
    pqxx::work tx(pg);
    pqxx::stream_from copy(tx, "(SELECT " + task_column_list() + " FROM \"Task\")");
    std::string line;
    std::size_t n = 0;
    while (copy.get_raw_line(line)) ++n;
    copy.complete();
    return n;
}

void create_plain_server_table(pqxx::connection& pg) {
    pqxx::work tx(pg);
    tx.exec("CREATE TABLE bench_plain (LIKE \"Task\" INCLUDING ALL)");
    tx.exec("ALTER TABLE bench_plain ADD FOREIGN KEY (\"userId\") REFERENCES \"User\"(id) ON DELETE CASCADE ON UPDATE CASCADE");
    // The push floor's tables: plain copies of the data table and of the two rows Ferry's design
    // keeps for every row a device pushes (its clocks in ferry.rows, its entry in ferry.changes).
    tx.exec("CREATE TABLE bench_floor (LIKE \"Task\" INCLUDING ALL)");
    tx.exec("ALTER TABLE bench_floor ADD FOREIGN KEY (\"userId\") REFERENCES \"User\"(id) ON DELETE CASCADE ON UPDATE CASCADE");
    tx.exec("CREATE TABLE bench_floor_rows (LIKE ferry.rows INCLUDING ALL)");
    tx.exec("CREATE TABLE bench_floor_changes (LIKE ferry.changes INCLUDING ALL)");
    tx.commit();
}

void drop_plain_server_table(pqxx::connection& pg) {
    pqxx::work tx(pg);
    tx.exec("DROP TABLE bench_plain, bench_floor, bench_floor_rows, bench_floor_changes");
    tx.commit();
}

/// The floor of a push under DESIGN.md (column clocks, the change log), measured: COPY FROM, in
/// one transaction, of the rows into a plain copy of "Task" and of the metadata a push must
/// write for each of them into plain copies of ferry.rows (its clocks, readers and owner) and
/// ferry.changes (its log entry). No stage, no merge, no answer, no device work: any push that
/// keeps that metadata takes at least this long.
void copy_floor(pqxx::connection& pg, const std::vector<Row>& rows) {
    pqxx::work tx(pg);
    copy_rows(tx, "bench_floor", rows);
    // Each row's key as ferry.rows and ferry.changes hold it (a JSON array; ids are plain cuids).
    auto key = [](const Row& r) { return "[\"" + r[0].as_text() + "\"]"; };
    const std::string readers = "{" + k_user + "}";
    std::int64_t hlc = std::int64_t{1} << 40;
    {
        pqxx::stream_to copy(tx, "bench_floor_rows",
                             std::vector<std::string>{"tbl", "pk", "clocks", "created_hlc", "created_site", "readers", "owner"});
        for (const auto& r : rows) copy << std::make_tuple("Task", key(r), "{}", ++hlc, "bench-site", readers, k_user);
        copy.complete();
    }
    {
        pqxx::stream_to copy(tx, "bench_floor_changes",
                             std::vector<std::string>{"tbl", "pk", "op", "readers", "origin", "origin_seq"});
        std::int64_t i = 0;
        for (const auto& r : rows) copy << std::make_tuple("Task", key(r), 1, readers, "bench-site", 1 + i++ / 1000);
        copy.complete();
    }
    tx.commit();
}

// ---------------------------------------------------------------------------------------------
// The device: raw statements on a store's connection (captured on the synced tables)

void raw_insert(sqlite3* db, const std::string& table, const std::vector<Row>& rows) {
    Stmt ins(db, insert_sql(table, task_columns()));
    raw_exec(db, "BEGIN IMMEDIATE");
    for (const auto& r : rows) {
        ins.bind_all(r);
        ins.run();
    }
    raw_exec(db, "COMMIT");
}

/// Runs `sql` (one `?` for the row's id, one more for `value` when not null) for the rows at
/// `order`, in one transaction.
void raw_by_id(sqlite3* db, const std::string& sql, const std::vector<Row>& rows, const std::vector<std::size_t>& order,
               const Value& value = Value()) {
    Stmt st(db, sql);
    raw_exec(db, "BEGIN IMMEDIATE");
    for (std::size_t i : order) {
        int k = 1;
        if (!value.is_null()) st.bind(k++, value);
        st.bind(k, rows[i][0]);
        st.run();
    }
    raw_exec(db, "COMMIT");
}

void wal_checkpoint(Store& s) { raw_exec(ferry::detail::impl_of(s).handle(), "PRAGMA wal_checkpoint(TRUNCATE)"); }

/// The kB figure of `key` ("VmHWM", "VmRSS") in /proc/self/status.
double status_mb(const std::string& key) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
    throw std::runtime_error("no " + key + " in /proc/self/status");
}

/// Returns the heap's free pages to the system (malloc_trim), then resets this process's peak
/// RSS (VmHWM) to its current RSS (Linux: clear_refs 5). Without the trim, a sync that reuses
/// memory freed earlier in the run (checksums, COPY) would not show in the peak at all.
void reset_peak_rss() {
    ::malloc_trim(0);
    std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
    const bool ok = f && std::fputs("5", f) >= 0;
    if (!f || std::fclose(f) != 0 || !ok)
        throw std::runtime_error("cannot write /proc/self/clear_refs (needed for the peak RSS)");
}

// ---------------------------------------------------------------------------------------------
// One round of sync measurements: one size, one transport, one run

struct Round {
    const Config& cfg;
    const TempDir& dir;
    const std::vector<Row>& rows;
    const std::string& transport;
    int run;
    Report& report;

    std::string tag() const { return std::to_string(rows.size()) + "_" + transport + "_" + std::to_string(run); }
    bool ferry_first() const { return run % 2 == 0; }  // the order of Ferry and baseline alternates
    Series& series(const std::string& name) { return report.series(name, rows.size(), transport); }
    void progress(const char* step) const {
        std::fprintf(stderr, "  run %d/%d, %zu rows, %s: %s\n", run + 1, cfg.runs, rows.size(), transport.c_str(), step);
    }
    std::string store_path(const char* device) const { return dir.file(std::string(device) + "_" + tag() + ".ferry"); }

    void execute();
    void fill_server(Server& server, Store& a);
    void pull_all(Server& server, Store& device, const std::string& what);
    void push(Server& server, Store& a);
    void initial_sync(Server& server, Store& b);
    void record_initial(double ferry_s, double plain_s, double copy_s, double peak_mb);
    void incremental(Server& server, Store& a, Store& b);
    double incremental_floor(Server& server, Store& b, const std::vector<std::size_t>& picked);
};

void Round::execute() {
    Server server(tag(), transport, cfg, dir);
    Store a = Store::open(store_path("a"), k_app);
    fill_server(server, a);
    Store b = Store::open(store_path("b"), k_app);
    if (measures(cfg, "initial")) initial_sync(server, b);
    if (!measures(cfg, "incremental")) return;
    if (!measures(cfg, "initial")) pull_all(server, b, "device B after its first pull");
    incremental(server, a, b);
}

/// `device` pulls until caught up (not measured), then must equal the server.
void Round::pull_all(Server& server, Store& device, const std::string& what) {
    auto t = server.connect();
    ferry::SyncClient(device, *t).pull();
    expect_synced(what, device, server.pg(), rows.size());
}

/// The server gets the rows: pushed by device A (measured), or else by COPY into "Task" (the
/// server captures plain writers) and, for the incremental sync, pulled by A.
void Round::fill_server(Server& server, Store& a) {
    if (measures(cfg, "push")) {
        auto t = server.connect();
        ferry::SyncClient(a, *t).pull();  // the user's row, before tasks can refer to it
        return push(server, a);
    }
    progress("COPY into \"Task\"");
    copy_from(server.pg(), "\"Task\"", rows);
    if (measures(cfg, "incremental")) pull_all(server, a, "device A after pulling the rows");
}

void Round::push(Server& server, Store& a) {
    progress("push");
    raw_insert(ferry::detail::impl_of(a).handle(), "Task", rows);  // written offline, captured
    wal_checkpoint(a);
    create_plain_server_table(server.pg());
    auto transport_ = server.connect();
    ferry::SyncClient client(a, *transport_);
    double ferry_s = 0, copy_s = 0, floor_s = 0;
    auto ferry_step = [&] {
        checkpoint(server.pg());
        ferry_s = timed([&] { client.push(); });
    };
    auto copy_step = [&] {
        checkpoint(server.pg());
        copy_s = timed([&] { copy_from(server.pg(), "bench_plain", rows); });
        checkpoint(server.pg());
        floor_s = timed([&] { copy_floor(server.pg(), rows); });
    };
    if (ferry_first()) ferry_step(), copy_step();
    else copy_step(), ferry_step();
    drop_plain_server_table(server.pg());
    if (a.status().pending_changes != 0) throw Mismatch("the push left pending changes on device A");
    expect_synced("push", a, server.pg(), rows.size());
    series("push_vs_copy_from")
        .describe("COPY FROM into a plain copy of \"Task\"", "baseline / ferry", {">=", 0.35})
        .record(ferry_s, copy_s, copy_s / ferry_s);
    // "ferry" is the floor's time here: the best push_vs_copy_from any push keeping the design's
    // metadata could reach is this figure.
    series("push_floor_vs_copy_from")
        .describe("COPY FROM into a plain copy of \"Task\"; the floor: COPY FROM of the rows and of their "
                  "ferry.rows and ferry.changes entries into plain copies",
                  "baseline / floor", {">=", 0.35})
        .record(floor_s, copy_s, copy_s / floor_s);
}

void Round::initial_sync(Server& server, Store& b) {
    progress("initial sync");
    sqlite3* db = ferry::detail::impl_of(b).handle();
    copy_table(db, "Task", "bench_plain", false);  // same DDL, indexes and app triggers; no capture
    wal_checkpoint(b);
    double ferry_s = 0, peak_mb = 0, plain_s = 0, copy_s = 0;
    auto ferry_step = [&] {
        auto t = server.connect();
        ferry::SyncClient client(b, *t);
        reset_peak_rss();
        const double before = status_mb("VmRSS");
        ferry_s = timed([&] { client.pull(); });
        peak_mb = status_mb("VmHWM") - before;
        wal_checkpoint(b);
    };
    auto plain_step = [&] {
        raw_exec(db, "PRAGMA foreign_keys = OFF");  // as the apply runs
        plain_s = timed([&] { raw_insert(db, "bench_plain", rows); });
        raw_exec(db, "PRAGMA foreign_keys = ON");
        wal_checkpoint(b);
        std::size_t n = 0;
        copy_s = timed([&] { n = copy_to(server.pg()); });
        if (n != rows.size()) throw Mismatch("COPY TO read " + std::to_string(n) + " rows");
    };
    if (ferry_first()) ferry_step(), plain_step();
    else plain_step(), ferry_step();
    expect_synced("initial sync", b, server.pg(), rows.size());
    record_initial(ferry_s, plain_s, copy_s, peak_mb);
}

void Round::record_initial(double ferry_s, double plain_s, double copy_s, double peak_mb) {
    series("initial_sync_vs_sqlite_insert")
        .describe("plain SQLite insert into a copy of \"Task\" (1 transaction)", "baseline / ferry", {">=", 1.0})
        .record(ferry_s, plain_s, plain_s / ferry_s);
    series("initial_sync_vs_copy_to")
        .describe("COPY (SELECT ...) TO STDOUT of the rows", "baseline / ferry")
        .record(ferry_s, copy_s, copy_s / ferry_s);
    Series& rss = series("initial_sync_peak_rss");
    rss.unit = "MB";
    rss.describe("", "peak RSS during the sync above the (trimmed) RSS before it, MB", {"<=", 64}).record(peak_mb, {}, peak_mb);
}

/// Device A updates `updates` rows (one column; the app's updatedAt trigger adds another) and
/// pushes them; device B pulls them. Their ratios to the smallest size are made at the end.
void Round::incremental(Server& server, Store& a, Store& b) {
    progress("incremental");
    const std::size_t k = std::min(cfg.updates, rows.size());
    std::vector<std::size_t> picked;
    for (std::size_t j = 0; j < k; ++j) picked.push_back((j * rows.size() / k + static_cast<std::size_t>(run)) % rows.size());
    raw_by_id(ferry::detail::impl_of(a).handle(), "UPDATE \"Task\" SET priority = priority + 1 WHERE id = ?", rows, picked);
    wal_checkpoint(a);
    auto ta = server.connect();
    auto tb = server.connect();
    ferry::SyncClient pusher(a, *ta), puller(b, *tb);
    const double push_s = timed([&] { pusher.push(); });
    const double pull_s = timed([&] { puller.pull(); });
    expect_synced("incremental push", a, server.pg(), rows.size());
    expect_synced("incremental pull", b, server.pg(), rows.size());
    series("incremental_push").ferry.push_back(push_s);
    series("incremental_pull").ferry.push_back(pull_s);
    series("incremental_floor").ferry.push_back(incremental_floor(server, b, picked));
}

/// The floor of the incremental sync: the same updates as plain SQL on plain copies of "Task"
/// holding the same rows, one on the server (one UPDATE by key) and one in device B's file (one
/// UPDATE per row, as an apply makes them), in one transaction each. How much this grows from
/// the smallest size is what the size of the tables alone costs (B-tree depth, rows no longer
/// in PostgreSQL's shared buffers or SQLite's page cache), with no sync at all.
double Round::incremental_floor(Server& server, Store& b, const std::vector<std::size_t>& picked) {
    nlohmann::json ids = nlohmann::json::array();
    for (std::size_t i : picked) ids.push_back(rows[i][0].as_text());
    {
        pqxx::work tx(server.pg());
        tx.exec("CREATE TABLE bench_inc (LIKE \"Task\" INCLUDING ALL)");
        tx.exec("INSERT INTO bench_inc SELECT * FROM \"Task\"");
        tx.commit();
    }
    sqlite3* db = ferry::detail::impl_of(b).handle();
    copy_table(db, "Task", "bench_inc", false);
    raw_exec(db, "PRAGMA foreign_keys = OFF");
    raw_exec(db, "INSERT INTO bench_inc SELECT * FROM \"Task\"");
    raw_exec(db, "PRAGMA foreign_keys = ON");
    wal_checkpoint(b);
    checkpoint(server.pg());
    const double server_s = timed([&] {
        pqxx::work tx(server.pg());
        tx.exec_params("UPDATE bench_inc SET priority = priority + 1, \"updatedAt\" = now() "
                       "WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))",
                       ids.dump());
        tx.commit();
    });
    const double device_s = timed([&] { raw_by_id(db, "UPDATE bench_inc SET priority = priority + 1 WHERE id = ?", rows, picked); });
    {
        pqxx::work tx(server.pg());
        tx.exec("DROP TABLE bench_inc");
        tx.commit();
    }
    return server_s + device_s;
}

// ---------------------------------------------------------------------------------------------
// Capture on the device: "Task" (captured) against a plain copy with the same app trigger

struct CaptureRound {
    const TempDir& dir;
    const std::vector<Row>& rows;
    int run;
    Report& report;

    void execute();
    void phase(Store& s, const std::string& name, const std::function<void(const std::string& table)>& body);
};

void CaptureRound::execute() {
    Store s = Store::open(dir.file("capture_" + std::to_string(rows.size()) + "_" + std::to_string(run) + ".ferry"), k_app);
    sqlite3* db = ferry::detail::impl_of(s).handle();
    raw_exec(db, "INSERT INTO \"User\"(id, username, name) VALUES ('" + k_user + "', 'bench', 'Bench User')");
    // The copy has the DDL, indexes and app triggers ("Task_set_updatedAt" retargeted to it), and
    // empty copies of the tables whose foreign keys name "Task" (the delete's child lookups).
    copy_table(db, "Task", "bench_plain", false);
    // The floor of trigger capture (DESIGN.md decision 3): another plain copy whose triggers write
    // the least a change log can hold, one row of key and operation per write.
    copy_table(db, "Task", "bench_floor", false);
    raw_exec(db, "CREATE TABLE bench_floor_log (seq INTEGER PRIMARY KEY, pk TEXT NOT NULL, op INTEGER NOT NULL)");
    const std::pair<const char*, const char*> ops[] = {{"INSERT", "NEW.id, 1"}, {"UPDATE", "NEW.id, 2"}, {"DELETE", "OLD.id, 3"}};
    for (const auto& [op, values] : ops)
        raw_exec(db, std::string("CREATE TRIGGER bench_floor_") + op + " AFTER " + op +
                         " ON bench_floor BEGIN INSERT INTO bench_floor_log(pk, op) VALUES (" + values + "); END");
    wal_checkpoint(s);
    const auto order = shuffled(rows.size(), 1000 + static_cast<std::uint64_t>(run));
    phase(s, "capture_insert", [&](const std::string& t) { raw_insert(db, t, rows); });
    phase(s, "capture_update", [&](const std::string& t) {
        raw_by_id(db, "UPDATE " + qi(t) + " SET status = ? WHERE id = ?", rows, order, Value("archived"));
    });
    phase(s, "capture_delete", [&](const std::string& t) { raw_by_id(db, "DELETE FROM " + qi(t) + " WHERE id = ?", rows, order); });
    if (raw_int(db, "SELECT count(*) FROM \"Task\"") != 0 || raw_int(db, "SELECT count(*) FROM bench_plain") != 0 ||
        raw_int(db, "SELECT count(*) FROM bench_floor") != 0)
        throw Mismatch("capture: rows left after the bulk delete");
    // The insert, the update (with the app's updatedAt trigger: two writes) and the delete.
    if (raw_int(db, "SELECT count(*) FROM bench_floor_log") != static_cast<std::int64_t>(4 * rows.size()))
        throw Mismatch("capture floor: the log does not hold one entry per write");
}

/// Times `body` on "Task" and on the plain copy (the order alternates by run).
void CaptureRound::phase(Store& s, const std::string& name, const std::function<void(const std::string&)>& body) {
    double ferry_s = 0, plain_s = 0, floor_s = 0;
    auto on = [&](const std::string& table, double& out) {
        out = timed([&] { body(table); });
        wal_checkpoint(s);
    };
    if (run % 2 == 0) on("Task", ferry_s), on("bench_plain", plain_s), on("bench_floor", floor_s);
    else on("bench_floor", floor_s), on("bench_plain", plain_s), on("Task", ferry_s);
    report.series(name, rows.size(), "device")
        .describe("the same statements on a plain copy of \"Task\" with its app trigger", "ferry / baseline", {"<=", 1.3})
        .record(ferry_s, plain_s, ferry_s / plain_s);
    // "ferry" is the floor's time here: no capture by triggers can beat this figure.
    report.series(name + "_floor", rows.size(), "device")
        .describe("the plain copy; the floor: the same copy with triggers logging key and operation of each write",
                  "floor / baseline", {"<=", 1.3})
        .record(floor_s, plain_s, floor_s / plain_s);
}

// ---------------------------------------------------------------------------------------------
// Live sync: a commit on device A until it is readable on device B

/// Waits until `done` holds (polling every half millisecond), `limit_s` at most.
bool wait_until(const std::function<bool()>& done, double limit_s) {
    const auto t0 = Clock::now();
    while (!done()) {
        if (seconds_since(t0) > limit_s) return false;
        ::usleep(500);
    }
    return true;
}

/// The fraction `q` of the sorted values (nearest rank).
double quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// live_latency_p50/p99: devices A and B each kept in sync by their own `ferry daemon` process;
/// A's app commits one Task row at a time (a random pause of 5-25 ms between them) and the time
/// until B's app can read it is measured.
void live_latency(const Config& cfg, const TempDir& dir, const std::string& transport, int run, Report& report) {
    std::fprintf(stderr, "  run %d/%d, %s: live latency (%zu commits)\n", run + 1, cfg.runs, transport.c_str(),
                 cfg.live_commits);
    const std::string tag = "live_" + transport + "_" + std::to_string(run);
    Server server(tag, transport, cfg, dir);
    const std::string a_path = dir.file(tag + "_a.ferry"), b_path = dir.file(tag + "_b.ferry"),
                      token_file = dir.file(tag + ".token");
    Store a = Store::open(a_path, k_app), b = Store::open(b_path, k_app);
    std::ofstream(token_file) << server.token() << "\n";
    DaemonProcess daemon_a(cfg.ferry_cli, a_path, server.conninfo(), server.gateway_url(), token_file,
                           dir.file(tag + "_a.log")),
        daemon_b(cfg.ferry_cli, b_path, server.conninfo(), server.gateway_url(), token_file, dir.file(tag + "_b.log"));
    auto has_user = [](Store& s) { return s.query_value("SELECT count(*) FROM \"User\"")->as_int() == 1; };
    // Each Task refers to the user: both devices have pulled it before the first commit.
    if (!wait_until([&] { return has_user(a) && has_user(b); }, 30))
        throw Mismatch("live: the daemons did not pull the user's row within 30 s; logs: " + daemon_a.log() + daemon_b.log());
    const auto rows = make_task_rows(cfg.live_commits, k_user, 1000 + static_cast<std::uint64_t>(run));
    Rng pause(static_cast<std::uint64_t>(run) + 1);
    std::vector<double> ms;
    for (const auto& row : rows) {
        const auto t0 = Clock::now();
        raw_insert(ferry::detail::impl_of(a).handle(), "Task", {row});
        const bool arrived =
            wait_until([&] { return b.query_value("SELECT 1 FROM \"Task\" WHERE id = ?", {row[0]}).has_value(); }, 10);
        if (!arrived) throw Mismatch("live: a commit on A was not on B after 10 s; logs: " + daemon_a.log() + daemon_b.log());
        ms.push_back(seconds_since(t0) * 1000);
        ::usleep(static_cast<useconds_t>(5000 + pause.below(20000)));
    }
    const double p50 = quantile(ms, 0.5), p99 = quantile(ms, 0.99);
    report.series("live_latency_p50_ms", cfg.live_commits, transport)
        .describe("", "ms from A's commit until B reads it, median", {"<=", 100})
        .record(p50 / 1000, std::nullopt, p50);
    report.series("live_latency_p99_ms", cfg.live_commits, transport)
        .describe("", "ms from A's commit until B reads it, 99th percentile", {"<=", 500})
        .record(p99 / 1000, std::nullopt, p99);
}

// ---------------------------------------------------------------------------------------------
// Figures made across sizes

/// incremental_*: time at each size over the time at the smallest size, run by run.
void incremental_ratios(const Config& cfg, Report& report) {
    const std::size_t ref = cfg.sizes.front();
    for (const auto& transport : cfg.transports)
        for (const char* name : {"incremental_push", "incremental_pull", "incremental_floor"}) {
            const Series* base = report.find(name, ref, transport);
            if (!base) continue;
            const std::vector<double> ref_times = base->ferry;
            for (std::size_t n : cfg.sizes) {
                Series& s = report.series(name, n, transport);
                s.baseline_name = "the same at " + std::to_string(ref) + " rows";
                s.figure_text = "ferry / baseline";
                s.baseline = ref_times;
                s.figures.clear();
                for (std::size_t i = 0; i < s.ferry.size() && i < ref_times.size(); ++i)
                    s.figures.push_back(s.ferry[i] / ref_times[i]);
                if (n != ref) s.goal = {"<=", 1.2};
            }
        }
}

/// push_linearity: push time at each size over the time at the next smaller size, against
/// 1.1x the ratio of the sizes (1M over 100k: at most 11); push_floor_linearity the same of the
/// push's floor (what the size of the tables alone makes superlinear).
void push_linearity(const Config& cfg, Report& report) {
    struct Kind {
        const char* from;   ///< the series whose times are compared
        const char* name;   ///< the series made of them
        const char* label;  ///< what the baseline is
    };
    const Kind kinds[] = {{"push_vs_copy_from", "push_linearity", "push"},
                          {"push_floor_vs_copy_from", "push_floor_linearity", "the floor"}};
    for (const auto& transport : cfg.transports)
        for (const auto& [from, name, label] : kinds)
            for (std::size_t i = 1; i < cfg.sizes.size(); ++i) {
                const Series* small = report.find(from, cfg.sizes[i - 1], transport);
                const Series* big = report.find(from, cfg.sizes[i], transport);
                if (!small || !big) continue;
                // Copied first: adding a series may move the others (and invalidate `small` and `big`).
                const std::vector<double> small_s = small->ferry, big_s = big->ferry;
                Series& s = report.series(name, cfg.sizes[i], transport);
                s.baseline_name = std::string(label) + " at " + std::to_string(cfg.sizes[i - 1]) + " rows";
                s.figure_text = "ferry / baseline";
                s.ferry = big_s;
                s.baseline = small_s;
                s.figures.clear();
                for (std::size_t r = 0; r < big_s.size() && r < small_s.size(); ++r) s.figures.push_back(big_s[r] / small_s[r]);
                s.goal = {"<=", 1.1 * static_cast<double>(cfg.sizes[i]) / static_cast<double>(cfg.sizes[i - 1])};
            }
}

// ---------------------------------------------------------------------------------------------
// Machine and main

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "";
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return b;
}

nlohmann::json machine_info(const std::string& pg_version) {
    utsname u{};
    ::uname(&u);
    return {{"nproc", ::sysconf(_SC_NPROCESSORS_ONLN)},
            {"cpu", cpu_model()},
            {"kernel", std::string(u.sysname) + " " + u.release},
            {"sqlite", sqlite3_libversion()},
            {"postgresql", pg_version},
            {"libpqxx", PQXX_VERSION},
            {"compiler", __VERSION__},
            {"date", utc_now()}};
}

nlohmann::json config_json(const Config& c) {
    return {{"rows", c.sizes},         {"runs", c.runs},     {"transports", c.transports},
            {"measures", c.measures},  {"updates", c.updates}, {"live_commits", c.live_commits}, {"label", c.label}};
}

/// Runs every size; `done` is called after each size with the figures so far (a long run
/// that is stopped keeps what it measured).
void run_all(const Config& cfg, const TempDir& dir, Report& report, const std::function<void()>& done) {
    for (std::size_t n : cfg.sizes) {
        std::fprintf(stderr, "throughput_bench: %zu rows ...\n", n);
        const auto rows = make_task_rows(n, k_user, 42);
        for (int run = 0; run < cfg.runs; ++run) {
            auto transports = cfg.transports;
            if (run % 2) std::reverse(transports.begin(), transports.end());
            if (measures(cfg, "initial") || measures(cfg, "push") || measures(cfg, "incremental"))
                for (const auto& t : transports) Round{cfg, dir, rows, t, run, report}.execute();
            if (measures(cfg, "live") && n == cfg.sizes.front())  // the latency does not depend on the rows
                for (const auto& t : transports) live_latency(cfg, dir, t, run, report);
            if (measures(cfg, "capture")) CaptureRound{dir, rows, run, report}.execute();
        }
        incremental_ratios(cfg, report);
        push_linearity(cfg, report);
        done();
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Config cfg = parse_args(argc, argv);
    std::string pg_version = "-";
    if (measures_sync(cfg)) {
        try {
            pg_version = server_version();
        } catch (const std::exception& e) {
            std::fprintf(stderr,
                         "throughput_bench: needs a PostgreSQL server named by the PG* variables (scripts/bench.sh "
                         "runs it inside pg_virtualenv, scripts/test.sh too): %s\n",
                         e.what());
            return 1;
        }
    }
    try {
        TempDir dir(cfg.dir);
        dir.keep = cfg.keep;
        Report report;
        const auto machine = machine_info(pg_version);
        run_all(cfg, dir, report, [&] {
            if (!cfg.json_path.empty()) report.write_json(cfg.json_path, machine, config_json(cfg));
        });
        std::printf("throughput_bench: projectme \"Task\", %d run(s), %ld cores, SQLite %s, PostgreSQL %s%s\n", cfg.runs,
                    ::sysconf(_SC_NPROCESSORS_ONLN), sqlite3_libversion(), pg_version.c_str(),
                    cfg.label.empty() ? "" : (", " + cfg.label).c_str());
        report.print(stdout);
        if (cfg.keep) std::fprintf(stderr, "throughput_bench: files kept in %s\n", dir.path().c_str());
    } catch (const Mismatch& e) {
        std::fprintf(stderr, "throughput_bench: WRONG SYNC RESULT: %s\n", e.what());
        return 3;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "throughput_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
