// tests/integration/sync_service_test.cpp: live sync (ferry/sync_service.hpp) against a real
// PostgreSQL: stores kept in sync by SyncService threads with nobody calling sync, woken by local
// writes (the data version) and by the server (LISTEN); a stop between pages that the next start
// finishes; a server that is away and comes back.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "ferry/error.hpp"
#include "ferry/sync_service.hpp"
#include "tests/support/device.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/store_checks.hpp"

using ferry::Store;
using ferry::SyncService;
using ferry::SyncServiceOptions;
using ferry::test::Device;
using ferry::test::eventually;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {
/// Options for a test: no idle rounds, so that only local writes and the feed cause rounds.
SyncServiceOptions live_only() {
    SyncServiceOptions o;
    o.idle_round_ms = 0;
    o.backoff_initial_ms = 20;
    o.backoff_max_ms = 200;
    return o;
}

SyncService direct_service(const PgDatabase& db, const std::string& path, SyncServiceOptions o = live_only()) {
    const std::string conninfo = db.conninfo();
    Store probe = Store::open_existing(path);
    const std::string app = probe.app();
    return SyncService(
        path, [conninfo, app] { return ferry::connect_postgres(conninfo, app); },
        [conninfo] { return ferry::postgres_changes(conninfo); }, std::move(o));
}

std::string users(Store& s) { return text(s, "SELECT coalesce(group_concat(email, ','), '') FROM (SELECT email FROM users ORDER BY email)"); }
}  // namespace

TEST_CASE("two stores with sync services converge with nobody calling sync", "[integration][service]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december"), b(db, "december");
    SyncService sa = direct_service(db, a.store().path()), sb = direct_service(db, b.store().path());
    sa.start();
    sb.start();
    REQUIRE(eventually([&] { return sa.status().rounds >= 1 && sb.status().rounds >= 1; }));

    // The app writes through its own connection; a's service sees it by the data version and
    // pushes; b's service is woken by the server's notification and pulls.
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'ann@example.com')", {Store::new_id()});
    REQUIRE(eventually([&] { return users(b.store()) == "ann@example.com"; }));
    b.store().execute("INSERT INTO users(id, email) VALUES (?, 'bob@example.com')", {Store::new_id()});
    REQUIRE(eventually([&] { return users(a.store()) == "ann@example.com,bob@example.com"; }));
    // A web app writing plain SQL in the cloud reaches both.
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web@example.com')");
    REQUIRE(eventually([&] {
        return users(a.store()) == "ann@example.com,bob@example.com,web@example.com" &&
               users(b.store()) == "ann@example.com,bob@example.com,web@example.com";
    }));

    const auto s = sa.status();
    CHECK(s.pushed >= 1);
    CHECK(s.failed_rounds == 0);
    CHECK(s.pending_changes == 0);
    sa.stop();
    sb.stop();
    CHECK(sa.status().state == ferry::SyncState::stopped);
    CHECK(a.store().status().pending_changes == 0);
}

TEST_CASE("a service sees a write by another connection through the data version and pushes it",
          "[integration][service]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    const std::string conninfo = db.conninfo();
    // No feed and no idle rounds: only a local write can start a round after the first.
    SyncService service(a.store().path(), [&] { return ferry::connect_postgres(conninfo, "december"); }, {}, live_only());
    service.start();
    REQUIRE(eventually([&] { return service.status().state == ferry::SyncState::idle; }));
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'local@x.org')", {Store::new_id()});
    REQUIRE(eventually([&] { return db.scalar("SELECT count(*) FROM users WHERE email = 'local@x.org'") == "1"; }));
    CHECK(service.status().local_wakes >= 1);
    CHECK(eventually([&] { return service.status().rounds >= 2; }));  // counted when the round ends
    service.stop();
}

TEST_CASE("a write made as a round ends is pushed by the next one", "[integration][service]") {
    // The status callback of the first round's end runs after the round counted its pending
    // changes and before the service looks for new ones: a write there must not be missed.
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    const std::string conninfo = db.conninfo(), path = a.store().path();
    std::atomic<bool> wrote{false};
    SyncServiceOptions o = live_only();
    o.on_status = [&](const ferry::SyncServiceStatus& s) {
        if (s.state != ferry::SyncState::idle || wrote.exchange(true)) return;
        Store other = Store::open_existing(path);
        other.execute("INSERT INTO users(id, email) VALUES (?, 'late@x.org')", {Store::new_id()});
    };
    SyncService service(path, [&] { return ferry::connect_postgres(conninfo, "december"); }, {}, o);
    service.start();
    REQUIRE(eventually([&] { return db.scalar("SELECT count(*) FROM users WHERE email = 'late@x.org'") == "1"; }));
    service.stop();  // the round's acknowledgement is committed before it ends
    CHECK(a.store().status().pending_changes == 0);
}

TEST_CASE("a service pulls a cloud write when PostgreSQL notifies it", "[integration][service]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device b(db, "december");
    SyncService service = direct_service(db, b.store().path());  // no idle rounds, no local writes
    service.start();
    REQUIRE(eventually([&] { return service.status().state == ferry::SyncState::idle; }));
    db.exec("INSERT INTO users(id, email) VALUES ('" + Store::new_id() + "', 'web@example.com')");
    REQUIRE(eventually([&] { return users(b.store()) == "web@example.com"; }));
    CHECK(service.status().remote_wakes >= 1);
    CHECK(service.status().local_wakes == 0);
    service.stop();
}

TEST_CASE("a service stopped between pages loses nothing, and its next start finishes", "[integration][service]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device seeder(db, "december");
    seeder.store().transaction([&] {
        for (int i = 0; i < 300; ++i)
            seeder.store().execute("INSERT INTO users(id, email) VALUES (?, ?)", {Store::new_id(), "u" + std::to_string(i) + "@x.org"});
    });
    seeder.sync();
    Device fresh(db, "december");
    fresh.store().execute("INSERT INTO users(id, email) VALUES (?, 'offline@x.org')", {Store::new_id()});
    std::atomic<int> pages{0};
    SyncServiceOptions o = live_only();
    o.sync.pull_page = 10;
    o.sync.on_progress = [&](const ferry::SyncProgress& p) {
        if (p.phase == "pull") ++pages;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a slow device
    };
    {
        SyncService service = direct_service(db, fresh.store().path(), o);
        service.start();
        REQUIRE(eventually([&] { return pages >= 3; }));
        service.stop();  // in the middle of the snapshot
        CHECK(service.status().state == ferry::SyncState::stopped);
        CHECK(service.status().failed_rounds == 0);  // a stop is not a failure
    }
    const auto partial = std::stoll(text(fresh.store(), "SELECT count(*) FROM users"));
    CHECK(partial < 301);  // it did stop before the end
    CHECK(db.scalar("SELECT count(*) FROM users WHERE email = 'offline@x.org'") == "1");  // pushed first
    SyncService again = direct_service(db, fresh.store().path());
    again.start();
    REQUIRE(eventually([&] { return again.status().rounds >= 1; }));
    again.stop();
    CHECK(text(fresh.store(), "SELECT count(*) FROM users") == "301");
    CHECK(db.scalar("SELECT count(*) FROM users") == "301");
}

namespace {
/// A transport that fails as an unreachable server does while `down` is set.
class Unreachable : public ferry::Transport {
public:
    Unreachable(std::unique_ptr<ferry::Transport> inner, std::atomic<bool>& down) : m_inner(std::move(inner)), m_down(down) {}
    std::string call(const std::string& endpoint, const std::string& request) override {
        if (m_down) throw ferry::Error(ferry::ErrorDomain::postgres, ferry::ErrorCode::connection, "server away (simulated)");
        return m_inner->call(endpoint, request);
    }

private:
    std::unique_ptr<ferry::Transport> m_inner;
    std::atomic<bool>& m_down;
};
}  // namespace

TEST_CASE("a service retries with backoff while the server is away and pushes once it is back",
          "[integration][service]") {
    PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    Device a(db, "december");
    std::atomic<bool> down{true};
    std::atomic<int> connects{0};
    const std::string conninfo = db.conninfo();
    SyncService service(
        a.store().path(),
        [&] {
            ++connects;
            return std::make_unique<Unreachable>(ferry::connect_postgres(conninfo, "december"), down);
        },
        {}, live_only());
    a.store().execute("INSERT INTO users(id, email) VALUES (?, 'queued@x.org')", {Store::new_id()});
    service.start();
    REQUIRE(eventually([&] { return service.status().consecutive_failures >= 3; }));
    auto s = service.status();
    CHECK(s.state == ferry::SyncState::retrying);
    CHECK(s.last_error_code == ferry::ErrorCode::connection);
    CHECK(s.last_error.find("server away") != std::string::npos);
    CHECK(connects >= 3);  // a failed connection is made again
    CHECK(a.store().status().pending_changes == 1);
    down = false;
    REQUIRE(eventually([&] { return service.status().state == ferry::SyncState::idle; }));
    CHECK(db.scalar("SELECT count(*) FROM users WHERE email = 'queued@x.org'") == "1");
    CHECK(service.status().consecutive_failures == 0);
    CHECK(service.status().last_error.empty());
    service.stop();
}
