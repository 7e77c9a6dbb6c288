// examples/december_containers.cpp: the december app (seed 001, an AI app builder) on a device
// store: a user, a Docker container through its lifecycle, a project built in it, the AI chat,
// generated files (plain SQL) and the two reporting views. Usage: december_containers [store.db]
#include <ferry/apps/december.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <filesystem>
#include <iostream>
#include <string>
#include <utility>

namespace dec = ferry::apps::december;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "/tmp/ferry-example-december.db";
    try {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
        ferry::Store store = ferry::Store::open(path, "december");
        std::cout << "opened " << store.path() << " (app " << store.app() << ")\n";

        dec::NewUser new_user;
        new_user.email = "ann@example.com";
        new_user.name = "Ann";
        const std::string user = dec::create_user(store, new_user);

        dec::NewContainer new_container;
        new_container.container_id = "docker-7f3a91";
        new_container.name = "todo-app";
        new_container.image_name = "node:20-alpine";
        new_container.assigned_port = 3001;
        new_container.url = "https://todo-app.up.railway.app";
        new_container.user_id = user;
        new_container.labels = R"({"december.project": "todo-app"})";
        const std::string container = dec::create_container(store, new_container);
        dec::update_container_status(store, container, "running");

        dec::NewProject new_project;
        new_project.name = "Todo app";
        new_project.description = "A Next.js todo list";
        new_project.container_id = container;
        new_project.user_id = user;
        dec::create_project(store, new_project);

        for (const auto& [role, content] : {std::pair<const char*, const char*>{"user", "Build me a todo app"},
                                            {"assistant", "Created app/page.tsx with a todo list."}}) {
            dec::NewChatMessage m;
            m.container_id = container;
            m.session_id = "session-1";
            m.role = role;
            m.content = content;
            dec::add_chat_message(store, m);
        }
        // The files the assistant generated, with plain SQL.
        store.execute("INSERT INTO file_storage(container_id, file_path, file_name, file_size, mime_type) "
                      "VALUES (?, 'app/page.tsx', 'page.tsx', ?, 'text/typescript')",
                      {container, 1432});

        for (const auto& c : dec::active_containers(store))
            std::cout << "active container " << c.name << " [" << c.status << "] port "
                      << c.assigned_port.value_or(0) << " started " << c.started_at.value_or("-") << ", project "
                      << c.project_name.value_or("-") << ", owner " << c.user_email.value_or("-") << "\n";
        for (const auto& p : dec::user_projects(store, user))
            std::cout << "project " << p.name << ": container " << p.container_status.value_or("-") << ", "
                      << p.message_count << " chat messages\n";
        std::cout << "files: "
                  << store.query_json("SELECT file_path, file_size FROM file_storage WHERE container_id = ?", {container})
                  << "\n";

        dec::update_container_status(store, container, "stopped");
        std::cout << "after stopping: " << dec::active_containers(store).size() << " active containers, stopped_at "
                  << store.query_value("SELECT stopped_at FROM containers WHERE id = ?", {container})->to_string()
                  << "\n";
        std::cout << "expired sessions purged: " << dec::purge_expired_sessions(store) << "\n";
        std::cout << "local changes waiting for sync: " << store.status().pending_changes << "\n";
        return 0;
    } catch (const ferry::Error& e) {
        std::cerr << "december_containers failed [" << ferry::error_code_name(e.code()) << "]: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "december_containers failed: " << e.what() << "\n";
    }
    return 1;
}
