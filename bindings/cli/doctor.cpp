// bindings/cli/doctor.cpp: see doctor.hpp. The server check is one pull of at most one row from
// the store's own cursor: it proves reachability, authorization and the app, and its answer
// carries the server's clock; nothing is applied to the store.
#include "bindings/cli/doctor.hpp"

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "bindings/cli/daemon.hpp"
#include "ferry/clock.hpp"
#include "ferry/error.hpp"
#include "ferry/store.hpp"
#include "sync/protocol/codec.hpp"

namespace ferry::cli {
namespace {

struct Check {
    std::string name;
    std::string level;  // "ok", "warning", "failed"
    std::string detail;
};

void check_store(Store& store, std::vector<Check>& out) {
    const auto integrity = store.query_value("PRAGMA integrity_check")->as_text();
    out.push_back({"store.integrity", integrity == "ok" ? "ok" : "failed",
                   integrity == "ok" ? "PRAGMA integrity_check: ok"
                                     : "PRAGMA integrity_check: " + integrity + " (restore a backup, or resync into a new store)"});
    const auto fk = store.query("PRAGMA foreign_key_check");
    out.push_back({"store.foreign_keys", fk.rows.empty() ? "ok" : "warning",
                   fk.rows.empty() ? "no row refers to a missing parent"
                                   : std::to_string(fk.rows.size()) + " rows refer to a missing parent"});
    const auto s = store.status();
    out.push_back({"store.schema", s.schema_version == s.latest_schema_version ? "ok" : "warning",
                   "app '" + s.app + "' at schema version " + std::to_string(s.schema_version) + " (this build knows " +
                       std::to_string(s.latest_schema_version) + ")"});
    out.push_back({"store.pending", "ok", std::to_string(s.pending_changes) + " local changes waiting to be pushed"});
    out.push_back({"store.rejected", s.rejected_writes == 0 ? "ok" : "warning",
                   std::to_string(s.rejected_writes) + " writes refused by the server" +
                       (s.rejected_writes ? " (see: ferry outcomes --rejected --db " + s.path + ")" : "")});
}

void check_server(Store& store, const ServerFactory& connect, std::vector<Check>& out) {
    const auto s = store.status();
    protocol::PullRequest request;
    request.app = s.app;
    request.site = s.site_id;
    request.cursor = s.pull_cursor;
    request.limit = 1;
    try {
        auto server = connect(s.app);
        const auto answer =
            protocol::decode_pull_answer(nlohmann::json::parse(server->call("pull", protocol::encode(request).dump())));
        out.push_back({"server.reachable", "ok", "the server answered a pull for app '" + s.app + "'"});
        const std::int64_t skew = SystemClock::instance().now_ms() - (answer.clocks.server_hlc >> 16);
        const bool within = skew < answer.clocks.max_skew_ms;
        out.push_back({"server.clock_skew", within ? (std::abs(skew) > 10000 ? "warning" : "ok") : "failed",
                       "this machine's clock minus the server's: " + std::to_string(skew) + " ms (changes more than " +
                           std::to_string(answer.clocks.max_skew_ms) + " ms ahead are refused)"});
    } catch (const Error& e) {
        out.push_back({"server.reachable", "failed",
                       std::string(error_code_name(e.code())) + (e.is_transient() ? " (transient): " : ": ") + e.what()});
    }
}

/// The store's and (when `connect` is set) its server's checks, each name prefixed by `prefix`.
void check_all(const std::string& db, const ServerFactory& connect, const std::string& prefix, std::vector<Check>& out) {
    std::vector<Check> checks;
    try {
        Store store = Store::open_existing(db);
        check_store(store, checks);
        if (connect) check_server(store, connect, checks);
    } catch (const Error& e) {
        checks.push_back({"store.open", "failed", e.what()});
    }
    for (auto& c : checks) out.push_back({prefix + c.name, c.level, c.detail});
}

int report(const std::vector<Check>& checks, bool json) {
    bool failed = false;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& c : checks) {
        failed = failed || c.level == "failed";
        if (json) list.push_back({{"check", c.name}, {"level", c.level}, {"detail", c.detail}});
        else std::cout << c.level << "\t" << c.name << "\t" << c.detail << "\n";
    }
    if (json) std::cout << list.dump(2) << "\n";
    return failed ? 1 : 0;
}

}  // namespace

int run_doctor(const std::string& db, const ServerFactory& connect, bool json) {
    std::vector<Check> checks;
    check_all(db, connect, "", checks);
    return report(checks, json);
}

int run_doctor_config(const std::string& config_path, const StoreServerFactory& connect, bool json) {
    std::vector<Check> checks;
    DaemonConfig config;
    try {
        config = load_daemon_config(config_path);
        checks.push_back({"config", "ok", config_path + ": " + std::to_string(config.stores.size()) + " stores" +
                                              (config.http.empty() ? "" : ", operator page on " + config.http)});
    } catch (const Error& e) {
        checks.push_back({"config", "failed", e.what()});
    }
    for (const auto& store : config.stores) {
        ServerFactory server;
        if (connect) {
            try {
                server = connect(store);
            } catch (const Error& e) {  // e.g. a token file that cannot be read
                checks.push_back({store.db + ": server.reachable", "failed", e.what()});
            }
        }
        check_all(store.db, server, store.db + ": ", checks);
    }
    return report(checks, json);
}

}  // namespace ferry::cli
