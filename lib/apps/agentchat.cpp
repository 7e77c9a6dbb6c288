// lib/apps/agentchat.cpp: the typed helpers of the "agentchat" app schema, as plain SQL through
// the public Store API (sql/apps/agentchat/ holds the schema they use; its README maps each
// seed function to its device form).
#include "ferry/apps/agentchat.hpp"

#include "ferry/error.hpp"

namespace ferry::apps::agentchat {
namespace {

// The seed's get_logging_config() default, in the text form PostgreSQL prints for that jsonb.
const char* const k_default_logging_config =
    "{\"error_logging_enabled\": true, \"user_activity_logging_enabled\": false, "
    "\"agent_activity_logging_enabled\": false}";

const char* const k_document_columns =
    "id, \"createdAt\", title, content, kind, user_id, chat_id, parent_version_id, version_number, metadata";

Value opt(const std::optional<std::string>& v) { return v ? Value(*v) : Value(); }

std::optional<std::string> opt_text(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_text();
}

DocumentVersion document_from(const Row& r) {
    DocumentVersion d;
    d.id = r[0].as_text();
    d.created_at = r[1].as_text();
    d.title = r[2].as_text();
    d.content = opt_text(r[3]);
    d.kind = r[4].as_text();
    d.user_id = r[5].as_text();
    d.chat_id = opt_text(r[6]);
    d.parent_version_id = opt_text(r[7]);
    d.version_number = r[8].as_int();
    d.metadata = opt_text(r[9]);
    return d;
}

/// Exact decimal text of an amount in millionths, with six places ("0.300000"), the way
/// PostgreSQL prints a sum of DECIMAL(10,6) values.
std::string micros_text(std::int64_t micros) {
    const bool negative = micros < 0;
    const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
    std::string frac = std::to_string(m % 1000000);
    frac.insert(0, 6 - frac.size(), '0');
    return (negative ? "-" : "") + std::to_string(m / 1000000) + "." + frac;
}

/// A retention setting: a JSON integer (or a string of digits, which PostgreSQL's ::INTEGER cast
/// also accepts) at `key` of log_retention_days, else `fallback`.
std::int64_t retention_days(Store& store, const char* key, std::int64_t fallback) {
    const std::string path = std::string("$.log_retention_days.") + key;
    auto v = store.query_value(
        "SELECT CASE json_type(config_data, ?1)"
        "         WHEN 'integer' THEN json_extract(config_data, ?1)"
        "         WHEN 'text' THEN CASE WHEN json_extract(config_data, ?1) GLOB '[0-9]*'"
        "                                AND json_extract(config_data, ?1) NOT GLOB '*[^0-9]*'"
        "                               THEN CAST(json_extract(config_data, ?1) AS INTEGER) END"
        "       END"
        "  FROM admin_config WHERE config_key = 'logging_settings'",
        {path});
    return v && !v->is_null() ? v->as_int() : fallback;
}

/// Whether the logging_settings flag `key` is true, as PostgreSQL's `config_data->>key = 'true'`
/// (a JSON true, or the string "true"); false when the row or the key is missing.
bool logging_flag(Store& store, const char* key) {
    const std::string path = std::string("$.") + key;
    auto v = store.query_value(
        "SELECT coalesce(json_type(config_data, ?1) = 'true'"
        "                OR (json_type(config_data, ?1) = 'text' AND json_extract(config_data, ?1) = 'true'), 0)"
        "  FROM admin_config WHERE config_key = 'logging_settings'",
        {path});
    return v && !v->is_null() && v->as_int() != 0;
}

std::string checked_date(Store& store, const std::optional<std::string>& date, const char* fallback_sql,
                         const char* what) {
    if (!date) return store.query_value(std::string("SELECT ") + fallback_sql)->as_text();
    // julianday() normalises impossible days (2024-02-30), so the round trip refuses them.
    auto ok = store.query_value("SELECT date(julianday(?1)) IS ?1 AND length(?1) = 10", {*date});
    if (!ok || ok->is_null() || ok->as_int() == 0)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    std::string("agentchat: usage_summary ") + what + " '" + *date +
                        "' is not a date of the form YYYY-MM-DD");
    return *date;
}

}  // namespace

DocumentVersion save_document_version(Store& store, const NewDocumentVersion& v) {
    if (v.title.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "agentchat: a document version needs a title (Document.title)");
    if (v.user_id.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "agentchat: a document version needs a user_id (Document.user_id)");
    DocumentVersion saved;
    store.transaction([&] {
        const std::string id = v.id ? *v.id : Store::new_id("uuid");
        auto last = store.query(
            "SELECT max(\"createdAt\"), max(version_number), count(*) FROM \"Document\" WHERE id = ?1", {id});
        std::string created_at = store.query_value("SELECT ferry_now()")->as_text();  // the store's clock
        std::int64_t version = 1;
        std::optional<std::string> parent = v.parent_version_id;
        if (last.rows[0][2].as_int() > 0) {
            const std::string latest = last.rows[0][0].as_text();
            version = last.rows[0][1].as_int() + 1;
            // A later "createdAt" than every existing version, even within one millisecond.
            if (created_at <= latest)
                created_at =
                    store.query_value("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '+0.001 seconds')", {latest})
                        ->as_text();
            if (!parent) parent = id;
        }
        store.execute(
            "INSERT INTO \"Document\" (id, \"createdAt\", title, content, kind, user_id, chat_id, parent_version_id, "
            "version_number, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            {id, created_at, v.title, opt(v.content), v.kind, v.user_id, opt(v.chat_id), opt(parent), version,
             v.metadata});
        auto row = store.query(std::string("SELECT ") + k_document_columns +
                                   " FROM \"Document\" WHERE id = ?1 AND \"createdAt\" = ?2",
                               {id, created_at});
        saved = document_from(row.rows.at(0));
    });
    return saved;
}

std::optional<DocumentVersion> latest_document(Store& store, const std::string& id) {
    auto r = store.query(std::string("SELECT ") + k_document_columns + " FROM document_latest WHERE id = ?1", {id});
    if (r.rows.empty()) return std::nullopt;
    return document_from(r.rows[0]);
}

std::vector<DocumentVersion> document_history(Store& store, const std::string& id) {
    auto r = store.query(std::string("SELECT ") + k_document_columns +
                             " FROM \"Document\" WHERE id = ?1 ORDER BY \"createdAt\"",
                         {id});
    std::vector<DocumentVersion> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) out.push_back(document_from(row));
    return out;
}

void set_default_model(Store& store, const std::string& model_id) {
    auto current = store.query_value("SELECT is_default FROM model_config WHERE model_id = ?1", {model_id});
    if (!current)
        throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                    "agentchat: no model_config row with model_id '" + model_id + "'");
    if (!current->is_null() && current->as_int() == 1) return;  // already the default: no write to sync
    store.execute("UPDATE model_config SET is_default = 1 WHERE model_id = ?1", {model_id});
}

std::optional<std::string> default_model(Store& store, const std::string& provider) {
    auto v = store.query_value(
        "SELECT model_id FROM model_config WHERE provider = ?1 AND is_default = 1 ORDER BY model_id LIMIT 1",
        {provider});
    if (!v || v->is_null()) return std::nullopt;
    return v->as_text();
}

UsageSummary usage_summary(Store& store, const std::string& user_id, const std::optional<std::string>& start_date,
                           const std::optional<std::string>& end_date) {
    const std::string start = checked_date(store, start_date, "date('now', '-30 days')", "start_date");
    const std::string end = checked_date(store, end_date, "date('now')", "end_date");
    // Costs are DECIMAL(10,6) text: each is turned into exact millionths (at most 10 digits, so
    // the double holds it exactly) and added as integers.
    auto r = store.query(
        "SELECT agent_type, count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
        "       coalesce(sum(total_tokens), 0),"
        "       sum(CAST(round(CAST(total_cost AS REAL) * 1000000) AS INTEGER))"
        "  FROM usage_logs"
        " WHERE user_id = ?1 AND date(request_timestamp) BETWEEN ?2 AND ?3"
        " GROUP BY agent_type ORDER BY agent_type",
        {user_id, start, end});
    UsageSummary s;
    std::optional<std::int64_t> total_micros;
    for (const auto& row : r.rows) {
        AgentUsage a;
        a.agent_type = row[0].as_text();
        a.calls = row[1].as_int();
        a.tokens = row[4].as_int();
        if (!row[5].is_null()) {
            a.cost = micros_text(row[5].as_int());
            total_micros = total_micros.value_or(0) + row[5].as_int();
        }
        s.total_calls += a.calls;
        s.total_input_tokens += row[2].as_int();
        s.total_output_tokens += row[3].as_int();
        s.total_tokens += a.tokens;
        s.agents.push_back(std::move(a));
    }
    if (total_micros) s.total_cost = micros_text(*total_micros);
    return s;
}

std::string get_logging_config(Store& store) {
    auto v = store.query_value("SELECT config_data FROM admin_config WHERE config_key = 'logging_settings'");
    if (!v || v->is_null()) return k_default_logging_config;
    return v->as_text();
}

bool is_user_activity_logging_enabled(Store& store) { return logging_flag(store, "user_activity_logging_enabled"); }

bool is_agent_activity_logging_enabled(Store& store) { return logging_flag(store, "agent_activity_logging_enabled"); }

LogRetention log_retention(Store& store) {
    LogRetention r;
    r.user_activity_logs = retention_days(store, "user_activity_logs", r.user_activity_logs);
    r.agent_activity_logs = retention_days(store, "agent_activity_logs", r.agent_activity_logs);
    r.error_logs = retention_days(store, "error_logs", r.error_logs);
    return r;
}

PurgeResult purge_old_activity_logs(Store& store) {
    PurgeResult result;
    store.transaction([&] {
        const LogRetention days = log_retention(store);
        const char* const cutoff = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d days', ?1))";
        result.user_logs_deleted =
            store.execute(std::string("DELETE FROM user_activity_logs WHERE created_at < ") + cutoff,
                          {days.user_activity_logs});
        result.agent_logs_deleted =
            store.execute(std::string("DELETE FROM agent_activity_logs WHERE created_at < ") + cutoff,
                          {days.agent_activity_logs});
        result.error_logs_deleted =
            store.execute(std::string("DELETE FROM error_logs WHERE resolved = 1 AND created_at < ") + cutoff,
                          {days.error_logs});
    });
    return result;
}

}  // namespace ferry::apps::agentchat
