// tests/integration/cli_test.cpp: the `ferry` binary as a user runs it: outputs, messages and
// exit codes, against real store files and the real PostgreSQL server.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "tests/support/pg.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
struct Run {
    int code = -1;
    std::string out;
    std::string err;
};

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// Runs a shell command line; its standard output and error apart.
Run run_shell(std::string cmd) {
    ferry::test::TempDir tmp;
    cmd += " 2>" + shell_quote(tmp.file("err"));
    Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (FILE* e = std::fopen(tmp.file("err").c_str(), "r")) {
        while ((n = std::fread(buf.data(), 1, buf.size(), e)) > 0) r.err.append(buf.data(), n);
        std::fclose(e);
    }
    return r;
}

Run run_ferry(const std::vector<std::string>& args, const std::string& env = "") {
    std::string cmd = env + " " + shell_quote(FERRY_CLI_PATH);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    return run_shell(cmd);
}
}  // namespace

TEST_CASE("ferry init, exec, query and status on a device store", "[integration][cli]") {
    ferry::test::TempDir dir;
    const auto db = dir.file("cli.db");
    auto init = run_ferry({"init", "--app", "december", "--db", db});
    REQUIRE(init.code == 0);
    REQUIRE(init.err.find("schema version") != std::string::npos);
    REQUIRE(run_ferry({"init", "--app", "december", "--db", db}).code == 0);  // idempotent

    auto exec = run_ferry({"exec", "--db", db,
                       "INSERT INTO users(id, email, name) VALUES ('11111111-1111-4111-8111-111111111111', "
                       "'a@example.com', 'A')"});
    REQUIRE(exec.code == 0);
    auto q = run_ferry({"query", "--db", db, "SELECT email, name, is_active FROM users", "--json"});
    REQUIRE(q.code == 0);
    auto rows = nlohmann::json::parse(q.out);
    REQUIRE(rows.size() == 1);
    REQUIRE(rows[0]["email"] == "a@example.com");
    REQUIRE(rows[0]["is_active"] == 1);
    auto table = run_ferry({"query", "--db", db, "SELECT email FROM users"});
    REQUIRE(table.out == "email\na@example.com\n");

    auto status = run_ferry({"status", "--db", db, "--json"});
    REQUIRE(status.code == 0);
    auto s = nlohmann::json::parse(status.out);
    REQUIRE(s["app"] == "december");
    REQUIRE(s["pending_changes"] == 1);
    REQUIRE(s["site_id"].get<std::string>().size() == 32);

    SECTION("bad SQL and constraint violations exit 1 with the reason on stderr, and keep nothing") {
        auto bad = run_ferry({"exec", "--db", db,
                          "INSERT INTO users(id, email) VALUES ('22222222-2222-4222-8222-222222222222', 'b@example.com');"
                          "INSERT INTO users(id, email) VALUES ('33333333-3333-4333-8333-333333333333', 'a@example.com')"});
        REQUIRE(bad.code == 1);
        REQUIRE(bad.err.find("constraint") != std::string::npos);
        REQUIRE(bad.err.find("users.email") != std::string::npos);
        REQUIRE(bad.out.empty());
        REQUIRE(run_ferry({"query", "--db", db, "SELECT count(*) AS n FROM users"}).out == "n\n1\n");
        auto typo = run_ferry({"query", "--db", db, "SELEC 1"});
        REQUIRE(typo.code == 1);
        REQUIRE(typo.err.find("syntax error") != std::string::npos);
    }
    SECTION("stores that cannot be used exit 3") {
        REQUIRE(run_ferry({"status", "--db", dir.file("missing.db")}).code == 3);
        auto other = run_ferry({"init", "--app", "devlog", "--db", db});
        REQUIRE(other.code == 3);
        REQUIRE(other.err.find("december") != std::string::npos);
        auto unknown = run_ferry({"init", "--app", "nosuch", "--db", dir.file("n.db")});
        REQUIRE(unknown.code == 3);
        REQUIRE(unknown.err.find("agentchat") != std::string::npos);
    }
    SECTION("usage errors exit 2; --help exits 0") {
        REQUIRE(run_ferry({"init", "--db", db}).code == 2);
        REQUIRE(run_ferry({"frobnicate"}).code == 2);
        auto help = run_ferry({"sync", "--help"});
        REQUIRE(help.code == 0);
        REQUIRE(help.out.find("--database-url") != std::string::npos);
    }
}

TEST_CASE("ferry server init and ferry sync against PostgreSQL", "[integration][cli]") {
    ferry::test::PgDatabase pg;
    ferry::test::TempDir dir;
    const std::string env = "DATABASE_URL=" + shell_quote(pg.conninfo());
    auto init = run_ferry({"server", "init", "--app", "aiflowo"}, env);
    REQUIRE(init.code == 0);
    REQUIRE(init.err.find("applied") != std::string::npos);
    auto again = run_ferry({"server", "init", "--app", "aiflowo"}, env);
    REQUIRE(again.code == 0);
    REQUIRE(again.err.find("already up to date") != std::string::npos);
    REQUIRE(run_ferry({"server", "init", "--app", "devlog"}, env).code == 3);  // one app per database

    const auto db = dir.file("a.db");
    REQUIRE(run_ferry({"init", "--app", "aiflowo", "--db", db}).code == 0);
    REQUIRE(run_ferry({"exec", "--db", db, "INSERT INTO \"User\"(id, email) VALUES ('u1', 'u1@example.com')"}).code == 0);
    auto sync = run_ferry({"sync", "--db", db, "--json"}, env);
    REQUIRE(sync.code == 0);
    auto report = nlohmann::json::parse(sync.out);
    REQUIRE(report["pushed"] == 1);
    REQUIRE(report["applied"] == 1);
    REQUIRE(sync.err.find("push:") != std::string::npos);  // progress on stderr
    REQUIRE(pg.scalar("SELECT email FROM \"User\" WHERE id = 'u1'") == "u1@example.com");

    SECTION("a refused write is listed by ferry rejected and can be dismissed") {
        const auto other = dir.file("b.db");
        REQUIRE(run_ferry({"init", "--app", "aiflowo", "--db", other}).code == 0);
        REQUIRE(run_ferry({"exec", "--db", other, "INSERT INTO \"User\"(id, email) VALUES ('u2', 'u1@example.com')"}).code == 0);
        auto clash = run_ferry({"sync", "--db", other}, env);
        REQUIRE(clash.code == 0);  // a refused write does not fail the round
        REQUIRE(clash.err.find("ferry outcomes --rejected") != std::string::npos);
        auto list = nlohmann::json::parse(run_ferry({"rejected", "--db", other, "--json"}).out);
        REQUIRE(list.size() == 1);
        REQUIRE(list[0]["table"] == "User");
        REQUIRE(list[0]["code"] == "constraint");
        REQUIRE(list[0]["values"]["email"] == "u1@example.com");  // the refused values are kept
        const auto id = std::to_string(list[0]["id"].get<std::int64_t>());
        auto unknown = run_ferry({"rejected", "--db", other, "--dismiss", "999999"});
        REQUIRE(unknown.code == 1);
        REQUIRE(unknown.err.find("999999") != std::string::npos);
        REQUIRE(run_ferry({"rejected", "--db", other, "--dismiss", id}).code == 0);
        REQUIRE(nlohmann::json::parse(run_ferry({"rejected", "--db", other, "--json"}).out).empty());
    }
    SECTION("ferry outcomes lists what became of pushed writes, retries a refused one and discards another") {
        const auto other = dir.file("c.db");
        REQUIRE(run_ferry({"init", "--app", "aiflowo", "--db", other}).code == 0);
        auto watch = run_ferry({"outcomes", "watch", "--db", other, "User", "--max-count", "50", "--json"});
        REQUIRE(watch.code == 0);
        REQUIRE(nlohmann::json::parse(watch.out) == nlohmann::json::parse(R"({"watch":["User"],"max_age_days":30,"max_count":50})"));
        REQUIRE(run_ferry({"outcomes", "watch", "--db", other, "NoSuchTable"}).code == 1);
        REQUIRE(run_ferry({"exec", "--db", other, "INSERT INTO \"User\"(id, email) VALUES ('u3', 'u1@example.com'); "
                                                  "INSERT INTO \"User\"(id, email) VALUES ('u4', 'u1@example.com')"}).code == 1);
        REQUIRE(run_ferry({"exec", "--db", other, "INSERT INTO \"User\"(id, email) VALUES ('u3', 'u1@example.com')"}).code == 0);
        REQUIRE(run_ferry({"exec", "--db", other, "INSERT INTO \"User\"(id, email) VALUES ('u5', 'u5@example.com')"}).code == 0);
        REQUIRE(run_ferry({"sync", "--db", other, "-q"}, env).code == 0);
        auto all = nlohmann::json::parse(run_ferry({"outcomes", "--db", other, "--json"}).out);
        REQUIRE(all.size() == 2);  // the refused u3 and the applied u5 (User is watched)
        auto refused = nlohmann::json::parse(run_ferry({"outcomes", "--db", other, "--rejected", "--json"}).out);
        REQUIRE(refused.size() == 1);
        REQUIRE(refused[0]["key"] == nlohmann::json::array({"u3"}));
        REQUIRE(refused[0]["outcome"] == "rejected");
        const auto id = std::to_string(refused[0]["id"].get<std::int64_t>());
        auto text = run_ferry({"outcomes", "--db", other, "--rejected"});
        REQUIRE(text.out.find("insert User [\"u3\"]\trejected (constraint)") != std::string::npos);
        auto bad = run_ferry({"outcomes", "retry", "--db", other, id, "--with", "{\"nope\": 1}"});
        REQUIRE(bad.code == 1);
        REQUIRE(bad.err.find("nope") != std::string::npos);
        auto retry = run_ferry({"outcomes", "retry", "--db", other, id, "--with", "{\"email\": \"u3@example.com\"}"});
        REQUIRE(retry.code == 0);
        REQUIRE(run_ferry({"sync", "--db", other, "-q"}, env).code == 0);
        REQUIRE(pg.scalar("SELECT email FROM \"User\" WHERE id = 'u3'") == "u3@example.com");
        REQUIRE(nlohmann::json::parse(run_ferry({"outcomes", "--db", other, "--rejected", "--json"}).out).empty());
        auto resolved = nlohmann::json::parse(run_ferry({"outcomes", "--db", other, "--rejected", "--all", "--json"}).out);
        REQUIRE(resolved.at(0)["resolution"] == "retried");
        auto discard = run_ferry({"outcomes", "discard", "--db", other, id, "999999"});
        REQUIRE(discard.code == 1);  // both already resolved or unknown: each named
        REQUIRE(discard.err.find("999999") != std::string::npos);
    }
    SECTION("on a terminal, the progress of a sync is one line redrawn in place, with a bar and the rate") {
        REQUIRE(run_ferry({"exec", "--db", db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) "
                                               "INSERT INTO \"User\"(id, email) SELECT 'p' || i, 'p' || i || '@example.com' FROM n"})
                    .code == 0);
        // script(1) (util-linux, in every Debian) runs it on a pseudo-terminal.
        const std::string inner = shell_quote(FERRY_CLI_PATH) + " sync --db " + shell_quote(db) + " --batch 10";
        auto tty = run_shell(env + " script -qec " + shell_quote(inner) + " /dev/null");
        REQUIRE(tty.code == 0);
        CHECK(tty.out.find("\r\x1b[Kferry: push [") != std::string::npos);
        CHECK(tty.out.find("60/60 changes") != std::string::npos);
        CHECK(tty.out.find("/s") != std::string::npos);
        CHECK(tty.out.find("ferry: push: ") == std::string::npos);  // no log lines on a terminal
        CHECK(pg.scalar("SELECT count(*) FROM \"User\" WHERE email LIKE 'p%@example.com'") == "60");
    }
    SECTION("an unreachable server exits 4 and keeps the pending change") {
        REQUIRE(run_ferry({"exec", "--db", db, "UPDATE \"User\" SET email = 'new@example.com'"}).code == 0);
        auto down = run_ferry({"sync", "--db", db, "--database-url", "host=127.0.0.1 port=1 dbname=x connect_timeout=2"});
        REQUIRE(down.code == 4);
        REQUIRE(down.err.find("connection") != std::string::npos);
        auto s = nlohmann::json::parse(run_ferry({"status", "--db", db, "--json"}).out);
        REQUIRE(s["pending_changes"].get<int>() >= 1);
    }
    SECTION("no connection string and no server where PG* points: the message says to set DATABASE_URL") {
        auto r = run_ferry({"sync", "--db", db}, "env -u DATABASE_URL PGHOST=127.0.0.1 PGPORT=1 PGCONNECT_TIMEOUT=2");
        REQUIRE(r.code == 4);
        REQUIRE(r.err.find("DATABASE_URL") != std::string::npos);
    }
    SECTION("a password in the URL never appears in messages") {
        auto r = run_ferry({"sync", "--db", db, "--database-url", "postgresql://someone:s3cret@127.0.0.1:1/x?connect_timeout=2"});
        REQUIRE(r.code == 4);
        REQUIRE(r.err.find("s3cret") == std::string::npos);
    }
}

TEST_CASE("ferry sync --gateway: token from --token-file or FERRY_TOKEN, never printed", "[integration][cli]") {
    ferry::test::TempDir dir;
    const auto db = dir.file("g.db");
    REQUIRE(run_ferry({"init", "--app", "aiflowo", "--db", db}).code == 0);
    REQUIRE(run_ferry({"exec", "--db", db, "INSERT INTO \"User\"(id, email) VALUES ('u1', 'u1@example.com')"}).code == 0);
    const std::string nowhere = "http://127.0.0.1:1";  // nothing listens on port 1

    SECTION("no token: usage error naming both ways to give one") {
        auto r = run_ferry({"sync", "--db", db, "--gateway", nowhere}, "env -u FERRY_TOKEN");
        REQUIRE(r.code == 2);
        REQUIRE(r.err.find("--token-file") != std::string::npos);
        REQUIRE(r.err.find("FERRY_TOKEN") != std::string::npos);
    }
    SECTION("--gateway and --database-url exclude each other; --token-file needs --gateway") {
        REQUIRE(run_ferry({"sync", "--db", db, "--gateway", nowhere, "--database-url", "host=x"}).code == 2);
        REQUIRE(run_ferry({"sync", "--db", db, "--token-file", dir.file("t")}).code == 2);
    }
    SECTION("an unreachable gateway exits 4, keeps the queue, and prints no token") {
        const std::string token = "eyJhbGciOiJIUzI1NiJ9.secret-payload.sig";
        auto env = run_ferry({"sync", "--db", db, "--gateway", nowhere}, "FERRY_TOKEN=" + shell_quote(token));
        REQUIRE(env.code == 4);
        REQUIRE(env.err.find("[http/connection]") != std::string::npos);
        REQUIRE(env.err.find("secret-payload") == std::string::npos);

        const auto file = dir.file("token");
        REQUIRE(std::system(("printf '%s\\n' " + shell_quote(token) + " > " + shell_quote(file)).c_str()) == 0);
        auto from_file = run_ferry({"sync", "--db", db, "--gateway", nowhere, "--token-file", file, "--json"},
                                   "env -u FERRY_TOKEN");
        REQUIRE(from_file.code == 4);  // the trailing newline was trimmed: the token was accepted
        REQUIRE(from_file.err.find("secret-payload") == std::string::npos);
        auto s = nlohmann::json::parse(run_ferry({"status", "--db", db, "--json"}).out);
        REQUIRE(s["pending_changes"] == 1);
    }
    SECTION("a missing token file is an error naming the file") {
        auto r = run_ferry({"sync", "--db", db, "--gateway", nowhere, "--token-file", dir.file("absent")});
        REQUIRE(r.code == 1);
        REQUIRE(r.err.find("absent") != std::string::npos);
    }
}
