// tests/fault/concurrency_test.cpp: devices pushing overlapping rows and columns at once, while a
// plain-SQL writer holds random row locks and writes. The final value of every column, in the
// cloud and on every device, must be the one of the (hlc, site)-greatest write (DESIGN.md
// decision 6: concurrent pushes give the same result as applying them in (hlc, site) order).
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>
#include <tuple>

#include "ferry/error.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/fault/fault_support.hpp"
#include "tests/fault/worlds.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::fault;

namespace {
/// One device write of one column, with the clock its change-log entry got.
struct Write {
    std::string row, column, value;
    std::int64_t hlc = 0;
    std::string site;
    int device = 0;
};

struct Dev {
    test::TempDir dir;
    std::unique_ptr<Store> store;
    std::unique_ptr<Transport> transport;
    std::string site;
    std::vector<std::string> columns;  // Task's columns as the change log's mask numbers them
};

/// The clock of the latest change-log entry after `after` that covers `column` (bit i of the
/// mask is columns[i]; bit 62 stands for the 63rd column on; -1 is every column).
std::int64_t clock_of(Store& s, const std::vector<std::string>& columns, const std::string& column, std::int64_t after) {
    std::size_t i = 0;
    while (i < columns.size() && columns[i] != column) ++i;
    const std::int64_t bit = std::int64_t{1} << std::min<std::size_t>(i, 62);
    std::int64_t best = 0;
    for (const auto& r : s.query("SELECT hlc, mask FROM ferry_changes WHERE seq > ? ORDER BY seq", {after}).rows)
        if (r[1].as_int() == -1 || (r[1].as_int() & bit)) best = std::max(best, r[0].as_int());
    return best;
}

std::string text_of(Store& s, const std::string& task) {
    return s.query_value("SELECT title FROM \"Task\" WHERE id = ?", {task})->as_text();
}

std::int64_t last_seq(Store& s) {
    auto v = s.query_value("SELECT coalesce(max(seq), 0) FROM ferry_changes");
    return v ? v->as_int() : 0;
}

struct Outcome {
    std::int64_t writes = 0, transient = 0, plain_commits = 0, syncs = 0;
    std::vector<std::string> failures;
    Check check;
};

Outcome concurrent_scenario(std::uint64_t seed, int devices, int rounds, int row_count) {
    Outcome out;
    AiflowoWorld w(seed);
    const auto web = w.web_user();
    const auto rows = w.web_tasks(web, row_count, 0);
    const std::vector<std::string> device_columns = {"title", "intent", "currentStep"};

    std::vector<std::unique_ptr<Dev>> devs;
    for (int i = 0; i < devices; ++i) {
        auto d = std::make_unique<Dev>();
        d->store = std::make_unique<Store>(Store::open(d->dir.file("d.db"), "aiflowo"));
        d->transport = connect_postgres(w.db.conninfo() + " application_name=ferry_fault_dev" + std::to_string(i), "aiflowo");
        SyncClient(*d->store, *d->transport).sync();
        d->site = d->store->status().site_id;
        for (const auto& c : nlohmann::json::parse(
                 d->store->query_value("SELECT columns FROM ferry_tables WHERE name = 'Task'")->as_text()))
            d->columns.push_back(c.get<std::string>());
        devs.push_back(std::move(d));
    }

    std::mutex mu;
    std::vector<Write> writes;
    std::map<std::string, std::string> plain_last;  // row -> last committed "error" of the plain writer
    std::atomic<int> running{devices};
    std::atomic<std::int64_t> transient{0}, syncs{0};

    auto device_thread = [&](int i) {
        Dev& d = *devs[static_cast<std::size_t>(i)];
        Rng rng(seed * 31 + static_cast<std::uint64_t>(i) + 1);
        int serial = 0;
        for (int round = 0; round < rounds; ++round) {
            for (int k = pick(rng, 1, 3); k > 0; --k) {
                const auto& row = rows[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(rows.size()) - 1))];
                std::vector<std::string> cols = device_columns;
                std::shuffle(cols.begin(), cols.end(), rng);
                cols.resize(static_cast<std::size_t>(pick(rng, 1, 2)));
                std::string sets;
                std::vector<Value> params;
                std::vector<std::pair<std::string, std::string>> vals;
                for (const auto& c : cols) {
                    sets += (sets.empty() ? "" : ", ") + std::string("\"") + c + "\" = ?";
                    ++serial;
                    if (c == "currentStep") {
                        const std::int64_t v = (i + 1) * 1000000 + serial;
                        params.emplace_back(v);
                        vals.emplace_back(c, std::to_string(v));
                    } else {
                        const auto v = c + " by " + std::to_string(i) + "." + std::to_string(serial);
                        params.emplace_back(v);
                        vals.emplace_back(c, v);
                    }
                }
                params.emplace_back(row);
                try {
                    const auto before = last_seq(*d.store);
                    d.store->execute("UPDATE \"Task\" SET " + sets + " WHERE id = ?", params);
                    std::lock_guard<std::mutex> lock(mu);
                    for (const auto& [c, v] : vals) {
                        const auto h = clock_of(*d.store, d.columns, c, before);
                        if (h == 0) out.failures.push_back("device " + std::to_string(i) + ": no change-log entry for " + c);
                        writes.push_back(Write{row, c, v, h, d.site, i});
                    }
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lock(mu);
                    out.failures.push_back("device " + std::to_string(i) + " local write: " + e.what());
                }
            }
            // A while between the writes and their push: a device that wrote earlier often
            // pushes later, so older writes reach the locked rows after newer ones.
            std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng, 0, 150)));
            try {
                syncs++;
                SyncClient(*d.store, *d.transport).sync();
            } catch (const Error& e) {
                if (e.is_transient()) {
                    transient++;
                } else {
                    std::lock_guard<std::mutex> lock(mu);
                    out.failures.push_back("device " + std::to_string(i) + " sync: [" + error_code_name(e.code()) + "] " +
                                           e.what());
                }
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(mu);
                out.failures.push_back("device " + std::to_string(i) + " sync: " + e.what());
            }
        }
        running--;
    };

    auto plain_thread = [&]() {
        Rng rng(seed * 31 + 999);
        auto c = std::make_unique<pqxx::connection>(w.db.conninfo());
        int serial = 0;
        while (running.load() > 0) {
            std::vector<std::string> locked;
            for (int k = pick(rng, 1, 3); k > 0; --k)
                locked.push_back(rows[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(rows.size()) - 1))]);
            std::sort(locked.begin(), locked.end());
            locked.erase(std::unique(locked.begin(), locked.end()), locked.end());
            std::string list;
            for (const auto& r : locked) list += (list.empty() ? "" : ", ") + lit(r);
            std::vector<std::pair<std::string, std::string>> wrote;
            try {
                pqxx::work tx(*c);
                tx.exec("SELECT id FROM \"Task\" WHERE id IN (" + list + ") ORDER BY id FOR UPDATE");
                std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng, 100, 400)));
                for (const auto& r : locked)
                    if (chance(rng, 0.7)) {
                        const auto v = "plain " + std::to_string(++serial);
                        tx.exec("UPDATE \"Task\" SET error = " + lit(v) + " WHERE id = " + lit(r));
                        wrote.emplace_back(r, v);
                    }
                tx.commit();
                std::lock_guard<std::mutex> lock(mu);
                for (const auto& [r, v] : wrote) plain_last[r] = v;
                out.plain_commits++;
            } catch (const pqxx::broken_connection&) {
                c = std::make_unique<pqxx::connection>(w.db.conninfo());
            } catch (const std::exception&) {
                // A deadlock with a merge: the writer's transaction is rolled back; it wrote nothing.
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng, 0, 50)));
        }
    };

    std::vector<std::thread> threads;
    threads.emplace_back(plain_thread);
    for (int i = 0; i < devices; ++i) threads.emplace_back(device_thread, i);
    for (auto& t : threads) t.join();

    // Quiesce: sync every device until a whole pass has nothing left to send and no error.
    for (int pass = 0; pass < 6; ++pass) {
        bool clean = true;
        for (auto& d : devs) {
            try {
                SyncClient(*d->store, *d->transport).sync();
            } catch (const Error& e) {
                clean = false;
                if (e.is_transient()) transient++;
                else out.failures.push_back(std::string("final sync: [") + error_code_name(e.code()) + "] " + e.what());
            }
        }
        bool pending = false;
        for (auto& d : devs) pending = pending || d->store->status().pending_changes > 0;
        if (clean && !pending && pass >= 1) break;
    }

    // The oracle: per (row, column) the write with the greatest (hlc, site); columns no device
    // wrote keep the web app's value; "error" holds the plain writer's last committed value.
    Oracle expected;
    expected.table("Task", "id", {"title", "intent", "currentStep", "error"});
    for (const auto& r : rows) {
        Vals v;
        for (const auto& c : device_columns) v[c] = w.oracle.value("Task", r, c);
        v["error"] = plain_last.count(r) ? std::optional<std::string>(plain_last[r]) : std::nullopt;
        expected.put("Task", r, v);
    }
    std::map<std::pair<std::string, std::string>, const Write*> best;
    for (const auto& wr : writes) {
        auto& b = best[{wr.row, wr.column}];
        if (!b || std::tie(wr.hlc, wr.site) > std::tie(b->hlc, b->site)) b = &wr;
    }
    for (const auto& [key, wr] : best) expected.put("Task", key.first, {{key.second, wr->value}});

    out.check = check_cloud(expected, w.db);
    for (std::size_t i = 0; i < devs.size(); ++i) {
        out.check.add(check_device(expected, *devs[i]->store, "device " + std::to_string(i)));
        for (const auto& p : store_problems(*devs[i]->store)) out.failures.push_back(p);
        if (i > 0) {
            const auto diff = replica_diff(*devs[0]->store, *devs[i]->store);
            if (!diff.empty()) out.failures.push_back("devices 0 and " + std::to_string(i) + " differ:\n" + diff);
        }
    }
    if (!out.check.clean()) {
        // Say which write should have won, for the report.
        for (const auto& [key, wr] : best)
            for (const auto& p : out.check.problems)
                if (p.find(key.first) != std::string::npos && p.find(" " + key.second + " ") != std::string::npos) {
                    out.failures.push_back(p + " <- greatest write: device " + std::to_string(wr->device) + " hlc " +
                                           std::to_string(wr->hlc) + " site " + wr->site);
                    break;
                }
    }
    out.writes = static_cast<std::int64_t>(writes.size());
    out.transient = transient.load();
    out.syncs = syncs.load();
    return out;
}
}  // namespace

TEST_CASE("concurrent pushes of overlapping columns under a plain writer's row locks: the (hlc, site)-greatest write wins everywhere",
          "[fault][concurrency]") {
    const int scenarios = long_run() ? std::max(2, fault_rounds() / 25) : 2;
    Figures fig;
    fig.name = "concurrency";
    fig.seed = fault_seed(0xC0C0);
    const double started = now_s();
    for (int s = 0; s < scenarios; ++s) {
        const std::uint64_t seed = fig.seed + static_cast<std::uint64_t>(s);
        auto o = concurrent_scenario(seed, 4, 16, 5);
        fig.runs++;
        fig.transient += o.transient;
        fig.count(o.check);
        INFO("seed " << seed << ": " << o.writes << " device writes, " << o.syncs << " syncs, " << o.plain_commits
                     << " plain-SQL commits, " << o.transient << " transient errors");
        CHECK(o.check.report() == std::to_string(o.check.checked) + " values checked, 0 lost, 0 duplicated");
        std::string failures;
        for (const auto& f : o.failures) failures += "\n- " + f;
        CHECK(failures == "");
    }
    fig.seconds = now_s() - started;
    fig.print();
}

namespace {
struct PushResult {
    bool threw = false;
    bool transient = false;
    std::string what;
};

PushResult sync_result(Store& s, Transport& t) {
    try {
        SyncClient(s, t).sync();
        return {};
    } catch (const Error& e) {
        return {true, e.is_transient(), std::string("[") + error_code_name(e.code()) + "] " + e.what()};
    }
}
}  // namespace

TEST_CASE("two devices push one column while the row is locked: the newer write wins though the older commits last",
          "[fault][concurrency]") {
    // /work/shared/repro/scen.sh S2, deterministic: the newer write's push waits on the row lock
    // first, the older one's second; when the lock goes, the older one is merged last.
    const auto seed = fault_seed(0x5252);
    AiflowoWorld w(seed);
    const auto web = w.web_user();
    const auto task = w.web_tasks(web, 1, 0).front();
    test::TempDir dir;
    auto a = Store::open(dir.file("a.db"), "aiflowo");
    auto b = Store::open(dir.file("b.db"), "aiflowo");
    auto ta = connect_postgres(w.db.conninfo() + " application_name=ferry_fault_s2a", "aiflowo");
    auto tb = connect_postgres(w.db.conninfo() + " application_name=ferry_fault_s2b", "aiflowo");
    REQUIRE(!sync_result(a, *ta).threw);
    REQUIRE(!sync_result(b, *tb).threw);
    b.execute("UPDATE \"Task\" SET title = 'older (b)' WHERE id = ?", {task});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    a.execute("UPDATE \"Task\" SET title = 'newer (a)' WHERE id = ?", {task});
    auto task_columns = [](Store& s) {
        std::vector<std::string> out;
        for (const auto& c : nlohmann::json::parse(s.query_value("SELECT columns FROM ferry_tables WHERE name = 'Task'")->as_text()))
            out.push_back(c.get<std::string>());
        return out;
    };
    const auto ha = clock_of(a, task_columns(a), "title", 0);
    const auto hb = clock_of(b, task_columns(b), "title", 0);
    REQUIRE(ha > hb);

    PushResult ra, rb;
    {
        auto conn = w.db.connect();
        pqxx::work lock(conn);
        lock.exec("SELECT 1 FROM \"Task\" WHERE id = " + lit(task) + " FOR UPDATE");
        auto fa = std::async(std::launch::async, [&] { return sync_result(a, *ta); });
        REQUIRE(wait_for_backend(w.db, "ferry_fault_s2a", "Lock") != 0);
        auto fb = std::async(std::launch::async, [&] { return sync_result(b, *tb); });
        REQUIRE(wait_for_backend(w.db, "ferry_fault_s2b", "Lock") != 0);
        lock.abort();
        ra = fa.get();
        rb = fb.get();
    }
    INFO("seed " << seed << "; a: " << (ra.threw ? ra.what : "ok") << "; b: " << (rb.threw ? rb.what : "ok"));
    CHECK((!ra.threw || ra.transient));
    CHECK((!rb.threw || rb.transient));
    for (int i = 0; i < 2; ++i) {
        CHECK(!sync_result(a, *ta).threw);
        CHECK(!sync_result(b, *tb).threw);
    }
    CHECK(w.db.scalar("SELECT title FROM \"Task\" WHERE id = " + lit(task)) == "newer (a)");
    CHECK(w.db.scalar("SELECT clocks -> 'title' ->> 0 FROM ferry.rows WHERE tbl = 'Task' AND pk = " +
                      lit("[\"" + task + "\"]") + "::jsonb") == std::to_string(ha));
    CHECK(text_of(a, task) == "newer (a)");
    CHECK(text_of(b, task) == "newer (a)");
    CHECK(store_problems(a).empty());
    CHECK(store_problems(b).empty());
}
