// ferry/apps/projectme.hpp: typed helpers for the "projectme" app schema (seed 000, a personal
// task runner): tasks, LLM sessions and messages, sandbox files, audit log and settings with a
// global fallback. They are plain SQL on a ferry::Store, so every write is captured for sync.
// Optional: an app that brings its own schema needs none of this. Every helper runs on the
// calling thread under the Store's rules (one thread at a time), borrows the Store for the call,
// and throws ferry::Error as Store::execute does (a constraint, a busy database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ferry/store.hpp>

namespace ferry::apps::projectme {

/// Input of create_task. Empty optionals take the schema's defaults.
struct NewTask {
    std::optional<std::string> user_id;       ///< owner; std::nullopt makes a global task
    std::string title;
    std::optional<std::string> description;
    std::optional<std::string> status;        ///< default "pending"
    std::optional<std::string> type;          ///< default "llm"
    std::optional<std::string> payload_json;  ///< any JSON text
    std::vector<std::string> tags;
    std::int64_t priority = 0;
    bool is_public = false;
};

/// A row of "Task". Timestamps are ISO-8601 UTC text with milliseconds.
struct Task {
    std::string id;
    std::optional<std::string> user_id;
    std::string title;
    std::optional<std::string> description;
    std::string status;
    std::string type;
    std::optional<std::string> payload_json;
    std::vector<std::string> tags;  ///< empty also when the column is NULL
    std::int64_t priority = 0;
    bool is_public = false;
    std::optional<std::string> output_text;
    std::optional<std::string> output_raw_json;
    std::optional<std::string> error_message;
    std::optional<std::int64_t> execution_time_ms;
    std::string created_at;
    std::string updated_at;
};

/// Creates a task (a new cuid id) and returns the stored row.
/// Throws ferry::Error(invalid_argument) for an empty title, (constraint) for invalid payload
/// JSON or an unknown user.
Task create_task(Store& store, const NewTask& task);

/// Input of create_llm_session.
struct NewLlmSession {
    std::string session_id;  ///< the caller's key of the conversation, e.g. "chat-123"; unique
    std::optional<std::string> user_id;
    std::optional<std::string> title;
    std::optional<std::string> system_prompt;
};

/// A row of "LLMMessage".
struct LlmMessage {
    std::string id;
    std::string llm_session_id;  ///< column "sessionId": the "LLMSession"."id" of its session
    std::string role;            ///< "system", "user", "assistant", "tool", ...
    std::string content;
    std::optional<std::int64_t> tokens;
    std::optional<std::string> metadata_json;
    std::string created_at;
};

/// A row of "LLMSession", with its messages when read by get_llm_session.
struct LlmSession {
    std::string id;
    std::optional<std::string> user_id;
    std::string session_id;
    std::optional<std::string> title;
    std::optional<std::string> system_prompt;
    std::optional<std::string> summary;
    std::string created_at;
    std::string updated_at;
    std::vector<LlmMessage> messages;  ///< oldest first
};

/// Starts a conversation and returns the stored session (without messages).
/// Throws ferry::Error(invalid_argument) for an empty session_id, (constraint) when the
/// session_id is taken or the user is unknown.
LlmSession create_llm_session(Store& store, const NewLlmSession& session);

/// Input of add_llm_message.
struct NewLlmMessage {
    std::string session_id;  ///< the session's key ("LLMSession"."sessionId"), e.g. "chat-123"
    std::string role;
    std::string content;
    std::optional<std::int64_t> tokens;
    std::optional<std::string> metadata_json;
};

/// Appends a message to the session named by session_id. Its "createdAt" is later than every
/// earlier message of the session (at least 1 ms), so the history order is stable.
/// Throws ferry::Error(not_found) when no session has that key, (invalid_argument) for an empty
/// role, (constraint) for invalid metadata JSON.
LlmMessage add_llm_message(Store& store, const NewLlmMessage& message);

/// The session with key session_id and all its messages in order, or std::nullopt when there
/// is none. Throws ferry::Error on a database failure only.
std::optional<LlmSession> get_llm_session(Store& store, const std::string& session_id);

/// Input of save_sandbox_file.
struct NewSandboxFile {
    std::string user_id;
    std::string path;
    std::string content;
};

/// A row of "SandboxFile".
struct SandboxFile {
    std::string id;
    std::string user_id;
    std::string path;
    std::string content;
    std::int64_t size = 0;  ///< bytes of content (UTF-8)
    bool is_deleted = false;
    std::string created_at;
    std::string updated_at;
};

/// Saves a file: inserts it, or updates the user's file with the same path (also one that was
/// soft-deleted, which becomes live again). "size" is the byte length of content.
/// Throws ferry::Error(invalid_argument) for an empty path, (constraint) for an unknown user.
SandboxFile save_sandbox_file(Store& store, const NewSandboxFile& file);

/// Soft-deletes the user's file at path ("isDeleted" = true); returns false when there is none.
/// Throws ferry::Error on a database failure only.
bool delete_sandbox_file(Store& store, const std::string& user_id, const std::string& path);

/// The user's files that are not deleted, ordered by path. Throws ferry::Error on failure.
std::vector<SandboxFile> list_sandbox_files(Store& store, const std::string& user_id);

/// Input of create_audit_log.
struct NewAuditLog {
    std::optional<std::string> user_id;
    std::string action;  ///< e.g. "delete_task"
    std::optional<std::string> resource;  ///< e.g. "task:<id>"
    std::optional<std::string> ip_address;
    std::optional<std::string> user_agent;
    std::optional<std::string> metadata_json;
};

/// A row of "AuditLog".
struct AuditLog {
    std::string id;
    std::optional<std::string> user_id;
    std::string action;
    std::optional<std::string> resource;
    std::optional<std::string> ip_address;
    std::optional<std::string> user_agent;
    std::optional<std::string> metadata_json;
    std::string created_at;
};

/// Records an action. Throws ferry::Error(invalid_argument) for an empty action, (constraint)
/// for invalid metadata JSON or an unknown user.
AuditLog create_audit_log(Store& store, const NewAuditLog& entry);

/// A row of "Settings" ("runnerToken" stays on the server and is not on the device).
struct Settings {
    std::string id;
    std::optional<std::string> user_id;  ///< std::nullopt: the global settings row
    std::optional<std::string> runner_url;
    std::string preferences_json;
    std::string created_at;
    std::string updated_at;
};

/// The id of the global settings row seeded on both sides.
inline constexpr const char* global_settings_id = "settings_global";

/// The settings of user_id, falling back to the global row ("userId" IS NULL; the seeded
/// "settings_global" first) when the user has none or user_id is std::nullopt.
/// std::nullopt when there is neither. Throws ferry::Error on a database failure only.
std::optional<Settings> get_settings(Store& store, const std::optional<std::string>& user_id);

}  // namespace ferry::apps::projectme
