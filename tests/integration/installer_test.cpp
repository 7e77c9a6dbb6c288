// tests/integration/installer_test.cpp: `ferry server init` semantics on a real server: two
// processes installing at once, a database from a newer Ferry, one app per database.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/temp_dir.hpp"

TEST_CASE("two processes installing an app at once apply each migration once", "[integration][installer]") {
    for (const auto& app : ferry::Store::available_apps()) {
        DYNAMIC_SECTION("app " << app) {
            ferry::test::PgDatabase db;
            ferry::test::TempDir dir;
            // Two real processes, started together.
            const std::string one = "DATABASE_URL=\"" + db.conninfo() + "\" \"" + FERRY_CLI_PATH +
                                    "\" server init --app " + app;
            const std::string cmd = one + " 2>" + dir.file("a") + " & p1=$!; " + one + " 2>" + dir.file("b") +
                                    " & p2=$!; wait $p1 && wait $p2";
            REQUIRE(std::system(("bash -c '" + cmd + "'").c_str()) == 0);
            const int files = std::stoi(db.scalar("SELECT count(*) FROM ferry.schema_migrations WHERE scope = '" + app + "'"));
            REQUIRE(files == ferry::server::installed_version(db.conninfo(), app));
            // The lock serialised them: one applied the migrations, the other found nothing to do.
            auto slurp = [](const std::string& path) {
                std::ifstream in(path);
                return std::string((std::istreambuf_iterator<char>(in)), {});
            };
            const std::string out = slurp(dir.file("a")) + slurp(dir.file("b"));
            REQUIRE(out.find("applied") != std::string::npos);
            REQUIRE(out.find("already up to date") != std::string::npos);
            // Capture is installed on every synced table.
            REQUIRE(std::stoi(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'ferry_capture'")) ==
                    static_cast<int>(ferry::Store::open(dir.file("x.db"), app).synced_tables().size()));
        }
    }
}

TEST_CASE("a database from a newer Ferry is refused, and nothing is changed", "[integration][installer]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "december");
    const int v = ferry::server::installed_version(db.conninfo(), "december");
    db.exec("INSERT INTO ferry.schema_migrations(scope, version, name) VALUES ('december', " + std::to_string(v + 1) +
            ", '9999_future.sql')");
    try {
        ferry::server::install_app_schema(db.conninfo(), "december");
        FAIL("a newer schema was accepted");
    } catch (const ferry::Error& e) {
        REQUIRE(e.code() == ferry::ErrorCode::schema_too_new);
        REQUIRE(std::string(e.what()).find("newer Ferry") != std::string::npos);
    }
    REQUIRE(ferry::server::installed_version(db.conninfo(), "december") == v + 1);
}

TEST_CASE("a database holds one app, and an unknown app is named", "[integration][installer]") {
    ferry::test::PgDatabase db;
    ferry::server::install_app_schema(db.conninfo(), "devlog");
    REQUIRE_THROWS_WITH(ferry::server::install_app_schema(db.conninfo(), "december"),
                        Catch::Contains("already holds app 'devlog'"));
    REQUIRE_THROWS_WITH(ferry::server::install_app_schema(db.conninfo(), "nosuch"), Catch::Contains("unknown app"));
    try {
        ferry::server::install_app_schema("host=127.0.0.1 port=1 dbname=x connect_timeout=2", "devlog");
        FAIL("connected to nothing");
    } catch (const ferry::Error& e) {
        REQUIRE(e.code() == ferry::ErrorCode::connection);
        REQUIRE(e.is_transient());
    }
}

TEST_CASE("four threads creating one new device store at once all succeed", "[integration][installer]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("shared.db");
    std::string errors;
    std::mutex m;
    auto open = [&] {
        try {
            auto s = ferry::Store::open(path, "agentchat");
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(m);
            errors += e.what();
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back(open);
    for (auto& t : threads) t.join();
    INFO(errors);
    REQUIRE(errors.empty());
    auto s = ferry::Store::open(path, "agentchat");
    REQUIRE(s.query_value("SELECT count(*) FROM ferry_migrations WHERE scope = 'agentchat'")->as_int() == s.schema_version());
}
