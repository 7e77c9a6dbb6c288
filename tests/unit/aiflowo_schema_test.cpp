// Device tests of the "aiflowo" app schema (seed 003): tables and keys, enum/JSON/timestamp
// checks naming the table/column, cascades, the updatedAt triggers, the 12 seeded tools, and the
// typed helpers of ferry/apps/aiflowo.hpp.
#include <catch2/catch.hpp>

#include <ferry/apps/aiflowo.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/store_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace af = ferry::apps::aiflowo;
using ferry::Store;
using ferry::Value;
using ferry::test::code_of;
using ferry::test::require_constraint;

namespace {

const std::vector<std::string> kSyncedTables = {"User", "UserProfile", "Task", "TaskLog", "TaskArtifact",
                                                "Tool", "ToolExecution", "QueueJob"};

const std::vector<std::string> kToolIds = {
    "tool_search_google", "tool_navigate_url",   "tool_take_screenshot", "tool_fill_form",
    "tool_send_email",    "tool_search_flights", "tool_search_hotels",   "tool_post_social",
    "tool_search_jobs",   "tool_apply_job",      "tool_read_file",       "tool_write_file"};

std::int64_t count(Store& s, const std::string& sql, const std::vector<Value>& params = {}) {
    return s.query_value(sql, params)->as_int();
}

void add_user(Store& s, const std::string& id) {
    s.execute("INSERT INTO \"User\" (\"id\", \"email\") VALUES (?1, ?2)", {id, id + "@example.com"});
}

af::NewTask new_task(std::string user_id, std::string title, std::string intent = "do it") {
    af::NewTask t;
    t.user_id = std::move(user_id);
    t.title = std::move(title);
    t.intent = std::move(intent);
    return t;
}

af::NewToolExecution new_execution(std::string tool_id, std::optional<std::string> task_id) {
    af::NewToolExecution e;
    e.tool_id = std::move(tool_id);
    e.task_id = std::move(task_id);
    e.input_json = R"({"query":"ferry"})";
    return e;
}

}  // namespace

TEST_CASE("aiflowo: a fresh store has every synced table with its key", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    CHECK(s.app() == "aiflowo");
    CHECK(s.schema_version() == 3);
    CHECK(s.synced_tables() == kSyncedTables);
    for (const auto& t : s.synced_tables()) {
        INFO("table " << t);
        CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", {t}) == 1);
        CHECK(count(s, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = 'id' AND pk = 1", {t}) == 1);
        CHECK(count(s, "SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0", {t}) == 1);
        CHECK(count(s, "SELECT strict FROM pragma_table_list WHERE name = ?1", {t}) == 1);
    }
    // Authentication tables stay on the server.
    CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE name IN ('MagicLink', 'Session')") == 0);
    for (const char* idx :
         {"User_email_key", "User_email_idx", "UserProfile_userId_key", "UserProfile_userId_idx",
          "Task_userId_idx", "Task_status_idx", "Task_createdAt_idx", "TaskLog_taskId_idx",
          "TaskLog_timestamp_idx", "TaskArtifact_taskId_idx", "Tool_name_key", "Tool_category_idx",
          "Tool_enabled_idx", "ToolExecution_toolId_idx", "ToolExecution_taskId_idx",
          "ToolExecution_status_idx", "ToolExecution_createdAt_idx", "QueueJob_jobId_key",
          "QueueJob_queue_idx", "QueueJob_jobId_idx", "QueueJob_taskId_idx", "QueueJob_status_idx"}) {
        INFO("index " << idx);
        CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    {std::string(idx)}) == 1);
    }
}

TEST_CASE("aiflowo: reopening a store changes nothing", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    int version = 0;
    {
        Store s = Store::open(dir.file("af.db"), "aiflowo");
        version = s.schema_version();
        add_user(s, "u1");
        af::record_tool_execution(s, new_execution("tool_search_google", std::nullopt));
    }
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    CHECK(s.schema_version() == version);
    CHECK(count(s, "SELECT count(*) FROM \"Tool\"") == 12);  // seed rows not duplicated
    CHECK(count(s, "SELECT \"usageCount\" FROM \"Tool\" WHERE \"id\" = 'tool_search_google'") == 1);
    CHECK(count(s, "SELECT count(*) FROM \"User\"") == 1);
}

TEST_CASE("aiflowo: the 12 tools are seeded with fixed ids and valid schemas", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    auto r = s.query("SELECT \"id\" FROM \"Tool\" ORDER BY \"id\"");
    std::set<std::string> ids;
    for (auto& row : r.rows) ids.insert(row[0].as_text());
    CHECK(ids == std::set<std::string>(kToolIds.begin(), kToolIds.end()));
    // The id is 'tool_' || name; every schema is a JSON Schema object with properties.
    CHECK(count(s, "SELECT count(*) FROM \"Tool\" WHERE \"id\" = 'tool_' || \"name\"") == 12);
    CHECK(count(s, "SELECT count(*) FROM \"Tool\" WHERE json_extract(\"schema\", '$.type') = 'object'"
                   " AND json_type(\"schema\", '$.properties') = 'object'"
                   " AND json_type(\"schema\", '$.required') = 'array'") == 12);
    CHECK(count(s, "SELECT count(*) FROM \"Tool\" WHERE \"enabled\" = 1 AND \"usageCount\" = 0"
                   " AND \"createdAt\" = '2025-01-01T00:00:00.000Z' AND \"updatedAt\" = \"createdAt\"") == 12);
    CHECK(count(s, "SELECT count(DISTINCT \"category\") FROM \"Tool\"") == 6);
    for (const char* cat : {"BROWSER", "EMAIL", "TRAVEL", "SOCIAL", "JOB", "FILE"}) {
        INFO(cat);
        CHECK(count(s, "SELECT count(*) FROM \"Tool\" WHERE \"category\" = ?1", {std::string(cat)}) >= 1);
    }
    CHECK(s.query_value("SELECT json_extract(\"schema\", '$.required[0]') FROM \"Tool\" WHERE \"name\" = 'search_google'")
              ->as_text() == "query");
}

TEST_CASE("aiflowo: constraints reject bad values and write nothing", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    add_user(s, "u1");
    auto task = af::create_task(s, new_task("u1", "t"));

    SECTION("bad enum values") {
        require_constraint([&] { s.execute("UPDATE \"Task\" SET \"status\" = 'DONE' WHERE \"id\" = ?1", {task.id}); },
                           "Task_status_enum");
        require_constraint([&] { s.execute("UPDATE \"Task\" SET \"priority\" = 'low' WHERE \"id\" = ?1", {task.id}); },
                           "Task_priority_enum");
        af::NewTaskLog log;
        log.task_id = task.id;
        log.level = "TRACE";
        log.message = "m";
        require_constraint([&] { af::append_task_log(s, log); }, "TaskLog_level_enum");
        af::NewArtifact art;
        art.task_id = task.id;
        art.type = "DOC";
        art.name = "n";
        art.url = "s3://b/k";
        require_constraint([&] { af::add_artifact(s, art); }, "TaskArtifact_type_enum");
        auto exec = new_execution("tool_search_google", task.id);
        exec.status = "DONE";
        require_constraint([&] { af::record_tool_execution(s, exec); }, "ToolExecution_status_enum");
        CHECK(count(s, "SELECT \"usageCount\" FROM \"Tool\" WHERE \"id\" = 'tool_search_google'") == 0);  // rolled back
        af::NewQueueJob job;
        job.queue = "VIDEO";
        job.data_json = "{}";
        require_constraint([&] { af::enqueue_job(s, job); }, "QueueJob_queue_enum");
        require_constraint([&] { s.execute("UPDATE \"Tool\" SET \"category\" = 'MISC' WHERE \"id\" = 'tool_read_file'"); },
                           "Tool_category_enum");
        CHECK(s.query_value("SELECT \"status\" FROM \"Task\" WHERE \"id\" = ?1", {task.id})->as_text() == "PENDING");
        CHECK(count(s, "SELECT (SELECT count(*) FROM \"TaskLog\") + (SELECT count(*) FROM \"TaskArtifact\")"
                       " + (SELECT count(*) FROM \"ToolExecution\") + (SELECT count(*) FROM \"QueueJob\")") == 0);
    }
    SECTION("bad JSON") {
        auto bad = new_task("u1", "t2");
        bad.plan_json = "{steps:";
        require_constraint([&] { af::create_task(s, bad); }, "Task_plan_json");
        auto exec = new_execution("tool_search_google", task.id);
        exec.input_json = "not json";
        require_constraint([&] { af::record_tool_execution(s, exec); }, "ToolExecution_input_json");
        require_constraint([&] { s.execute("UPDATE \"Tool\" SET \"schema\" = '{' WHERE \"id\" = 'tool_read_file'"); },
                           "Tool_schema_json");
        require_constraint([&] {
            s.execute("INSERT INTO \"UserProfile\" (\"userId\", \"preferredAirlines\") VALUES ('u1', '\"LH\"')");
        }, "UserProfile_preferredAirlines_array");
        CHECK(count(s, "SELECT count(*) FROM \"Task\"") == 1);
    }
    SECTION("wrong storage type and booleans") {
        require_constraint([&] { s.execute("UPDATE \"Task\" SET \"currentStep\" = 'two' WHERE \"id\" = ?1", {task.id}); },
                           "Task.currentStep");
        require_constraint([&] { s.execute("UPDATE \"Tool\" SET \"enabled\" = 2 WHERE \"id\" = 'tool_read_file'"); },
                           "Tool_enabled_bool");
        require_constraint([&] {
            s.execute("INSERT INTO \"UserProfile\" (\"userId\", \"notifications\") VALUES ('u1', 5)");
        }, "UserProfile_notifications_bool");
    }
    SECTION("bad timestamps") {
        require_constraint([&] { s.execute("UPDATE \"Task\" SET \"startedAt\" = '2024-05-01' WHERE \"id\" = ?1", {task.id}); },
                           "Task_startedAt_timestamp");
        auto exec = new_execution("tool_search_google", task.id);
        exec.completed_at = "now";
        require_constraint([&] { af::record_tool_execution(s, exec); }, "ToolExecution_completedAt_timestamp");
        CHECK(s.query_value("SELECT \"startedAt\" FROM \"Task\" WHERE \"id\" = ?1", {task.id})->is_null());
    }
    SECTION("dangling foreign keys and duplicate unique keys") {
        require_constraint([&] { af::create_task(s, new_task("ghost", "t")); }, "FOREIGN KEY");
        af::NewTaskLog log;
        log.task_id = "ghost";
        log.message = "m";
        require_constraint([&] { af::append_task_log(s, log); }, "FOREIGN KEY");
        require_constraint([&] { af::record_tool_execution(s, new_execution("tool_search_google", std::string("ghost"))); },
                           "FOREIGN KEY");
        CHECK(count(s, "SELECT \"usageCount\" FROM \"Tool\" WHERE \"id\" = 'tool_search_google'") == 0);
        require_constraint([&] { s.execute("INSERT INTO \"User\" (\"id\", \"email\") VALUES ('u1', 'other@example.com')"); },
                           "User.id");
        require_constraint([&] { s.execute("INSERT INTO \"User\" (\"id\", \"email\") VALUES ('u2', 'u1@example.com')"); },
                           "User.email");
        s.execute("INSERT INTO \"UserProfile\" (\"userId\") VALUES ('u1')");
        require_constraint([&] { s.execute("INSERT INTO \"UserProfile\" (\"userId\") VALUES ('u1')"); },
                           "UserProfile.userId");
        af::NewQueueJob job;
        job.queue = "TASK";
        job.job_id = "bull-1";
        job.data_json = "{}";
        af::enqueue_job(s, job);
        require_constraint([&] { af::enqueue_job(s, job); }, "QueueJob.jobId");
        require_constraint([&] {
            s.execute("INSERT INTO \"Tool\" (\"name\", \"displayName\", \"description\", \"schema\")"
                      " VALUES ('search_google', 'x', 'x', '{}')");
        }, "Tool.name");
        CHECK(count(s, "SELECT count(*) FROM \"Tool\"") == 12);
        CHECK(count(s, "SELECT count(*) FROM \"QueueJob\"") == 1);
    }
}

TEST_CASE("aiflowo: deletes cascade as the Prisma relations say", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    add_user(s, "u1");
    s.execute("INSERT INTO \"UserProfile\" (\"userId\") VALUES ('u1')");
    auto task = af::create_task(s, new_task("u1", "t"));
    af::NewTaskLog log;
    log.task_id = task.id;
    log.message = "started";
    af::append_task_log(s, log);
    af::NewArtifact art;
    art.task_id = task.id;
    art.type = "SCREENSHOT";
    art.name = "page.png";
    art.url = "s3://bucket/page.png";
    af::add_artifact(s, art);
    auto exec = af::record_tool_execution(s, new_execution("tool_take_screenshot", task.id));
    af::NewQueueJob job;
    job.queue = "BROWSER";
    job.task_id = task.id;
    job.data_json = "{}";
    auto queued = af::enqueue_job(s, job);

    SECTION("deleting a task removes logs and artifacts, unlinks executions and jobs") {
        s.execute("DELETE FROM \"Task\" WHERE \"id\" = ?1", {task.id});
        CHECK(count(s, "SELECT count(*) FROM \"TaskLog\"") == 0);
        CHECK(count(s, "SELECT count(*) FROM \"TaskArtifact\"") == 0);
        CHECK(s.query_value("SELECT \"taskId\" FROM \"ToolExecution\" WHERE \"id\" = ?1", {exec.id})->is_null());
        CHECK(s.query_value("SELECT \"taskId\" FROM \"QueueJob\" WHERE \"id\" = ?1", {queued.id})->is_null());
    }
    SECTION("deleting a user removes the profile and the tasks") {
        s.execute("DELETE FROM \"User\" WHERE \"id\" = 'u1'");
        CHECK(count(s, "SELECT count(*) FROM \"UserProfile\"") == 0);
        CHECK(count(s, "SELECT count(*) FROM \"Task\"") == 0);
        CHECK(count(s, "SELECT count(*) FROM \"TaskLog\"") == 0);
        CHECK(count(s, "SELECT count(*) FROM \"ToolExecution\"") == 1);
    }
    SECTION("deleting a tool removes its executions") {
        s.execute("DELETE FROM \"Tool\" WHERE \"id\" = 'tool_take_screenshot'");
        CHECK(count(s, "SELECT count(*) FROM \"ToolExecution\"") == 0);
    }
}

TEST_CASE("aiflowo: updatedAt is maintained on local updates, not by usage counting", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    for (const char* table : {"User", "UserProfile", "Task", "Tool"}) {
        INFO("table " << table);
        CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    {std::string(table) + "_set_updatedAt"}) == 1);
    }
    add_user(s, "u1");
    auto task = af::create_task(s, new_task("u1", "t"));
    s.execute("UPDATE \"Task\" SET \"updatedAt\" = '2020-01-01T00:00:00.000Z' WHERE \"id\" = ?1", {task.id});
    CHECK(s.query_value("SELECT \"updatedAt\" FROM \"Task\" WHERE \"id\" = ?1", {task.id})->as_text() ==
          "2020-01-01T00:00:00.000Z");
    s.execute("UPDATE \"Task\" SET \"status\" = 'RUNNING', \"currentStep\" = 1 WHERE \"id\" = ?1", {task.id});
    CHECK(s.query_value("SELECT \"updatedAt\" FROM \"Task\" WHERE \"id\" = ?1", {task.id})->as_text() > "2024");

    af::record_tool_execution(s, new_execution("tool_search_google", task.id));
    CHECK(s.query_value("SELECT \"updatedAt\" FROM \"Tool\" WHERE \"id\" = 'tool_search_google'")->as_text() ==
          "2025-01-01T00:00:00.000Z");
    s.execute("UPDATE \"Tool\" SET \"enabled\" = 0 WHERE \"id\" = 'tool_search_google'");
    CHECK(s.query_value("SELECT \"updatedAt\" FROM \"Tool\" WHERE \"id\" = 'tool_search_google'")->as_text() >
          "2025-01-01T00:00:00.000Z");
}

TEST_CASE("aiflowo: create_task, append_task_log, add_artifact", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    add_user(s, "u1");

    auto in = new_task("u1", "Book a flight", "Find me a flight to Lisbon next Friday");
    in.priority = "HIGH";
    in.plan_json = R"({"steps":["search","compare","book"]})";
    in.total_steps = 3;
    auto t = af::create_task(s, in);
    CHECK(t.status == "PENDING");
    CHECK(t.priority == "HIGH");
    CHECK(t.current_step == 0);
    CHECK(t.total_steps == 3);
    CHECK(t.plan_json == in.plan_json);
    CHECK(t.intent == in.intent);
    CHECK_FALSE(t.started_at);
    CHECK(t.created_at == t.updated_at);
    CHECK(af::create_task(s, new_task("u1", "plain")).priority == "MEDIUM");
    CHECK(code_of([&] { af::create_task(s, new_task("u1", "")); }) == ferry::ErrorCode::invalid_argument);
    CHECK(code_of([&] { af::create_task(s, new_task("u1", "x", "")); }) == ferry::ErrorCode::invalid_argument);

    af::NewTaskLog log;
    log.task_id = t.id;
    log.message = "searching flights";
    log.step = 1;
    log.metadata_json = R"({"provider":"x"})";
    auto l = af::append_task_log(s, log);
    CHECK(l.level == "INFO");
    CHECK(l.step == std::optional<std::int64_t>(1));
    CHECK(l.metadata_json == log.metadata_json);
    CHECK(l.timestamp.size() == 24);
    log.level = "ERROR";
    log.step.reset();
    CHECK(af::append_task_log(s, log).level == "ERROR");
    CHECK(count(s, "SELECT count(*) FROM \"TaskLog\" WHERE \"taskId\" = ?1", {t.id}) == 2);

    af::NewArtifact art;
    art.task_id = t.id;
    art.type = "PDF";
    art.name = "itinerary.pdf";
    art.url = "s3://bucket/itinerary.pdf";
    art.size = 20480;
    art.mime_type = "application/pdf";
    auto a = af::add_artifact(s, art);
    CHECK(a.type == "PDF");
    CHECK(a.size == std::optional<std::int64_t>(20480));
    CHECK(a.mime_type == art.mime_type);
    CHECK_FALSE(a.description);
    art.url.clear();
    CHECK(code_of([&] { af::add_artifact(s, art); }) == ferry::ErrorCode::invalid_argument);
}

TEST_CASE("aiflowo: record_tool_execution counts uses", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    add_user(s, "u1");
    auto t = af::create_task(s, new_task("u1", "t"));

    auto in = new_execution("tool_search_google", t.id);
    in.output_json = R"({"results":[]})";
    in.duration_ms = 840;
    in.started_at = "2025-03-01T10:00:00.000Z";
    in.completed_at = "2025-03-01T10:00:00.840Z";
    auto e = af::record_tool_execution(s, in);
    CHECK(e.status == "COMPLETED");
    CHECK(e.tool_id == "tool_search_google");
    CHECK(e.task_id == std::optional<std::string>(t.id));
    CHECK(e.duration_ms == std::optional<std::int64_t>(840));
    CHECK(e.output_json == in.output_json);
    CHECK(e.started_at == in.started_at);
    af::record_tool_execution(s, new_execution("tool_search_google", std::nullopt));
    af::record_tool_execution(s, new_execution("tool_navigate_url", t.id));
    CHECK(count(s, "SELECT \"usageCount\" FROM \"Tool\" WHERE \"id\" = 'tool_search_google'") == 2);
    CHECK(count(s, "SELECT \"usageCount\" FROM \"Tool\" WHERE \"id\" = 'tool_navigate_url'") == 1);
    CHECK(count(s, "SELECT sum(\"usageCount\") FROM \"Tool\"") == 3);

    CHECK(code_of([&] { af::record_tool_execution(s, new_execution("tool_missing", t.id)); }) ==
          ferry::ErrorCode::not_found);
    CHECK(count(s, "SELECT count(*) FROM \"ToolExecution\"") == 3);
}

TEST_CASE("aiflowo: enqueue_job", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    add_user(s, "u1");
    auto t = af::create_task(s, new_task("u1", "t"));

    af::NewQueueJob job;
    job.queue = "TASK";
    job.task_id = t.id;
    job.data_json = R"({"taskId":"x"})";
    auto q = af::enqueue_job(s, job);
    CHECK(q.queue == "TASK");
    CHECK(q.status == "waiting");
    CHECK(q.progress == 0);
    CHECK(q.attempts == 0);
    CHECK(q.max_attempts == 3);
    CHECK(q.job_id.size() >= 20);  // generated
    CHECK(q.job_id != q.id);
    CHECK(q.data_json == job.data_json);
    CHECK_FALSE(q.started_at);

    job.job_id = "bull-42";
    job.max_attempts = 5;
    job.queue = "EMAIL";
    auto q2 = af::enqueue_job(s, job);
    CHECK(q2.job_id == "bull-42");
    CHECK(q2.max_attempts == 5);
    job.max_attempts = 0;
    job.job_id = "bull-43";
    CHECK(code_of([&] { af::enqueue_job(s, job); }) == ferry::ErrorCode::invalid_argument);
    CHECK(count(s, "SELECT count(*) FROM \"QueueJob\"") == 2);
}

TEST_CASE("aiflowo: list_enabled_tools", "[unit][aiflowo]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("af.db"), "aiflowo");
    auto all = af::list_enabled_tools(s);
    REQUIRE(all.size() == 12);
    for (std::size_t i = 1; i < all.size(); ++i) {
        const bool ordered = all[i - 1].category < all[i].category ||
                             (all[i - 1].category == all[i].category && all[i - 1].name < all[i].name);
        CHECK(ordered);
    }
    CHECK(all[0].enabled);
    CHECK_FALSE(all[0].schema_json.empty());

    s.execute("UPDATE \"Tool\" SET \"enabled\" = 0 WHERE \"id\" IN ('tool_search_flights', 'tool_read_file')");
    CHECK(af::list_enabled_tools(s).size() == 10);
    auto travel = af::list_enabled_tools(s, std::string("TRAVEL"));
    REQUIRE(travel.size() == 1);
    CHECK(travel[0].id == "tool_search_hotels");
    CHECK(travel[0].display_name == "Search Hotels");
    CHECK(af::list_enabled_tools(s, std::string("API")).empty());
}
