// lib/apps/aiflowo.cpp: the typed helpers of the "aiflowo" app schema (seed 003), written as
// plain SQL over ferry::Store's public API. Table and column names are the Prisma names of
// sql/apps/aiflowo (quoted, mixed case); see sql/apps/aiflowo/README.md for the choices.
#include <ferry/apps/aiflowo.hpp>

#include <ferry/error.hpp>
#include <ferry/value.hpp>

#include <string>

namespace ferry::apps::aiflowo {
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

/// The row of `table` with primary key `id`; throws not_found when it is gone.
QueryResult row_by_id(Store& store, const char* table, const std::string& id) {
    QueryResult r =
        store.query(std::string("SELECT * FROM \"") + table + "\" WHERE \"id\" = ?1", {id});
    if (r.rows.empty()) {
        throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                    std::string(table) + " " + id + " does not exist");
    }
    return r;
}

Task task_from(const QueryResult& r) {
    Task t;
    t.id = r.at(0, "id").as_text();
    t.user_id = r.at(0, "userId").as_text();
    t.title = r.at(0, "title").as_text();
    t.description = opt_text(r.at(0, "description"));
    t.intent = r.at(0, "intent").as_text();
    t.status = r.at(0, "status").as_text();
    t.priority = r.at(0, "priority").as_text();
    t.plan_json = opt_text(r.at(0, "plan"));
    t.current_step = r.at(0, "currentStep").as_int();
    t.total_steps = r.at(0, "totalSteps").as_int();
    t.result_json = opt_text(r.at(0, "result"));
    t.error = opt_text(r.at(0, "error"));
    t.started_at = opt_text(r.at(0, "startedAt"));
    t.completed_at = opt_text(r.at(0, "completedAt"));
    t.created_at = r.at(0, "createdAt").as_text();
    t.updated_at = r.at(0, "updatedAt").as_text();
    return t;
}

Tool tool_from(const QueryResult& r, std::size_t i) {
    Tool t;
    t.id = r.at(i, "id").as_text();
    t.name = r.at(i, "name").as_text();
    t.display_name = r.at(i, "displayName").as_text();
    t.description = r.at(i, "description").as_text();
    t.category = r.at(i, "category").as_text();
    t.schema_json = r.at(i, "schema").as_text();
    t.enabled = r.at(i, "enabled").as_int() != 0;
    t.usage_count = r.at(i, "usageCount").as_int();
    t.created_at = r.at(i, "createdAt").as_text();
    t.updated_at = r.at(i, "updatedAt").as_text();
    return t;
}

}  // namespace

Task create_task(Store& store, const NewTask& task) {
    require(!task.title.empty(), "create_task: title must not be empty");
    require(!task.intent.empty(), "create_task: intent must not be empty");
    const std::string id = Store::new_id("cuid");
    const std::string now = Store::now_timestamp();
    store.execute(
        "INSERT INTO \"Task\" (\"id\", \"userId\", \"title\", \"description\", \"intent\","
        " \"status\", \"priority\", \"plan\", \"currentStep\", \"totalSteps\", \"createdAt\","
        " \"updatedAt\") VALUES (?1, ?2, ?3, ?4, ?5, 'PENDING', ?6, ?7, 0, ?8, ?9, ?9)",
        {id, task.user_id, task.title, opt_value(task.description), task.intent, task.priority,
         opt_value(task.plan_json), task.total_steps, now});
    return task_from(row_by_id(store, "Task", id));
}

TaskLog append_task_log(Store& store, const NewTaskLog& log) {
    const std::string id = Store::new_id("cuid");
    store.execute(
        "INSERT INTO \"TaskLog\" (\"id\", \"taskId\", \"level\", \"message\", \"step\", \"metadata\","
        " \"timestamp\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        {id, log.task_id, log.level, log.message, opt_value(log.step),
         opt_value(log.metadata_json), Store::now_timestamp()});
    QueryResult r = row_by_id(store, "TaskLog", id);
    TaskLog l;
    l.id = r.at(0, "id").as_text();
    l.task_id = r.at(0, "taskId").as_text();
    l.level = r.at(0, "level").as_text();
    l.message = r.at(0, "message").as_text();
    l.step = opt_int(r.at(0, "step"));
    l.metadata_json = opt_text(r.at(0, "metadata"));
    l.timestamp = r.at(0, "timestamp").as_text();
    return l;
}

TaskArtifact add_artifact(Store& store, const NewArtifact& artifact) {
    require(!artifact.name.empty(), "add_artifact: name must not be empty");
    require(!artifact.url.empty(), "add_artifact: url must not be empty");
    const std::string id = Store::new_id("cuid");
    store.execute(
        "INSERT INTO \"TaskArtifact\" (\"id\", \"taskId\", \"type\", \"name\", \"description\","
        " \"url\", \"size\", \"mimeType\", \"createdAt\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        {id, artifact.task_id, artifact.type, artifact.name, opt_value(artifact.description),
         artifact.url, opt_value(artifact.size), opt_value(artifact.mime_type),
         Store::now_timestamp()});
    QueryResult r = row_by_id(store, "TaskArtifact", id);
    TaskArtifact a;
    a.id = r.at(0, "id").as_text();
    a.task_id = r.at(0, "taskId").as_text();
    a.type = r.at(0, "type").as_text();
    a.name = r.at(0, "name").as_text();
    a.description = opt_text(r.at(0, "description"));
    a.url = r.at(0, "url").as_text();
    a.size = opt_int(r.at(0, "size"));
    a.mime_type = opt_text(r.at(0, "mimeType"));
    a.created_at = r.at(0, "createdAt").as_text();
    return a;
}

ToolExecution record_tool_execution(Store& store, const NewToolExecution& execution) {
    const std::string id = Store::new_id("cuid");
    store.transaction([&] {
        // Only "usageCount" changes, so the tool's "updatedAt" stays (see the Tool trigger).
        const std::int64_t found = store.execute(
            "UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + 1 WHERE \"id\" = ?1",
            {execution.tool_id});
        if (found == 0) {
            throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                        "record_tool_execution: no Tool with id '" + execution.tool_id + "'");
        }
        store.execute(
            "INSERT INTO \"ToolExecution\" (\"id\", \"toolId\", \"taskId\", \"input\", \"output\","
            " \"error\", \"status\", \"duration\", \"startedAt\", \"completedAt\", \"createdAt\")"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            {id, execution.tool_id, opt_value(execution.task_id), execution.input_json,
             opt_value(execution.output_json), opt_value(execution.error), execution.status,
             opt_value(execution.duration_ms), opt_value(execution.started_at),
             opt_value(execution.completed_at), Store::now_timestamp()});
    });
    QueryResult r = row_by_id(store, "ToolExecution", id);
    ToolExecution e;
    e.id = r.at(0, "id").as_text();
    e.tool_id = r.at(0, "toolId").as_text();
    e.task_id = opt_text(r.at(0, "taskId"));
    e.input_json = r.at(0, "input").as_text();
    e.output_json = opt_text(r.at(0, "output"));
    e.error = opt_text(r.at(0, "error"));
    e.status = r.at(0, "status").as_text();
    e.duration_ms = opt_int(r.at(0, "duration"));
    e.started_at = opt_text(r.at(0, "startedAt"));
    e.completed_at = opt_text(r.at(0, "completedAt"));
    e.created_at = r.at(0, "createdAt").as_text();
    return e;
}

QueueJob enqueue_job(Store& store, const NewQueueJob& job) {
    require(job.max_attempts >= 1, "enqueue_job: max_attempts must be at least 1");
    require(!job.job_id || !job.job_id->empty(), "enqueue_job: job_id must not be empty");
    const std::string id = Store::new_id("cuid");
    const std::string job_id = job.job_id ? *job.job_id : Store::new_id("cuid");
    store.execute(
        "INSERT INTO \"QueueJob\" (\"id\", \"queue\", \"jobId\", \"taskId\", \"data\", \"status\","
        " \"progress\", \"attempts\", \"maxAttempts\", \"createdAt\")"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', 0, 0, ?6, ?7)",
        {id, job.queue, job_id, opt_value(job.task_id), job.data_json, job.max_attempts,
         Store::now_timestamp()});
    QueryResult r = row_by_id(store, "QueueJob", id);
    QueueJob q;
    q.id = r.at(0, "id").as_text();
    q.queue = r.at(0, "queue").as_text();
    q.job_id = r.at(0, "jobId").as_text();
    q.task_id = opt_text(r.at(0, "taskId"));
    q.data_json = r.at(0, "data").as_text();
    q.status = r.at(0, "status").as_text();
    q.progress = r.at(0, "progress").as_int();
    q.attempts = r.at(0, "attempts").as_int();
    q.max_attempts = r.at(0, "maxAttempts").as_int();
    q.error = opt_text(r.at(0, "error"));
    q.result_json = opt_text(r.at(0, "result"));
    q.created_at = r.at(0, "createdAt").as_text();
    q.started_at = opt_text(r.at(0, "startedAt"));
    q.completed_at = opt_text(r.at(0, "completedAt"));
    q.failed_at = opt_text(r.at(0, "failedAt"));
    return q;
}

std::vector<Tool> list_enabled_tools(Store& store, const std::optional<std::string>& category) {
    QueryResult r = store.query(
        "SELECT * FROM \"Tool\" WHERE \"enabled\" = 1 AND (?1 IS NULL OR \"category\" = ?1)"
        " ORDER BY \"category\", \"name\"",
        {opt_value(category)});
    std::vector<Tool> out;
    for (std::size_t i = 0; i < r.rows.size(); ++i) out.push_back(tool_from(r, i));
    return out;
}

}  // namespace ferry::apps::aiflowo
