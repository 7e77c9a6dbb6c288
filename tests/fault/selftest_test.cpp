// tests/fault/selftest_test.cpp: the fault suite's own checks catch what they claim to catch
// ("test the tests"): a crash point kills the child, the oracle sees lost, wrong, resurrected and
// duplicated writes, and a store with work left is not taken for one at rest.
#include <catch2/catch.hpp>

#include "ferry/postgres_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/fault/fault_support.hpp"
#include "tests/fault/worlds.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::fault;

TEST_CASE("the fault suite's checks catch lost, wrong, resurrected and duplicated writes", "[fault][selftest]") {
    AiflowoWorld w(fault_seed(0x5E1F));
    const auto user = w.web_user();
    const auto tasks = w.web_tasks(user, 4, 0);
    test::TempDir dir;
    const auto path = dir.file("a.db");
    {
        auto a = Store::open(path, "aiflowo");
        auto t = connect_postgres(w.db.conninfo(), "aiflowo");
        SyncClient(a, *t).sync();
        CHECK(check_cloud(w.oracle, w.db).clean());
        CHECK(check_device(w.oracle, a, "device").clean());
        CHECK(store_problems(a).empty());
        w.dev_task(a, user);
        CHECK(store_problems(a).size() == 1);  // a change pending
    }

    // A crash point kills the child with SIGKILL, and leaves the batch in flight.
    auto killed = run_child(sync_argv(path, w.db.conninfo()), {{"FERRY_TEST_CRASH_AT", "push.cut"}});
    INFO(killed.describe());
    CHECK(killed.killed_by_sigkill());
    {
        auto a = Store::open_existing(path);
        CHECK(a.query_value("SELECT value FROM ferry_meta WHERE key = 'push_inflight'").has_value());
    }
    auto finished = run_child(sync_argv(path, w.db.conninfo()));
    CHECK(finished.ok());
    CHECK(check_cloud(w.oracle, w.db).clean());

    // Behind the oracle's back: a row lost, a value changed, a deleted row kept, a counter moved
    // twice, a row nobody wrote.
    w.db.exec("DELETE FROM \"Task\" WHERE id = " + lit(tasks[0]));
    w.db.exec("UPDATE \"Task\" SET title = 'not written' WHERE id = " + lit(tasks[1]));
    w.oracle.erase("Task", tasks[2]);
    w.db.exec("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 5 WHERE id = " + lit(w.tools().front()));
    w.db.exec("INSERT INTO \"Task\"(id, \"userId\", title, intent) VALUES ('stranger', " + lit(user) + ", 's', 's')");
    const auto c = check_cloud(w.oracle, w.db);
    INFO(c.report());
    CHECK(c.lost == 3);
    CHECK(c.duplicated == 2);
    CHECK(c.problems.size() == 5);
}
