// lib/apps/december.cpp: the typed helpers of the "december" app schema, as plain SQL through
// the public Store API (sql/apps/december/ holds the schema they write to).
#include "ferry/apps/december.hpp"

#include "ferry/error.hpp"

namespace ferry::apps::december {
namespace {

Value opt(const std::optional<std::string>& v) { return v ? Value(*v) : Value(); }
Value opt(const std::optional<std::int64_t>& v) { return v ? Value(*v) : Value(); }

std::optional<std::string> opt_text(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_text();
}

std::optional<std::int64_t> opt_int(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_int();
}

std::string text_or_empty(const Value& v) { return v.is_null() ? std::string() : v.as_text(); }

}  // namespace

std::string create_user(Store& store, const NewUser& user) {
    const std::string id = Store::new_id("uuid");
    store.execute("INSERT INTO users (id, email, name, avatar_url) VALUES (?1, ?2, ?3, ?4)",
                  {id, user.email, opt(user.name), opt(user.avatar_url)});
    return id;
}

std::string create_container(Store& store, const NewContainer& c) {
    const std::string id = Store::new_id("uuid");
    store.execute(
        "INSERT INTO containers (id, container_id, name, status, image_name, assigned_port, url, user_id, labels, "
        "metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        {id, c.container_id, c.name, c.status, opt(c.image_name), opt(c.assigned_port), opt(c.url), opt(c.user_id),
         c.labels, c.metadata});
    return id;
}

void update_container_status(Store& store, const std::string& id, const std::string& status) {
    std::string sql;
    if (status == "running")
        sql = "UPDATE containers SET status = ?2, started_at = ferry_now(), stopped_at = NULL WHERE id = ?1";
    else if (status == "stopped")
        sql = "UPDATE containers SET status = ?2, stopped_at = ferry_now() WHERE id = ?1";
    else if (status == "deleted")
        sql = "UPDATE containers SET status = ?2, stopped_at = coalesce(stopped_at, ferry_now()) WHERE id = ?1";
    else if (status == "created")
        sql = "UPDATE containers SET status = ?2 WHERE id = ?1";
    else
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "december: container status '" + status +
                        "' is not one of created, running, stopped, deleted (containers.status)");
    if (store.execute(sql, {id, status}) == 0)
        throw Error(ErrorDomain::ferry, ErrorCode::not_found, "december: no container with id '" + id + "'");
}

std::string create_project(Store& store, const NewProject& p) {
    const std::string id = Store::new_id("uuid");
    store.execute(
        "INSERT INTO projects (id, container_id, name, description, type, status, user_id, metadata, settings) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        {id, opt(p.container_id), p.name, opt(p.description), p.type, p.status, opt(p.user_id), p.metadata,
         p.settings});
    return id;
}

std::string add_chat_message(Store& store, const NewChatMessage& m) {
    if (m.role != "user" && m.role != "assistant")
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "december: chat message role '" + m.role + "' is not 'user' or 'assistant' (chat_messages.role)");
    const std::string id = Store::new_id("uuid");
    store.execute(
        "INSERT INTO chat_messages (id, container_id, session_id, role, content, attachments, metadata) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        {id, opt(m.container_id), m.session_id, m.role, m.content, m.attachments, m.metadata});
    return id;
}

std::vector<ActiveContainer> active_containers(Store& store) {
    const auto r = store.query(
        "SELECT id, container_id, name, status, image_name, assigned_port, url, created_at, updated_at, started_at, "
        "stopped_at, user_id, labels, metadata, project_name, project_description, user_email "
        "FROM active_containers ORDER BY created_at DESC");
    std::vector<ActiveContainer> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) {
        ActiveContainer c;
        c.id = row[0].as_text();
        c.container_id = row[1].as_text();
        c.name = row[2].as_text();
        c.status = row[3].as_text();
        c.image_name = opt_text(row[4]);
        c.assigned_port = opt_int(row[5]);
        c.url = opt_text(row[6]);
        c.created_at = opt_text(row[7]);
        c.updated_at = opt_text(row[8]);
        c.started_at = opt_text(row[9]);
        c.stopped_at = opt_text(row[10]);
        c.user_id = opt_text(row[11]);
        c.labels = opt_text(row[12]);
        c.metadata = opt_text(row[13]);
        c.project_name = opt_text(row[14]);
        c.project_description = opt_text(row[15]);
        c.user_email = opt_text(row[16]);
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<UserProject> user_projects(Store& store, const std::optional<std::string>& user_id) {
    const std::string cols =
        "SELECT id, container_id, name, description, type, status, created_at, updated_at, user_id, metadata, "
        "settings, container_status, assigned_port, url, message_count FROM user_projects";
    const std::string order = " ORDER BY updated_at DESC";
    const auto r = user_id ? store.query(cols + " WHERE user_id = ?1" + order, {*user_id}) : store.query(cols + order);
    std::vector<UserProject> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) {
        UserProject p;
        p.id = row[0].as_text();
        p.container_id = opt_text(row[1]);
        p.name = text_or_empty(row[2]);
        p.description = opt_text(row[3]);
        p.type = opt_text(row[4]);
        p.status = opt_text(row[5]);
        p.created_at = opt_text(row[6]);
        p.updated_at = opt_text(row[7]);
        p.user_id = opt_text(row[8]);
        p.metadata = opt_text(row[9]);
        p.settings = opt_text(row[10]);
        p.container_status = opt_text(row[11]);
        p.assigned_port = opt_int(row[12]);
        p.url = opt_text(row[13]);
        p.message_count = row[14].as_int();
        out.push_back(std::move(p));
    }
    return out;
}

std::int64_t purge_expired_sessions(Store& store) {
    return store.execute("DELETE FROM sessions WHERE expires_at < ferry_now()");
}

}  // namespace ferry::apps::december
