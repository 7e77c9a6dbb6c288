// ferry/apps/devlog.hpp: typed helpers for the "devlog" app schema (seed 004, AI-agent
// observability). Each helper is plain SQL on a Store opened for "devlog"; its writes sync, and
// new rows of integer-key tables take ids leased from the cloud (sql/apps/devlog/README.md).
// Optional: an app that brings its own schema needs none of this. Every helper runs on the
// calling thread under the Store's rules (one thread at a time), borrows the Store for the call,
// and throws ferry::Error as Store::execute does (a constraint, a busy database).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ferry/store.hpp>

namespace ferry::apps::devlog {

/// A machine as its agent collector describes it; machine_id is its stable natural key.
struct MachineInfo {
    std::string machine_id;  ///< e.g. "marv-macbook-pro-darwin"
    std::string hostname;
    std::string username;
    std::string os_type;  ///< "darwin", "linux", "windows"
    std::optional<std::string> os_version;
    std::string machine_type;  ///< "local", "remote", "cloud", "ci"
    std::optional<std::string> ip_address;
    std::string metadata = "{}";  ///< JSON
};

/// A repository; full_name ("owner/name") is its natural key.
struct ProjectInfo {
    std::string name;
    std::string full_name;
    std::string repo_url;
    std::string repo_owner;
    std::string repo_name;
    std::optional<std::string> description;
};

/// A VS Code window/folder on a machine; workspace_id (VS Code's UUID) is its natural key.
struct WorkspaceInfo {
    std::int64_t project_id = 0;
    std::int64_t machine_id = 0;
    std::string workspace_id;
    std::string workspace_path;
    std::string workspace_type;  ///< "folder", "multi-root"
    std::optional<std::string> branch;
    std::optional<std::string> commit;
};

/// A chat session to start in a workspace.
struct NewChatSession {
    std::int64_t workspace_id = 0;
    std::string agent_type;  ///< "copilot", "claude", "cursor"
    std::optional<std::string> model_id;
    std::optional<std::string> session_id;  ///< a UUID; generated when absent
    std::optional<std::string> started_at;  ///< ISO-8601 UTC with milliseconds; now when absent
};

/// One agent action. JSON fields are JSON text.
struct NewAgentEvent {
    std::string event_type;  ///< "llm_request", "tool_use", ...
    std::string agent_id;
    std::string agent_version;
    std::string session_id;  ///< chat_sessions.sessionId
    std::int64_t project_id = 0;
    std::optional<std::string> timestamp;  ///< ISO-8601 UTC with milliseconds; now when absent
    std::string context = "{}";
    std::string data = "{}";
    std::optional<std::string> metrics;  ///< e.g. {"duration": 120}
    std::optional<std::string> parent_event_id;
    std::vector<std::string> related_event_ids;
    std::vector<std::string> tags;
    std::optional<std::string> severity;  ///< "info", "warning", "error"
};

/// An agent session to start.
struct NewAgentSession {
    std::string agent_id;
    std::string agent_version;
    std::int64_t project_id = 0;
    std::optional<std::string> start_time;  ///< ISO-8601 UTC with milliseconds; now when absent
    std::string context = "{}";
};

/// How an agent session ended.
struct AgentSessionEnd {
    std::optional<std::string> outcome;        ///< "success", "failure", "partial", "cancelled"
    std::optional<std::string> quality_score;  ///< exact decimal text, 0-100, at most 2 decimals
    std::optional<std::string> metrics;        ///< JSON; replaces the session's metrics when given
    std::optional<std::string> end_time;       ///< ISO-8601 UTC with milliseconds; now when absent
};

/// A devlog entry (work item) to create.
struct NewDevlogEntry {
    std::string key;  ///< stored in key_field, unique
    std::string title;
    std::string description;
    std::int64_t project_id = 0;
    std::string type = "task";
    std::string status = "new";
    std::string priority = "medium";
    std::optional<std::string> assignee;
    std::optional<std::string> business_context;
    std::optional<std::string> technical_context;
    std::optional<std::string> tags;
    std::optional<std::string> files;
    std::optional<std::string> dependencies;
};

/// One row of agent_events_hourly.
struct HourlyStat {
    std::string bucket;  ///< the hour, "YYYY-MM-DDTHH:00:00.000Z" (UTC)
    std::int64_t project_id = 0;
    std::string agent_id;
    std::string event_type;
    std::int64_t event_count = 0;
    std::optional<double> avg_duration;  ///< mean metrics.duration; none when no event had one
};

/// Inserts the machine, or updates every field of the one with the same machine_id; either
/// way its last_seen_at becomes now. Returns machines.id.
/// Throws Error(constraint) for invalid metadata JSON; Error(lease_exhausted) naming the remedy when a new
/// machine needs an id and the store has no leased ids left (sync once while online).
std::int64_t register_machine(Store& store, const MachineInfo& machine);

/// Inserts the project, or updates the one with the same full_name. Returns projects.id.
/// Throws Error(constraint) when repo_url belongs to another project; Error(lease_exhausted) when a new
/// project needs an id and no leased ids are left.
std::int64_t upsert_project(Store& store, const ProjectInfo& project);

/// Inserts the workspace, or updates the one with the same workspace_id (its last_seen_at
/// becomes now). Returns workspaces.id.
/// Throws Error(constraint) for an unknown project or machine; Error(lease_exhausted) when a new workspace
/// needs an id and no leased ids are left.
std::int64_t upsert_workspace(Store& store, const WorkspaceInfo& workspace);

/// Starts a chat session and returns its sessionId (the key agent events and messages use).
/// Throws Error(constraint) for an unknown workspace, a taken or malformed session id, or a
/// malformed started_at; Error(lease_exhausted) when no leased ids are left for chat_sessions.
std::string start_chat_session(Store& store, const NewChatSession& session);

/// Records an agent event and returns its id (a UUID).
/// Throws Error(constraint) for an unknown session or project, invalid JSON, a malformed
/// timestamp or parent_event_id.
std::string record_agent_event(Store& store, const NewAgentEvent& event);

/// Starts an agent session and returns its id (a UUID).
/// Throws Error(constraint) for an unknown project, invalid JSON or a malformed start_time.
std::string start_agent_session(Store& store, const NewAgentSession& session);

/// Ends an agent session: sets end_time, duration (whole seconds since start_time), and the
/// outcome, quality score and metrics given.
/// Throws Error(not_found) for an unknown id, Error(invalid_argument) when the session has
/// already ended or end_time is before start_time, Error(constraint) for a quality score that
/// is not a DECIMAL(5,2) or invalid JSON.
void end_agent_session(Store& store, const std::string& id, const AgentSessionEnd& end);

/// Creates a devlog entry and returns its id.
/// Throws Error(constraint) for a taken key or an unknown project; Error(lease_exhausted) when no leased ids
/// are left for devlog_entries.
std::int64_t create_devlog_entry(Store& store, const NewDevlogEntry& entry);

/// Adds a note, stamped now, to a devlog entry and returns the note's id (a UUID).
/// Throws Error(constraint) for an unknown devlog entry.
std::string add_devlog_note(Store& store, std::int64_t devlog_id, const std::string& category,
                            const std::string& content);

/// Deletes the agent events older than `max_age` (the cloud's retention is one year) and
/// returns how many were deleted. The deletes sync: the events go from the cloud too.
/// Throws Error(invalid_argument) for a max_age that is not positive.
std::int64_t purge_agent_events_older_than(Store& store, std::chrono::seconds max_age);

/// Deletes the agent events stamped before `cutoff` (ISO-8601 UTC with milliseconds) and
/// returns how many were deleted. The deletes sync.
/// Throws Error(invalid_argument) for a cutoff not in that form.
std::int64_t purge_agent_events_before(Store& store, const std::string& cutoff);

/// The rows of agent_events_hourly (events per project, agent, event type and UTC hour),
/// oldest hour first; only `project_id`'s when given.
std::vector<HourlyStat> agent_events_hourly(Store& store, std::optional<std::int64_t> project_id = std::nullopt);

}  // namespace ferry::apps::devlog
