// tests/gateway/partial_over_gateway_test.cpp: partial sync end to end, as users run it: two users
// with two devices each sync through a real `ferry gateway` that logs in as a plain role (no
// superuser, no owner, no BYPASSRLS: only a member of ferry_device), with tokens from
// `ferry token`. Each device ends with exactly its user's scope, public rows reach both, a row
// made private leaves the other user's devices, and no answer or device file holds a secret.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ferry/http_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "tests/gateway/gateway_fixture.hpp"

using namespace ferry::test;

namespace {
/// One device of one user, syncing through the gateway at `url`.
class GatewayDevice {
public:
    GatewayDevice(const std::string& app, const std::string& url, const std::string& user)
        : m_store(ferry::Store::open(m_dir.file("device.db"), app)) {
        ferry::HttpOptions o;
        o.bearer_token = cli_token(user);
        o.backoff_initial_ms = 10;
        o.backoff_max_ms = 200;
        m_transport = ferry::connect_gateway(url, o);
    }
    ferry::Store& store() { return m_store; }
    ferry::SyncReport sync() { return ferry::SyncClient(m_store, *m_transport).sync(); }
    std::int64_t count(const std::string& where) {
        return m_store.query("SELECT count(*) FROM \"Task\" WHERE " + where).rows.at(0).at(0).as_int();
    }
    std::string file_bytes() {
        m_store.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        std::ifstream in(m_store.path(), std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    TempDir m_dir;
    ferry::Store m_store;
    std::unique_ptr<ferry::Transport> m_transport;
};
}  // namespace

TEST_CASE("two users with two devices each sync exactly their scope through a gateway with a plain role",
          "[gateway][partial]") {
    PgDatabase db;
    install_app(db, "projectme");
    db.exec("INSERT INTO \"User\"(id, email, username, \"updatedAt\") VALUES "
            "('ann', 'ann-secret@example.com', 'ann', now()), ('bob', 'bob-secret@example.com', 'bob', now())");
    db.exec("UPDATE \"Settings\" SET \"runnerToken\" = 'runner-secret-token-42'");
    auto gw = start_gateway(db, "", {{"DATABASE_URL", gateway_login(db)}});
    const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
    GatewayDevice ann1("projectme", url, "ann"), ann2("projectme", url, "ann");
    GatewayDevice bob1("projectme", url, "bob"), bob2("projectme", url, "bob");
    for (auto* d : {&ann1, &ann2, &bob1, &bob2}) d->sync();
    CHECK(db.scalar("SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = 'ferry_gateway_test'") == "t");

    ann1.store().exec("INSERT INTO \"Task\"(id, title, \"isPublic\", \"updatedAt\") VALUES "
                      "('a-private', 'ann private plan', 0, '2026-01-01T00:00:00.000Z'), "
                      "('a-public', 'ann public note', 1, '2026-01-01T00:00:00.000Z')");
    bob2.store().exec("INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES "
                      "('b-private', 'bob private plan', '2026-01-01T00:00:00.000Z')");
    CHECK(ann1.sync().rejected == 0);
    CHECK(bob2.sync().rejected == 0);
    for (auto* d : {&ann1, &ann2, &bob1, &bob2}) d->sync();

    CHECK(ann2.count("id IN ('a-private', 'a-public')") == 2);
    CHECK(ann2.count("id = 'b-private'") == 0);
    CHECK(bob1.count("id IN ('b-private', 'a-public')") == 2);
    CHECK(bob1.count("id = 'a-private'") == 0);
    CHECK(db.scalar("SELECT \"userId\" FROM \"Task\" WHERE id = 'b-private'") == "bob");

    // Revocation: ann makes her public task private; it leaves both of bob's devices.
    ann2.store().exec("UPDATE \"Task\" SET \"isPublic\" = 0 WHERE id = 'a-public'");
    ann2.sync();
    bob1.sync();
    bob2.sync();
    CHECK(bob1.count("id = 'a-public'") == 0);
    CHECK(bob2.count("id = 'a-public'") == 0);
    ann1.sync();
    CHECK(ann1.count("id = 'a-public'") == 1);

    // Bob takes ann's private task over by its key: refused, nothing of hers reaches him.
    bob1.store().exec("INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES ('a-private', 'mine now', "
                      "'2026-01-01T00:00:00.000Z')");
    auto r = bob1.sync();
    CHECK(r.rejected == 1);
    CHECK(db.scalar("SELECT title FROM \"Task\" WHERE id = 'a-private'") == "ann private plan");
    CHECK(bob1.count("id = 'a-private'") == 0);

    for (auto* d : {&ann1, &ann2, &bob1, &bob2}) {
        const auto bytes = d->file_bytes();
        CHECK(bytes.find("secret@example.com") == std::string::npos);
        CHECK(bytes.find("runner-secret-token-42") == std::string::npos);
    }
    CHECK(bob1.file_bytes().find("ann private plan") == std::string::npos);
    CHECK(bob2.file_bytes().find("ann private plan") == std::string::npos);

    // A raw snapshot of bob's, byte for byte: no secret, no key of ann's private rows.
    nlohmann::json snapshot = {{"v", 2}, {"app", "projectme"}, {"site", "bob-raw-site"}, {"limit", 1000},
                               {"snapshot", nlohmann::json::object()}};
    const std::string raw = raw_http(gw.port(), http_request("POST", "/v1/pull",
                                                             {"Authorization: Bearer " + cli_token("bob"),
                                                              "Content-Type: application/json"},
                                                             snapshot.dump()));
    REQUIRE(status_of(raw) == 200);
    CHECK(raw.find("a-private") == std::string::npos);
    CHECK(raw.find("a-public") == std::string::npos);
    CHECK(raw.find("secret") == std::string::npos);
    CHECK(raw.find("b-private") != std::string::npos);
    CHECK(gw.log().find("eyJ") == std::string::npos);  // no token (a JWT starts so) in the access log
}
