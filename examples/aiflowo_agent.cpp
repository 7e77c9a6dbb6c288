// examples/aiflowo_agent.cpp: the aiflowo app (seed 003, an AI task agent) on a device store: a
// task planned and run step by step with logs, a tool from the catalogue and its execution, an
// artifact and a queue job, then the task's state (plain SQL). Usage: aiflowo_agent [store.db]
#include <ferry/apps/aiflowo.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <filesystem>
#include <iostream>
#include <string>

namespace af = ferry::apps::aiflowo;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "/tmp/ferry-example-aiflowo.db";
    try {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
        ferry::Store store = ferry::Store::open(path, "aiflowo");
        std::cout << "opened " << store.path() << " (app " << store.app() << ")\n";

        const std::string user = ferry::Store::new_id("cuid");
        store.execute(R"(INSERT INTO "User"(id, email) VALUES (?, 'ann@example.com'))", {user});

        af::NewTask new_task;
        new_task.user_id = user;
        new_task.title = "Find a flight to Lisbon";
        new_task.intent = "Book me the cheapest morning flight from Berlin to Lisbon next Friday";
        new_task.priority = "HIGH";
        new_task.plan_json = R"({"steps": ["search flights", "compare prices"]})";
        new_task.total_steps = 2;
        const af::Task task = af::create_task(store, new_task);
        std::cout << "task " << task.id << " '" << task.title << "' " << task.status << "/" << task.priority << "\n";

        // The worker starts the task (plain SQL), picks a tool and records what it did.
        store.execute(R"(UPDATE "Task" SET status = 'RUNNING', "startedAt" = ferry_now(), "currentStep" = 1 WHERE id = ?)",
                      {task.id});
        const auto travel_tools = af::list_enabled_tools(store, "TRAVEL");
        std::cout << "TRAVEL tools:";
        for (const auto& t : travel_tools) std::cout << " " << t.name;
        std::cout << "\n";

        af::NewToolExecution exec;
        exec.tool_id = "tool_search_flights";
        exec.task_id = task.id;
        exec.input_json = R"({"from": "BER", "to": "LIS", "date": "next friday"})";
        exec.output_json = R"({"cheapest": {"flight": "TP 531", "price": 89}})";
        exec.duration_ms = 2350;
        af::record_tool_execution(store, exec);

        af::NewTaskLog log;
        log.task_id = task.id;
        log.message = "Found 14 flights; cheapest TP 531 at 89 EUR";
        log.step = 1;
        af::append_task_log(store, log);

        af::NewArtifact shot;
        shot.task_id = task.id;
        shot.type = "SCREENSHOT";
        shot.name = "results.png";
        shot.url = "s3://aiflowo/tasks/" + task.id + "/results.png";
        shot.mime_type = "image/png";
        af::add_artifact(store, shot);

        af::NewQueueJob job;
        job.queue = "BROWSER";
        job.task_id = task.id;
        job.data_json = R"({"action": "checkout", "flight": "TP 531"})";
        const af::QueueJob queued = af::enqueue_job(store, job);
        std::cout << "queued job " << queued.job_id << " on " << queued.queue << " (" << queued.status << ")\n";

        store.execute(R"(UPDATE "Task" SET status = 'SUCCEEDED', "currentStep" = 2, "completedAt" = ferry_now(),
                         result = '{"booked": false, "cheapest": "TP 531"}' WHERE id = ?)", {task.id});
        std::cout << "task state: " << store.query_json(R"(SELECT t.status, t."currentStep", t."totalSteps",
            (SELECT count(*) FROM "TaskLog" WHERE "taskId" = t.id) AS logs,
            (SELECT count(*) FROM "TaskArtifact" WHERE "taskId" = t.id) AS artifacts
            FROM "Task" t WHERE t.id = ?)", {task.id}) << "\n";
        std::cout << "search_flights used "
                  << store.query_value(R"(SELECT "usageCount" FROM "Tool" WHERE id = 'tool_search_flights')")->as_int()
                  << " time(s)\nlocal changes waiting for sync: " << store.status().pending_changes << "\n";
        return 0;
    } catch (const ferry::Error& e) {
        std::cerr << "aiflowo_agent failed [" << ferry::error_code_name(e.code()) << "]: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "aiflowo_agent failed: " << e.what() << "\n";
    }
    return 1;
}
