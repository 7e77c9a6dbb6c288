// tests/integration/agentchat_pg_schema_test.cpp: the agentchat cloud schema on a real
// PostgreSQL 15 (sql/apps/agentchat/postgres): install and re-install, adoption of an existing
// database, parity with the device catalog, row-level security as the seed documents it, and
// each seed function and trigger doing what the seed says.
#include <catch2/catch.hpp>

#include <ferry/apps/agentchat.hpp>
#include <ferry/server.hpp>
#include <ferry/store.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/pg.hpp"
#include "tests/support/pg_catalog.hpp"
#include "tests/support/temp_dir.hpp"

namespace ac = ferry::apps::agentchat;
using ferry::Store;
using ferry::Value;
using ferry::test::scalar_committed;

namespace {

const char* const k_user_a = "11111111-1111-4111-8111-111111111111";
const char* const k_user_b = "22222222-2222-4222-8222-222222222222";
const char* const k_admin = "33333333-3333-4333-8333-333333333333";
const char* const k_chat_a = "aaaaaaaa-0000-4000-8000-000000000001";
const char* const k_chat_b = "aaaaaaaa-0000-4000-8000-000000000002";

std::string claims(const std::string& sub, bool admin = false) {
    return "{\"sub\":\"" + sub + "\",\"role\":\"authenticated\"" +
           (admin ? ",\"user_metadata\":{\"role\":\"admin\"}" : "") + "}";
}

/// The text of a file of this source tree (the raw migrations, to apply them outside Ferry).
std::string source_file(const std::string& relative) {
    const std::string here = __FILE__;
    const auto root = here.substr(0, here.rfind("/tests/integration/"));
    std::ifstream in(root + "/" + relative);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void install(const ferry::test::PgDatabase& db) {
    auto r = ferry::server::install_app_schema(db.conninfo(), "agentchat");
    REQUIRE(r.to_version == 3);
}

/// Everything the app's migrations define, as sorted text: columns, indexes, constraints,
/// functions, triggers, policies, RLS switches and the seed rows.
/// Kept apart from ferry::test::catalog_snapshot because it also covers schema auth and the seed rows.
std::string catalog_and_seed_snapshot(const ferry::test::PgDatabase& db) {
    return db.scalar(R"SQL(
        SELECT string_agg(x, E'\n' ORDER BY x) FROM (
          SELECT 'col ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' ||
                 coalesce(character_maximum_length::text, '') || ' ' || coalesce(datetime_precision::text, '') ||
                 ' ' || is_nullable || ' ' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema IN ('public', 'auth')
          UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname IN ('public', 'auth')
          UNION ALL SELECT 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'auth'::regnamespace)
          UNION ALL SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(p.prosrc) || ' ' || p.prosecdef
            FROM pg_proc p WHERE p.pronamespace IN ('public'::regnamespace, 'auth'::regnamespace)
          UNION ALL SELECT 'trg ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
          UNION ALL SELECT 'pol ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') ||
                 ' ' || coalesce(with_check, '') FROM pg_policies
          UNION ALL SELECT 'rls ' || relname || ' ' || relrowsecurity
            FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
          UNION ALL SELECT 'row ' || id || ' ' || config_key || ' ' || md5(config_data::text) || ' ' || updated_at
            FROM admin_config
          UNION ALL SELECT 'row ' || id || ' ' || model_id || ' ' || is_default || ' ' || updated_at FROM model_config
        ) s(x))SQL");
}

/// Runs `sql` as `role` with the given JWT claims (none when empty) and returns the first field,
/// rolling back whatever the statement did.
std::string scalar_as(const ferry::test::PgDatabase& db, const std::string& role, const std::string& jwt,
                      const std::string& sql) {
    auto c = db.connect();
    pqxx::work w(c);
    w.exec("SET LOCAL ROLE " + role);
    if (!jwt.empty()) w.exec("SELECT set_config('request.jwt.claims', " + w.quote(jwt) + ", true)");
    auto r = w.exec(sql);
    w.abort();
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].c_str();
}

/// The error message of `sql` run as `role` (superuser when empty); fails when it succeeds.
std::string error_of(const ferry::test::PgDatabase& db, const std::string& sql, const std::string& role = "",
                     const std::string& jwt = "") {
    auto c = db.connect();
    pqxx::work w(c);
    try {
        if (!role.empty()) w.exec("SET LOCAL ROLE " + role);
        if (!jwt.empty()) w.exec("SELECT set_config('request.jwt.claims', " + w.quote(jwt) + ", true)");
        w.exec(sql);
    } catch (const pqxx::sql_error& e) {
        return e.what();
    }
    FAIL("accepted: " << sql);
    return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

/// Three users (A, B and an admin), a chat each for A and B with a message, a document and
/// usage, as a trusted writer.
void add_users_and_chats(const ferry::test::PgDatabase& db) {
    db.exec(std::string("INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ") + "('" + k_user_a +
            "', 'a@example.com', '{}'), ('" + k_user_b + "', 'b@example.com', '{}'), ('" + k_admin +
            "', 'admin@example.com', '{\"role\": \"admin\"}')");
    for (const auto& [chat, user] : std::vector<std::pair<std::string, std::string>>{{k_chat_a, k_user_a},
                                                                                     {k_chat_b, k_user_b}}) {
        db.exec("INSERT INTO \"Chat\" (id, title, user_id) VALUES ('" + chat + "', 'chat', '" + user + "')");
        db.exec("INSERT INTO \"Message_v2\" (\"chatId\", role, parts) VALUES ('" + chat + "', 'user', '[]')");
        db.exec("INSERT INTO \"Stream\" (\"chatId\") VALUES ('" + chat + "')");
        db.exec("INSERT INTO \"Document\" (id, title, user_id, chat_id) VALUES (gen_random_uuid(), 'd', '" + user +
                "', '" + chat + "')");
        db.exec("INSERT INTO usage_logs (user_id, chat_id, agent_type, total_tokens, total_cost) VALUES ('" + user +
                "', '" + chat + "', 'chat_model_agent', 10, 0.5)");
        db.exec("INSERT INTO error_logs (user_id, error_type, error_category, error_message) VALUES ('" + user +
                "', 'api', 'timeout', 'm')");
    }
}

}  // namespace

TEST_CASE("agentchat cloud: installs from empty, twice, and over an existing database",
          "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    auto first = ferry::server::install_app_schema(db.conninfo(), "agentchat");
    CHECK(first.from_version == 0);
    CHECK(first.to_version == 3);
    CHECK(first.applied ==
          std::vector<std::string>{"agentchat/0001_schema.sql", "agentchat/0002_rls.sql", "agentchat/0003_seed_data.sql"});
    const auto snapshot = catalog_and_seed_snapshot(db);
    CHECK(contains(snapshot, "col auth.users.raw_user_meta_data jsonb"));
    CHECK(contains(snapshot, "fn get_current_user_usage_summary(date,date)"));

    auto second = ferry::server::install_app_schema(db.conninfo(), "agentchat");
    CHECK(second.from_version == 3);
    CHECK(second.applied.empty());
    CHECK(catalog_and_seed_snapshot(db) == snapshot);

    // A database that already has the app (its migrations run by hand, twice): Ferry adopts it
    // without errors, duplicates or changed seed rows.
    ferry::test::PgDatabase existing;
    for (int round = 0; round < 2; ++round)
        for (const char* f : {"0001_schema.sql", "0002_rls.sql", "0003_seed_data.sql"})
            existing.exec(source_file(std::string("sql/apps/agentchat/postgres/") + f));
    CHECK(existing.scalar("SELECT count(*) FROM admin_config") == "20");
    CHECK(existing.scalar("SELECT count(*) FROM model_config WHERE is_default") == "3");
    auto adopted = ferry::server::install_app_schema(existing.conninfo(), "agentchat");
    CHECK(adopted.to_version == 3);
    CHECK(catalog_and_seed_snapshot(existing) == snapshot);
}

TEST_CASE("agentchat cloud: the seed's objects exist under their names", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "14");
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
                    "AND relrowsecurity") == "14");
    CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx\\_%'") ==
          "59");
    for (const char* fn :
         {"get_user_role", "validate_user_id", "handle_auth_user_deletion", "get_current_user_usage_summary",
          "is_current_user_admin", "update_admin_config_timestamp", "update_model_config_timestamp",
          "ensure_single_default_model_per_provider", "validate_admin_config_data", "get_logging_config",
          "is_user_activity_logging_enabled", "is_agent_activity_logging_enabled", "purge_old_activity_logs"}) {
        INFO(fn);
        CHECK(db.scalar(std::string("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname = '") +
                        fn + "'") == "1");
    }
    const std::map<std::string, std::string> triggers = {
        {"on_auth_user_deleted", "auth.users"},
        {"validate_chat_user_id", "\"Chat\""},
        {"validate_document_user_id", "\"Document\""},
        {"validate_suggestion_user_id", "\"Suggestion\""},
        {"validate_usage_logs_user_id", "usage_logs"},
        {"validate_rate_limit_user_id", "rate_limit_tracking"},
        {"validate_github_repos_user_id", "github_repositories"},
        {"trigger_admin_config_updated_at", "admin_config"},
        {"trigger_model_config_updated_at", "model_config"},
        {"trigger_validate_admin_config", "admin_config"},
        {"trigger_ensure_single_default_model", "model_config"}};
    for (const auto& [name, table] : triggers) {
        INFO(name);
        CHECK(db.scalar("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = '" + name + "'") == table);
    }
    CHECK(db.scalar("SELECT count(*) FROM pg_policies WHERE schemaname = 'public'") == "37");
    CHECK(db.scalar("SELECT string_agg(policyname, ',' ORDER BY policyname) FROM pg_policies WHERE tablename = 'Chat'") ==
          "Admins can read all chats,Users can create own chats,Users can delete own chats,Users can read own "
          "chats,Users can update own chats");
    // The Supabase roles exist (created when missing), without login.
    CHECK(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role') "
                    "AND NOT rolcanlogin") == "3");
}

TEST_CASE("agentchat cloud: the seed rows are the device's seed rows", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    ferry::test::TempDir dir;
    auto store = Store::open(dir.file("agentchat.db"), "agentchat");
    const char* const iso = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";
    auto pg = db.connect();
    pqxx::work w(pg);

    auto admin = store.query("SELECT id, config_key, config_data, updated_at, created_at FROM admin_config ORDER BY id");
    auto cloud_admin = w.exec(std::string("SELECT id, config_key, config_data::text, to_char(updated_at, ") + iso +
                              "), to_char(created_at, " + iso + ") FROM admin_config ORDER BY id");
    REQUIRE(admin.rows.size() == 20);
    REQUIRE(cloud_admin.size() == 20);
    for (std::size_t i = 0; i < 20; ++i)
        for (int c = 0; c < 5; ++c) {
            INFO(admin.rows[i][1].as_text() << " column " << c);
            CHECK(admin.rows[i][static_cast<std::size_t>(c)].as_text() == cloud_admin[i][c].c_str());
        }

    auto models = store.query(
        "SELECT id, model_id, name, description, provider, is_active, is_default, thinking_enabled, "
        "input_pricing_per_million_tokens, output_pricing_per_million_tokens, metadata, created_at, updated_at "
        "FROM model_config ORDER BY id");
    auto cloud_models = w.exec(std::string(
                                   "SELECT id, model_id, name, description, provider, is_active::int::text, "
                                   "is_default::int::text, thinking_enabled::int::text, input_pricing_per_million_tokens, "
                                   "output_pricing_per_million_tokens, metadata::text, to_char(created_at, ") +
                               iso + "), to_char(updated_at, " + iso + ") FROM model_config ORDER BY id");
    REQUIRE(models.rows.size() == 10);
    REQUIRE(cloud_models.size() == 10);
    for (std::size_t i = 0; i < 10; ++i)
        for (int c = 0; c < 13; ++c) {
            INFO(models.rows[i][1].as_text() << " column " << c);
            CHECK(models.rows[i][static_cast<std::size_t>(c)].to_string() == cloud_models[i][c].c_str());
        }
}

TEST_CASE("agentchat cloud: row-level security as the seed documents it", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    add_users_and_chats(db);
    const auto a = claims(k_user_a);
    const auto admin = claims(k_admin, true);

    SECTION("a user sees only their own rows") {
        CHECK(scalar_as(db, "authenticated", a, "SELECT string_agg(id::text, ',') FROM \"Chat\"") == k_chat_a);
        CHECK(scalar_as(db, "authenticated", a, "SELECT string_agg(DISTINCT \"chatId\"::text, ',') FROM \"Message_v2\"") ==
              k_chat_a);
        CHECK(scalar_as(db, "authenticated", a, "SELECT count(*) FROM \"Stream\"") == "1");
        CHECK(scalar_as(db, "authenticated", a, "SELECT string_agg(DISTINCT user_id::text, ',') FROM \"Document\"") ==
              k_user_a);
        CHECK(scalar_as(db, "authenticated", a, "SELECT count(*) FROM usage_logs") == "1");
        CHECK(scalar_as(db, "authenticated", a, "SELECT count(*) FROM error_logs") == "1");
        CHECK(scalar_as(db, "authenticated", a, "SELECT count(*) FROM model_config") == "10");
        CHECK(scalar_as(db, "authenticated", a, "SELECT count(*) FROM admin_config") == "0");
        CHECK(scalar_as(db, "authenticated", a, "SELECT public.get_user_role()") == "user");
        // ...and cannot write another user's chat, or a message into it.
        CHECK(contains(error_of(db, std::string("INSERT INTO \"Chat\" (title, user_id) VALUES ('x', '") + k_user_b + "')",
                                "authenticated", a),
                       "row-level security"));
        CHECK(contains(error_of(db, std::string("INSERT INTO \"Message_v2\" (\"chatId\", role, parts) VALUES ('") +
                                        k_chat_b + "', 'user', '[]')",
                                "authenticated", a),
                       "row-level security"));
        CHECK(scalar_as(db, "authenticated", a,
                        std::string("WITH d AS (DELETE FROM \"Chat\" WHERE id = '") + k_chat_b +
                            "' RETURNING 1) SELECT count(*) FROM d") == "0");
        CHECK(db.scalar("SELECT count(*) FROM \"Chat\"") == "2");
    }
    SECTION("an admin reads every chat, usage log, error log and the admin config") {
        CHECK(scalar_as(db, "authenticated", admin, "SELECT public.get_user_role()") == "admin");
        CHECK(scalar_as(db, "authenticated", admin, "SELECT count(*) FROM \"Chat\"") == "2");
        CHECK(scalar_as(db, "authenticated", admin, "SELECT count(*) FROM usage_logs") == "2");
        CHECK(scalar_as(db, "authenticated", admin, "SELECT count(*) FROM error_logs") == "2");
        CHECK(scalar_as(db, "authenticated", admin, "SELECT count(*) FROM admin_config") == "20");
        // The seed gives admins no policy on messages or documents: only their own (none).
        CHECK(scalar_as(db, "authenticated", admin, "SELECT count(*) FROM \"Message_v2\"") == "0");
        CHECK(scalar_as(db, "authenticated", admin, "SELECT count(*) FROM \"Document\"") == "0");
        // is_current_user_admin() reads auth.users: run it with the admin's claims.
        auto c = db.connect();
        pqxx::work w(c);
        w.exec("SELECT set_config('request.jwt.claims', " + w.quote(admin) + ", true)");
        CHECK(w.exec("SELECT public.is_current_user_admin()")[0][0].as<bool>());
        w.exec("SELECT set_config('request.jwt.claims', " + w.quote(a) + ", true)");
        CHECK(!w.exec("SELECT public.is_current_user_admin()")[0][0].as<bool>());
    }
    SECTION("anon sees none of the users' data") {
        for (const char* t : {"\"Chat\"", "\"Message_v2\"", "\"Vote_v2\"", "\"Stream\"", "\"Document\"",
                              "\"Suggestion\"", "admin_config", "model_config", "usage_logs", "github_repositories",
                              "error_logs", "user_activity_logs", "agent_activity_logs"}) {
            INFO(t);
            CHECK(scalar_as(db, "anon", "", std::string("SELECT count(*) FROM ") + t) == "0");
        }
        CHECK(contains(error_of(db, std::string("INSERT INTO \"Chat\" (title, user_id) VALUES ('x', '") + k_user_a + "')",
                                "anon"),
                       "row-level security"));
        CHECK(contains(error_of(db, "SELECT * FROM public.purge_old_activity_logs()", "anon"), "permission denied"));
        CHECK(contains(error_of(db, "SELECT * FROM public.purge_old_activity_logs()", "authenticated", a),
                       "permission denied"));
    }
    SECTION("an empty claims setting left by an earlier transaction reads as anonymous") {
        auto c = db.connect();
        {
            pqxx::work w(c);
            w.exec("SELECT set_config('request.jwt.claims', " + w.quote(a) + ", true)");
            w.commit();
        }
        pqxx::work w(c);
        w.exec("SET LOCAL ROLE authenticated");
        CHECK(w.exec("SELECT count(*) FROM \"Chat\"")[0][0].as<int>() == 0);
        CHECK(w.exec("SELECT public.get_user_role()")[0][0].as<std::string>() == "user");
    }
}

TEST_CASE("agentchat cloud: one default model per provider", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    auto defaults = [&] {
        return db.scalar("SELECT string_agg(provider || '=' || model_id, ',' ORDER BY provider) FROM model_config "
                         "WHERE is_default");
    };
    CHECK(defaults() == "anthropic=claude-3-5-sonnet-20241022,google=gemini-2.0-flash,openai=gpt-4o");
    db.exec("UPDATE model_config SET is_default = true WHERE model_id = 'gemini-2.5-pro'");
    CHECK(defaults() == "anthropic=claude-3-5-sonnet-20241022,google=gemini-2.5-pro,openai=gpt-4o");
    db.exec("INSERT INTO model_config (model_id, name, provider, is_default, input_pricing_per_million_tokens, "
            "output_pricing_per_million_tokens) VALUES ('gpt-next', 'Next', 'openai', true, 1, 2)");
    CHECK(defaults() == "anthropic=claude-3-5-sonnet-20241022,google=gemini-2.5-pro,openai=gpt-next");
    CHECK(contains(error_of(db, "UPDATE model_config SET is_default = false WHERE model_id = 'gpt-next'"),
                   "at least one model must be default for provider openai"));
    CHECK(defaults() == "anthropic=claude-3-5-sonnet-20241022,google=gemini-2.5-pro,openai=gpt-next");
    // Non-default models change freely.
    db.exec("UPDATE model_config SET is_default = false, is_active = false WHERE model_id = 'gpt-4o'");
    CHECK(db.scalar("SELECT is_active FROM model_config WHERE model_id = 'gpt-4o'") == "f");
}

TEST_CASE("agentchat cloud: admin_config validation rejects a bad structure", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    struct Case {
        const char* key;
        const char* change;
        const char* message;
    };
    const Case cases[] = {
        {"chat_model_agent_google", "config_data - 'enabled'", "must include enabled field"},
        {"python_agent_openai", "config_data - 'rateLimit'", "must include rateLimit"},
        {"mermaid_agent_anthropic", "config_data #- '{rateLimit,perHour}'", "perMinute, perHour, and perDay"},
        {"document_agent_google", "config_data - 'tools'", "must include tools configuration"},
        {"git_mcp_agent_openai", "config_data - 'tools'", "must include tools configuration"},
        {"provider_tools_agent_anthropic", "config_data - 'systemPrompt'", "must include systemPrompt"},
        {"chat_model_agent_openai", "config_data - 'capabilities'", "must include capabilities"},
        {"chat_model_agent_anthropic", "config_data - 'tools'", "must include tools configuration"},
    };
    for (const auto& c : cases) {
        INFO(c.key);
        const auto before = db.scalar(std::string("SELECT config_data::text FROM admin_config WHERE config_key = '") +
                                      c.key + "'");
        CHECK(contains(error_of(db, std::string("UPDATE admin_config SET config_data = ") + c.change +
                                        " WHERE config_key = '" + c.key + "'"),
                       c.message));
        CHECK(contains(error_of(db, std::string("INSERT INTO admin_config (config_key, config_data) SELECT config_key || "
                                                "'_copy', ") +
                                        c.change + " FROM admin_config WHERE config_key = '" + c.key + "'"),
                       c.message));
        CHECK(db.scalar(std::string("SELECT config_data::text FROM admin_config WHERE config_key = '") + c.key + "'") ==
              before);
    }
    db.exec("INSERT INTO admin_config (config_key, config_data) SELECT 'python_agent_mistral', config_data "
            "FROM admin_config WHERE config_key = 'python_agent_google'");
    db.exec("UPDATE admin_config SET config_data = '{}' WHERE config_key = 'app_settings'");
    db.exec("INSERT INTO admin_config (config_key, config_data) VALUES ('feature_flags', '[1, 2]')");
    CHECK(db.scalar("SELECT count(*) FROM admin_config") == "22");
}

TEST_CASE("agentchat cloud: updated_at triggers and the auth.users triggers", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    SECTION("updated_at follows every update of admin_config and model_config") {
        db.exec("UPDATE admin_config SET config_data = '{}' WHERE config_key = 'app_settings'");
        db.exec("UPDATE model_config SET name = 'GPT 4o', updated_at = '2000-01-01' WHERE model_id = 'gpt-4o'");
        CHECK(db.scalar("SELECT updated_at > created_at FROM admin_config WHERE config_key = 'app_settings'") == "t");
        CHECK(db.scalar("SELECT updated_at > created_at FROM model_config WHERE model_id = 'gpt-4o'") == "t");
        CHECK(db.scalar("SELECT updated_at = created_at FROM model_config WHERE model_id = 'gpt-4o-mini'") == "t");
        // UTC, whatever the session's time zone.
        auto c = db.connect();
        pqxx::work w(c);
        w.exec("SET LOCAL TIME ZONE 'America/New_York'");
        w.exec("UPDATE model_config SET name = 'x' WHERE model_id = 'gpt-4o-mini'");
        CHECK(w.exec("SELECT abs(extract(epoch FROM updated_at - (now() AT TIME ZONE 'UTC'))) < 60 FROM model_config "
                     "WHERE model_id = 'gpt-4o-mini'")[0][0]
                  .as<bool>());
    }
    SECTION("user_id must name an auth user, and deleting the user deletes their data") {
        add_users_and_chats(db);
        CHECK(contains(error_of(db, "INSERT INTO \"Chat\" (title, user_id) VALUES ('x', '44444444-4444-4444-8444-444444444444')"),
                       "does not exist in auth.users"));
        CHECK(contains(error_of(db, "INSERT INTO github_repositories (user_id, repo_owner, repo_name) VALUES "
                                    "('44444444-4444-4444-8444-444444444444', 'o', 'r')"),
                       "does not exist in auth.users"));
        db.exec(std::string("INSERT INTO github_repositories (user_id, repo_owner, repo_name) VALUES ('") + k_user_a +
                "', 'o', 'r')");
        db.exec(std::string("INSERT INTO rate_limit_tracking (user_id, agent_type, period_start, period_end, limit_type, "
                            "limit_value) VALUES ('") +
                k_user_a + "', 'chat_model_agent', now(), now() + interval '1 hour', 'hourly', 100)");
        db.exec(std::string("UPDATE error_logs SET resolved = true, resolved_by = '") + k_user_a + "'");
        db.exec(std::string("UPDATE admin_config SET updated_by = '") + k_user_a + "' WHERE config_key = 'app_settings'");
        db.exec(std::string("DELETE FROM auth.users WHERE id = '") + k_user_a + "'");
        CHECK(db.scalar("SELECT string_agg(user_id::text, ',') FROM \"Chat\"") == k_user_b);
        CHECK(db.scalar("SELECT count(*) FROM \"Message_v2\"") == "1");
        CHECK(db.scalar("SELECT count(*) FROM \"Stream\"") == "1");
        CHECK(db.scalar("SELECT count(*) FROM \"Document\"") == "1");
        CHECK(db.scalar("SELECT count(*) FROM usage_logs") == "1");
        CHECK(db.scalar("SELECT count(*) FROM github_repositories") == "0");
        CHECK(db.scalar("SELECT count(*) FROM rate_limit_tracking") == "0");
        CHECK(db.scalar("SELECT count(*) FROM error_logs WHERE resolved_by IS NOT NULL") == "0");
        CHECK(db.scalar("SELECT count(*) FROM error_logs") == "2");  // logs outlive the user
        CHECK(db.scalar("SELECT count(*) FROM admin_config WHERE updated_by IS NOT NULL") == "0");
    }
}

TEST_CASE("agentchat cloud: usage summary totals match the device helper", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    add_users_and_chats(db);  // one 0.5 usage row each for A and B, today
    ferry::test::TempDir dir;
    auto store = Store::open(dir.file("agentchat.db"), "agentchat");
    store.execute("INSERT INTO usage_logs (user_id, agent_type, total_tokens, total_cost) VALUES (?1, 'chat_model_agent', 10, '0.500000')",
                  {k_user_a});
    struct Log {
        const char* agent;
        int in, out, total;
        const char* cost;  // nullptr: NULL
        const char* at;
    };
    const Log logs[] = {{"chat_model_agent", 60, 40, 100, "0.100000", "2024-05-01T08:00:00.000Z"},
                        {"chat_model_agent", 0, 0, 50, "0.200000", "2024-05-02T23:59:59.999Z"},
                        {"python_agent", 0, 0, 7, nullptr, "2024-05-02T00:00:00.000Z"},
                        {"mermaid_agent", 1, 2, 3, "0.000001", "2024-05-03T00:00:00.000Z"}};
    for (const auto& l : logs) {
        const std::string cost = l.cost ? std::string("'") + l.cost + "'" : "NULL";
        db.exec(std::string("INSERT INTO usage_logs (user_id, agent_type, input_tokens, output_tokens, total_tokens, "
                            "total_cost, request_timestamp) VALUES ('") +
                k_user_a + "', '" + l.agent + "', " + std::to_string(l.in) + ", " + std::to_string(l.out) + ", " +
                std::to_string(l.total) + ", " + cost + ", ('" + l.at + "'::timestamptz AT TIME ZONE 'UTC'))");
        store.execute(
            "INSERT INTO usage_logs (user_id, agent_type, input_tokens, output_tokens, total_tokens, total_cost, "
            "request_timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            {k_user_a, l.agent, l.in, l.out, l.total, l.cost ? Value(l.cost) : Value(), l.at});
    }
    const auto a = claims(k_user_a);
    const std::string range = "get_current_user_usage_summary('2024-05-01', '2024-05-31')";
    const std::string cloud = scalar_as(
        db, "authenticated", a,
        "SELECT total_calls || '|' || total_input_tokens || '|' || total_output_tokens || '|' || total_tokens || '|' "
        "|| total_cost FROM " + range);
    const auto device = ac::usage_summary(store, k_user_a, std::string("2024-05-01"), std::string("2024-05-31"));
    CHECK(cloud == "4|61|42|160|0.300001");
    CHECK(cloud == std::to_string(device.total_calls) + "|" + std::to_string(device.total_input_tokens) + "|" +
                       std::to_string(device.total_output_tokens) + "|" + std::to_string(device.total_tokens) + "|" +
                       device.total_cost);
    for (const auto& agent : device.agents) {
        INFO(agent.agent_type);
        CHECK(scalar_as(db, "authenticated", a,
                        "SELECT (agent_breakdown -> '" + agent.agent_type + "' ->> 'calls') || '|' || (agent_breakdown -> '" +
                            agent.agent_type + "' ->> 'tokens') || '|' || (agent_breakdown -> '" + agent.agent_type +
                            "' ->> 'cost') FROM " + range) ==
              std::to_string(agent.calls) + "|" + std::to_string(agent.tokens) + "|" + agent.cost);
    }
    CHECK(device.agents.size() == 3);
    // The default range (the last 30 days) holds today's row only; RLS keeps B's row out.
    CHECK(scalar_as(db, "authenticated", a, "SELECT total_calls || '|' || total_cost FROM get_current_user_usage_summary()") ==
          "1|0.500000");
    const auto today = ac::usage_summary(store, k_user_a);
    CHECK(std::to_string(today.total_calls) + "|" + today.total_cost == "1|0.500000");
    // An empty period: one row of zeros.
    CHECK(scalar_as(db, "authenticated", a,
                    "SELECT count(*) || '|' || min(total_calls) || '|' || min(total_cost) || '|' || min(agent_breakdown::text) "
                    "FROM get_current_user_usage_summary('2000-01-01', '2000-01-02')") == "1|0|0|{}");
    // An admin's summary covers every user (RLS lets admins read all usage_logs).
    CHECK(scalar_as(db, "authenticated", claims(k_admin, true),
                    "SELECT total_calls FROM get_current_user_usage_summary()") == "2");
}

TEST_CASE("agentchat cloud: logging settings and the retention purge", "[integration][agentchat]") {
    ferry::test::PgDatabase db;
    install(db);
    ferry::test::TempDir dir;
    auto store = Store::open(dir.file("agentchat.db"), "agentchat");

    SECTION("logging settings") {
        CHECK(db.scalar("SELECT get_logging_config() = config_data FROM admin_config WHERE config_key = 'logging_settings'") ==
              "t");
        CHECK(db.scalar("SELECT get_logging_config()::text") == ac::get_logging_config(store));
        // SECURITY DEFINER: a user who may not read admin_config still gets the settings.
        CHECK(scalar_as(db, "authenticated", claims(k_user_a), "SELECT get_logging_config() ->> 'error_logging_enabled'") ==
              "true");
        CHECK(db.scalar("SELECT is_user_activity_logging_enabled()") == "f");
        CHECK(db.scalar("SELECT is_agent_activity_logging_enabled()") == "f");
        db.exec("UPDATE admin_config SET config_data = config_data || '{\"user_activity_logging_enabled\": true, "
                "\"agent_activity_logging_enabled\": \"true\"}' WHERE config_key = 'logging_settings'");
        CHECK(db.scalar("SELECT is_user_activity_logging_enabled()") == "t");
        CHECK(db.scalar("SELECT is_agent_activity_logging_enabled()") == "t");
        db.exec("DELETE FROM admin_config WHERE config_key = 'logging_settings'");
        store.execute("DELETE FROM admin_config WHERE config_key = 'logging_settings'");
        CHECK(db.scalar("SELECT is_user_activity_logging_enabled()") == "f");
        CHECK(db.scalar("SELECT get_logging_config()::text") == ac::get_logging_config(store));
    }
    SECTION("purge by retention days, on both sides alike") {
        auto insert_logs = [&](int days, bool resolved) {
            const std::string pg_at = "((now() AT TIME ZONE 'utc') - interval '" + std::to_string(days) + " days')";
            const std::string dev_at = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-" + std::to_string(days) + " days')";
            const std::string flag = resolved ? "1" : "0";
            db.exec("INSERT INTO user_activity_logs (user_id, correlation_id, activity_type, activity_category, created_at) "
                    "VALUES ('" + std::string(k_user_a) + "', gen_random_uuid(), 'chat_view', 'chat', " + pg_at + ")");
            db.exec("INSERT INTO agent_activity_logs (correlation_id, agent_type, operation_type, operation_category, "
                    "created_at) VALUES (gen_random_uuid(), 'python_agent', 'code_generation', 'generation', " + pg_at + ")");
            db.exec("INSERT INTO error_logs (error_type, error_category, error_message, resolved, created_at) "
                    "VALUES ('api', 'timeout', 'm', " + flag + "::int::boolean, " + pg_at + ")");
            store.exec("INSERT INTO user_activity_logs (user_id, correlation_id, activity_type, activity_category, created_at) "
                       "VALUES ('" + std::string(k_user_a) + "', ferry_uuid(), 'chat_view', 'chat', " + dev_at + ")");
            store.exec("INSERT INTO agent_activity_logs (correlation_id, agent_type, operation_type, operation_category, "
                       "created_at) VALUES (ferry_uuid(), 'python_agent', 'code_generation', 'generation', " + dev_at + ")");
            store.exec("INSERT INTO error_logs (error_type, error_category, error_message, resolved, created_at) "
                       "VALUES ('api', 'timeout', 'm', " + flag + ", " + dev_at + ")");
        };
        for (int days : {100, 31, 8})
            for (bool resolved : {true, false}) insert_logs(days, resolved);
        insert_logs(1, true);
        // Defaults from the seed: user activity 30 days, agent activity 7, resolved errors 90.
        CHECK(scalar_committed(db, "SELECT user_logs_deleted || '|' || agent_logs_deleted || '|' || error_logs_deleted "
                                   "FROM purge_old_activity_logs()") == "4|6|1");
        const auto device = ac::purge_old_activity_logs(store);
        CHECK(std::to_string(device.user_logs_deleted) + "|" + std::to_string(device.agent_logs_deleted) + "|" +
                  std::to_string(device.error_logs_deleted) == "4|6|1");
        CHECK(db.scalar("SELECT count(*) FROM user_activity_logs") == "3");
        CHECK(db.scalar("SELECT count(*) FROM agent_activity_logs") == "1");
        CHECK(db.scalar("SELECT count(*) FROM error_logs") == "6");
        // Retention from logging_settings, including zero days.
        db.exec("UPDATE admin_config SET config_data = jsonb_set(jsonb_set(config_data, '{log_retention_days,error_logs}', "
                "'0'), '{log_retention_days,user_activity_logs}', '5') WHERE config_key = 'logging_settings'");
        CHECK(scalar_committed(db, "SELECT user_logs_deleted || '|' || agent_logs_deleted || '|' || error_logs_deleted "
                                   "FROM purge_old_activity_logs()") == "2|0|3");
        CHECK(db.scalar("SELECT count(*) FROM error_logs WHERE resolved") == "0");
        // The service role may run it.
        CHECK(scalar_as(db, "service_role", "", "SELECT user_logs_deleted FROM purge_old_activity_logs()") == "0");
    }
}
