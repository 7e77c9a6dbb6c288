// tests/gateway/doctor_test.cpp: `ferry doctor` as a user runs it: a healthy store and server, a
// gateway that refuses the token, a server that is not there, a damaged file, JSON output.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "ferry/store.hpp"
#include "tests/gateway/gateway_fixture.hpp"

using ferry::Store;
using namespace ferry::test;

namespace {
struct Run {
    int code;
    std::string out;
};

Run doctor(const PgDatabase& db, std::vector<std::string> args) {
    std::vector<std::string> argv = {cli_path(), "doctor"};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, {{"DATABASE_URL", db.conninfo()}, {"FERRY_TOKEN", std::nullopt}});
    while (p.running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return Run{p.terminate(), p.out()};  // the exit code of a process that has ended
}

std::string new_store(TempDir& dir, const std::string& name) {
    const std::string path = dir.file(name);
    Store s = Store::open(path, "december");
    s.transaction([&] {
        for (int i = 0; i < 300; ++i)
            s.execute("INSERT INTO users(id, email, name) VALUES (?, ?, ?)",
                      {Store::new_id(), "u" + std::to_string(i) + "@x.org", std::string(200, 'n')});
    });
    return path;
}
}  // namespace

TEST_CASE("ferry doctor checks a store and its server, and says what is wrong", "[gateway][doctor]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string path = new_store(dir, "a.db");

    auto healthy = doctor(db, {"--db", path});
    INFO(healthy.out);
    CHECK(healthy.code == 0);
    CHECK(healthy.out.find("ok\tstore.integrity\t") != std::string::npos);
    CHECK(healthy.out.find("ok\tstore.pending\t300 local changes") != std::string::npos);
    CHECK(healthy.out.find("ok\tserver.reachable\t") != std::string::npos);
    CHECK(healthy.out.find("ok\tserver.clock_skew\t") != std::string::npos);
    CHECK(Store::open_existing(path).status().pending_changes == 300);  // nothing was pushed

    auto away = doctor(db, {"--db", path, "--database-url", "host=/nonexistent-ferry-dir connect_timeout=2"});
    CHECK(away.code == 1);
    CHECK(away.out.find("failed\tserver.reachable\tconnection (transient)") != std::string::npos);

    auto gw = start_gateway(db);
    const std::string token_file = dir.file("bad.token");
    std::ofstream(token_file) << "not-a-token\n";
    auto refused = doctor(db, {"--db", path, "--gateway", "http://127.0.0.1:" + std::to_string(gw.port()),
                               "--token-file", token_file});
    CHECK(refused.code == 1);
    CHECK(refused.out.find("failed\tserver.reachable\tunauthenticated") != std::string::npos);

    auto local = doctor(db, {"--db", path, "--local", "--json"});
    CHECK(local.code == 0);
    const auto j = nlohmann::json::parse(local.out);
    REQUIRE(j.is_array());
    CHECK(j.size() == 5);
    CHECK(j[0]["check"] == "store.integrity");
    CHECK(j[0]["level"] == "ok");
}

TEST_CASE("ferry doctor finds a damaged store file", "[gateway][doctor]") {
    PgDatabase db;
    TempDir dir;
    const std::string path = new_store(dir, "damaged.db");
    Store::open_existing(path).exec("PRAGMA wal_checkpoint(TRUNCATE)");
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4096 * 6);  // a page header: the B-tree structure, which integrity_check verifies
        const std::string garbage(64, '\xA5');
        f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto r = doctor(db, {"--db", path, "--local"});
    INFO(r.out);
    CHECK(r.code == 1);
    CHECK(r.out.find("failed\tstore.") != std::string::npos);
}

TEST_CASE("ferry doctor --config checks a daemon's config and every store it names", "[gateway][doctor]") {
    PgDatabase db;
    install_app(db, "december");
    TempDir dir;
    const std::string good = new_store(dir, "good.db");
    const std::string config = dir.file("daemon.json");
    std::ofstream(config) << nlohmann::json{{"stores",
                                             {{{"db", good}, {"database_url", db.conninfo()}},
                                              {{"db", dir.file("missing.db")}, {"database_url", db.conninfo()}}}}}
                                 .dump();
    auto r = doctor(db, {"--config", config});
    INFO(r.out);
    CHECK(r.code == 1);  // the missing store fails
    CHECK(r.out.find("ok\tconfig\t" + config + ": 2 stores") != std::string::npos);
    CHECK(r.out.find("ok\t" + good + ": server.reachable\t") != std::string::npos);
    CHECK(r.out.find("failed\t" + dir.file("missing.db") + ": store.open\t") != std::string::npos);

    std::ofstream(dir.file("bad.json")) << R"({"stores": [{"db": 7}]})";
    auto bad = doctor(db, {"--config", dir.file("bad.json"), "--local"});
    INFO(bad.out);
    CHECK(bad.code == 1);
    CHECK(bad.out.find("failed\tconfig\t") != std::string::npos);
    CHECK(doctor(db, {}).code == 2);  // neither --db nor --config
}
