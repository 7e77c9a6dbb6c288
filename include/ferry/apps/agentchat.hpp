// ferry/apps/agentchat.hpp: typed helpers for the "agentchat" app schema (seed 002, a
// multi-user AI chat): versioned documents, the default model per provider, usage summaries and
// the logging settings with their retention purge. Plain SQL on a ferry::Store, so every write
// is captured for sync.
// Optional: an app that brings its own schema needs none of this. Every helper runs on the
// calling thread under the Store's rules (one thread at a time), borrows the Store for the call,
// and throws ferry::Error as Store::execute does (a constraint, a busy database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ferry/store.hpp>

namespace ferry::apps::agentchat {

// ---------------------------------------------------------------------------------------------
// Documents. "Document" is keyed by (id, "createdAt"): every save is a new row with the same id,
// the next version_number and a later "createdAt"; the latest version is the newest row.
// ---------------------------------------------------------------------------------------------

/// Input of save_document_version.
struct NewDocumentVersion {
    /// The document to add a version to; empty: a new document (a new uuid) at version 1.
    std::optional<std::string> id;
    std::string title;
    std::optional<std::string> content;
    std::string kind = "text";  ///< 'text', 'python code', 'mermaid code', 'sheet'
    std::string user_id;
    std::optional<std::string> chat_id;
    /// Parent in the version tree; empty: the document's own id when it has earlier versions,
    /// NULL for version 1.
    std::optional<std::string> parent_version_id;
    std::string metadata = "{}";  ///< JSON: update type, line range, agent info
};

/// One row of "Document". Timestamps are ISO-8601 UTC text with milliseconds.
struct DocumentVersion {
    std::string id;
    std::string created_at;  ///< "createdAt", the second half of the key
    std::string title;
    std::optional<std::string> content;
    std::string kind;
    std::string user_id;
    std::optional<std::string> chat_id;
    std::optional<std::string> parent_version_id;
    std::int64_t version_number = 0;
    std::optional<std::string> metadata;
};

/// Saves a new version of a document (or the first version of a new one) and returns the row.
/// Its "createdAt" is now, or one millisecond after the latest version when the clock has not
/// moved past it, so versions stay ordered and keys distinct.
/// Throws ferry::Error(invalid_argument) for an empty title or user_id, (constraint) for a bad
/// uuid, an unknown chat or invalid metadata JSON.
DocumentVersion save_document_version(Store& store, const NewDocumentVersion& version);

/// The latest version of a document (the view document_latest), or std::nullopt when the id
/// has no version.
std::optional<DocumentVersion> latest_document(Store& store, const std::string& id);

/// Every version of a document, oldest first (empty when the id has none).
std::vector<DocumentVersion> document_history(Store& store, const std::string& id);

// ---------------------------------------------------------------------------------------------
// Models.
// ---------------------------------------------------------------------------------------------

/// Makes `model_id` the default model of its provider; the schema's trigger clears the flag on
/// the provider's other models. Throws ferry::Error(not_found) for an unknown model_id.
void set_default_model(Store& store, const std::string& model_id);

/// The model_id of a provider's default model, or std::nullopt when it has none.
std::optional<std::string> default_model(Store& store, const std::string& provider);

// ---------------------------------------------------------------------------------------------
// Usage (the device form of get_current_user_usage_summary()).
// ---------------------------------------------------------------------------------------------

/// Usage of one agent type within a summary.
struct AgentUsage {
    std::string agent_type;
    std::int64_t calls = 0;
    std::int64_t tokens = 0;  ///< sum of total_tokens
    std::string cost = "0";   ///< exact decimal text, six places when any cost was recorded
};

/// A user's usage over a date range.
struct UsageSummary {
    std::int64_t total_calls = 0;
    std::int64_t total_input_tokens = 0;
    std::int64_t total_output_tokens = 0;
    std::int64_t total_tokens = 0;
    std::string total_cost = "0";  ///< exact decimal text, as PostgreSQL prints the sum
    std::vector<AgentUsage> agents;  ///< sorted by agent_type
};

/// Sums the usage_logs of `user_id` whose request_timestamp falls on a day (UTC) from
/// `start_date` to `end_date` inclusive ("YYYY-MM-DD"; defaults: 30 days ago and today), like
/// the seed's get_current_user_usage_summary() for the signed-in user. Costs are added exactly.
/// Throws ferry::Error(invalid_argument) for a date that is not YYYY-MM-DD.
UsageSummary usage_summary(Store& store, const std::string& user_id,
                           const std::optional<std::string>& start_date = std::nullopt,
                           const std::optional<std::string>& end_date = std::nullopt);

// ---------------------------------------------------------------------------------------------
// Logging settings (admin_config 'logging_settings') and retention.
// ---------------------------------------------------------------------------------------------

/// The logging configuration as JSON text: admin_config 'logging_settings', or the seed's
/// default ({"error_logging_enabled": true, "user_activity_logging_enabled": false,
/// "agent_activity_logging_enabled": false}) when that row is missing.
std::string get_logging_config(Store& store);

/// Whether logging_settings.user_activity_logging_enabled is true (false when unset).
bool is_user_activity_logging_enabled(Store& store);

/// Whether logging_settings.agent_activity_logging_enabled is true (false when unset).
bool is_agent_activity_logging_enabled(Store& store);

/// Retention in days per log table, from logging_settings.log_retention_days.
struct LogRetention {
    std::int64_t user_activity_logs = 30;
    std::int64_t agent_activity_logs = 7;
    std::int64_t error_logs = 90;
};

/// The retention settings, each falling back to the seed's default when unset.
LogRetention log_retention(Store& store);

/// Rows deleted by purge_old_activity_logs, per table.
struct PurgeResult {
    std::int64_t user_logs_deleted = 0;
    std::int64_t agent_logs_deleted = 0;
    std::int64_t error_logs_deleted = 0;
};

/// Deletes, in one transaction, user and agent activity logs older than their retention and
/// resolved error logs older than theirs (unresolved errors are kept), as the seed's
/// purge_old_activity_logs() does. The deletes are local writes and sync like any other.
PurgeResult purge_old_activity_logs(Store& store);

}  // namespace ferry::apps::agentchat
