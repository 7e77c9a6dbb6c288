// examples/agentchat_chat.cpp: the agentchat app (seed 002, a multi-user AI chat) on a device
// store: a chat with messages and token counters (plain SQL), usage logs and their summary, a
// versioned document, the default model and the logging settings. Usage: agentchat_chat [store.db]
#include <ferry/apps/agentchat.hpp>
#include <ferry/error.hpp>
#include <ferry/store.hpp>

#include <filesystem>
#include <iostream>
#include <string>

namespace ac = ferry::apps::agentchat;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "/tmp/ferry-example-agentchat.db";
    try {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
        ferry::Store store = ferry::Store::open(path, "agentchat");
        std::cout << "opened " << store.path() << " (app " << store.app() << ")\n";

        // The user id comes from Supabase Auth (auth.users stays on the server).
        const std::string user = ferry::Store::new_id();
        const std::string chat = ferry::Store::new_id();
        store.transaction([&] {
            store.execute(R"(INSERT INTO "Chat"(id, title, user_id) VALUES (?, 'Trip planning', ?))", {chat, user});
            store.execute(R"(INSERT INTO "Message_v2"("chatId", role, parts) VALUES (?, 'user', ?))",
                          {chat, R"([{"type": "text", "text": "Plan three days in Lisbon"}])"});
            store.execute(R"(INSERT INTO "Message_v2"("chatId", role, parts, model_used, input_tokens, output_tokens, cost)
                             VALUES (?, 'assistant', ?, 'gpt-4o-mini', 120, 480, '0.000306'))",
                          {chat, R"([{"type": "text", "text": "Day 1: Alfama ..."}])"});
            // Token totals are counters: increments made on several devices add up when synced.
            store.execute(R"(UPDATE "Chat" SET total_input_tokens = total_input_tokens + 120,
                             total_output_tokens = total_output_tokens + 480 WHERE id = ?)", {chat});
            store.execute("INSERT INTO usage_logs(user_id, chat_id, agent_type, model_used, provider, input_tokens, "
                          "output_tokens, total_tokens, total_cost) VALUES (?, ?, 'chat_model_agent', 'gpt-4o-mini', "
                          "'openai', 120, 480, 600, '0.000306')",
                          {user, chat});
            store.execute("INSERT INTO usage_logs(user_id, chat_id, agent_type, model_used, provider, input_tokens, "
                          "output_tokens, total_tokens, total_cost) VALUES (?, ?, 'document_agent', 'gpt-4o-mini', "
                          "'openai', 300, 900, 1200, '0.000585')",
                          {user, chat});
        });
        std::cout << "chat: " << store.query_json(R"(SELECT title, total_input_tokens, total_output_tokens,
            (SELECT count(*) FROM "Message_v2" WHERE "chatId" = "Chat".id) AS messages FROM "Chat")") << "\n";

        const ac::UsageSummary usage = ac::usage_summary(store, user);
        std::cout << "usage: " << usage.total_calls << " calls, " << usage.total_tokens << " tokens, cost "
                  << usage.total_cost << "\n";
        for (const auto& a : usage.agents)
            std::cout << "  " << a.agent_type << ": " << a.calls << " calls, cost " << a.cost << "\n";

        ac::NewDocumentVersion doc;
        doc.title = "Lisbon itinerary";
        doc.content = "Day 1: Alfama";
        doc.user_id = user;
        doc.chat_id = chat;
        const ac::DocumentVersion v1 = ac::save_document_version(store, doc);
        doc.id = v1.id;
        doc.content = "Day 1: Alfama\nDay 2: Belem";
        doc.metadata = R"({"updateType": "append"})";
        ac::save_document_version(store, doc);
        const auto latest = ac::latest_document(store, v1.id);
        std::cout << "document " << v1.id << ": " << ac::document_history(store, v1.id).size()
                  << " versions, latest v" << (latest ? latest->version_number : 0) << "\n";

        ac::set_default_model(store, "gpt-4o-mini");
        std::cout << "default openai model: " << ac::default_model(store, "openai").value_or("none") << "\n";
        std::cout << "user activity logging: " << (ac::is_user_activity_logging_enabled(store) ? "on" : "off")
                  << ", error log retention " << ac::log_retention(store).error_logs << " days\n";
        const ac::PurgeResult purged = ac::purge_old_activity_logs(store);
        std::cout << "purged old logs: " << purged.user_logs_deleted + purged.agent_logs_deleted + purged.error_logs_deleted
                  << "\nlocal changes waiting for sync: " << store.status().pending_changes << "\n";
        return 0;
    } catch (const ferry::Error& e) {
        std::cerr << "agentchat_chat failed [" << ferry::error_code_name(e.code()) << "]: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "agentchat_chat failed: " << e.what() << "\n";
    }
    return 1;
}
