// examples/devlog_observability.cpp: the devlog app (seed 004, AI-agent observability). Integer
// keys are ids leased from the server: with no conninfo it shows the lease_exhausted error; with
// one it leases, records an agent session, syncs. Usage: devlog_observability [store.db] [conninfo]
#include <ferry/apps/devlog.hpp>
#include <ferry/error.hpp>
#include <ferry/postgres_transport.hpp>
#include <ferry/server.hpp>
#include <ferry/store.hpp>
#include <ferry/sync.hpp>

#include <filesystem>
#include <iostream>
#include <string>

namespace dl = ferry::apps::devlog;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "/tmp/ferry-example-devlog.db";
    try {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
        ferry::Store store = ferry::Store::open(path, "devlog");
        dl::MachineInfo machine;
        machine.machine_id = "ann-laptop-linux";
        machine.hostname = "ann-laptop";
        machine.username = "ann";
        machine.os_type = "linux";
        machine.machine_type = "local";

        if (argc < 3) {  // No server: a new machine row needs a leased id, and there is none yet.
            try {
                dl::register_machine(store, machine);
            } catch (const ferry::Error& e) {
                if (e.code() != ferry::ErrorCode::lease_exhausted) throw;
                std::cout << "offline, as expected: [" << ferry::error_code_name(e.code()) << "] " << e.what()
                          << "\nrun again with a conninfo to lease ids and record a session\n";
                return 0;
            }
            std::cerr << "devlog_observability: a fresh store created a machine without leased ids\n";
            return 1;
        }
        const std::string conninfo = argv[2];
        const auto installed = ferry::server::install_app_schema(conninfo, "devlog");
        std::cout << "cloud schema devlog v" << installed.from_version << " -> v" << installed.to_version << "\n";
        auto transport = ferry::connect_postgres(conninfo, "devlog");
        ferry::SyncClient client(store, *transport);
        const ferry::SyncReport first = client.sync();  // leases ids, pulls what the cloud already has
        std::cout << "online: leased " << first.leased << " ids, pulled " << first.pulled << " rows\n";

        // From here on the device could be offline: every insert takes a leased id.
        const auto machine_id = dl::register_machine(store, machine);
        dl::ProjectInfo project;
        project.name = project.repo_name = "ferry";
        project.full_name = "example/ferry";
        project.repo_owner = "example";
        project.repo_url = "https://github.com/example/ferry";
        const auto project_id = dl::upsert_project(store, project);
        dl::WorkspaceInfo ws;
        ws.project_id = project_id;
        ws.machine_id = machine_id;
        ws.workspace_id = ferry::Store::new_id();  // VS Code's id of the window
        ws.workspace_path = "/home/ann/ferry";
        ws.workspace_type = "folder";
        ws.branch = "main";
        const auto workspace_id = dl::upsert_workspace(store, ws);
        dl::NewChatSession chat;
        chat.workspace_id = workspace_id;
        chat.agent_type = "claude";
        const std::string session = dl::start_chat_session(store, chat);

        dl::NewAgentEvent ev;
        ev.agent_id = "claude-code";
        ev.agent_version = "1.0";
        ev.session_id = session;
        ev.project_id = project_id;
        ev.event_type = "llm_request";
        ev.metrics = R"({"duration": 1200})";
        ev.parent_event_id = dl::record_agent_event(store, ev);
        ev.event_type = "tool_use";
        ev.data = R"({"tool": "edit_file", "path": "src/main.cpp"})";
        ev.metrics = R"({"duration": 80})";
        dl::record_agent_event(store, ev);

        dl::NewAgentSession run;
        run.agent_id = ev.agent_id;
        run.agent_version = ev.agent_version;
        run.project_id = project_id;
        const std::string run_id = dl::start_agent_session(store, run);
        dl::AgentSessionEnd end;
        end.outcome = "success";
        end.quality_score = "92.50";
        dl::end_agent_session(store, run_id, end);

        dl::NewDevlogEntry entry;
        entry.key = "FERRY-" + ferry::Store::new_id().substr(0, 8);
        entry.title = "Add examples";
        entry.description = "One example per seed app";
        entry.project_id = project_id;
        dl::add_devlog_note(store, dl::create_devlog_entry(store, entry), "progress", "devlog example written");

        for (const auto& h : dl::agent_events_hourly(store, project_id))
            std::cout << "hour " << h.bucket << " " << h.agent_id << "/" << h.event_type << ": " << h.event_count
                      << " events, avg " << h.avg_duration.value_or(0) << " ms\n";

        const ferry::SyncReport report = client.sync();
        std::cout << "synced: pushed " << report.pushed << ", applied " << report.applied << ", rejected "
                  << report.rejected << ", pulled " << report.pulled << " (machine " << machine_id << ", project "
                  << project_id << ", workspace " << workspace_id << ")\n";
        for (const auto& r : ferry::rejected_writes(store))
            std::cerr << "rejected " << r.op << " " << r.table << " " << r.key_json << ": " << r.reason << "\n";
        return report.rejected == 0 && store.status().pending_changes == 0 ? 0 : 1;
    } catch (const ferry::Error& e) {
        std::cerr << "devlog_observability failed [" << ferry::error_code_name(e.code()) << "]: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "devlog_observability failed: " << e.what() << "\n";
    }
    return 1;
}
