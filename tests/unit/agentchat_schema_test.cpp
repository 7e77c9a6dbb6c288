// tests/unit/agentchat_schema_test.cpp: the agentchat device schema (sql/apps/agentchat/sqlite)
// and its typed helpers: tables and keys, constraints naming what they reject, cascades, the
// device forms of the seed's triggers and functions, both views, and the seed rows.
#include <catch2/catch.hpp>

#include <ferry/apps/agentchat.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ac = ferry::apps::agentchat;
using ferry::ErrorCode;
using ferry::Store;
using ferry::Value;
using ferry::test::count;
using ferry::test::require_rejected;

namespace {

const char* const k_user = "11111111-1111-4111-8111-111111111111";
const char* const k_other_user = "22222222-2222-4222-8222-222222222222";
const char* const k_chat = "aaaaaaaa-0000-4000-8000-000000000001";
const char* const k_message = "bbbbbbbb-0000-4000-8000-000000000001";
const char* const k_document = "cccccccc-0000-4000-8000-000000000001";
const char* const k_doc_v1 = "2024-05-01T10:00:00.000Z";
const char* const k_doc_v2 = "2024-05-02T10:00:00.000Z";

const std::vector<std::string> k_tables = {
    "model_config", "admin_config", "Chat", "Message_v2", "Vote_v2", "Stream", "Document", "Suggestion",
    "usage_logs", "rate_limit_tracking", "github_repositories", "error_logs", "user_activity_logs",
    "agent_activity_logs"};

std::string text(Store& s, const std::string& sql, const std::vector<Value>& params = {}) {
    auto v = s.query_value(sql, params);
    REQUIRE(v);
    REQUIRE(!v->is_null());
    return v->as_text();
}

void add_chat(Store& s) {
    s.execute("INSERT INTO \"Chat\" (id, title, user_id) VALUES (?1, 'First chat', ?2)", {k_chat, k_user});
    s.execute("INSERT INTO \"Message_v2\" (id, \"chatId\", role, parts) VALUES (?1, ?2, 'user', '[{\"type\":\"text\"}]')",
              {k_message, k_chat});
    s.execute("INSERT INTO \"Vote_v2\" (\"chatId\", \"messageId\", \"isUpvoted\") VALUES (?1, ?2, 1)",
              {k_chat, k_message});
    s.execute("INSERT INTO \"Stream\" (\"chatId\") VALUES (?1)", {k_chat});
    for (const char* at : {k_doc_v1, k_doc_v2})
        s.execute(
            "INSERT INTO \"Document\" (id, \"createdAt\", title, user_id, chat_id, version_number) "
            "VALUES (?1, ?2, 'Doc', ?3, ?4, ?5)",
            {k_document, at, k_user, k_chat, std::string(at) == k_doc_v1 ? 1 : 2});
    s.execute(
        "INSERT INTO \"Suggestion\" (\"documentId\", \"documentCreatedAt\", \"originalText\", \"suggestedText\", "
        "user_id) VALUES (?1, ?2, 'a', 'b', ?3)",
        {k_document, k_doc_v1, k_user});
}

std::string agent_config(Store& s, const std::string& key) {
    return text(s, "SELECT config_data FROM admin_config WHERE config_key = ?1", {key});
}

}  // namespace

TEST_CASE("agentchat: a fresh store has the schema and reopening changes nothing", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    const auto path = dir.file("agentchat.db");
    std::string catalog;
    {
        auto s = Store::open(path, "agentchat");
        CHECK(s.schema_version() == 3);
        catalog = s.query_json("SELECT type, name, sql FROM sqlite_master ORDER BY type, name");
        CHECK(count(s, "admin_config") == 20);
    }
    auto s = Store::open(path, "agentchat");
    CHECK(s.schema_version() == 3);
    CHECK(s.query_json("SELECT type, name, sql FROM sqlite_master ORDER BY type, name") == catalog);
    CHECK(count(s, "admin_config") == 20);
    CHECK(count(s, "model_config") == 10);
}

TEST_CASE("agentchat: every synced table exists, strict, with its primary key", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    CHECK(s.synced_tables() == k_tables);
    for (const auto& t : s.synced_tables()) {
        INFO(t);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1", {t})->as_int() == 1);
        CHECK(s.query_value("SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0", {t})->as_int() >= 1);
        CHECK(s.query_value("SELECT strict FROM pragma_table_list WHERE name=?1", {t})->as_int() == 1);
    }
    // Composite keys as in the seed.
    CHECK(s.query_json("SELECT name FROM pragma_table_info('Vote_v2') WHERE pk > 0 ORDER BY pk") ==
          "[{\"name\":\"chatId\"},{\"name\":\"messageId\"}]");
    CHECK(s.query_json("SELECT name FROM pragma_table_info('Document') WHERE pk > 0 ORDER BY pk") ==
          "[{\"name\":\"id\"},{\"name\":\"createdAt\"}]");
    // auth.users is server-only: nothing of it on the device.
    CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE name LIKE '%users%'")->as_int() == 0);
    CHECK(s.query_value("SELECT count(*) FROM pragma_table_info('Chat') WHERE name = 'user_id'")->as_int() == 1);
}

TEST_CASE("agentchat: the seed's indexes, the device triggers and views exist", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    const std::vector<std::string> indexes = {
        "idx_chat_user_id", "idx_chat_user_created", "idx_message_chat", "idx_document_user_id",
        "idx_document_user", "idx_document_versions", "idx_document_chat", "idx_document_parent",
        "idx_document_kind", "idx_suggestion_user_id", "idx_usage_logs_user_id", "idx_usage_logs_user_timestamp",
        "idx_usage_logs_agent_timestamp", "idx_usage_logs_date_range", "idx_usage_logs_model_provider",
        "idx_usage_logs_date_agent", "idx_usage_logs_cost_date", "idx_rate_limit_user_id",
        "idx_rate_limit_user_agent", "idx_rate_limit_user_agent_period", "idx_github_repos_user_id",
        "idx_github_repos_user", "idx_github_repos_user_active", "idx_error_logs_user_id",
        "idx_error_logs_error_type", "idx_error_logs_error_category", "idx_error_logs_severity",
        "idx_error_logs_created_at", "idx_error_logs_resolved", "idx_error_logs_user_created",
        "idx_error_logs_type_severity", "idx_admin_config_key", "idx_admin_config_updated",
        "idx_model_config_model_id", "idx_model_config_provider", "idx_model_config_provider_active",
        "idx_model_config_provider_default", "idx_model_config_active", "idx_user_activity_user_id",
        "idx_user_activity_correlation", "idx_user_activity_type", "idx_user_activity_category",
        "idx_user_activity_created", "idx_user_activity_user_created", "idx_user_activity_resource",
        "idx_user_activity_success", "idx_user_activity_user_type_date", "idx_agent_activity_user_id",
        "idx_agent_activity_correlation", "idx_agent_activity_agent_type", "idx_agent_activity_operation",
        "idx_agent_activity_category", "idx_agent_activity_created", "idx_agent_activity_model",
        "idx_agent_activity_success", "idx_agent_activity_resource", "idx_agent_activity_duration",
        "idx_agent_activity_cost", "idx_agent_activity_agent_op_date"};
    CHECK(indexes.size() == 59);
    for (const auto& name : indexes) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='index' AND name=?1", {name})->as_int() == 1);
    }
    CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='index' AND name LIKE 'idx_%'")->as_int() == 59);
    for (const char* name :
         {"trigger_admin_config_updated_at", "trigger_model_config_updated_at",
          "trigger_ensure_single_default_model_insert", "trigger_ensure_single_default_model_update",
          "trigger_ensure_default_model_kept", "trigger_validate_admin_config_insert",
          "trigger_validate_admin_config_update"}) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name=?1", {name})->as_int() ==
              1);
    }
    for (const char* name : {"document_latest", "usage_summary"}) {
        INFO(name);
        CHECK(s.query_value("SELECT count(*) FROM sqlite_master WHERE type='view' AND name=?1", {name})->as_int() == 1);
    }
}

TEST_CASE("agentchat: constraints refuse bad values and name the table and column", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    add_chat(s);

    SECTION("bad JSON") {
        require_rejected(s, "Chat", "UPDATE \"Chat\" SET \"lastContext\" = '{oops' WHERE id = ?1", {k_chat},
                         "Chat_lastContext_json");
        require_rejected(s, "Message_v2",
                         "INSERT INTO \"Message_v2\" (\"chatId\", role, parts) VALUES (?1, 'user', 'not json')",
                         {k_chat}, "Message_v2_parts_json");
        require_rejected(s, "admin_config",
                         "INSERT INTO admin_config (config_key, config_data) VALUES ('python_agent_x', '{')", {},
                         "admin_config_config_data_json");
    }
    SECTION("wrong storage type") {
        require_rejected(s, "Chat", "UPDATE \"Chat\" SET total_input_tokens = 'many' WHERE id = ?1", {k_chat},
                         "Chat.total_input_tokens");
        require_rejected(s, "Vote_v2",
                         "INSERT INTO \"Vote_v2\" (\"chatId\", \"messageId\", \"isUpvoted\") VALUES (?1, ?2, 2)",
                         {k_chat, "bbbbbbbb-0000-4000-8000-000000000002"}, "Vote_v2_isUpvoted_boolean");
    }
    SECTION("bad decimals: never REAL, exact scale and precision") {
        for (const char* ok : {"0", "12.5", "9999.999999", "-0.000001"}) {
            INFO(ok);
            CHECK(s.execute("UPDATE \"Chat\" SET total_cost = ?2 WHERE id = ?1", {k_chat, ok}) == 1);
            CHECK(text(s, "SELECT total_cost FROM \"Chat\"") == ok);
        }
        for (const char* bad : {"1.2345678", "10000", "1e3", "1.2.3", ".5", "5.", "--1", "abc", ""}) {
            INFO(bad);
            require_rejected(s, "Chat", "UPDATE \"Chat\" SET total_cost = ?2 WHERE id = ?1", {k_chat, bad},
                             "Chat_total_cost_decimal");
        }
        require_rejected(s, "model_config",
                         "UPDATE model_config SET input_pricing_per_million_tokens = '1.00001' WHERE model_id = 'gpt-4o'",
                         {}, "model_config_input_pricing_per_million_tokens_decimal");
    }
    SECTION("bad timestamps and uuids, overlong varchars") {
        require_rejected(s, "Chat", "UPDATE \"Chat\" SET \"createdAt\" = '2024-05-01 10:00:00' WHERE id = ?1",
                         {k_chat}, "Chat_createdAt_timestamp");
        require_rejected(s, "Chat", "UPDATE \"Chat\" SET user_id = 'NOT-A-UUID' WHERE id = ?1", {k_chat},
                         "Chat_user_id_uuid");
        require_rejected(s, "Chat", "UPDATE \"Chat\" SET user_id = upper(id) WHERE id = ?1", {k_chat},
                         "Chat_user_id_uuid");
        require_rejected(s, "Chat", "UPDATE \"Chat\" SET visibility = 'everyone-now' WHERE id = ?1", {k_chat},
                         "Chat_visibility_length");
    }
    SECTION("dangling foreign keys") {
        require_rejected(s, "Message_v2",
                         "INSERT INTO \"Message_v2\" (\"chatId\", role, parts) VALUES ('aaaaaaaa-0000-4000-8000-00000000ffff', 'user', '[]')",
                         {}, "FOREIGN KEY");
        // Suggestion names one version of a document by (id, createdAt).
        require_rejected(s, "Suggestion",
                         "INSERT INTO \"Suggestion\" (\"documentId\", \"documentCreatedAt\", \"originalText\", "
                         "\"suggestedText\", user_id) VALUES (?1, '2024-05-03T10:00:00.000Z', 'a', 'b', ?2)",
                         {k_document, k_user}, "FOREIGN KEY");
    }
    SECTION("duplicate keys") {
        require_rejected(s, "Document",
                         "INSERT INTO \"Document\" (id, \"createdAt\", title, user_id) VALUES (?1, ?2, 'x', ?3)",
                         {k_document, k_doc_v1, k_user}, "Document.id, Document.createdAt");
        require_rejected(s, "admin_config",
                         "INSERT INTO admin_config (config_key, config_data) VALUES ('app_settings', '{}')", {},
                         "admin_config.config_key");
        require_rejected(s, "model_config",
                         "INSERT INTO model_config (model_id, name, provider, input_pricing_per_million_tokens, "
                         "output_pricing_per_million_tokens) VALUES ('gpt-4o', 'dup', 'openai', '1', '1')",
                         {}, "model_config.model_id");
    }
}

TEST_CASE("agentchat: deletes cascade as in the seed", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    add_chat(s);
    s.execute("INSERT INTO usage_logs (id, user_id, chat_id, agent_type) VALUES ('dddddddd-0000-4000-8000-000000000001', ?1, ?2, 'chat_model_agent')",
              {k_user, k_chat});

    SECTION("deleting a document version deletes its suggestions only") {
        s.execute("DELETE FROM \"Document\" WHERE id = ?1 AND \"createdAt\" = ?2", {k_document, k_doc_v1});
        CHECK(count(s, "Suggestion") == 0);
        CHECK(count(s, "Document") == 1);
    }
    SECTION("deleting a message deletes its votes") {
        s.execute("DELETE FROM \"Message_v2\" WHERE id = ?1", {k_message});
        CHECK(count(s, "Vote_v2") == 0);
        CHECK(count(s, "Chat") == 1);
    }
    SECTION("deleting a chat deletes its messages, votes, streams and documents, and unlinks usage") {
        s.execute("DELETE FROM \"Chat\" WHERE id = ?1", {k_chat});
        for (const char* t : {"Message_v2", "Vote_v2", "Stream", "Document", "Suggestion"}) {
            INFO(t);
            CHECK(count(s, t) == 0);
        }
        CHECK(count(s, "usage_logs") == 1);
        CHECK(s.query_value("SELECT chat_id FROM usage_logs")->is_null());
    }
}

TEST_CASE("agentchat: the seed rows are present with their fixed ids", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    CHECK(text(s, "SELECT config_key FROM admin_config WHERE id = 'a0000000-0000-4000-8000-000000000001'") ==
          "app_settings");
    CHECK(text(s, "SELECT config_key FROM admin_config WHERE id = 'a0000000-0000-4000-8000-000000000002'") ==
          "logging_settings");
    CHECK(text(s, "SELECT json_extract(config_data, '$.activeProvider') FROM admin_config WHERE config_key = 'app_settings'") ==
          "google");
    for (const char* provider : {"google", "openai", "anthropic"})
        for (const char* agent : {"chat_model_agent", "provider_tools_agent", "document_agent", "python_agent",
                                  "mermaid_agent", "git_mcp_agent"}) {
            const std::string key = std::string(agent) + "_" + provider;
            INFO(key);
            CHECK(count(s, "admin_config", "config_key = '" + key + "'") == 1);
        }
    CHECK(text(s, "SELECT CAST(json_extract(config_data, '$.rateLimit.perDay') AS TEXT) FROM admin_config WHERE config_key = 'chat_model_agent_google'") ==
          "1000");
    CHECK(count(s, "model_config") == 10);
    CHECK(text(s, "SELECT model_id FROM model_config WHERE id = 'b0000000-0000-4000-8000-000000000001'") ==
          "gemini-2.0-flash");
    CHECK(text(s, "SELECT input_pricing_per_million_tokens || '/' || output_pricing_per_million_tokens FROM model_config WHERE model_id = 'gpt-4o'") ==
          "2.5000/10.0000");
    CHECK(s.query_json("SELECT provider, model_id FROM model_config WHERE is_default = 1 ORDER BY provider") ==
          "[{\"provider\":\"anthropic\",\"model_id\":\"claude-3-5-sonnet-20241022\"},"
          "{\"provider\":\"google\",\"model_id\":\"gemini-2.0-flash\"},"
          "{\"provider\":\"openai\",\"model_id\":\"gpt-4o\"}]");
    CHECK(s.query_json("SELECT model_id FROM model_config WHERE is_active = 0 ORDER BY model_id") ==
          "[{\"model_id\":\"claude-3-opus-20240229\"},{\"model_id\":\"gemma-3\"},{\"model_id\":\"gpt-4-turbo\"}]");
    CHECK(text(s, "SELECT created_at FROM model_config WHERE model_id = 'gpt-4o'") == "2024-11-15T00:00:00.000Z");
}

TEST_CASE("agentchat: updated_at of admin_config and model_config follows updates", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    const std::string seeded = "2024-11-15T00:00:00.000Z";
    s.execute("UPDATE admin_config SET config_data = '{\"activeProvider\": \"openai\"}' WHERE config_key = 'app_settings'");
    CHECK(text(s, "SELECT updated_at FROM admin_config WHERE config_key = 'app_settings'") > seeded);
    CHECK(text(s, "SELECT created_at FROM admin_config WHERE config_key = 'app_settings'") == seeded);
    s.execute("UPDATE model_config SET name = 'GPT 4o' WHERE model_id = 'gpt-4o'");
    CHECK(text(s, "SELECT updated_at FROM model_config WHERE model_id = 'gpt-4o'") > seeded);
    CHECK(text(s, "SELECT updated_at FROM model_config WHERE model_id = 'gpt-4o-mini'") == seeded);
    // A writer that sets updated_at itself keeps its value.
    s.execute("UPDATE model_config SET name = 'x', updated_at = '2030-01-01T00:00:00.000Z' WHERE model_id = 'gpt-4o'");
    CHECK(text(s, "SELECT updated_at FROM model_config WHERE model_id = 'gpt-4o'") == "2030-01-01T00:00:00.000Z");
}

TEST_CASE("agentchat: one default model per provider", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");

    ac::set_default_model(s, "gemini-2.5-pro");
    CHECK(ac::default_model(s, "google") == std::optional<std::string>("gemini-2.5-pro"));
    CHECK(count(s, "model_config", "provider = 'google' AND is_default = 1") == 1);
    CHECK(ac::default_model(s, "openai") == std::optional<std::string>("gpt-4o"));  // other providers untouched

    // Inserting a new default moves the flag too.
    s.execute(
        "INSERT INTO model_config (model_id, name, provider, is_default, input_pricing_per_million_tokens, "
        "output_pricing_per_million_tokens) VALUES ('claude-next', 'Next', 'anthropic', 1, '1.0000', '5.0000')");
    CHECK(ac::default_model(s, "anthropic") == std::optional<std::string>("claude-next"));
    CHECK(count(s, "model_config", "provider = 'anthropic' AND is_default = 1") == 1);

    // The only default of a provider cannot lose its flag.
    require_rejected(s, "model_config", "UPDATE model_config SET is_default = 0 WHERE model_id = 'gemini-2.5-pro'", {},
                     "model_config.is_default");

    CHECK_THROWS_MATCHES(ac::set_default_model(s, "no-such-model"), ferry::Error,
                         Catch::Matchers::Predicate<ferry::Error>([](const ferry::Error& e) {
                             return e.code() == ErrorCode::not_found;
                         }));
    CHECK(ac::default_model(s, "mistral") == std::nullopt);
}

TEST_CASE("agentchat: agent configurations are validated like validate_admin_config_data()", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    struct Case {
        const char* key;
        const char* remove;  // JSON path removed from the seeded config
        const char* message;
    };
    const Case cases[] = {
        {"chat_model_agent_google", "$.enabled", "must be an object with an enabled field"},
        {"python_agent_openai", "$.rateLimit", "must include rateLimit"},
        {"mermaid_agent_anthropic", "$.rateLimit.perHour", "rateLimit must include perMinute, perHour and perDay"},
        {"document_agent_google", "$.tools", "must include tools"},
        {"git_mcp_agent_openai", "$.tools", "must include tools"},
        {"provider_tools_agent_anthropic", "$.systemPrompt", "must include systemPrompt"},
        {"chat_model_agent_openai", "$.capabilities", "must include capabilities"},
        {"chat_model_agent_anthropic", "$.tools", "chat model agent configuration must include tools"},
    };
    for (const auto& c : cases) {
        INFO(c.key << " without " << c.remove);
        require_rejected(s, "admin_config",
                         "UPDATE admin_config SET config_data = json_remove(config_data, ?2) WHERE config_key = ?1",
                         {c.key, c.remove}, c.message);
        const std::string broken =
            text(s, "SELECT json_remove(config_data, ?2) FROM admin_config WHERE config_key = ?1", {c.key, c.remove});
        require_rejected(s, "admin_config", "INSERT INTO admin_config (config_key, config_data) VALUES (?1, ?2)",
                         {std::string(c.key) + "_copy", broken}, c.message);
    }
    // A complete agent config is accepted, under a new provider too; other keys are not checked.
    s.execute("INSERT INTO admin_config (config_key, config_data) VALUES ('python_agent_mistral', ?1)",
              {agent_config(s, "python_agent_google")});
    s.execute("INSERT INTO admin_config (config_key, config_data) VALUES ('feature_flags', '[1, 2]')");
    s.execute("UPDATE admin_config SET config_data = '{}' WHERE config_key = 'app_settings'");
    CHECK(count(s, "admin_config") == 22);
    // Keys are matched case-sensitively, as PostgreSQL's LIKE does.
    s.execute("INSERT INTO admin_config (config_key, config_data) VALUES ('PYTHON_AGENT_X', '{}')");
    CHECK(count(s, "admin_config") == 23);
}

TEST_CASE("agentchat: document versions and the latest version", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    add_chat(s);

    SECTION("the view returns the newest row of each id") {
        s.execute("INSERT INTO \"Document\" (id, \"createdAt\", title, user_id) VALUES ('cccccccc-0000-4000-8000-000000000002', ?1, 'Other', ?2)",
                  {k_doc_v1, k_user});
        CHECK(s.query_json("SELECT id, title, version_number FROM document_latest ORDER BY id") ==
              "[{\"id\":\"cccccccc-0000-4000-8000-000000000001\",\"title\":\"Doc\",\"version_number\":2},"
              "{\"id\":\"cccccccc-0000-4000-8000-000000000002\",\"title\":\"Other\",\"version_number\":1}]");
        auto latest = ac::latest_document(s, k_document);
        REQUIRE(latest);
        CHECK(latest->created_at == k_doc_v2);
        CHECK(latest->version_number == 2);
        CHECK(ac::latest_document(s, "cccccccc-0000-4000-8000-00000000ffff") == std::nullopt);
    }
    SECTION("save_document_version adds ordered versions with distinct keys") {
        ac::NewDocumentVersion v;
        v.title = "Plan";
        v.content = "one";
        v.user_id = k_user;
        v.chat_id = std::string(k_chat);
        v.metadata = "{\"updateType\": \"create\"}";
        const auto first = ac::save_document_version(s, v);
        CHECK(first.version_number == 1);
        CHECK(!first.parent_version_id);
        CHECK(first.kind == "text");
        CHECK(first.metadata == std::optional<std::string>("{\"updateType\": \"create\"}"));

        v.id = first.id;
        std::vector<std::string> keys = {first.created_at};
        for (int i = 2; i <= 6; ++i) {  // faster than the clock: keys must still differ and grow
            v.content = "version " + std::to_string(i);
            const auto saved = ac::save_document_version(s, v);
            CHECK(saved.id == first.id);
            CHECK(saved.version_number == i);
            CHECK(saved.parent_version_id == std::optional<std::string>(first.id));
            CHECK(saved.created_at > keys.back());
            keys.push_back(saved.created_at);
        }
        const auto history = ac::document_history(s, first.id);
        REQUIRE(history.size() == 6);
        for (std::size_t i = 0; i < history.size(); ++i) CHECK(history[i].created_at == keys[i]);
        const auto latest = ac::latest_document(s, first.id);
        REQUIRE(latest);
        CHECK(latest->version_number == 6);
        CHECK(latest->content == std::optional<std::string>("version 6"));
        CHECK(latest->chat_id == std::optional<std::string>(k_chat));
    }
    SECTION("save_document_version refuses bad input and leaves nothing behind") {
        ac::NewDocumentVersion v;
        v.user_id = k_user;
        CHECK_THROWS_AS(ac::save_document_version(s, v), ferry::Error);  // no title
        v.title = "T";
        v.chat_id = std::string("aaaaaaaa-0000-4000-8000-00000000ffff");
        CHECK_THROWS_AS(ac::save_document_version(s, v), ferry::Error);  // unknown chat
        v.chat_id.reset();
        v.metadata = "{broken";
        CHECK_THROWS_AS(ac::save_document_version(s, v), ferry::Error);
        CHECK(count(s, "Document") == 2);
    }
}

TEST_CASE("agentchat: usage summary per user and date range", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");
    auto log = [&](const char* user, const char* agent, const Value& in, const Value& out, const Value& total,
                   const Value& cost, const char* at) {
        s.execute(
            "INSERT INTO usage_logs (user_id, agent_type, input_tokens, output_tokens, total_tokens, total_cost, "
            "request_timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            {user, agent, in, out, total, cost, at});
    };
    log(k_user, "chat_model_agent", 60, 40, 100, "0.100000", "2024-05-01T08:00:00.000Z");
    log(k_user, "chat_model_agent", nullptr, nullptr, 50, "0.2", "2024-05-02T23:59:59.999Z");
    log(k_user, "python_agent", nullptr, nullptr, 7, nullptr, "2024-05-02T00:00:00.000Z");
    log(k_user, "python_agent", 1, 1, 2, "1.000000", "2024-06-01T00:00:00.000Z");  // outside the range
    log(k_other_user, "python_agent", 10, 10, 20, "5.000000", "2024-05-01T00:00:00.000Z");

    const auto sum = ac::usage_summary(s, k_user, std::string("2024-05-01"), std::string("2024-05-31"));
    CHECK(sum.total_calls == 3);
    CHECK(sum.total_input_tokens == 60);
    CHECK(sum.total_output_tokens == 40);
    CHECK(sum.total_tokens == 157);
    CHECK(sum.total_cost == "0.300000");  // exact: 0.1 + 0.2 as decimals, not doubles
    REQUIRE(sum.agents.size() == 2);
    CHECK(sum.agents[0].agent_type == "chat_model_agent");
    CHECK(sum.agents[0].calls == 2);
    CHECK(sum.agents[0].tokens == 150);
    CHECK(sum.agents[0].cost == "0.300000");
    CHECK(sum.agents[1].agent_type == "python_agent");
    CHECK(sum.agents[1].cost == "0");

    const auto empty = ac::usage_summary(s, k_user, std::string("2000-01-01"), std::string("2000-01-02"));
    CHECK(empty.total_calls == 0);
    CHECK(empty.total_cost == "0");
    CHECK(empty.agents.empty());

    // Default range: the last 30 days up to today.
    s.execute("INSERT INTO usage_logs (user_id, agent_type, total_tokens, total_cost) VALUES (?1, 'mermaid_agent', 9, '0.000001')",
              {k_user});
    const auto recent = ac::usage_summary(s, k_user);
    CHECK(recent.total_calls == 1);
    CHECK(recent.total_cost == "0.000001");

    CHECK_THROWS_MATCHES(ac::usage_summary(s, k_user, std::string("2024-02-30")), ferry::Error,
                         Catch::Matchers::Predicate<ferry::Error>([](const ferry::Error& e) {
                             return e.code() == ErrorCode::invalid_argument;
                         }));

    // The all-time view per user.
    CHECK(s.query_json("SELECT total_calls, total_tokens, total_cost FROM usage_summary WHERE user_id = ?1",
                       {k_other_user}) == "[{\"total_calls\":1,\"total_tokens\":20,\"total_cost\":\"5.000000\"}]");
    CHECK(text(s, "SELECT total_cost FROM usage_summary WHERE user_id = ?1", {k_user}) == "1.300001");
    CHECK(text(s, "SELECT CAST(json_extract(agent_breakdown, '$.chat_model_agent.calls') AS TEXT) FROM usage_summary WHERE user_id = ?1",
               {k_user}) == "2");
}

TEST_CASE("agentchat: logging settings and the retention purge", "[unit][agentchat]") {
    ferry::test::TempDir dir;
    auto s = Store::open(dir.file("a.db"), "agentchat");

    SECTION("the seeded settings, toggles and defaults") {
        CHECK(!ac::is_user_activity_logging_enabled(s));
        CHECK(!ac::is_agent_activity_logging_enabled(s));
        CHECK(ac::get_logging_config(s) == agent_config(s, "logging_settings"));
        s.execute("UPDATE admin_config SET config_data = json_set(config_data, '$.user_activity_logging_enabled', json('true'), "
                  "'$.agent_activity_logging_enabled', 'true') WHERE config_key = 'logging_settings'");
        CHECK(ac::is_user_activity_logging_enabled(s));
        CHECK(ac::is_agent_activity_logging_enabled(s));  // the string "true" counts, as with ->> in the seed
        s.execute("DELETE FROM admin_config WHERE config_key = 'logging_settings'");
        CHECK(!ac::is_user_activity_logging_enabled(s));
        CHECK(ac::get_logging_config(s) ==
              "{\"error_logging_enabled\": true, \"user_activity_logging_enabled\": false, "
              "\"agent_activity_logging_enabled\": false}");
        const auto r = ac::log_retention(s);
        CHECK(r.user_activity_logs == 30);
        CHECK(r.agent_activity_logs == 7);
        CHECK(r.error_logs == 90);
    }
    SECTION("purge deletes by each table's retention; unresolved errors stay") {
        auto ago = [](int days) { return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-" + std::to_string(days) + " days')"; };
        for (int days : {31, 29})
            s.exec("INSERT INTO user_activity_logs (user_id, correlation_id, activity_type, activity_category, created_at) "
                   "VALUES ('" + std::string(k_user) + "', '" + std::string(k_other_user) + "', 'chat_view', 'chat', " +
                   ago(days) + ")");
        for (int days : {8, 6})
            s.exec("INSERT INTO agent_activity_logs (correlation_id, agent_type, operation_type, operation_category, created_at) "
                   "VALUES ('" + std::string(k_other_user) + "', 'python_agent', 'code_generation', 'generation', " +
                   ago(days) + ")");
        for (const char* resolved : {"1", "0"})
            s.exec("INSERT INTO error_logs (error_type, error_category, error_message, resolved, created_at) "
                   "VALUES ('api', 'timeout', 'm', " + std::string(resolved) + ", " + ago(91) + ")");
        s.exec("INSERT INTO error_logs (error_type, error_category, error_message, resolved, created_at) "
               "VALUES ('api', 'timeout', 'm', 1, " + ago(89) + ")");

        auto r = ac::purge_old_activity_logs(s);
        CHECK(r.user_logs_deleted == 1);
        CHECK(r.agent_logs_deleted == 1);
        CHECK(r.error_logs_deleted == 1);
        CHECK(count(s, "user_activity_logs") == 1);
        CHECK(count(s, "agent_activity_logs") == 1);
        CHECK(count(s, "error_logs") == 2);
        CHECK(count(s, "error_logs", "resolved = 0") == 1);

        // Retention comes from logging_settings.
        s.execute("UPDATE admin_config SET config_data = json_set(config_data, '$.log_retention_days.user_activity_logs', 1, "
                  "'$.log_retention_days.agent_activity_logs', '2') WHERE config_key = 'logging_settings'");
        CHECK(ac::log_retention(s).user_activity_logs == 1);
        CHECK(ac::log_retention(s).agent_activity_logs == 2);
        r = ac::purge_old_activity_logs(s);
        CHECK(r.user_logs_deleted == 1);
        CHECK(r.agent_logs_deleted == 1);
        CHECK(r.error_logs_deleted == 0);
        CHECK(count(s, "user_activity_logs") == 0);
    }
}
