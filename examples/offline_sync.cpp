// examples/offline_sync.cpp: the core story. Two devices (december app) work offline, then sync
// with PostgreSQL: pushed and pulled rows, and the one write the server rejects. Usage:
//   offline_sync [laptop.db] [conninfo]  (conninfo: argv[2], else $DATABASE_URL, else libpq's PG*)
#include <ferry/apps/december.hpp>
#include <ferry/error.hpp>
#include <ferry/postgres_transport.hpp>
#include <ferry/server.hpp>
#include <ferry/store.hpp>
#include <ferry/sync.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace dec = ferry::apps::december;

namespace {
/// What the network looks like on a plane: every call fails with a transient error.
struct NoNetwork : ferry::Transport {
    std::string call(const std::string&, const std::string&) override {
        throw ferry::Error(ferry::ErrorDomain::http, ferry::ErrorCode::connection, "no network");
    }
};

ferry::Store fresh_store(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return ferry::Store::open(path, "december");
}

void print(const std::string& device, const ferry::SyncReport& r) {
    std::cout << device << " synced: pushed " << r.pushed << " (applied " << r.applied << ", superseded "
              << r.superseded << ", rejected " << r.rejected << "), pulled " << r.pulled << "\n";
}
}  // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "/tmp/ferry-example-laptop.db";
    const char* url = std::getenv("DATABASE_URL");
    const std::string conninfo = argc > 2 ? argv[2] : url ? url : "";
    try {
        ferry::Store laptop = fresh_store(path), phone = fresh_store(path + ".phone");
        const std::string email = "ann-" + ferry::Store::new_id().substr(0, 8) + "@example.com";

        // Offline: the laptop creates a user, a container and a chat; the phone, not knowing,
        // signs up the same e-mail and adds a container of its own.
        dec::NewUser ann;
        ann.email = email;
        ann.name = "Ann (laptop)";
        dec::NewContainer web;
        web.container_id = "docker-" + ferry::Store::new_id().substr(0, 12);
        web.name = "web";
        web.user_id = dec::create_user(laptop, ann);
        const std::string container = dec::create_container(laptop, web);
        dec::NewChatMessage hello;
        hello.container_id = container;
        hello.session_id = "s1";
        hello.role = "user";
        hello.content = "Deploy my site";
        dec::add_chat_message(laptop, hello);
        ann.name = "Ann (phone)";
        dec::create_user(phone, ann);
        web.container_id = "docker-" + ferry::Store::new_id().substr(0, 12);
        web.name = "api";
        web.user_id.reset();
        dec::create_container(phone, web);

        NoNetwork plane;
        try {
            ferry::SyncClient(laptop, plane).sync();
        } catch (const ferry::Error& e) {
            std::cout << "laptop offline: " << e.what() << (e.is_transient() ? " (transient, retry later)" : "")
                      << "; " << laptop.status().pending_changes << " changes kept for later\n";
        }

        // Online again.
        const auto installed = ferry::server::install_app_schema(conninfo, "december");
        std::cout << "cloud schema december v" << installed.from_version << " -> v" << installed.to_version << "\n";
        auto laptop_link = ferry::connect_postgres(conninfo, "december");
        auto phone_link = ferry::connect_postgres(conninfo, "december");
        // The laptop's app refreshes what it shows when rows arrive from the cloud.
        ferry::SyncOptions laptop_options;
        std::size_t containers_refreshed = 0;
        laptop_options.on_remote_changes = [&](const std::vector<ferry::RemoteChange>& rows) {
            for (const auto& r : rows)
                if (r.table == "containers") ++containers_refreshed;
        };
        ferry::SyncClient laptop_sync(laptop, *laptop_link, laptop_options), phone_sync(phone, *phone_link);
        print("laptop", laptop_sync.sync());
        const ferry::SyncReport phone_report = phone_sync.sync();
        print("phone", phone_report);
        for (const auto& r : ferry::rejected_writes(phone)) {
            std::cout << "phone: rejected " << r.op << " " << r.table << " " << r.key_json << " [" << r.code
                      << "] " << r.reason << "\n  refused values: " << r.values_json << "\n";
            ferry::dismiss_rejected_write(phone, r.id);  // the app has shown it to the user
        }
        containers_refreshed = 0;
        print("laptop", laptop_sync.sync());  // picks up the phone's container
        std::cout << "laptop: " << containers_refreshed << " container row(s) to refresh on screen\n";

        const std::string q = "SELECT 'users with that e-mail ' || (SELECT count(*) FROM users WHERE email = ?) || "
                              "', containers ' || (SELECT count(*) FROM containers) || "
                              "', chat messages ' || (SELECT count(*) FROM chat_messages)";
        const std::string on_laptop = laptop.query_value(q, {email})->as_text();
        const std::string on_phone = phone.query_value(q, {email})->as_text();
        std::cout << "laptop: " << on_laptop << "\nphone:  " << on_phone << "\n";
        if (phone_report.rejected != 1 || on_laptop != on_phone || laptop.status().pending_changes != 0 ||
            phone.status().pending_changes != 0 || containers_refreshed != 1) {
            std::cerr << "offline_sync: the devices did not converge as expected\n";
            return 1;
        }
        return 0;
    } catch (const ferry::Error& e) {
        std::cerr << "offline_sync failed [" << ferry::error_code_name(e.code()) << "]: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "offline_sync failed: " << e.what() << "\n";
    }
    return 1;
}
