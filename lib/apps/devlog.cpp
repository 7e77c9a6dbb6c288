// lib/apps/devlog.cpp: the devlog typed helpers as plain SQL through the public Store API. New
// integer keys come from the column DEFAULT (a leased id) and are read back by the row's natural
// key; upserts look the row up first so that an update never spends a leased id.
#include "ferry/apps/devlog.hpp"

#include "ferry/error.hpp"

namespace ferry::apps::devlog {
namespace {

Value opt(const std::optional<std::string>& v) { return v ? Value(*v) : Value(); }

/// SQL `json_array(?, ?, ...)` for `n` parameters numbered from `first`.
std::string json_array_sql(std::size_t n, int first) {
    std::string s = "json_array(";
    for (std::size_t i = 0; i < n; ++i) s += (i ? ", ?" : "?") + std::to_string(first + static_cast<int>(i));
    return s + ")";
}

bool is_timestamp(const std::string& s) {
    // YYYY-MM-DDTHH:MM:SS.mmmZ, the device form of a timestamp.
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s.size() != sizeof pattern - 1) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i]) return false;
    }
    return true;
}

std::optional<std::int64_t> find_id(Store& store, const std::string& sql, const Value& key) {
    auto v = store.query_value(sql, {key});
    if (!v || v->is_null()) return std::nullopt;
    return v->as_int();
}

std::int64_t inserted_id(Store& store, const std::string& sql, const Value& key, const std::string& what) {
    auto id = find_id(store, sql, key);
    if (!id)
        throw Error(ErrorDomain::ferry, ErrorCode::internal, "devlog: " + what + " vanished right after it was written");
    return *id;
}

}  // namespace

std::int64_t register_machine(Store& store, const MachineInfo& m) {
    std::int64_t id = 0;
    store.transaction([&] {
        const std::vector<Value> fields = {m.hostname,       m.username,          m.os_type,      opt(m.os_version),
                                           m.machine_type,   opt(m.ip_address),   m.metadata,     m.machine_id};
        if (auto existing = find_id(store, "SELECT id FROM machines WHERE \"machineId\" = ?1", m.machine_id)) {
            id = *existing;
            store.execute(
                "UPDATE machines SET hostname = ?1, username = ?2, \"osType\" = ?3, \"osVersion\" = ?4, "
                "\"machineType\" = ?5, \"ipAddress\" = ?6, metadata = ?7, last_seen_at = ferry_now() "
                "WHERE \"machineId\" = ?8",
                fields);
            return;
        }
        store.execute(
            "INSERT INTO machines (hostname, username, \"osType\", \"osVersion\", \"machineType\", \"ipAddress\", "
            "metadata, \"machineId\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            fields);
        id = inserted_id(store, "SELECT id FROM machines WHERE \"machineId\" = ?1", m.machine_id, "machine");
    });
    return id;
}

std::int64_t upsert_project(Store& store, const ProjectInfo& p) {
    std::int64_t id = 0;
    store.transaction([&] {
        const std::vector<Value> fields = {p.name, p.repo_url, p.repo_owner, p.repo_name, opt(p.description),
                                           p.full_name};
        if (auto existing = find_id(store, "SELECT id FROM projects WHERE \"fullName\" = ?1", p.full_name)) {
            id = *existing;
            store.execute(
                "UPDATE projects SET name = ?1, \"repoUrl\" = ?2, \"repoOwner\" = ?3, \"repoName\" = ?4, "
                "description = ?5 WHERE \"fullName\" = ?6",
                fields);
            return;
        }
        store.execute(
            "INSERT INTO projects (name, \"repoUrl\", \"repoOwner\", \"repoName\", description, \"fullName\") "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            fields);
        id = inserted_id(store, "SELECT id FROM projects WHERE \"fullName\" = ?1", p.full_name, "project");
    });
    return id;
}

std::int64_t upsert_workspace(Store& store, const WorkspaceInfo& w) {
    std::int64_t id = 0;
    store.transaction([&] {
        const std::vector<Value> fields = {w.project_id,     w.machine_id,      w.workspace_path,
                                           w.workspace_type, opt(w.branch),     opt(w.commit),
                                           w.workspace_id};
        if (auto existing = find_id(store, "SELECT id FROM workspaces WHERE workspace_id = ?1", w.workspace_id)) {
            id = *existing;
            store.execute(
                "UPDATE workspaces SET project_id = ?1, machine_id = ?2, workspace_path = ?3, workspace_type = ?4, "
                "branch = ?5, \"commit\" = ?6, last_seen_at = ferry_now() WHERE workspace_id = ?7",
                fields);
            return;
        }
        store.execute(
            "INSERT INTO workspaces (project_id, machine_id, workspace_path, workspace_type, branch, \"commit\", "
            "workspace_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            fields);
        id = inserted_id(store, "SELECT id FROM workspaces WHERE workspace_id = ?1", w.workspace_id, "workspace");
    });
    return id;
}

std::string start_chat_session(Store& store, const NewChatSession& s) {
    const std::string session_id = s.session_id.value_or(Store::new_id("uuid"));
    store.execute(
        "INSERT INTO chat_sessions (\"sessionId\", workspace_id, agent_type, model_id, started_at) "
        "VALUES (?1, ?2, ?3, ?4, coalesce(?5, ferry_now()))",
        {session_id, s.workspace_id, s.agent_type, opt(s.model_id), opt(s.started_at)});
    return session_id;
}

std::string record_agent_event(Store& store, const NewAgentEvent& e) {
    const std::string id = Store::new_id("uuid");
    std::vector<Value> params = {id,
                                 opt(e.timestamp),
                                 e.event_type,
                                 e.agent_id,
                                 e.agent_version,
                                 e.session_id,
                                 e.project_id,
                                 e.context,
                                 e.data,
                                 opt(e.metrics),
                                 opt(e.parent_event_id),
                                 opt(e.severity)};
    const int related_first = static_cast<int>(params.size()) + 1;
    for (const auto& r : e.related_event_ids) params.emplace_back(r);
    const int tags_first = static_cast<int>(params.size()) + 1;
    for (const auto& t : e.tags) params.emplace_back(t);
    store.execute(
        "INSERT INTO agent_events (id, \"timestamp\", event_type, agent_id, agent_version, session_id, project_id, "
        "context, data, metrics, parent_event_id, severity, related_event_ids, tags) "
        "VALUES (?1, coalesce(?2, ferry_now()), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, " +
            json_array_sql(e.related_event_ids.size(), related_first) + ", " +
            json_array_sql(e.tags.size(), tags_first) + ")",
        params);
    return id;
}

std::string start_agent_session(Store& store, const NewAgentSession& s) {
    const std::string id = Store::new_id("uuid");
    store.execute(
        "INSERT INTO agent_sessions (id, agent_id, agent_version, project_id, start_time, context) "
        "VALUES (?1, ?2, ?3, ?4, coalesce(?5, ferry_now()), ?6)",
        {id, s.agent_id, s.agent_version, s.project_id, opt(s.start_time), s.context});
    return id;
}

void end_agent_session(Store& store, const std::string& id, const AgentSessionEnd& end) {
    if (end.end_time && !is_timestamp(*end.end_time))
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "devlog: end_time '" + *end.end_time +
                        "' is not an ISO-8601 UTC timestamp with milliseconds (agent_sessions.end_time)");
    store.transaction([&] {
        auto r = store.query("SELECT start_time, end_time, coalesce(?2, ferry_now()) FROM agent_sessions WHERE id = ?1",
                             {id, opt(end.end_time)});
        if (r.rows.empty())
            throw Error(ErrorDomain::ferry, ErrorCode::not_found, "devlog: no agent session with id '" + id + "'");
        if (!r.rows[0][1].is_null())
            throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                        "devlog: agent session '" + id + "' already ended at " + r.rows[0][1].as_text());
        const std::string start = r.rows[0][0].as_text();
        const std::string finish = r.rows[0][2].as_text();
        if (finish < start)  // same fixed-width form: text order is time order
            throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                        "devlog: agent session '" + id + "' cannot end at " + finish + ", before its start " + start);
        store.execute(
            "UPDATE agent_sessions SET end_time = ?2, "
            "duration = CAST(round((julianday(?2) - julianday(start_time)) * 86400000) AS INTEGER) / 1000, "
            "outcome = coalesce(?3, outcome), quality_score = coalesce(?4, quality_score), "
            "metrics = coalesce(?5, metrics) WHERE id = ?1",
            {id, finish, opt(end.outcome), opt(end.quality_score), opt(end.metrics)});
    });
}

std::int64_t create_devlog_entry(Store& store, const NewDevlogEntry& d) {
    std::int64_t id = 0;
    store.transaction([&] {
        store.execute(
            "INSERT INTO devlog_entries (key_field, title, type, description, status, priority, assignee, project_id, "
            "business_context, technical_context, tags, files, dependencies) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            {d.key, d.title, d.type, d.description, d.status, d.priority, opt(d.assignee), d.project_id,
             opt(d.business_context), opt(d.technical_context), opt(d.tags), opt(d.files), opt(d.dependencies)});
        id = inserted_id(store, "SELECT id FROM devlog_entries WHERE key_field = ?1", d.key, "devlog entry");
    });
    return id;
}

std::string add_devlog_note(Store& store, std::int64_t devlog_id, const std::string& category,
                            const std::string& content) {
    const std::string id = Store::new_id("uuid");
    store.execute(
        "INSERT INTO devlog_notes (id, devlog_id, \"timestamp\", category, content) "
        "VALUES (?1, ?2, ferry_now(), ?3, ?4)",
        {id, devlog_id, category, content});
    return id;
}

std::int64_t purge_agent_events_older_than(Store& store, std::chrono::seconds max_age) {
    if (max_age.count() <= 0)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "devlog: the age of agent events to purge must be positive, got " +
                        std::to_string(max_age.count()) + " s");
    // The cutoff comes from the store's clock (ferry_now), like every timestamp it writes.
    return store.execute(
        "DELETE FROM agent_events WHERE \"timestamp\" < "
        "strftime('%Y-%m-%dT%H:%M:%fZ', ferry_now(), '-' || ?1 || ' seconds')",
        {static_cast<std::int64_t>(max_age.count())});
}

std::int64_t purge_agent_events_before(Store& store, const std::string& cutoff) {
    if (!is_timestamp(cutoff))
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "devlog: purge cutoff '" + cutoff + "' is not an ISO-8601 UTC timestamp with milliseconds");
    return store.execute("DELETE FROM agent_events WHERE \"timestamp\" < ?1", {cutoff});
}

std::vector<HourlyStat> agent_events_hourly(Store& store, std::optional<std::int64_t> project_id) {
    const std::string cols =
        "SELECT bucket, project_id, agent_id, event_type, event_count, avg_duration FROM agent_events_hourly";
    const std::string order = " ORDER BY bucket, project_id, agent_id, event_type";
    const auto r = project_id ? store.query(cols + " WHERE project_id = ?1" + order, {*project_id})
                              : store.query(cols + order);
    std::vector<HourlyStat> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) {
        HourlyStat s;
        s.bucket = row[0].as_text();
        s.project_id = row[1].as_int();
        s.agent_id = row[2].as_text();
        s.event_type = row[3].as_text();
        s.event_count = row[4].as_int();
        if (!row[5].is_null()) s.avg_duration = row[5].as_real();
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace ferry::apps::devlog
