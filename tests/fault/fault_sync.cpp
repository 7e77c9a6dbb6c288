// tests/fault/fault_sync.cpp: ferry_fault_sync, the child process of the fault suite. It syncs one
// store through the PostgreSQL transport, as `ferry sync` does, with the knobs the tests need:
//
//   ferry_fault_sync --db FILE [--url CONNINFO] [--batch N] [--page N]
//                    [--lease-low-water N] [--lease-block N] [--rounds R]
//
// Each round prints one JSON line (the SyncReport). On an error it prints
// {"error": CODE, "transient": BOOL, "message": ...} and exits 4 when the error is transient
// (connection, busy, timeout), 1 otherwise. FERRY_TEST_CRASH_AT in the environment arms a crash
// point (lib/core/crash_point.hpp): the process then dies by SIGKILL at that step.
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "ferry/error.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"

int main(int argc, char** argv) {
    std::string db, url;
    ferry::SyncOptions options;
    int rounds = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "ferry_fault_sync: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--db") db = next();
        else if (a == "--url") url = next();
        else if (a == "--batch") options.push_batch = std::stoi(next());
        else if (a == "--page") options.pull_page = std::stoi(next());
        else if (a == "--lease-low-water") options.lease_low_water = std::stoi(next());
        else if (a == "--lease-block") options.lease_block = std::stoi(next());
        else if (a == "--rounds") rounds = std::stoi(next());
        else {
            std::cerr << "ferry_fault_sync: unknown argument " << a << "\n";
            return 2;
        }
    }
    if (db.empty()) {
        std::cerr << "ferry_fault_sync: --db is required\n";
        return 2;
    }
    try {
        auto store = ferry::Store::open_existing(db);
        auto transport = ferry::connect_postgres(url, store.app());
        for (int r = 0; r < rounds; ++r) {
            ferry::SyncClient client(store, *transport, options);
            const auto rep = client.sync();
            nlohmann::json j = {{"round", r},           {"pushed", rep.pushed},   {"applied", rep.applied},
                                {"superseded", rep.superseded}, {"rejected", rep.rejected}, {"pulled", rep.pulled},
                                {"leased", rep.leased}, {"cursor", rep.cursor}};
            std::cout << j.dump() << std::endl;
        }
    } catch (const ferry::Error& e) {
        nlohmann::json j = {{"error", ferry::error_code_name(e.code())},
                            {"domain", ferry::error_domain_name(e.domain())},
                            {"transient", e.is_transient()},
                            {"message", e.what()}};
        std::cout << j.dump() << std::endl;
        return e.is_transient() ? 4 : 1;
    } catch (const std::exception& e) {
        nlohmann::json j = {{"error", "exception"}, {"transient", false}, {"message", e.what()}};
        std::cout << j.dump() << std::endl;
        return 1;
    }
    return 0;
}
