// ferry/apps/aiflowo.hpp: typed helpers for the "aiflowo" app schema (seed 003, an AI task
// agent): tasks with logs and artifacts, tool executions, queue jobs and the tool catalogue.
// They are plain SQL on a ferry::Store, so every write is captured for sync.
// Optional: an app that brings its own schema needs none of this. Every helper runs on the
// calling thread under the Store's rules (one thread at a time), borrows the Store for the call,
// and throws ferry::Error as Store::execute does (a constraint, a busy database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ferry/store.hpp>

namespace ferry::apps::aiflowo {

// Enum values are the PostgreSQL enum labels, stored as text on the device and checked there:
//   TaskStatus      PENDING RUNNING PAUSED SUCCEEDED FAILED CANCELLED
//   TaskPriority    LOW MEDIUM HIGH URGENT
//   LogLevel        DEBUG INFO WARN ERROR
//   ArtifactType    SCREENSHOT PDF FILE IMAGE VIDEO JSON TEXT
//   ToolCategory    BROWSER API FILE EMAIL SOCIAL TRAVEL JOB GENERAL
//   ExecutionStatus PENDING RUNNING COMPLETED FAILED
//   QueueName       TASK BROWSER MEDIA EMAIL
// A value outside its list is refused with ferry::Error(constraint) naming "<Table>_<column>_enum".

/// Input of create_task. The task starts PENDING at step 0.
struct NewTask {
    std::string user_id;
    std::string title;
    std::optional<std::string> description;
    std::string intent;                    ///< the user's original request
    std::string priority = "MEDIUM";       ///< TaskPriority
    std::optional<std::string> plan_json;  ///< the LLM-generated plan
    std::int64_t total_steps = 0;
};

/// A row of "Task". Timestamps are ISO-8601 UTC text with milliseconds.
struct Task {
    std::string id;
    std::string user_id;
    std::string title;
    std::optional<std::string> description;
    std::string intent;
    std::string status;
    std::string priority;
    std::optional<std::string> plan_json;
    std::int64_t current_step = 0;
    std::int64_t total_steps = 0;
    std::optional<std::string> result_json;
    std::optional<std::string> error;
    std::optional<std::string> started_at;
    std::optional<std::string> completed_at;
    std::string created_at;
    std::string updated_at;
};

/// Creates a task (a new cuid id) and returns the stored row.
/// Throws ferry::Error(invalid_argument) for an empty title or intent, (constraint) for an
/// unknown user, a bad priority or invalid plan JSON.
Task create_task(Store& store, const NewTask& task);

/// Input of append_task_log.
struct NewTaskLog {
    std::string task_id;
    std::string level = "INFO";  ///< LogLevel
    std::string message;
    std::optional<std::int64_t> step;
    std::optional<std::string> metadata_json;
};

/// A row of "TaskLog".
struct TaskLog {
    std::string id;
    std::string task_id;
    std::string level;
    std::string message;
    std::optional<std::int64_t> step;
    std::optional<std::string> metadata_json;
    std::string timestamp;
};

/// Appends a log line to a task. Throws ferry::Error(constraint) for an unknown task, a bad
/// level or invalid metadata JSON.
TaskLog append_task_log(Store& store, const NewTaskLog& log);

/// Input of add_artifact.
struct NewArtifact {
    std::string task_id;
    std::string type;  ///< ArtifactType
    std::string name;
    std::optional<std::string> description;
    std::string url;  ///< S3 URL or path
    std::optional<std::int64_t> size;
    std::optional<std::string> mime_type;
};

/// A row of "TaskArtifact".
struct TaskArtifact {
    std::string id;
    std::string task_id;
    std::string type;
    std::string name;
    std::optional<std::string> description;
    std::string url;
    std::optional<std::int64_t> size;
    std::optional<std::string> mime_type;
    std::string created_at;
};

/// Attaches a file or media item to a task. Throws ferry::Error(invalid_argument) for an empty
/// name or url, (constraint) for an unknown task or a bad type.
TaskArtifact add_artifact(Store& store, const NewArtifact& artifact);

/// Input of record_tool_execution.
struct NewToolExecution {
    std::string tool_id;                 ///< "Tool"."id", e.g. "tool_search_google"
    std::optional<std::string> task_id;  ///< without a task the row has no owner (see README)
    std::string input_json;
    std::optional<std::string> output_json;
    std::optional<std::string> error;
    std::string status = "COMPLETED";  ///< ExecutionStatus
    std::optional<std::int64_t> duration_ms;
    std::optional<std::string> started_at;
    std::optional<std::string> completed_at;
};

/// A row of "ToolExecution".
struct ToolExecution {
    std::string id;
    std::string tool_id;
    std::optional<std::string> task_id;
    std::string input_json;
    std::optional<std::string> output_json;
    std::optional<std::string> error;
    std::string status;
    std::optional<std::int64_t> duration_ms;
    std::optional<std::string> started_at;
    std::optional<std::string> completed_at;
    std::string created_at;
};

/// Records one execution of a tool and adds 1 to the tool's "usageCount" (a counter column:
/// concurrent uses on several devices add up), in one transaction.
/// Throws ferry::Error(not_found) for an unknown tool, (constraint) for an unknown task, a bad
/// status, invalid JSON or a bad timestamp; nothing is written then.
ToolExecution record_tool_execution(Store& store, const NewToolExecution& execution);

/// Input of enqueue_job.
struct NewQueueJob {
    std::string queue;                  ///< QueueName
    std::optional<std::string> job_id;  ///< the BullMQ job id; default: a new cuid
    std::optional<std::string> task_id;
    std::string data_json;
    std::int64_t max_attempts = 3;
};

/// A row of "QueueJob".
struct QueueJob {
    std::string id;
    std::string queue;
    std::string job_id;
    std::optional<std::string> task_id;
    std::string data_json;
    std::string status;  ///< BullMQ state text; a new job is "waiting"
    std::int64_t progress = 0;
    std::int64_t attempts = 0;
    std::int64_t max_attempts = 0;
    std::optional<std::string> error;
    std::optional<std::string> result_json;
    std::string created_at;
    std::optional<std::string> started_at;
    std::optional<std::string> completed_at;
    std::optional<std::string> failed_at;
};

/// Adds a waiting job to a queue. Throws ferry::Error(invalid_argument) for max_attempts < 1,
/// (constraint) for a bad queue name, a job id already used, an unknown task or invalid JSON.
QueueJob enqueue_job(Store& store, const NewQueueJob& job);

/// A row of "Tool".
struct Tool {
    std::string id;
    std::string name;
    std::string display_name;
    std::string description;
    std::string category;
    std::string schema_json;  ///< JSON Schema of the tool's input
    bool enabled = true;
    std::int64_t usage_count = 0;
    std::string created_at;
    std::string updated_at;
};

/// The enabled tools, optionally of one ToolCategory, ordered by category then name.
/// Throws ferry::Error on a database failure only.
std::vector<Tool> list_enabled_tools(Store& store,
                                     const std::optional<std::string>& category = std::nullopt);

}  // namespace ferry::apps::aiflowo
