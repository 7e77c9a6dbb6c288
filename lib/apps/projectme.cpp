// lib/apps/projectme.cpp: the typed helpers of the "projectme" app schema (seed 000), written
// as plain SQL over ferry::Store's public API. Table and column names are the Prisma names of
// sql/apps/projectme (quoted, mixed case); see sql/apps/projectme/README.md for the choices.
#include <ferry/apps/projectme.hpp>

#include <ferry/error.hpp>
#include <ferry/value.hpp>

#include <cstdio>
#include <string>
#include <utility>

namespace ferry::apps::projectme {
namespace {

Value opt_value(const std::optional<std::string>& v) { return v ? Value(*v) : Value(); }
Value opt_value(const std::optional<std::int64_t>& v) { return v ? Value(*v) : Value(); }

std::optional<std::string> opt_text(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_text();
}
std::optional<std::int64_t> opt_int(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_int();
}

void require(bool ok, const std::string& message) {
    if (!ok) throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, message);
}

/// A JSON string literal for s (s is UTF-8; only the characters JSON requires are escaped).
std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
    return out;
}

std::string json_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += json_quote(items[i]);
    }
    out += ']';
    return out;
}

std::vector<std::string> parse_string_array(Store& store, const Value& json) {
    std::vector<std::string> out;
    if (json.is_null()) return out;
    QueryResult r = store.query(
        "SELECT CAST(\"value\" AS TEXT) FROM json_each(?1) ORDER BY CAST(\"key\" AS INTEGER)",
        {json});
    for (const Row& row : r.rows) {
        if (!row[0].is_null()) out.push_back(row[0].as_text());
    }
    return out;
}

Task read_task(Store& store, const std::string& id) {
    QueryResult r = store.query("SELECT * FROM \"Task\" WHERE \"id\" = ?1", {id});
    if (r.rows.empty()) {
        throw Error(ErrorDomain::ferry, ErrorCode::not_found, "Task " + id + " does not exist");
    }
    Task t;
    t.id = r.at(0, "id").as_text();
    t.user_id = opt_text(r.at(0, "userId"));
    t.title = r.at(0, "title").as_text();
    t.description = opt_text(r.at(0, "description"));
    t.status = r.at(0, "status").as_text();
    t.type = r.at(0, "type").as_text();
    t.payload_json = opt_text(r.at(0, "payload"));
    t.tags = parse_string_array(store, r.at(0, "tags"));
    t.priority = r.at(0, "priority").as_int();
    t.is_public = r.at(0, "isPublic").as_int() != 0;
    t.output_text = opt_text(r.at(0, "outputText"));
    t.output_raw_json = opt_text(r.at(0, "outputRaw"));
    t.error_message = opt_text(r.at(0, "errorMessage"));
    t.execution_time_ms = opt_int(r.at(0, "executionTime"));
    t.created_at = r.at(0, "createdAt").as_text();
    t.updated_at = r.at(0, "updatedAt").as_text();
    return t;
}

LlmSession session_from(const QueryResult& r, std::size_t i) {
    LlmSession s;
    s.id = r.at(i, "id").as_text();
    s.user_id = opt_text(r.at(i, "userId"));
    s.session_id = r.at(i, "sessionId").as_text();
    s.title = opt_text(r.at(i, "title"));
    s.system_prompt = opt_text(r.at(i, "systemPrompt"));
    s.summary = opt_text(r.at(i, "summary"));
    s.created_at = r.at(i, "createdAt").as_text();
    s.updated_at = r.at(i, "updatedAt").as_text();
    return s;
}

LlmMessage message_from(const QueryResult& r, std::size_t i) {
    LlmMessage m;
    m.id = r.at(i, "id").as_text();
    m.llm_session_id = r.at(i, "sessionId").as_text();
    m.role = r.at(i, "role").as_text();
    m.content = r.at(i, "content").as_text();
    m.tokens = opt_int(r.at(i, "tokens"));
    m.metadata_json = opt_text(r.at(i, "metadata"));
    m.created_at = r.at(i, "createdAt").as_text();
    return m;
}

SandboxFile file_from(const QueryResult& r, std::size_t i) {
    SandboxFile f;
    f.id = r.at(i, "id").as_text();
    f.user_id = r.at(i, "userId").as_text();
    f.path = r.at(i, "path").as_text();
    f.content = r.at(i, "content").as_text();
    f.size = r.at(i, "size").as_int();
    f.is_deleted = r.at(i, "isDeleted").as_int() != 0;
    f.created_at = r.at(i, "createdAt").as_text();
    f.updated_at = r.at(i, "updatedAt").as_text();
    return f;
}

Settings settings_from(const QueryResult& r, std::size_t i) {
    Settings s;
    s.id = r.at(i, "id").as_text();
    s.user_id = opt_text(r.at(i, "userId"));
    s.runner_url = opt_text(r.at(i, "runnerUrl"));
    s.preferences_json = r.at(i, "preferences").as_text();
    s.created_at = r.at(i, "createdAt").as_text();
    s.updated_at = r.at(i, "updatedAt").as_text();
    return s;
}

}  // namespace

Task create_task(Store& store, const NewTask& task) {
    require(!task.title.empty(), "create_task: title must not be empty");
    const std::string id = Store::new_id("cuid");
    const std::string now = Store::now_timestamp();
    store.execute(
        "INSERT INTO \"Task\" (\"id\", \"userId\", \"title\", \"description\", \"status\", \"type\","
        " \"payload\", \"tags\", \"priority\", \"isPublic\", \"createdAt\", \"updatedAt\")"
        " VALUES (?1, ?2, ?3, ?4, COALESCE(?5, 'pending'), COALESCE(?6, 'llm'), ?7, ?8, ?9, ?10,"
        " ?11, ?11)",
        {id, opt_value(task.user_id), task.title, opt_value(task.description),
         opt_value(task.status), opt_value(task.type), opt_value(task.payload_json),
         json_string_array(task.tags), task.priority, task.is_public, now});
    return read_task(store, id);
}

LlmSession create_llm_session(Store& store, const NewLlmSession& session) {
    require(!session.session_id.empty(), "create_llm_session: session_id must not be empty");
    const std::string id = Store::new_id("cuid");
    const std::string now = Store::now_timestamp();
    store.execute(
        "INSERT INTO \"LLMSession\" (\"id\", \"userId\", \"sessionId\", \"title\", \"systemPrompt\","
        " \"createdAt\", \"updatedAt\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        {id, opt_value(session.user_id), session.session_id, opt_value(session.title),
         opt_value(session.system_prompt), now});
    QueryResult r = store.query("SELECT * FROM \"LLMSession\" WHERE \"id\" = ?1", {id});
    return session_from(r, 0);
}

LlmMessage add_llm_message(Store& store, const NewLlmMessage& message) {
    require(!message.role.empty(), "add_llm_message: role must not be empty");
    const std::string id = Store::new_id("cuid");
    store.transaction([&] {
        std::optional<Value> session = store.query_value(
            "SELECT \"id\" FROM \"LLMSession\" WHERE \"sessionId\" = ?1", {message.session_id});
        if (!session) {
            throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                        "add_llm_message: no LLMSession with sessionId '" + message.session_id + "'");
        }
        // Strictly after the session's last message, so ORDER BY "createdAt" is the history order.
        std::optional<Value> created_at = store.query_value(
            "SELECT CASE WHEN m IS NULL OR m < ?1 THEN ?1"
            " ELSE strftime('%Y-%m-%dT%H:%M:%fZ', m, '+0.001 seconds') END"
            " FROM (SELECT MAX(\"createdAt\") AS m FROM \"LLMMessage\" WHERE \"sessionId\" = ?2)",
            {Store::now_timestamp(), *session});
        store.execute(
            "INSERT INTO \"LLMMessage\" (\"id\", \"sessionId\", \"role\", \"content\", \"tokens\","
            " \"metadata\", \"createdAt\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            {id, *session, message.role, message.content, opt_value(message.tokens),
             opt_value(message.metadata_json), *created_at});
    });
    QueryResult r = store.query("SELECT * FROM \"LLMMessage\" WHERE \"id\" = ?1", {id});
    return message_from(r, 0);
}

std::optional<LlmSession> get_llm_session(Store& store, const std::string& session_id) {
    QueryResult r =
        store.query("SELECT * FROM \"LLMSession\" WHERE \"sessionId\" = ?1", {session_id});
    if (r.rows.empty()) return std::nullopt;
    LlmSession s = session_from(r, 0);
    QueryResult m = store.query(
        "SELECT * FROM \"LLMMessage\" WHERE \"sessionId\" = ?1 ORDER BY \"createdAt\", \"id\"",
        {s.id});
    for (std::size_t i = 0; i < m.rows.size(); ++i) s.messages.push_back(message_from(m, i));
    return s;
}

SandboxFile save_sandbox_file(Store& store, const NewSandboxFile& file) {
    require(!file.path.empty(), "save_sandbox_file: path must not be empty");
    const auto size = static_cast<std::int64_t>(file.content.size());
    std::string id;
    store.transaction([&] {
        std::optional<Value> existing = store.query_value(
            "SELECT \"id\" FROM \"SandboxFile\" WHERE \"userId\" = ?1 AND \"path\" = ?2",
            {file.user_id, file.path});
        if (existing) {
            id = existing->as_text();
            store.execute(
                "UPDATE \"SandboxFile\" SET \"content\" = ?2, \"size\" = ?3, \"isDeleted\" = 0,"
                " \"updatedAt\" = ?4 WHERE \"id\" = ?1",
                {id, file.content, size, Store::now_timestamp()});
        } else {
            id = Store::new_id("cuid");
            const std::string now = Store::now_timestamp();
            store.execute(
                "INSERT INTO \"SandboxFile\" (\"id\", \"userId\", \"path\", \"content\", \"size\","
                " \"isDeleted\", \"createdAt\", \"updatedAt\") VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)",
                {id, file.user_id, file.path, file.content, size, now});
        }
    });
    QueryResult r = store.query("SELECT * FROM \"SandboxFile\" WHERE \"id\" = ?1", {id});
    return file_from(r, 0);
}

bool delete_sandbox_file(Store& store, const std::string& user_id, const std::string& path) {
    return store.execute(
               "UPDATE \"SandboxFile\" SET \"isDeleted\" = 1 WHERE \"userId\" = ?1 AND \"path\" = ?2"
               " AND \"isDeleted\" = 0",
               {user_id, path}) > 0;
}

std::vector<SandboxFile> list_sandbox_files(Store& store, const std::string& user_id) {
    QueryResult r = store.query(
        "SELECT * FROM \"SandboxFile\" WHERE \"userId\" = ?1 AND \"isDeleted\" = 0 ORDER BY \"path\"",
        {user_id});
    std::vector<SandboxFile> out;
    for (std::size_t i = 0; i < r.rows.size(); ++i) out.push_back(file_from(r, i));
    return out;
}

AuditLog create_audit_log(Store& store, const NewAuditLog& entry) {
    require(!entry.action.empty(), "create_audit_log: action must not be empty");
    const std::string id = Store::new_id("cuid");
    store.execute(
        "INSERT INTO \"AuditLog\" (\"id\", \"userId\", \"action\", \"resource\", \"ipAddress\","
        " \"userAgent\", \"metadata\", \"createdAt\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        {id, opt_value(entry.user_id), entry.action, opt_value(entry.resource),
         opt_value(entry.ip_address), opt_value(entry.user_agent), opt_value(entry.metadata_json),
         Store::now_timestamp()});
    QueryResult r = store.query("SELECT * FROM \"AuditLog\" WHERE \"id\" = ?1", {id});
    AuditLog a;
    a.id = r.at(0, "id").as_text();
    a.user_id = opt_text(r.at(0, "userId"));
    a.action = r.at(0, "action").as_text();
    a.resource = opt_text(r.at(0, "resource"));
    a.ip_address = opt_text(r.at(0, "ipAddress"));
    a.user_agent = opt_text(r.at(0, "userAgent"));
    a.metadata_json = opt_text(r.at(0, "metadata"));
    a.created_at = r.at(0, "createdAt").as_text();
    return a;
}

std::optional<Settings> get_settings(Store& store, const std::optional<std::string>& user_id) {
    if (user_id) {
        QueryResult own =
            store.query("SELECT * FROM \"Settings\" WHERE \"userId\" = ?1", {*user_id});
        if (!own.rows.empty()) return settings_from(own, 0);
    }
    QueryResult global = store.query(
        "SELECT * FROM \"Settings\" WHERE \"userId\" IS NULL"
        " ORDER BY (\"id\" = ?1) DESC, \"createdAt\", \"id\" LIMIT 1",
        {std::string(global_settings_id)});
    if (global.rows.empty()) return std::nullopt;
    return settings_from(global, 0);
}

}  // namespace ferry::apps::projectme
