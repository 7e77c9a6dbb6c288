// tests/fault/two_syncers_test.cpp: two `ferry sync` processes on one store (an app and a daemon
// will do this) while a third process writes rows into it. DESIGN.md decision 6: one push is in
// flight per store at a time, enforced by the store itself, whichever process syncs. Nothing may
// be lost on the device or in the cloud (/work/shared/repro/scen4.py).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "ferry/store.hpp"
#include "tests/fault/fault_support.hpp"
#include "tests/fault/worlds.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::fault;

TEST_CASE("two ferry sync processes on one store while a third process writes: nothing lost", "[fault][syncers]") {
    Figures fig;
    fig.name = "two syncers";
    fig.seed = fault_seed(0x2525);
    const int rounds = long_run() ? std::max(6, fault_rounds() / 10) : 6;
    AiflowoWorld w(fig.seed);
    test::TempDir dir;
    const auto db = dir.file("shared.db");
    const auto url = w.db.conninfo();
    const auto user = w.web_user();
    {
        auto s = Store::open(db, "aiflowo");
    }
    REQUIRE(run_child({cli_path(), "sync", "--db", db, "--database-url", url, "--quiet"}).ok());
    const double started = now_s();
    std::vector<std::string> failures;
    std::int64_t serial = 0;
    std::mutex mu;  // the oracle and `failures`, shared with the writer thread

    // One `ferry exec` writing one task, or retitling an earlier one.
    std::vector<std::string> written;
    auto exec_write = [&](Rng& rng) {
        std::string sql;
        {
            std::lock_guard<std::mutex> lock(mu);
            const auto id = "late_" + std::to_string(serial++);
            if (!written.empty() && chance(rng, 0.3)) {
                const auto& t = written[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(written.size()) - 1))];
                const auto title = "retitled " + id;
                sql = "UPDATE \"Task\" SET title = '" + title + "' WHERE id = '" + t + "'";
                w.oracle.put("Task", t, {{"title", title}});
            } else {
                sql = "INSERT INTO \"Task\"(id, \"userId\", title, intent) VALUES ('" + id + "', '" + user + "', 'late', 'late')";
                w.oracle.put("Task", id, {{"userId", user}, {"title", std::string("late")}, {"intent", std::string("late")},
                                          {"description", std::nullopt}, {"currentStep", std::string("0")},
                                          {"status", std::string("PENDING")}});
                written.push_back(id);
            }
        }
        auto r = run_child({cli_path(), "exec", "--db", db, sql}, {}, 60000);
        if (!r.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            failures.push_back("ferry exec " + sql + ": " + r.describe());
        }
    };
    auto syncer_ok = [&](const ChildResult& r, const std::string& label) {
        if (r.ok()) return;
        // A syncer may be told to come back later (the store is busy): transient, nothing lost.
        const bool transient = r.exited && (r.err.find("/busy]") != std::string::npos ||
                                            r.err.find("/timeout]") != std::string::npos ||
                                            r.err.find("/connection]") != std::string::npos);
        std::lock_guard<std::mutex> lock(mu);
        if (transient) fig.transient++;
        else failures.push_back(label + ": " + r.describe());
    };

    Rng rng(fig.seed);
    for (int i = 0; i < rounds; ++i) {
        // An offline session: 300 tasks in one statement.
        const std::string prefix = "bulk" + std::to_string(i) + "_";
        auto bulk = run_child({cli_path(), "exec", "--db", db,
                               "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 300) "
                               "INSERT INTO \"Task\"(id, \"userId\", title, intent) SELECT '" + prefix + "' || k, '" +
                                   user + "', 'bulk', 'bulk' FROM n"});
        REQUIRE(bulk.ok());
        for (int k = 1; k <= 300; ++k)
            w.oracle.put("Task", prefix + std::to_string(k),
                         {{"userId", user}, {"title", std::string("bulk")}, {"intent", std::string("bulk")},
                          {"description", std::nullopt}, {"currentStep", std::string("0")},
                          {"status", std::string("PENDING")}});
        std::atomic<bool> syncing{true};
        Rng writer_rng(fig.seed * 7 + static_cast<std::uint64_t>(i));
        std::thread writer([&] {
            while (syncing.load()) {
                exec_write(writer_rng);
                std::this_thread::sleep_for(std::chrono::milliseconds(pick(writer_rng, 0, 30)));
            }
        });
        Child p1({cli_path(), "sync", "--db", db, "--database-url", url, "--quiet", "--json", "--batch", "20"});
        std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng, 20, 100)));
        Child p2({cli_path(), "sync", "--db", db, "--database-url", url, "--quiet", "--json", "--batch", "7"});
        const auto r1 = p1.wait(120000);
        const auto r2 = p2.wait(120000);
        syncing = false;
        writer.join();
        syncer_ok(r1, "round " + std::to_string(i) + ", syncer 1");
        syncer_ok(r2, "round " + std::to_string(i) + ", syncer 2");
        fig.runs++;
    }
    for (int k = 0; k < 3; ++k) {
        auto r = run_child({cli_path(), "sync", "--db", db, "--database-url", url, "--quiet"});
        if (!r.ok()) failures.push_back("final sync " + std::to_string(k) + ": " + r.describe());
    }
    auto s = Store::open_existing(db);
    for (const auto& p : store_problems(s)) failures.push_back(p);
    Check c = check_cloud(w.oracle, w.db);
    c.add(check_device(w.oracle, s, "device"));
    fig.count(c);
    fig.seconds = now_s() - started;
    fig.print();
    INFO("seed " << fig.seed << ", " << written.size() << " rows written while syncing");
    CHECK(c.report() == std::to_string(c.checked) + " values checked, 0 lost, 0 duplicated");
    std::string all;
    for (const auto& f : failures) all += "\n- " + f;
    CHECK(all == "");
}
