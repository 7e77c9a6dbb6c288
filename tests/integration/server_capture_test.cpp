// tests/integration/server_capture_test.cpp: capture in the cloud (DESIGN.md decision 4): clocks
// for plain writers whatever settings they make, for the side effects of a merge (cascades, app
// triggers) but not for the rows the merge records itself, SQL NULL versus JSON null, TRUNCATE.
#include <catch2/catch.hpp>

#include <functional>

#include "ferry/clock.hpp"
#include "tests/support/device.hpp"
#include "tests/support/store_checks.hpp"

using ferry::Store;
using ferry::test::Device;
using ferry::test::PgDatabase;
using ferry::test::text;

namespace {
const std::string k_user = "11111111-1111-4111-8111-111111111111";
const std::string k_container = "22222222-2222-4222-8222-222222222222";
const std::string k_project = "33333333-3333-4333-8333-333333333333";
const std::string k_other_container = "44444444-4444-4444-8444-444444444444";
const std::string k_flash = "b0000000-0000-4000-8000-000000000001";  // agentchat's seeded google default
const std::string k_pro = "b0000000-0000-4000-8000-000000000003";
const std::string k_new = "55555555-5555-4555-8555-555555555555";

void install(const PgDatabase& db, const std::string& app) { ferry::server::install_app_schema(db.conninfo(), app); }

std::string key(const std::string& id) { return "[\"" + id + "\"]"; }

/// A field of a row's clocks in ferry.rows ("" when there is no such row or field), e.g.
/// clock(db, "users", key(id), "clocks -> 'name' ->> 1").
std::string clock(const PgDatabase& db, const std::string& tbl, const std::string& pk, const std::string& field) {
    return db.scalar("SELECT coalesce((SELECT (" + field + ")::text FROM ferry.rows WHERE tbl = '" + tbl +
                     "' AND pk = '" + pk + "'::jsonb), '')");
}

/// The clock of column is_default (a column without a clock of its own has the row's insert's).
const char* k_column_clock = "coalesce((clocks -> 'is_default' ->> 0)::bigint, created_hlc)";

/// Whether `a` < `b` as HLC values (texts of bigints).
bool older(const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); }

/// The latest clock recorded for any column or the (re)insert of a row.
std::string newest_clock(const PgDatabase& db, const std::string& tbl, const std::string& pk) {
    return db.scalar("SELECT greatest(r.created_hlc, (SELECT max((c.value ->> 0)::bigint) FROM jsonb_each(r.clocks) c)) "
                     "FROM ferry.rows r WHERE tbl = '" + tbl + "' AND pk = '" + pk + "'::jsonb");
}

/// Runs `body` in a transaction shaped like a Ferry merge of the rows `pushed` ((table, key)
/// pairs) whose highest clock is `batch_hlc`: a ferry.merges row for it, the keys in the
/// session's temp table ferry_stage, and the settings the merge used to make (which must no
/// longer matter).
void as_merge(const PgDatabase& db, const std::vector<std::pair<std::string, std::string>>& pushed,
              const std::function<void(pqxx::work&)>& body, std::int64_t batch_hlc = 0) {
    auto c = db.connect();
    pqxx::work tx(c);
    tx.exec("CREATE TEMP TABLE ferry_stage (tbl text, pk jsonb) ON COMMIT DELETE ROWS");
    tx.exec_params("INSERT INTO ferry.merges(site, hlc) VALUES ('device-1', $1)", batch_hlc);
    tx.exec("SET LOCAL ferry.merging = 'on'");
    tx.exec("SELECT set_config('ferry.site', 'device-1', true)");
    for (const auto& [tbl, pk] : pushed)
        tx.exec_params("INSERT INTO ferry_stage(tbl, pk) VALUES ($1, $2::jsonb)", tbl, pk);
    body(tx);
    tx.exec("DELETE FROM ferry.merges WHERE xid = pg_current_xact_id()");
    tx.commit();
}

void seed_december(const PgDatabase& db, bool with_project = true) {
    db.exec("INSERT INTO users(id, email, name) VALUES ('" + k_user + "', 'ann@example.com', 'Ann')");
    db.exec("INSERT INTO containers(id, container_id, name, user_id) VALUES ('" + k_container + "', 'docker-1', 'web', '" +
            k_user + "'), ('" + k_other_container + "', 'docker-2', 'api', '" + k_user + "')");
    if (with_project)
        db.exec("INSERT INTO projects(id, container_id, name, user_id) VALUES ('" + k_project + "', '" + k_container +
                "', 'site', '" + k_user + "')");
}
}  // namespace

TEST_CASE("a plain role's writes get server clocks whatever ferry.merging and ferry.site say",
          "[integration][server_capture]") {
    PgDatabase db;
    install(db, "december");
    // Roles belong to the cluster: another run may have created it already.
    db.exec("DO $$ BEGIN CREATE ROLE ferry_test_web NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    db.exec("GRANT USAGE ON SCHEMA public TO ferry_test_web");
    db.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ferry_test_web");
    auto c = db.connect();
    {
        pqxx::work tx(c);
        tx.exec("SET LOCAL ROLE ferry_test_web");
        tx.exec("SET LOCAL ferry.merging = 'on'");
        tx.exec("SELECT set_config('ferry.site', 'pretend-device', true)");
        // A forged stage means nothing without a ferry.merges row, which this role cannot write.
        tx.exec("CREATE TEMP TABLE ferry_stage (tbl text, pk jsonb)");
        tx.exec("INSERT INTO ferry_stage VALUES ('users', '" + key(k_user) + "')");
        tx.exec("INSERT INTO users(id, email, name) VALUES ('" + k_user + "', 'web@example.com', 'Web')");
        tx.exec("UPDATE users SET name = 'Web 2' WHERE id = '" + k_user + "'");
        tx.commit();
    }
    CHECK(clock(db, "users", key(k_user), "created_site") == "server");
    CHECK(clock(db, "users", key(k_user), "clocks -> 'name' ->> 1") == "server");
    // Compact (0010): a column the insert wrote and nothing since has the insert's clock.
    CHECK(clock(db, "users", key(k_user), "clocks ? 'email'") == "false");
    CHECK(older(clock(db, "users", key(k_user), "created_hlc"), clock(db, "users", key(k_user), "clocks -> 'name' ->> 0")));
    CHECK(db.scalar("SELECT count(*) FROM ferry.changes WHERE tbl = 'users'") == "2");
    {
        pqxx::work tx(c);
        tx.exec("SET LOCAL ROLE ferry_test_web");
        tx.exec("SET LOCAL ferry.merging = 'on'");
        tx.exec("DELETE FROM users WHERE id = '" + k_user + "'");
        tx.commit();
    }
    CHECK(clock(db, "users", key(k_user), "deleted_site") == "server");
    CHECK_FALSE(clock(db, "users", key(k_user), "deleted_hlc").empty());

    // Only Ferry's roles may mark a merge.
    pqxx::work tx(c);
    tx.exec("SET LOCAL ROLE ferry_test_web");
    CHECK_THROWS_AS(tx.exec("INSERT INTO ferry.merges(site) VALUES ('pretend-device')"), pqxx::insufficient_privilege);
}

TEST_CASE("in a merge, the pushed rows are only logged and a cascade gets tombstones", "[integration][server_capture]") {
    PgDatabase db;
    install(db, "december");
    seed_december(db);
    const std::string project_clock = newest_clock(db, "projects", key(k_project));
    const std::string other_clock = newest_clock(db, "containers", key(k_other_container));
    as_merge(db, {{"containers", key(k_container)}}, [&](pqxx::work& tx) {
        tx.exec("DELETE FROM containers WHERE id = '" + k_container + "'");  // ON DELETE CASCADE: the project
        // A row the batch did not push is a plain write, even in the merging session.
        tx.exec("UPDATE containers SET name = 'api 2' WHERE id = '" + k_other_container + "'");
    });
    // The merge records the pushed delete's clock itself (with the device's site).
    CHECK(clock(db, "containers", key(k_container), "deleted_hlc").empty());
    // The cascade is the server's write: a tombstone newer than anything known about the row.
    CHECK(clock(db, "projects", key(k_project), "deleted_site") == "server");
    CHECK(older(project_clock, clock(db, "projects", key(k_project), "deleted_hlc")));
    CHECK(db.scalar("SELECT string_agg(tbl || ' ' || op, ',' ORDER BY tbl, op) FROM ferry.changes "
                    "WHERE xid = (SELECT max(xid) FROM ferry.changes)") == "containers 2,containers 3,projects 3");
    CHECK(clock(db, "containers", key(k_other_container), "clocks -> 'name' ->> 1") == "server");
    CHECK(older(other_clock, clock(db, "containers", key(k_other_container), "clocks -> 'name' ->> 0")));
}

TEST_CASE("in a merge, an app trigger's update of another row gets a clock", "[integration][server_capture]") {
    PgDatabase db;
    install(db, "agentchat");
    // The pushing device's clock runs a minute ahead of the server's (within the skew limit).
    const std::int64_t batch_hlc = std::stoll(db.scalar("SELECT ferry.now_hlc() + (60000::bigint << 16)"));
    as_merge(db, {{"model_config", key(k_pro)}}, [&](pqxx::work& tx) {
        // The seed's trigger clears is_default on the provider's other default (Gemini 2.0 Flash).
        tx.exec("UPDATE model_config SET is_default = true WHERE id = '" + k_pro + "'");
    }, batch_hlc);
    CHECK(db.scalar("SELECT is_default FROM model_config WHERE id = '" + k_flash + "'") == "f");
    CHECK(clock(db, "model_config", key(k_flash), "clocks -> 'is_default' ->> 1") == "server");
    // The effect is ordered after the batch that caused it.
    CHECK(older(std::to_string(batch_hlc), clock(db, "model_config", key(k_flash), "clocks -> 'is_default' ->> 0")));
    CHECK(clock(db, "model_config", key(k_pro), "clocks -> 'is_default'").empty());  // the merge's to record
}

TEST_CASE("through a device push: the side effects of a merge get clocks, so stale writes lose to them",
          "[integration][server_capture]") {
    SECTION("december: a cascade of a pushed delete gets a tombstone; a stale update of the child is superseded") {
        PgDatabase db;
        install(db, "december");
        seed_december(db, false);
        Device a(db, "december"), b(db, "december");
        a.sync();
        // The web app adds a project that a has not pulled; b pulls it and renames it offline.
        db.exec("INSERT INTO projects(id, container_id, name, user_id) VALUES ('" + k_project + "', '" + k_container +
                "', 'site', '" + k_user + "')");
        b.sync();
        b.store().execute("UPDATE projects SET name = 'stale' WHERE id = ?", {k_project});
        // a deletes the container: the project goes by the cloud's cascade, which a did not push.
        a.store().execute("DELETE FROM containers WHERE id = ?", {k_container});
        a.sync();
        CHECK(clock(db, "containers", key(k_container), "deleted_site") == a.store().status().site_id);
        CHECK(clock(db, "projects", key(k_project), "deleted_site") == "server");
        auto rb = b.sync();
        CHECK(rb.superseded == 1);
        CHECK(text(b.store(), "SELECT count(*) FROM projects") == "0");
        CHECK(text(b.store(), "SELECT count(*) FROM containers") == "1");
        CHECK(db.scalar("SELECT count(*) FROM projects") == "0");
    }
    SECTION("agentchat: the single-default trigger's update of another model outlives an older device write") {
        PgDatabase db;
        install(db, "agentchat");
        // a's clock runs two seconds ahead of b's (and of the server's), so a's write is the
        // later one whatever the timing of this test.
        const auto now_ms = std::stoll(db.scalar("SELECT ferry.now_hlc() >> 16"));
        ferry::FakeClock ca(now_ms + 2000), cb(now_ms);
        Device a(db, "agentchat", &ca), b(db, "agentchat", &cb);
        a.sync();
        // The web app adds a new google default (its trigger clears Flash); b pulls it, a does not.
        db.exec("INSERT INTO model_config (id, model_id, name, provider, is_default, input_pricing_per_million_tokens, "
                "output_pricing_per_million_tokens) VALUES ('" + k_new + "', 'gemini-next', 'Next', 'google', true, 1, 2)");
        b.sync();
        // Offline, b moves google's default to Pro and back to the new model.
        b.store().execute("UPDATE model_config SET is_default = 1 WHERE id = ?", {k_pro});
        b.store().execute("UPDATE model_config SET is_default = 1 WHERE id = ?", {k_new});
        // Later, a makes Pro the default; in the cloud the trigger clears the new model, which a
        // does not know and did not push.
        a.store().execute("UPDATE model_config SET is_default = 1 WHERE id = ?", {k_pro});
        const std::string inserted = clock(db, "model_config", key(k_new), k_column_clock);
        a.sync();
        CHECK(clock(db, "model_config", key(k_new), "clocks -> 'is_default' ->> 1") == "server");
        CHECK(older(inserted, clock(db, "model_config", key(k_new), "clocks -> 'is_default' ->> 0")));
        // b's older writes lose to it: Pro, the latest default, stays.
        auto rb = b.sync();
        CHECK(rb.superseded == 2);
        a.sync();
        const std::string defaults = "SELECT group_concat(model_id) FROM model_config WHERE provider = 'google' AND is_default";
        CHECK(db.scalar("SELECT string_agg(model_id, ',') FROM model_config WHERE provider = 'google' AND is_default") ==
              "gemini-2.5-pro");
        CHECK(text(a.store(), defaults) == "gemini-2.5-pro");
        CHECK(text(b.store(), defaults) == "gemini-2.5-pro");
    }
}

TEST_CASE("a change between SQL NULL and JSON null is logged and reaches every replica", "[integration][server_capture]") {
    PgDatabase db;
    install(db, "projectme");
    db.exec("INSERT INTO \"User\"(id, email) VALUES ('u1', 'a@b')");
    db.exec("INSERT INTO \"LLMSession\"(id, \"userId\", \"sessionId\") VALUES ('s1', 'u1', 's1')");
    db.exec("INSERT INTO \"LLMMessage\"(id, \"sessionId\", role, content) VALUES ('m1', 's1', 'user', 'hi'), "
            "('m2', 's1', 'user', 'hi')");
    Device a(db, "projectme"), b(db, "projectme");
    a.sync();
    b.sync();
    const std::string cloud = "SELECT string_agg(id || '=' || coalesce(metadata::text, 'SQL NULL'), ' ' ORDER BY id) "
                              "FROM \"LLMMessage\"";
    const std::string device = "SELECT group_concat(id || '=' || coalesce(metadata, 'SQL NULL'), ' ') FROM "
                               "(SELECT * FROM \"LLMMessage\" ORDER BY id)";
    auto logged = [&] { return db.scalar("SELECT count(*) FROM ferry.changes WHERE tbl = 'LLMMessage' AND op = 2"); };

    // SQL NULL -> JSON null: on a device (pushed) and in the cloud (plain SQL).
    a.store().execute("UPDATE \"LLMMessage\" SET metadata = 'null' WHERE id = 'm1'");
    a.sync();
    db.exec("UPDATE \"LLMMessage\" SET metadata = 'null'::jsonb WHERE id = 'm2'");
    CHECK(logged() == "2");
    CHECK(clock(db, "LLMMessage", key("m2"), "clocks -> 'metadata' ->> 1") == "server");
    b.sync();
    a.sync();
    CHECK(db.scalar(cloud) == "m1=null m2=null");
    CHECK(text(a.store(), device) == "m1=null m2=null");
    CHECK(text(b.store(), device) == "m1=null m2=null");

    // And back: JSON null -> SQL NULL.
    b.store().execute("UPDATE \"LLMMessage\" SET metadata = NULL WHERE id = 'm1'");
    b.sync();
    db.exec("UPDATE \"LLMMessage\" SET metadata = NULL WHERE id = 'm2'");
    CHECK(logged() == "4");
    a.sync();
    b.sync();
    CHECK(db.scalar(cloud) == "m1=SQL NULL m2=SQL NULL");
    CHECK(text(a.store(), device) == "m1=SQL NULL m2=SQL NULL");
    CHECK(text(b.store(), device) == "m1=SQL NULL m2=SQL NULL");

    // An update that changes nothing logs nothing.
    db.exec("UPDATE \"LLMMessage\" SET metadata = NULL, content = content");
    CHECK(logged() == "4");
}

TEST_CASE("an update of a json column (a type without =) is logged with only the changed columns",
          "[integration][server_capture]") {
    PgDatabase db;
    install(db, "agentchat");
    const std::string user = "66666666-6666-4666-8666-666666666666";
    const std::string chat = "77777777-7777-4777-8777-777777777777";
    db.exec("INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ('" + user + "', 'u@example.com', '{}')");
    db.exec("INSERT INTO \"Chat\" (id, title, user_id) VALUES ('" + chat + "', 'chat', '" + user + "')");
    db.exec("INSERT INTO \"Message_v2\" (id, \"chatId\", role, parts) VALUES ('" + k_user + "', '" + chat +
            "', 'user', '[]')");
    const std::string before = clock(db, "Message_v2", key(k_user), "clocks -> 'attachments' ->> 0");
    db.exec("UPDATE \"Message_v2\" SET parts = '[{\"type\": \"text\"}]', attachments = attachments");
    CHECK(db.scalar("SELECT count(*) FROM ferry.changes WHERE tbl = 'Message_v2' AND op = 2") == "1");
    CHECK(older(clock(db, "Message_v2", key(k_user), "created_hlc"),
                clock(db, "Message_v2", key(k_user), "clocks -> 'parts' ->> 0")));
    CHECK(clock(db, "Message_v2", key(k_user), "clocks -> 'attachments' ->> 0") == before);
}

TEST_CASE("TRUNCATE in the cloud deletes exactly those rows on every device", "[integration][server_capture]") {
    PgDatabase db;
    install(db, "december");
    seed_december(db);
    db.exec("INSERT INTO chat_messages(container_id, session_id, role, content) VALUES ('" + k_other_container +
            "', 's', 'user', 'hi')");
    Device a(db, "december"), b(db, "december");
    a.sync();
    b.sync();
    const std::string project_clock = newest_clock(db, "projects", key(k_project));

    db.exec("TRUNCATE projects");
    CHECK(clock(db, "projects", key(k_project), "deleted_site") == "server");
    CHECK(older(project_clock, clock(db, "projects", key(k_project), "deleted_hlc")));
    a.sync();
    CHECK(text(a.store(), "SELECT count(*) FROM projects") == "0");
    CHECK(text(a.store(), "SELECT count(*) FROM containers") == "2");

    // CASCADE: every table referencing containers is emptied too, and each fires its own trigger.
    b.store().execute("UPDATE containers SET name = 'stale' WHERE id = ?", {k_container});
    db.exec("TRUNCATE containers CASCADE");
    CHECK(db.scalar("SELECT string_agg(DISTINCT tbl, ',' ORDER BY tbl) FROM ferry.changes WHERE op = 3") ==
          "chat_messages,containers,projects");
    a.sync();
    for (const char* t : {"containers", "projects", "chat_messages"})
        CHECK(text(a.store(), std::string("SELECT count(*) FROM ") + t) == "0");
    CHECK(text(a.store(), "SELECT count(*) FROM users") == "1");
    // b's update of a truncated row: superseded, and b loses the row like everyone else.
    auto rb = b.sync();
    CHECK(rb.superseded == 1);
    CHECK(text(b.store(), "SELECT count(*) FROM containers") == "0");
    CHECK(text(b.store(), "SELECT count(*) FROM chat_messages") == "0");
    CHECK(text(b.store(), "SELECT count(*) FROM users") == "1");
    CHECK(db.scalar("SELECT count(*) FROM containers") == "0");
}

TEST_CASE("ferry server init again brings an existing install the current capture triggers",
          "[integration][server_capture]") {
    PgDatabase db;
    install(db, "december");
    // An install from an older Ferry: the row trigger compared to_jsonb values, no TRUNCATE trigger.
    db.exec("CREATE OR REPLACE FUNCTION ferry.capture_users() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NULL; END $$");
    db.exec("DROP TRIGGER ferry_capture_truncate ON users");
    install(db, "december");
    CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'ferry_capture_truncate'") ==
          db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'ferry_capture'"));
    db.exec("INSERT INTO users(id, email) VALUES ('" + k_user + "', 'a@b')");
    db.exec("UPDATE users SET name = 'N' WHERE id = '" + k_user + "'");
    CHECK(db.scalar("SELECT string_agg(op::text, ',' ORDER BY id) FROM ferry.changes WHERE tbl = 'users'") == "1,2");
    db.exec("TRUNCATE users CASCADE");
    CHECK(db.scalar("SELECT string_agg(op::text, ',' ORDER BY id) FROM ferry.changes WHERE tbl = 'users'") == "1,2,3");
}

TEST_CASE("a merge run by another role than Ferry's owner must let the owner read its stage",
          "[integration][server_capture]") {
    PgDatabase db;
    for (const char* role : {"ferry_test_owner", "ferry_test_merger"})
        db.exec(std::string("DO $$ BEGIN CREATE ROLE ") + role + " NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    db.exec("ALTER DATABASE " + db.name() + " OWNER TO ferry_test_owner");
    ferry::server::install_app_schema(db.conninfo() + " options='-c role=ferry_test_owner'", "december");
    db.exec("GRANT USAGE ON SCHEMA ferry TO ferry_test_merger");
    db.exec("GRANT SELECT, INSERT, DELETE ON ferry.merges TO ferry_test_merger");
    db.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ferry_test_merger");
    db.exec("INSERT INTO users(id, email) VALUES ('" + k_user + "', 'a@b')");
    auto merge = [&](bool grant) {
        auto c = db.connect();
        pqxx::work tx(c);
        tx.exec("SET LOCAL ROLE ferry_test_merger");
        tx.exec("CREATE TEMP TABLE ferry_stage (tbl text, pk jsonb) ON COMMIT DROP");
        if (grant) tx.exec("GRANT SELECT ON ferry_stage TO ferry_test_owner");
        tx.exec("INSERT INTO ferry.merges(site) VALUES ('device-1')");
        tx.exec("INSERT INTO ferry_stage VALUES ('users', '" + key(k_user) + "')");
        tx.exec("UPDATE users SET name = 'merged' WHERE id = '" + k_user + "'");
        tx.exec("DELETE FROM ferry.merges WHERE xid = pg_current_xact_id()");
        tx.commit();
    };
    // Not a per-change data error: the whole merge fails, saying what to do.
    try {
        merge(false);
        FAIL("the merge should have failed");
    } catch (const pqxx::sql_error& e) {
        CHECK(e.sqlstate() == "55000");
        CHECK(std::string(e.what()).find("cannot read the merge's stage") != std::string::npos);
    }
    const std::string inserted = clock(db, "users", key(k_user), "clocks -> 'name'");
    merge(true);
    CHECK(db.scalar("SELECT name FROM users") == "merged");
    CHECK(clock(db, "users", key(k_user), "clocks -> 'name'") == inserted);  // the merge's to record
}

TEST_CASE("a push's inserts and deletes are logged by the merge, not by the capture trigger, plain SQL still by it",
          "[integration][server_capture]") {
    PgDatabase db;
    install(db, "december");
    seed_december(db, false);
    // Counts the capture trigger's calls of ferry.log_change (the trigger logs every change it
    // does not leave to the merge through it), table by table.
    db.exec("CREATE TABLE ferry.test_calls (tbl text)");
    db.exec("ALTER FUNCTION ferry.log_change(text, jsonb, smallint, text[], text[], text) RENAME TO log_change_counted");
    db.exec("CREATE FUNCTION ferry.log_change(p_tbl text, p_pk jsonb, p_op smallint, p_cols text[], p_readers text[], "
            "p_owner text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ "
            "BEGIN INSERT INTO ferry.test_calls VALUES (p_tbl); "
            "PERFORM ferry.log_change_counted(p_tbl, p_pk, p_op, p_cols, p_readers, p_owner); END $$");
    auto calls = [&] { return db.scalar("SELECT count(*) FROM ferry.test_calls"); };
    const std::string m1 = "66666666-6666-4666-8666-666666666661", m2 = "66666666-6666-4666-8666-666666666662",
                      m3 = "66666666-6666-4666-8666-666666666663", m4 = "66666666-6666-4666-8666-666666666664";
    Device a(db, "december"), b(db, "december");
    a.sync();
    b.sync();
    const std::string site = a.store().status().site_id;
    // A new container and a message in it (owned through it: its scope is the container's, which
    // the same push records first), a message in an existing container, a deleted container.
    a.store().execute("INSERT INTO containers(id, container_id, name, user_id) VALUES (?, 'docker-3', 'new', ?)",
                      {k_new, k_user});
    a.store().execute("INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES (?, ?, 's', 'user', 'hi')",
                      {m1, k_new});
    a.store().execute("INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES (?, ?, 's', 'user', 'yo')",
                      {m2, k_container});
    a.store().execute("DELETE FROM containers WHERE id = ?", {k_other_container});
    const auto pushed = a.sync();
    CHECK(pushed.applied == 4);
    CHECK(calls() == "0");
    // One entry per pushed row, with the pushing device and who may read the row before and after.
    CHECK(db.scalar("SELECT string_agg(tbl || ' ' || op || ' ' || (origin = '" + site + "' AND origin_seq IS NOT NULL) || ' ' || "
                    "readers::text, ',' ORDER BY tbl, op, pk::text) FROM ferry.changes WHERE xid = (SELECT max(xid) FROM "
                    "ferry.changes)") ==
          "chat_messages 1 true {" + k_user + "},chat_messages 1 true {" + k_user + "},containers 1 true {" + k_user +
              "},containers 3 true {" + k_user + "}");
    // The rows' scope, owner and clocks in one record each (the insert's clock, the device's site).
    for (const auto& [tbl, id] : std::vector<std::pair<std::string, std::string>>{{"containers", k_new}, {"chat_messages", m1},
                                                                                  {"chat_messages", m2}}) {
        INFO(tbl << " " << id);
        CHECK(clock(db, tbl, key(id), "readers") == "{" + k_user + "}");
        CHECK(clock(db, tbl, key(id), "owner") == k_user);
        CHECK(clock(db, tbl, key(id), "created_site") == site);
        CHECK(clock(db, tbl, key(id), "clocks") == "{}");
    }
    CHECK(clock(db, "containers", key(k_other_container), "deleted_site") == site);
    CHECK(db.scalar("SELECT count(*) FROM ferry.changes WHERE xid = (SELECT max(xid) FROM ferry.changes)") == "4");

    // Plain SQL writes of the same table are captured by the trigger as before, a writer that sets
    // the merge's marker itself included (it has no merge of its own).
    db.exec("INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES ('" + m3 + "', '" + k_container +
            "', 's', 'assistant', 'web')");
    {
        auto c = db.connect();
        pqxx::work tx(c);
        tx.exec("SELECT set_config('ferry.merge_logs', 'chat_messages', true)");
        tx.exec("INSERT INTO chat_messages(id, container_id, session_id, role, content) VALUES ('" + m4 + "', '" +
                k_container + "', 's', 'assistant', 'sly')");
        tx.commit();
    }
    db.exec("UPDATE chat_messages SET content = 'edited' WHERE id = '" + m1 + "'");
    CHECK(calls() == "3");
    CHECK(db.scalar("SELECT count(*) FROM ferry.changes WHERE tbl = 'chat_messages' AND origin IS NULL AND readers = "
                    "ARRAY['" + k_user + "']") == "3");
    CHECK(clock(db, "chat_messages", key(m4), "created_site") == "server");

    b.sync();
    CHECK(text(b.store(), "SELECT group_concat(content, ',') FROM (SELECT content FROM chat_messages ORDER BY id)") ==
          "edited,yo,web,sly");
    CHECK(text(b.store(), "SELECT group_concat(name, ',') FROM (SELECT name FROM containers ORDER BY name)") == "new,web");
    a.sync();
    CHECK(text(a.store(), "SELECT group_concat(content, ',') FROM (SELECT content FROM chat_messages ORDER BY id)") ==
          "edited,yo,web,sly");
}
