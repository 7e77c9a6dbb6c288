// tests/fault/server_fault_test.cpp: the cloud fails under a sync: its connection is killed while
// the merge waits on a row lock, or in the middle of a pull page or a snapshot page; lock_timeout
// and statement_timeout fire during the merge; the PostgreSQL server restarts. Each time the
// device must report a transient error (connection, busy, timeout), reject nothing, keep its
// queue, and converge with nothing lost on the next sync (DESIGN.md decision 6: errors are
// classified by what they are).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <dirent.h>
#include <functional>
#include <future>
#include <memory>
#include <pqxx/pqxx>
#include <thread>
#include <signal.h>
#include <unistd.h>

#include "ferry/error.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/fault/fault_support.hpp"
#include "tests/fault/worlds.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::fault;

namespace {
/// A device store with its own transport, connected with extra libpq options.
struct Dev {
    Dev(AiflowoWorld& w, const std::string& conninfo_extra, const std::string& file = "d.db")
        : path(dir.file(file)), conninfo(w.db.conninfo() + " " + conninfo_extra) {
        store = std::make_unique<Store>(Store::open(path, "aiflowo"));
        transport = connect_postgres(conninfo, "aiflowo");
    }
    test::TempDir dir;
    std::string path, conninfo;
    std::unique_ptr<Store> store;
    std::unique_ptr<Transport> transport;
    std::int64_t pending() { return store->status().pending_changes; }
};

/// How a sync ended.
struct Outcome {
    bool threw = false;
    bool transient = false;
    std::string code, what;
    SyncReport report;
    std::string describe() const {
        return threw ? std::string(transient ? "transient " : "non-transient ") + "error [" + code + "] " + what
                     : "no error (pushed " + std::to_string(report.pushed) + ", rejected " +
                           std::to_string(report.rejected) + ", pulled " + std::to_string(report.pulled) + ")";
    }
};

Outcome sync_outcome(Dev& d, SyncOptions o = {}) {
    Outcome out;
    try {
        out.report = SyncClient(*d.store, *d.transport, o).sync();
    } catch (const Error& e) {
        out.threw = true;
        out.transient = e.is_transient();
        out.code = error_code_name(e.code());
        out.what = e.what();
    } catch (const std::exception& e) {
        out.threw = true;
        out.code = "exception";
        out.what = e.what();
    }
    return out;
}

std::string rejected_list(Store& s) {
    std::string out;
    for (const auto& r : rejected_writes(s)) out += "\n- " + r.table + " " + r.key_json + " " + r.op + ": " + r.code + ": " + r.reason;
    return out;
}

/// A transaction of the test holding locks until release() (or its end).
class Locker {
public:
    Locker(const test::PgDatabase& db, const std::string& sql)
        : m_conn(std::make_unique<pqxx::connection>(db.conninfo())), m_tx(std::make_unique<pqxx::work>(*m_conn)) {
        m_tx->exec(sql);
    }
    void release() { m_tx.reset(); }

private:
    std::unique_ptr<pqxx::connection> m_conn;
    std::unique_ptr<pqxx::work> m_tx;
};

std::string title_in_cloud(const AiflowoWorld& w, const std::string& task) {
    return w.db.scalar("SELECT title FROM \"Task\" WHERE id = " + lit(task));
}

/// The end of every scenario: the device syncs again, everything converges, and a fresh device
/// pulls the same.
void converge(AiflowoWorld& w, Dev& d, Figures& fig) {
    auto again = sync_outcome(d);
    INFO("seed " << w.seed);
    CHECK(again.describe() == "no error (pushed " + std::to_string(again.report.pushed) + ", rejected 0, pulled " +
                                  std::to_string(again.report.pulled) + ")");
    std::string problems;
    for (const auto& p : store_problems(*d.store)) problems += "\n- " + p;
    CHECK(problems == "");
    Check c = check_cloud(w.oracle, w.db);
    c.add(check_device(w.oracle, *d.store, "device"));
    Dev fresh(w, "", "fresh.db");
    auto f = sync_outcome(fresh);
    CHECK(!f.threw);
    c.add(check_device(w.oracle, *fresh.store, "fresh device"));
    fig.count(c);
    CHECK(c.report() == std::to_string(c.checked) + " values checked, 0 lost, 0 duplicated");
    CHECK(replica_diff(*d.store, *fresh.store) == "");
}

/// A device synced once, then offline edits: the web task `target` retitled and `extra` new tasks.
struct Edited {
    std::string target, title_before;
    std::int64_t pending = 0;
};

Edited edit_offline(AiflowoWorld& w, Dev& d, const std::string& user, const std::vector<std::string>& tasks, int extra) {
    Edited e;
    e.target = tasks.front();
    e.title_before = title_in_cloud(w, e.target);
    d.store->execute("UPDATE \"Task\" SET title = ? WHERE id = ?", {"edited offline", e.target});
    w.oracle.put("Task", e.target, {{"title", std::string("edited offline")}});
    for (int i = 0; i < extra; ++i) w.dev_log(*d.store, w.dev_task(*d.store, user));
    e.pending = d.pending();
    return e;
}

/// After a failed push: nothing rejected, the queue as it was, the cloud without the edit.
void check_kept(AiflowoWorld& w, Dev& d, const Edited& e) {
    CHECK(rejected_list(*d.store) == "");
    CHECK(d.pending() == e.pending);
    CHECK(title_in_cloud(w, e.target) == e.title_before);
}

/// Runs `body`'s sync on another thread; returns its outcome once done, or after `timeout_ms`
/// calls `unblock` first (a sync that retried by itself and waits again) and notes it.
Outcome sync_in_background_until(std::future<Outcome>& f, const std::function<void()>& unblock, bool& had_to_unblock,
                                 int timeout_ms = 15000) {
    if (f.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
        had_to_unblock = true;
        unblock();
    }
    return f.get();
}
}  // namespace

TEST_CASE("a connection killed while the merge waits on a row lock: transient, nothing rejected, queue kept",
          "[fault][server]") {
    Figures fig;
    fig.name = "server: connection killed mid-batch";
    fig.seed = fault_seed(0xB1);
    const double started = now_s();
    AiflowoWorld w(fig.seed);
    const auto user = w.web_user();
    const auto tasks = w.web_tasks(user, 5, 1);
    Dev d(w, "application_name=ferry_fault_kill_push");
    REQUIRE(!sync_outcome(d).threw);
    const auto e = edit_offline(w, d, user, tasks, 5);

    Locker lock(w.db, "SELECT 1 FROM \"Task\" WHERE id = " + lit(e.target) + " FOR UPDATE");
    auto f = std::async(std::launch::async, [&] { return sync_outcome(d); });
    const int pid = wait_for_backend(w.db, "ferry_fault_kill_push", "Lock");
    REQUIRE(pid != 0);  // the merge waits on the row lock
    terminate_backend(w.db, pid);
    bool unblocked = false;
    const auto o = sync_in_background_until(f, [&] { lock.release(); }, unblocked);
    lock.release();
    INFO("seed " << fig.seed << "; the sync: " << o.describe());
    CHECK_FALSE(unblocked);
    CHECK(o.threw);
    CHECK(o.transient);
    if (o.threw) fig.transient++;
    check_kept(w, d, e);
    converge(w, d, fig);
    fig.runs++;
    fig.seconds = now_s() - started;
    fig.print();
}

TEST_CASE("a connection killed mid-page (pull and snapshot): transient, the sync resumes and misses nothing",
          "[fault][server]") {
    Figures fig;
    fig.name = "server: connection killed mid-page";
    fig.seed = fault_seed(0xB2);
    const double started = now_s();
    AiflowoWorld w(fig.seed);
    const auto user = w.web_user();
    const auto tasks = w.web_tasks(user, 4, 1);
    Dev d(w, "application_name=ferry_fault_kill_pull");
    REQUIRE(!sync_outcome(d).threw);

    // The web app writes logs of a known task (one transaction), then new tasks (another): the
    // device's first page holds logs only, a later one tasks, which the test keeps locked.
    const auto new_logs = w.web_logs(tasks.front(), 30);
    w.web_tasks(user, 30, 0);
    // An offline edit of the user row, pushed before the pull (the lock does not cover it).
    d.store->execute("UPDATE \"User\" SET email = ? WHERE id = ?", {"edited@device.example", user});
    w.oracle.put("User", user, {{"email", std::string("edited@device.example")}});
    SyncOptions small;
    small.pull_page = 20;
    {
        Locker lock(w.db, "LOCK TABLE \"Task\" IN ACCESS EXCLUSIVE MODE");
        auto f = std::async(std::launch::async, [&] { return sync_outcome(d, small); });
        const int pid = wait_for_backend(w.db, "ferry_fault_kill_pull", "Lock");
        REQUIRE(pid != 0);  // the page reading the tasks waits
        terminate_backend(w.db, pid);
        bool unblocked = false;
        const auto o = sync_in_background_until(f, [&] { lock.release(); }, unblocked);
        lock.release();
        INFO("seed " << fig.seed << "; the pull: " << o.describe());
        CHECK_FALSE(unblocked);
        CHECK(o.threw);
        CHECK(o.transient);
        if (o.threw) fig.transient++;
        CHECK(rejected_list(*d.store) == "");
        // Killed in the middle: the first page (20 of the new logs) is applied, the rest is not.
        std::string list;
        for (const auto& l : new_logs) list += (list.empty() ? "'" : ", '") + l + "'";
        CHECK(d.store->query_value("SELECT count(*) FROM \"TaskLog\" WHERE id IN (" + list + ")")->as_int() == 20);
    }

    // A fresh device's snapshot, one row a page, killed while a page reads the locked tasks.
    Dev s(w, "application_name=ferry_fault_kill_snapshot", "snap.db");
    SyncOptions tiny;
    tiny.pull_page = 1;
    {
        Locker lock(w.db, "LOCK TABLE \"Task\" IN ACCESS EXCLUSIVE MODE");
        auto f = std::async(std::launch::async, [&] { return sync_outcome(s, tiny); });
        const int pid = wait_for_backend(w.db, "ferry_fault_kill_snapshot", "Lock");
        REQUIRE(pid != 0);
        terminate_backend(w.db, pid);
        bool unblocked = false;
        const auto o = sync_in_background_until(f, [&] { lock.release(); }, unblocked);
        lock.release();
        INFO("seed " << fig.seed << "; the snapshot: " << o.describe());
        CHECK_FALSE(unblocked);
        CHECK(o.threw);
        CHECK(o.transient);
        if (o.threw) fig.transient++;
        CHECK(s.store->query_value("SELECT value FROM ferry_meta WHERE key = 'snapshot'").has_value());  // resumable
    }
    converge(w, d, fig);
    auto so = sync_outcome(s, tiny);
    CHECK(so.describe() == "no error (pushed 0, rejected 0, pulled " + std::to_string(so.report.pulled) + ")");
    Check c = check_device(w.oracle, *s.store, "snapshot device");
    fig.count(c);
    CHECK(c.report() == std::to_string(c.checked) + " values checked, 0 lost, 0 duplicated");
    std::string problems;
    for (const auto& p : store_problems(*s.store)) problems += "\n- " + p;
    CHECK(problems == "");
    fig.runs += 2;
    fig.seconds = now_s() - started;
    fig.print();
}

TEST_CASE("lock_timeout during the merge is transient: nothing rejected, queue kept (in-process and ferry sync)",
          "[fault][server]") {
    Figures fig;
    fig.name = "server: lock_timeout";
    fig.seed = fault_seed(0xB3);
    const double started = now_s();
    AiflowoWorld w(fig.seed);
    const auto user = w.web_user();
    const auto tasks = w.web_tasks(user, 5, 1);
    Dev d(w, "options='-c lock_timeout=300'");
    REQUIRE(!sync_outcome(d).threw);
    const auto e = edit_offline(w, d, user, tasks, 3);
    // A second store synced by `ferry sync` with PGOPTIONS (as /work/shared/repro/scen3.sh does).
    test::TempDir cli_dir;
    const auto cli_store = cli_dir.file("cli.db");
    {
        auto s = Store::open(cli_store, "aiflowo");
    }
    auto first = run_child({cli_path(), "sync", "--db", cli_store, "--database-url", w.db.conninfo(), "--quiet"});
    REQUIRE(first.ok());
    {
        auto s = Store::open_existing(cli_store);
        s.execute("UPDATE \"Task\" SET intent = 'edited by the cli' WHERE id = ?", {tasks[1]});
        w.oracle.put("Task", tasks[1], {{"intent", std::string("edited by the cli")}});
    }
    ChildResult cli;
    Outcome o;
    {
        Locker lock(w.db, "SELECT 1 FROM \"Task\" WHERE id IN (" + lit(e.target) + ", " + lit(tasks[1]) + ") FOR UPDATE");
        o = sync_outcome(d);
        cli = run_child({cli_path(), "sync", "--db", cli_store, "--database-url", w.db.conninfo(), "--json"},
                        {{"PGOPTIONS", "-c lock_timeout=300"}}, 60000);
    }
    INFO("seed " << fig.seed << "; in-process sync: " << o.describe() << "; ferry sync: " << cli.describe());
    CHECK(o.threw);
    CHECK(o.transient);
    if (o.threw) fig.transient++;
    CHECK((o.code == "busy" || o.code == "timeout"));
    check_kept(w, d, e);
    // ferry sync: fails (exit 1 for busy, 4 for timeout or connection), naming a transient code.
    CHECK(cli.exited);
    CHECK(cli.code != 0);
    const bool transient_code = cli.err.find("/busy]") != std::string::npos ||
                                cli.err.find("/timeout]") != std::string::npos ||
                                cli.err.find("/connection]") != std::string::npos;
    CHECK(transient_code);
    {
        auto s = Store::open_existing(cli_store);
        CHECK(rejected_list(s) == "");
        CHECK(s.status().pending_changes > 0);
    }
    auto last = run_child({cli_path(), "sync", "--db", cli_store, "--database-url", w.db.conninfo(), "--quiet"});
    CHECK(last.ok());
    converge(w, d, fig);
    CHECK(run_child({cli_path(), "sync", "--db", cli_store, "--database-url", w.db.conninfo(), "--quiet"}).ok());
    {
        auto s = Store::open_existing(cli_store);
        std::string problems;
        for (const auto& p : store_problems(s)) problems += "\n- " + p;
        CHECK(problems == "");
        Check c = check_device(w.oracle, s, "ferry sync device");
        c.add(check_cloud(w.oracle, w.db));
        fig.count(c);
        CHECK(c.report() == std::to_string(c.checked) + " values checked, 0 lost, 0 duplicated");
    }
    fig.runs += 2;
    fig.seconds = now_s() - started;
    fig.print();
}

TEST_CASE("statement_timeout (set on the role) during the merge is transient: nothing rejected, queue kept",
          "[fault][server]") {
    Figures fig;
    fig.name = "server: statement_timeout";
    fig.seed = fault_seed(0xB4);
    const double started = now_s();
    AiflowoWorld w(fig.seed);
    const auto user = w.web_user();
    const auto tasks = w.web_tasks(user, 5, 1);
    // A role of this test whose sessions in this database time statements out after 300 ms.
    const std::string role = "ferry_fault_slow_" + std::to_string(::getpid());
    {
        auto c = w.db.connect();
        pqxx::nontransaction tx(c);
        tx.exec("DROP ROLE IF EXISTS " + role);
        tx.exec("CREATE ROLE " + role + " LOGIN SUPERUSER PASSWORD 'fault'");
        tx.exec("ALTER ROLE " + role + " IN DATABASE " + w.db.name() + " SET statement_timeout = 300");
    }
    struct DropRole {
        const test::PgDatabase& db;
        std::string role;
        ~DropRole() {
            try {
                pqxx::connection c("dbname=postgres");
                pqxx::nontransaction tx(c);
                tx.exec("ALTER ROLE " + role + " IN DATABASE " + db.name() + " RESET ALL");
                tx.exec("DROP ROLE IF EXISTS " + role);
            } catch (...) {
            }
        }
    } drop{w.db, role};
    {
        Dev d(w, "user=" + role + " password=fault");
        CHECK(w.db.scalar("SELECT setting FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                          "CROSS JOIN unnest(s.setconfig) setting WHERE r.rolname = " + lit(role)) ==
              "statement_timeout=300");
        REQUIRE(!sync_outcome(d).threw);
        const auto e = edit_offline(w, d, user, tasks, 3);
        Outcome o;
        {
            Locker lock(w.db, "SELECT 1 FROM \"Task\" WHERE id = " + lit(e.target) + " FOR UPDATE");
            o = sync_outcome(d);
        }
        INFO("seed " << fig.seed << "; the sync: " << o.describe());
        CHECK(o.threw);
        CHECK(o.transient);
        if (o.threw) fig.transient++;
        CHECK((o.code == "timeout" || o.code == "busy"));
        check_kept(w, d, e);
        converge(w, d, fig);
        fig.runs++;
    }
    fig.seconds = now_s() - started;
    fig.print();
}

namespace {
/// The pg_virtualenv cluster: (version, name), from PG_CLUSTER_CONF_ROOT.
std::pair<std::string, std::string> test_cluster() {
    const char* root = std::getenv("PG_CLUSTER_CONF_ROOT");
    const char* ver = std::getenv("PGVERSION");
    if (!root || !*root) return {};
    const std::string version = ver && *ver ? ver : "15";
    std::string name;
    if (DIR* d = ::opendir((std::string(root) + "/" + version).c_str())) {
        while (auto* e = ::readdir(d))
            if (e->d_name[0] != '.') name = e->d_name;
        ::closedir(d);
    }
    return {version, name};
}

bool wait_for_server(int timeout_ms) {
    const double deadline = now_s() + timeout_ms / 1000.0;
    while (now_s() < deadline) {
        try {
            pqxx::connection c("dbname=postgres");
            return true;
        } catch (...) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    return false;
}
}  // namespace

TEST_CASE("a PostgreSQL restart during a sync: transient, then the next sync converges with nothing lost",
          "[fault][server][serial]") {
    const auto [version, cluster] = test_cluster();
    if (cluster.empty())
        FAIL("this test restarts the test server: run it under pg_virtualenv (scripts/test.sh, scripts/fault.sh), "
             "which sets PG_CLUSTER_CONF_ROOT");
    Figures fig;
    fig.name = "server: PostgreSQL restart";
    fig.seed = fault_seed(0xB5);
    const double started = now_s();
    const int runs = long_run() ? std::max(1, fault_rounds() / 100) : 1;
    for (int run = 0; run < runs; ++run) {
        const std::uint64_t seed = fig.seed + static_cast<std::uint64_t>(run);
        AiflowoWorld w(seed);
        test::TempDir dir;
        const auto pa = dir.file("a.db"), pb = dir.file("b.db");
        const auto web = w.web_user();
        w.web_tasks(web, 10, 1);
        {
            auto a = Store::open(pa, "aiflowo");
            const auto user = w.dev_user(a);
            auto t = connect_postgres(w.db.conninfo(), "aiflowo");
            SyncClient(a, *t).sync();
            w.dev_bulk(a, user, 2000, 1500, 300, 50, 20);
        }
        Child c(sync_argv(pa, w.db.conninfo(), {"--batch", "25", "--page", "25"}));
        // Restart once the sync has pushed something.
        const double deadline = now_s() + 30;
        while (c.running() && now_s() < deadline &&
               w.db.scalar("SELECT count(*) FROM \"Task\" WHERE intent = 'bulk'") == "0")
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const bool mid_sync = c.running();
        // stop, then start: `pg_ctlcluster restart` decides whether the server runs from the pid
        // file /var/run/postgresql/<version>-<cluster>.pid, which every pg_virtualenv cluster of
        // that name on the machine shares (other test runs, other ports), and may then only start.
        auto stop = run_child({"pg_ctlcluster", version, cluster, "stop", "-m", "fast"}, {}, 120000);
        auto start = run_child({"pg_ctlcluster", version, cluster, "start"}, {}, 120000);
        INFO("pg_ctlcluster " << version << " " << cluster << " stop: " << stop.describe() << "; start: " << start.describe());
        REQUIRE(stop.ok());
        REQUIRE(start.ok());
        REQUIRE(wait_for_server(60000));
        auto r = c.wait(120000);
        INFO("seed " << seed << "; the sync across the restart: " << r.describe());
        CHECK(mid_sync);  // the restart came while the sync ran
        // Exit 4: a transient error (the connection was lost); 0 if it reconnected and finished.
        CHECK(r.exited);
        CHECK((r.code == 4 || r.code == 0));
        if (r.code == 4) fig.transient++;
        {
            auto a = Store::open_existing(pa);
            CHECK(rejected_list(a) == "");
        }
        auto again = run_child(sync_argv(pa, w.db.conninfo(), {"--batch", "200"}), {}, 120000);
        CHECK(again.ok());
        { auto b = Store::open(pb, "aiflowo"); }
        auto b_sync = run_child(sync_argv(pb, w.db.conninfo(), {"--page", "500"}), {}, 120000);
        CHECK(b_sync.ok());
        auto a = Store::open_existing(pa);
        auto b = Store::open_existing(pb);
        std::string problems;
        for (auto* s : {&a, &b})
            for (const auto& p : store_problems(*s)) problems += "\n- " + p;
        CHECK(problems == "");
        Check chk = check_cloud(w.oracle, w.db);
        chk.add(check_device(w.oracle, a, "device A"));
        chk.add(check_device(w.oracle, b, "device B"));
        fig.count(chk);
        CHECK(chk.report() == std::to_string(chk.checked) + " values checked, 0 lost, 0 duplicated");
        CHECK(replica_diff(a, b) == "");
        fig.runs++;
        fig.crashes++;
    }
    fig.seconds = now_s() - started;
    fig.print();
}

TEST_CASE("two daemons keep two stores in sync across a PostgreSQL restart, by themselves",
          "[fault][server][serial]") {
    const auto [version, cluster] = test_cluster();
    if (cluster.empty())
        FAIL("this test restarts the test server: run it under pg_virtualenv (scripts/test.sh, scripts/fault.sh), "
             "which sets PG_CLUSTER_CONF_ROOT");
    test::PgDatabase db;
    server::install_app_schema(db.conninfo(), "december");
    test::TempDir dir;
    const auto pa = dir.file("a.db"), pb = dir.file("b.db");
    Store::open(pa, "december");
    Store::open(pb, "december");
    const std::map<std::string, std::string> env = {{"DATABASE_URL", db.conninfo()}};
    Child da({cli_path(), "daemon", "--db", pa}, env), dbb({cli_path(), "daemon", "--db", pb}, env);
    Store a = Store::open_existing(pa), b = Store::open_existing(pb);
    auto count = [](Store& s, const std::string& email) {
        return s.query_value("SELECT count(*) FROM users WHERE email = ?", {email})->as_int();
    };
    using test::eventually;
    a.execute("INSERT INTO users(id, email) VALUES (?, 'before@x.org')", {Store::new_id()});
    REQUIRE(eventually([&] { return count(b, "before@x.org") == 1; }, 30));

    auto stop = run_child({"pg_ctlcluster", version, cluster, "stop", "-m", "fast"}, {}, 120000);
    REQUIRE(stop.ok());
    // Written while the server is down: queued, then pushed once it is back.
    a.execute("INSERT INTO users(id, email) VALUES (?, 'while-down@x.org')", {Store::new_id()});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto start = run_child({"pg_ctlcluster", version, cluster, "start"}, {}, 120000);
    REQUIRE(start.ok());
    REQUIRE(wait_for_server(60000));
    // The backoff is at most 30 s; the LISTEN connection reconnects by itself.
    CHECK(eventually([&] { return count(b, "while-down@x.org") == 1; }, 60));
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web-after@x.org')");
    CHECK(eventually([&] { return count(a, "web-after@x.org") == 1 && count(b, "web-after@x.org") == 1; }, 60));
    CHECK(a.status().pending_changes == 0);
    for (Child* c : {&da, &dbb}) {
        ::kill(c->pid(), SIGTERM);
        auto r = c->wait(30000);
        INFO(r.describe());
        CHECK(r.ok());
    }
}

