// examples/projectme_tasks.cpp: the projectme app (seed 000, a personal task runner) on a device
// store: a task and its result, an LLM conversation read back in order, a sandbox file, settings
// with the global fallback, and plain SQL. Usage: projectme_tasks [store.db]  (file is recreated)
#include <ferry/apps/projectme.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>

namespace pm = ferry::apps::projectme;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "/tmp/ferry-example-projectme.db";
    try {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
        ferry::Store store = ferry::Store::open(path, "projectme");
        std::cout << "opened " << store.path() << " (app " << store.app() << ", schema v" << store.schema_version()
                  << ")\n";

        // Users sign up on the server and reach a device by sync; this offline demo adds its own.
        const std::string user = "user_ann";
        store.execute(R"(INSERT INTO "User"(id, username, name) VALUES (?, 'ann', 'Ann'))", {user});

        pm::NewTask new_task;
        new_task.user_id = user;
        new_task.title = "Summarise the weekly report";
        new_task.payload_json = R"({"prompt": "Summarise report.pdf in three bullet points"})";
        new_task.tags = {"weekly", "llm"};
        new_task.priority = 2;
        const pm::Task task = pm::create_task(store, new_task);
        std::cout << "task " << task.id << ": '" << task.title << "' status=" << task.status << " type=" << task.type
                  << " tags=" << task.tags.size() << "\n";

        // The runner reports back with plain SQL; the schema's trigger maintains "updatedAt".
        store.execute(R"(UPDATE "Task" SET status = 'completed', "outputText" = ?, "executionTime" = ? WHERE id = ?)",
                      {"Revenue up, two hires, one open risk.", 1840, task.id});

        pm::NewLlmSession new_session;
        new_session.session_id = "chat-123";
        new_session.user_id = user;
        new_session.title = "Questions about the report";
        new_session.system_prompt = "You are a concise assistant.";
        pm::create_llm_session(store, new_session);
        for (const auto& [role, content] : {std::pair<const char*, const char*>{"user", "What is the open risk?"},
                                            {"assistant", "The vendor contract expires next month."}}) {
            pm::NewLlmMessage m;
            m.session_id = "chat-123";
            m.role = role;
            m.content = content;
            m.tokens = 12;
            pm::add_llm_message(store, m);
        }
        const auto session = pm::get_llm_session(store, "chat-123");
        if (!session) throw std::runtime_error("session chat-123 was not found after creating it");
        std::cout << "session '" << session->title.value_or("") << "' with " << session->messages.size() << " messages:\n";
        for (const auto& m : session->messages) std::cout << "  " << m.created_at << " " << m.role << ": " << m.content << "\n";

        pm::NewSandboxFile file;
        file.user_id = user;
        file.path = "/notes/summary.md";
        file.content = "# Weekly summary\n";
        const auto saved = pm::save_sandbox_file(store, file);
        std::cout << "sandbox file " << saved.path << " (" << saved.size << " bytes), files listed: "
                  << pm::list_sandbox_files(store, user).size() << "\n";

        // Ann has no settings row of her own, so the global one applies.
        const auto settings = pm::get_settings(store, user);
        std::cout << "settings for ann: " << (settings ? settings->id : std::string("none")) << "\n";

        std::cout << "tasks by status: "
                  << store.query_json(R"(SELECT status, count(*) AS n, sum("executionTime") AS ms FROM "Task" GROUP BY status)")
                  << "\n";
        std::cout << "local changes waiting for sync: " << store.status().pending_changes << "\n";
        return 0;
    } catch (const ferry::Error& e) {
        std::cerr << "projectme_tasks failed [" << ferry::error_code_name(e.code()) << "]: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "projectme_tasks failed: " << e.what() << "\n";
    }
    return 1;
}
