// tests/fault/crash_test.cpp: a syncing process killed at every step of lease, push and pull
// (the crash points of lib/core/crash_point.hpp), and at random times while it syncs thousands of
// changes. After each kill the store is opened again and synced to the end; then the store is
// intact, every write is in the cloud exactly once with the values written, a second device
// pulls the same, and nothing is pending. docs/reliability.md describes the scenarios.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "ferry/postgres_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/fault/fault_support.hpp"
#include "tests/fault/worlds.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::fault;

namespace {
/// Syncs `path` in a child armed to die at point:n, then once more unarmed, to the end.
void crash_sync(const std::string& conninfo, const std::string& path, const std::string& point, int n,
                const std::vector<std::string>& options, Figures& fig, std::vector<std::string>& failures,
                const std::string& label) {
    const auto argv = sync_argv(path, conninfo, options);
    const auto spec = point + ":" + std::to_string(n);
    auto r = run_child(argv, {{"FERRY_TEST_CRASH_AT", spec}}, 120000);
    if (r.killed_by_sigkill())
        fig.crashes++;
    else if (r.ok())
        fig.not_reached++;
    else
        failures.push_back(label + ", armed at " + spec + ": " + r.describe());
    auto again = run_child(argv, {}, 120000);
    if (!again.ok()) failures.push_back(label + ", restarted after " + spec + ": " + again.describe());
}

/// Every check of the end state: both stores at rest, cloud and both devices equal to the
/// oracle, and the devices equal to each other.
template <class World>
void check_end(World& w, const std::string& path_a, const std::string& path_b, Figures& fig,
               std::vector<std::string>& failures, bool allow_rejected = false) {
    auto a = Store::open_existing(path_a);
    auto b = Store::open_existing(path_b);
    for (auto* s : {&a, &b})
        for (const auto& p : store_problems(*s, allow_rejected)) failures.push_back(p);
    Check c = check_cloud(w.oracle, w.db);
    c.add(check_device(w.oracle, a, "device A"));
    c.add(check_device(w.oracle, b, "device B"));
    fig.count(c);
    if (!c.clean()) failures.push_back("oracle: " + c.report());
    const auto diff = replica_diff(a, b);
    if (!diff.empty()) failures.push_back("devices A and B differ:\n" + diff);
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += "\n- " + s;
    return out;
}

/// One scenario of the aiflowo world with every sync armed at point:n.
///  1. the web app creates a user with tasks and logs; device A, fresh, writes offline (its own
///     user, tasks, logs, updates, deletes, counters) and syncs: push batches, then a snapshot;
///  2. the web app adds tasks, edits descriptions, moves counters; A edits and deletes rows of
///     both and adds more, and syncs: push batches, then pull pages;
///  3. device B, fresh, syncs: a snapshot.
void aiflowo_crash_run(const std::string& point, int n, std::uint64_t seed, Figures& fig,
                       std::vector<std::string>& failures) {
    AiflowoWorld w(seed);
    test::TempDir dir;
    const auto pa = dir.file("a.db"), pb = dir.file("b.db");
    const std::vector<std::string> options = {"--batch", "10", "--page", "10"};
    const auto web = w.web_user();
    auto web_first = w.web_tasks(web, 12, 2);
    std::vector<std::string> known;
    {
        auto a = Store::open(pa, "aiflowo");
        const auto user = w.dev_user(a);
        w.dev_mix(a, user, known, 90);
    }
    crash_sync(w.db.conninfo(), pa, point, n, options, fig, failures, "device A, first sync (push, snapshot)");

    auto web_second = w.web_tasks(web, 8, 2);
    w.web_describe(web_first, 6);
    w.web_count_tools(4);
    {
        auto a = Store::open_existing(pa);
        known.insert(known.end(), web_first.begin(), web_first.end());
        const auto user = a.query_value("SELECT id FROM \"User\" WHERE email LIKE '%@device.example'")->as_text();
        w.dev_mix(a, user, known, 70);
    }
    crash_sync(w.db.conninfo(), pa, point, n, options, fig, failures, "device A, second sync (push, pull)");

    { auto b = Store::open(pb, "aiflowo"); }
    crash_sync(w.db.conninfo(), pb, point, n, options, fig, failures, "device B, first sync (snapshot)");
    check_end(w, pa, pb, fig, failures);
    fig.runs++;
}

void crash_point_case(const std::string& point) {
    const std::vector<int> ns = long_run() ? std::vector<int>{1, 2, 3, 4, 5, 6, 8, 10, 13} : std::vector<int>{1, 2, 4};
    Figures fig;
    fig.name = "crash point " + point;
    fig.seed = fault_seed(0xC0FFEE);
    const double started = now_s();
    for (int n : ns) {
        const std::uint64_t seed = fig.seed + static_cast<std::uint64_t>(n);
        std::vector<std::string> failures;
        aiflowo_crash_run(point, n, seed, fig, failures);
        INFO("crash point " << point << ":" << n << ", seed " << seed << " (FERRY_FAULT_SEED=" << fig.seed << ")");
        CHECK(joined(failures) == "");
    }
    fig.seconds = now_s() - started;
    fig.print();
    CHECK(fig.crashes > 0);  // the scenario reaches the point it is about
    CHECK(fig.lost == 0);
    CHECK(fig.duplicated == 0);
}
}  // namespace

TEST_CASE("crash at push.cut (batch recorded, not sent): nothing lost, nothing twice", "[fault][crash]") {
    crash_point_case("push.cut");
}
TEST_CASE("crash at push.answered (server committed, device not told): nothing lost, nothing twice",
          "[fault][crash]") {
    crash_point_case("push.answered");
}
TEST_CASE("crash at push.acked: nothing lost, nothing twice", "[fault][crash]") { crash_point_case("push.acked"); }
TEST_CASE("crash at pull.answered: nothing lost, nothing twice", "[fault][crash]") {
    crash_point_case("pull.answered");
}
TEST_CASE("crash at pull.applied: nothing lost, nothing twice", "[fault][crash]") { crash_point_case("pull.applied"); }
TEST_CASE("crash at snapshot.answered: nothing lost, nothing twice", "[fault][crash]") {
    crash_point_case("snapshot.answered");
}
TEST_CASE("crash at snapshot.applied: nothing lost, nothing twice", "[fault][crash]") {
    crash_point_case("snapshot.applied");
}

TEST_CASE("crash at lease.answered: leased ids are never handed out twice, nothing lost", "[fault][crash]") {
    // devlog's integer keys come from leased ids. Every round of the helper leases (low water
    // above any lease), so lease.answered is reached once per round, three rounds per sync.
    const std::vector<int> ns = long_run() ? std::vector<int>{1, 2, 3, 4, 5, 6} : std::vector<int>{1, 2, 3};
    Figures fig;
    fig.name = "crash point lease.answered";
    fig.seed = fault_seed(0x1EA5E);
    const double started = now_s();
    const std::vector<std::string> options = {"--batch", "10", "--page", "10", "--lease-low-water", "1000000",
                                              "--lease-block", "25", "--rounds", "3"};
    for (int n : ns) {
        const std::uint64_t seed = fig.seed + static_cast<std::uint64_t>(n);
        DevlogWorld w(seed);
        test::TempDir dir;
        const auto pa = dir.file("a.db"), pb = dir.file("b.db");
        std::vector<std::string> failures;
        std::vector<std::string> pa_projects, pa_entries, pb_projects, pb_entries;
        SyncOptions lease_only;
        lease_only.lease_block = 25;
        {
            auto a = Store::open(pa, "devlog");
            auto t = connect_postgres(w.db.conninfo(), "devlog");
            SyncClient(a, *t, lease_only).lease_ids();
            w.dev_mix(a, pa_projects, pa_entries, 40);
        }
        crash_sync(w.db.conninfo(), pa, "lease.answered", n, options, fig, failures, "device A, first sync");
        {
            auto b = Store::open(pb, "devlog");
            auto t = connect_postgres(w.db.conninfo(), "devlog");
            SyncClient(b, *t, lease_only).lease_ids();
            w.dev_mix(b, pb_projects, pb_entries, 40);
        }
        {
            auto a = Store::open_existing(pa);
            w.dev_mix(a, pa_projects, pa_entries, 40);  // with ids leased after the crash
        }
        crash_sync(w.db.conninfo(), pb, "lease.answered", n, options, fig, failures, "device B, first sync");
        crash_sync(w.db.conninfo(), pa, "lease.answered", n, options, fig, failures, "device A, second sync");
        auto last = run_child(sync_argv(pb, w.db.conninfo()), {}, 120000);
        if (!last.ok()) failures.push_back("device B, last sync: " + last.describe());
        if (!w.collisions.empty()) failures.push_back("ids handed to two rows: " + joined(w.collisions));
        check_end(w, pa, pb, fig, failures);
        fig.runs++;
        INFO("crash point lease.answered:" << n << ", seed " << seed);
        CHECK(joined(failures) == "");
    }
    fig.seconds = now_s() - started;
    fig.print();
    CHECK(fig.crashes > 0);  // the scenario reaches the point it is about
    CHECK(fig.lost == 0);
    CHECK(fig.duplicated == 0);
}

TEST_CASE("random SIGKILLs while syncing thousands of changes: nothing lost, nothing twice", "[fault][crash][random]") {
    // Rounds of: the web app writes; device A writes a long offline session (thousands of changes)
    // and syncs in a child killed after a random delay, again and again, until a sync completes;
    // a fresh device B takes its snapshot under the same kills. A new world every 5 rounds keeps
    // the long run's tables small.
    const int rounds = long_run() ? fault_rounds() : 3;
    Figures fig;
    fig.name = "random kills";
    fig.seed = fault_seed(0x5EED);
    Rng kills(fig.seed);
    const double started = now_s();
    const std::vector<std::string> options = {"--batch", "200", "--page", "200"};
    constexpr int max_kills = 6;

    auto kill_loop = [&](const std::string& conninfo, const std::string& path, std::vector<std::string>& failures,
                         const std::string& label) {
        for (int k = 0; k < max_kills; ++k) {
            Child c(sync_argv(path, conninfo, options));
            const int delay = pick(kills, 30, 1200);
            const double until = now_s() + delay / 1000.0;
            while (c.running() && now_s() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
            if (c.running()) {
                c.kill();
                auto r = c.wait();
                if (r.ok()) return;  // it finished between the check and the kill
                if (!r.killed_by_sigkill()) failures.push_back(label + ": killed child " + r.describe());
                fig.crashes++;
                continue;
            }
            auto r = c.wait();
            if (!r.ok()) failures.push_back(label + ": " + r.describe());
            return;  // a sync completed before its kill
        }
        auto r = run_child(sync_argv(path, conninfo, options), {}, 120000);
        if (!r.ok()) failures.push_back(label + ", last sync: " + r.describe());
    };

    for (int epoch = 0; epoch * 5 < rounds; ++epoch) {
        const std::uint64_t seed = fig.seed + static_cast<std::uint64_t>(epoch) * 1000;
        AiflowoWorld w(seed);
        test::TempDir dir;
        const auto pa = dir.file("a.db");
        const auto web = w.web_user();
        w.web_tasks(web, 20, 2);
        std::string user;
        {
            auto a = Store::open(pa, "aiflowo");
            user = w.dev_user(a);
            auto t = connect_postgres(w.db.conninfo(), "aiflowo");
            SyncClient(a, *t).sync();
        }
        for (int r = epoch * 5; r < rounds && r < epoch * 5 + 5; ++r) {
            std::vector<std::string> failures;
            w.web_tasks(web, 30, 1);
            w.web_count_tools(5);
            {
                auto a = Store::open_existing(pa);
                w.dev_bulk(a, user, 1200, 1200, 300, 80, 30);
            }
            kill_loop(w.db.conninfo(), pa, failures, "device A, round " + std::to_string(r));
            const auto pb = dir.file("b" + std::to_string(r) + ".db");
            { auto b = Store::open(pb, "aiflowo"); }
            kill_loop(w.db.conninfo(), pb, failures, "device B, round " + std::to_string(r));
            check_end(w, pa, pb, fig, failures);
            fig.runs++;
            INFO("random kills round " << r << ", world seed " << seed << ", kill seed " << fig.seed);
            CHECK(joined(failures) == "");
        }
    }
    fig.seconds = now_s() - started;
    fig.print();
    CHECK(fig.crashes > 0);  // the scenario reaches the point it is about
    CHECK(fig.lost == 0);
    CHECK(fig.duplicated == 0);
}
