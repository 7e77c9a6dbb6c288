// bindings/cli/main.cpp: `ferry`, the command-line tool: create and inspect device stores, run
// SQL on them, install cloud schemas, and sync. Data goes to stdout, messages to stderr.
// Exit codes (docs/cli.md): 0 ok, 1 the operation failed, 2 usage error, 3 the store cannot be
// opened, 4 the server cannot be reached.
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bindings/cli/daemon.hpp"
#include "bindings/cli/doctor.hpp"
#include "bindings/cli/options.hpp"
#include "bindings/cli/outcomes.hpp"
#include "bindings/cli/progress.hpp"
#include "ferry/error.hpp"
#include "ferry/http_transport.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "sync/gateway/gateway.hpp"
#include "sync/gateway/jwt.hpp"

namespace {

enum Exit { ok = 0, failed = 1, usage = 2, store_unusable = 3, server_unreachable = 4 };

int exit_code_for(const ferry::Error& e) {
    using ferry::ErrorCode;
    switch (e.code()) {
    case ErrorCode::not_found:
    case ErrorCode::not_a_store:
    case ErrorCode::corrupt:
    case ErrorCode::wrong_app:
    case ErrorCode::schema_too_new:
    case ErrorCode::unknown_app: return store_unusable;
    case ErrorCode::connection:
    case ErrorCode::timeout: return server_unreachable;
    default: return failed;
    }
}

std::string database_url(const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const char* env = std::getenv("DATABASE_URL")) return env;
    return "";  // libpq falls back to the PG* variables
}

/// The user's token for the gateway: the file's content (surrounding whitespace removed), else
/// $FERRY_TOKEN; "" when neither is given. Never printed.
std::string gateway_token(const std::string& token_file) {
    if (!token_file.empty()) return ferry::cli::read_token_file(token_file);
    const char* env = std::getenv("FERRY_TOKEN");
    return env ? ferry::cli::trimmed(env) : "";
}

/// The transport of `ferry sync`: the gateway when a URL is given, else PostgreSQL directly.
std::unique_ptr<ferry::Transport> sync_transport(const std::string& gateway, const std::string& token,
                                                 const std::string& url, const std::string& app) {
    if (gateway.empty()) return ferry::connect_postgres(database_url(url), app);
    ferry::HttpOptions options;
    options.bearer_token = token;
    return ferry::connect_gateway(gateway, std::move(options));
}

void print_rows(const ferry::QueryResult& r) {
    for (std::size_t i = 0; i < r.columns.size(); ++i) std::cout << (i ? "\t" : "") << r.columns[i];
    std::cout << "\n";
    for (const auto& row : r.rows) {
        for (std::size_t i = 0; i < row.size(); ++i) std::cout << (i ? "\t" : "") << row[i].to_string();
        std::cout << "\n";
    }
}

void print_status(const ferry::StoreStatus& s, bool json) {
    if (json) {
        nlohmann::ordered_json j;
        j["path"] = s.path;
        j["app"] = s.app;
        j["schema_version"] = s.schema_version;
        j["latest_schema_version"] = s.latest_schema_version;
        j["site_id"] = s.site_id;
        j["pending_changes"] = s.pending_changes;
        j["rejected_writes"] = s.rejected_writes;
        j["pull_cursor"] = s.pull_cursor;
        j["last_sync_at"] = s.last_sync_at;
        j["tables"] = nlohmann::ordered_json::array();
        for (const auto& t : s.tables) {
            nlohmann::ordered_json table = {{"name", t.name}, {"rows", t.rows}, {"synced", t.synced}};
            if (t.leased_ids_left >= 0) table["leased_ids_left"] = t.leased_ids_left;
            j["tables"].push_back(table);
        }
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << "store:           " << s.path << "\n"
              << "app:             " << s.app << "\n"
              << "schema version:  " << s.schema_version << " (latest " << s.latest_schema_version << ")\n"
              << "site id:         " << s.site_id << "\n"
              << "pending changes: " << s.pending_changes << "\n"
              << "rejected writes: " << s.rejected_writes << "\n"
              << "pull cursor:     " << (s.pull_cursor.empty() ? "(never pulled)" : s.pull_cursor) << "\n"
              << "last sync:       " << (s.last_sync_at.empty() ? "(never)" : s.last_sync_at) << "\n"
              << "tables:\n";
    for (const auto& t : s.tables)
        std::cout << "  " << t.name << std::string(t.name.size() < 28 ? 28 - t.name.size() : 1, ' ') << t.rows
                  << (t.synced ? "" : "  (not synced)")
                  << (t.leased_ids_left >= 0 ? "  (" + std::to_string(t.leased_ids_left) + " leased ids left)" : "")
                  << "\n";
}

/// `ferry gateway`: serves until SIGTERM or SIGINT, then answers the requests in progress and exits.
/// `metrics_listen` (--metrics-listen) wins over the config file's.
void run_gateway(ferry::detail::GatewayOptions options, const std::string& config_file, std::string metrics_listen) {
    auto jwt = ferry::detail::jwt_config_from_environment();
    std::string file_metrics_listen;
    if (!config_file.empty())
        ferry::detail::load_gateway_config(config_file, options.limits, jwt.leeway_s, file_metrics_listen);
    const std::string metrics_option = metrics_listen.empty() ? "the config file's metrics_listen" : "--metrics-listen";
    if (metrics_listen.empty()) metrics_listen = file_metrics_listen;
    if (!metrics_listen.empty())
        std::tie(options.metrics_host, options.metrics_port) = ferry::cli::host_port(metrics_listen, metrics_option);
    if (options.app.empty()) options.app = ferry::detail::app_of_database(options.database_url);
    // The signals are taken by one thread with sigwait (blocked everywhere else, including the
    // threads started below), so stopping is ordinary code, not a signal handler.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    ferry::detail::Gateway gateway(options, jwt);
    const int port = gateway.bind();
    std::thread stopper([&] {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        gateway.stop();
    });
    // Before the "listening on" line, so that whoever waits for that one finds this one too.
    if (gateway.metrics_port() > 0)
        std::cout << "ferry gateway: metrics on " << options.metrics_host << ":" << gateway.metrics_port() << std::endl;
    std::cout << "ferry gateway: listening on " << options.host << ":" << port << std::endl;
    std::cerr << "ferry gateway: app '" << options.app << "', " << ferry::detail::jwt_algorithm_name(jwt.algorithm)
              << " tokens for audience '" << jwt.audience << "'" << std::endl;
    gateway.run();
    gateway.stop();
    pthread_kill(stopper.native_handle(), SIGTERM);  // ends the sigwait if run() ended by itself
    stopper.join();
    std::cerr << "ferry gateway: stopped" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ferry: an embedded local-first store (SQLite) with sync to PostgreSQL"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ferry " FERRY_VERSION);

    std::string db, app_name, sql, url;
    bool json = false;

    auto* init = app.add_subcommand("init", "Create a device store for an app, or upgrade it (idempotent)");
    init->add_option("--db", db, "Store file")->required();
    init->add_option("--app", app_name, "App schema: " + [] {
        std::string s;
        for (const auto& a : ferry::Store::available_apps()) s += (s.empty() ? "" : ", ") + a;
        return s;
    }())->required();

    auto* exec = app.add_subcommand("exec", "Run SQL statements on a store (all or nothing)");
    exec->add_option("--db", db, "Store file")->required();
    exec->add_option("sql", sql, "SQL statements, separated by semicolons")->required();

    auto* query = app.add_subcommand("query", "Run a query and print its rows (tab-separated, or JSON)");
    query->add_option("--db", db, "Store file")->required();
    query->add_option("sql", sql, "One SELECT statement")->required();
    query->add_flag("--json", json, "Print a JSON array of objects, one per row");

    auto* status = app.add_subcommand("status", "Show a store's app, schema version, sync state and tables");
    status->add_option("--db", db, "Store file")->required();
    status->add_flag("--json", json, "Print JSON");

    auto* apps = app.add_subcommand("apps", "List the app schemas this build ships");
    apps->add_flag("--json", json, "Print a JSON array");

    bool quiet = false;
    int batch = 1000;
    auto* sync = app.add_subcommand("sync", "One sync round with the cloud: lease ids, push local changes, pull");
    sync->add_option("--db", db, "Store file")->required();
    std::string gateway_url, token_file;
    auto* sync_url = sync->add_option("--database-url", url,
                                      "libpq connection string or URL (default: $DATABASE_URL, then the PG* variables)");
    auto* sync_gateway = sync->add_option("--gateway", gateway_url, "Sync through the HTTP gateway at this URL instead")
                             ->excludes(sync_url);
    sync->add_option("--token-file", token_file, "File holding the user's token for --gateway (default: $FERRY_TOKEN)")
        ->needs(sync_gateway);
    sync->add_option("--batch", batch, "Changes per push batch and per pull page")->check(CLI::Range(1, 10000));
    sync->add_flag("--quiet,-q", quiet, "No progress on stderr");
    sync->add_flag("--json", json, "Print the round's report as JSON");

    ferry::cli::OutcomesCommand outcomes;
    ferry::cli::add_outcomes_command(app, outcomes);

    auto* rejected = app.add_subcommand("rejected", "List the local writes the server refused (ferry outcomes --rejected)");
    rejected->add_option("--db", db, "Store file")->required();
    rejected->add_flag("--json", json, "Print JSON");
    std::vector<std::int64_t> dismiss;
    rejected->add_option("--dismiss", dismiss, "Forget these rejected writes (ids from the list) once dealt with")
        ->expected(1, -1);

    auto* server = app.add_subcommand("server", "Manage the cloud (PostgreSQL) side");
    server->require_subcommand(1);
    auto* server_init = server->add_subcommand(
        "init", "Install or upgrade an app's schema in the database named by DATABASE_URL (idempotent)");
    server_init->add_option("--app", app_name, "App schema")->required();
    server_init->add_option("--database-url", url,
                            "libpq connection string or URL (default: $DATABASE_URL, then the PG* variables); "
                            "put the password in ~/.pgpass or PGPASSWORD, not here");
    server_init->add_flag("--json", json, "Print the result as JSON (versions, migrations applied)");

    int inactive_days = 30;
    auto* server_trim = server->add_subcommand(
        "trim", "Delete change-log entries every active device has pulled (devices idle longer resync)");
    server_trim->add_option("--inactive-days", inactive_days,
                            "Devices not seen for this many days no longer hold the log back (default 30)")
        ->check(CLI::Range(1, 36500));
    server_trim->add_option("--database-url", url, "libpq connection string or URL (default: $DATABASE_URL)");
    server_trim->add_flag("--json", json, "Print the result as JSON");

    std::string listen, config_file, metrics_listen;
    auto* gateway = app.add_subcommand(
        "gateway", "Serve the HTTP sync gateway (docs/gateway.md); keys from FERRY_JWT_*, the database from DATABASE_URL");
    gateway->add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")->required();
    gateway->add_option("--app", app_name, "App schema (default: the app installed in the database)");
    gateway->add_option("--config", config_file, "JSON file of limits (body size, pool, rate limit, timeouts, leeway)");
    gateway->add_option("--database-url", url, "libpq connection string or URL (default: $DATABASE_URL)");
    gateway->add_option("--metrics-listen", metrics_listen,
                        "HOST:PORT for the operator's /metrics and status page (keep it on loopback: 127.0.0.1:9465)");

    ferry::cli::DaemonStore daemon_store;
    std::string daemon_http, daemon_config;
    auto* daemon = app.add_subcommand(
        "daemon", "Keep stores in sync by themselves: push local writes at once, pull what the cloud changes "
                  "(docs/daemon.md)");
    auto* daemon_db = daemon->add_option("--db", daemon_store.db, "The store file to keep in sync");
    auto* daemon_cfg = daemon->add_option("--config", daemon_config, "JSON file of stores (reloaded on SIGHUP)")
                           ->excludes(daemon_db);
    auto* daemon_url = daemon->add_option("--database-url", daemon_store.database_url,
                                          "libpq connection string or URL (default: $DATABASE_URL)")
                           ->needs(daemon_db);
    auto* daemon_gateway = daemon->add_option("--gateway", daemon_store.gateway, "Sync through the gateway at this URL")
                               ->needs(daemon_db)
                               ->excludes(daemon_url);
    daemon->add_option("--token-file", daemon_store.token_file,
                       "File holding the user's token for --gateway, read again for every request (default: $FERRY_TOKEN)")
        ->needs(daemon_gateway);
    daemon->add_option("--http", daemon_http,
                       "HOST:PORT for /healthz, /readyz, /metrics and the status page (loopback: 127.0.0.1:9464)");
    (void)daemon_cfg;

    auto* doctor = app.add_subcommand("doctor", "Check a store (integrity, schema, queue) and the server it syncs with");
    std::string doctor_gateway, doctor_token_file, doctor_config;
    auto* doctor_db = doctor->add_option("--db", db, "Store file");
    auto* doctor_cfg = doctor->add_option("--config", doctor_config,
                                          "Check a ferry daemon config file and every store it names, each with "
                                          "its own server settings")
                           ->excludes(doctor_db);
    auto* doctor_url = doctor->add_option("--database-url", url, "Check this database (default: $DATABASE_URL)")
                           ->excludes(doctor_cfg);
    auto* doctor_gw = doctor->add_option("--gateway", doctor_gateway, "Check this gateway instead")
                          ->excludes(doctor_url)
                          ->excludes(doctor_cfg);
    doctor->add_option("--token-file", doctor_token_file, "The user's token for --gateway (default: $FERRY_TOKEN)")
        ->needs(doctor_gw);
    bool doctor_local = false;
    doctor->add_flag("--local", doctor_local, "Check the stores only")->excludes(doctor_url)->excludes(doctor_gw);
    doctor->add_flag("--json", json, "Print JSON");

    std::string subject, audience = "authenticated";
    std::int64_t ttl = 3600;
    auto* token = app.add_subcommand("token", "Print an HS256 token signed with FERRY_JWT_SECRET (tests, development)");
    token->add_option("--sub", subject, "The user id (the token's sub)")->required();
    token->add_option("--ttl", ttl, "Seconds until it expires (default 3600)")->check(CLI::Range(1, 366 * 24 * 3600));
    token->add_option("--aud", audience, "Audience (default: authenticated)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? ok : usage;
    }

    try {
        if (*daemon) {
            ferry::cli::DaemonConfig config;
            if (!daemon_config.empty()) config = ferry::cli::load_daemon_config(daemon_config);
            else if (!daemon_store.db.empty()) config.stores.push_back(daemon_store);
            if (!daemon_http.empty()) config.http = daemon_http;
            return ferry::cli::run_daemon(std::move(config), daemon_config);
        }
        if (*outcomes.list) return ferry::cli::run_outcomes(outcomes);
        if (*doctor && !doctor_config.empty()) {
            ferry::cli::StoreServerFactory connect;
            if (!doctor_local)
                connect = [](const ferry::cli::DaemonStore& s) -> ferry::cli::ServerFactory {
                    const std::string bearer = s.gateway.empty() ? "" : gateway_token(s.token_file);
                    return [s, bearer](const std::string& store_app) {
                        return sync_transport(s.gateway, bearer, s.database_url, store_app);
                    };
                };
            return ferry::cli::run_doctor_config(doctor_config, connect, json);
        }
        if (*doctor) {
            if (db.empty()) {
                std::cerr << "ferry: doctor needs --db FILE or --config FILE\n";
                return usage;
            }
            ferry::cli::ServerFactory connect;
            if (!doctor_local) {
                const std::string bearer = doctor_gateway.empty() ? "" : gateway_token(doctor_token_file);
                connect = [&, bearer](const std::string& store_app) {
                    return sync_transport(doctor_gateway, bearer, url, store_app);
                };
            }
            return ferry::cli::run_doctor(db, connect, json);
        }
        if (*gateway) {
            ferry::detail::GatewayOptions options;
            std::tie(options.host, options.port) = ferry::cli::host_port(listen, "--listen");
            options.database_url = database_url(url);
            if (const char* direct = std::getenv("FERRY_LISTEN_DATABASE_URL")) options.listen_database_url = direct;
            options.app = app_name;
            run_gateway(options, config_file, metrics_listen);
        } else if (*token) {
            const char* secret = std::getenv("FERRY_JWT_SECRET");
            if (!secret || !*secret)
                throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                                   "ferry token signs with FERRY_JWT_SECRET, which is not set");
            ferry::detail::TokenClaims claims;
            claims.subject = subject;
            claims.audience = audience;
            claims.ttl_s = ttl;
            std::cout << ferry::detail::mint_hs256_token(secret, claims) << "\n";
        } else if (*init) {
            auto store = ferry::Store::open(db, app_name);
            std::cerr << "ferry: " << db << ": '" << store.app() << "' store at schema version "
                      << store.schema_version() << "\n";
        } else if (*exec) {
            auto store = ferry::Store::open_existing(db);
            store.exec(sql);
        } else if (*query) {
            auto store = ferry::Store::open_existing(db);
            if (json)
                std::cout << store.query_json(sql) << "\n";
            else
                print_rows(store.query(sql));
        } else if (*status) {
            auto store = ferry::Store::open_existing(db);
            print_status(store.status(), json);
        } else if (*sync) {
            const std::string bearer = gateway_url.empty() ? "" : gateway_token(token_file);
            if (!gateway_url.empty() && bearer.empty()) {
                std::cerr << "ferry: sync --gateway needs the user's token: pass --token-file FILE or set FERRY_TOKEN\n";
                return usage;
            }
            auto store = ferry::Store::open_existing(db);
            auto transport = sync_transport(gateway_url, bearer, url, store.app());
            ferry::SyncOptions options;
            options.push_batch = options.pull_page = batch;
            ferry::cli::ProgressView progress(std::cerr, isatty(STDERR_FILENO) == 1);
            if (!quiet) options.on_progress = [&progress](const ferry::SyncProgress& p) { progress.update(p); };
            ferry::SyncClient client(store, *transport, options);
            auto r = client.sync();
            progress.finish();
            if (json) {
                nlohmann::ordered_json j = {{"pushed", r.pushed},         {"applied", r.applied},
                                            {"superseded", r.superseded}, {"rejected", r.rejected},
                                            {"pulled", r.pulled},         {"leased", r.leased},
                                            {"cursor", r.cursor},         {"warnings", r.warnings}};
                std::cout << j.dump(2) << "\n";
            } else {
                std::cout << "pushed " << r.pushed << " (applied " << r.applied << ", superseded " << r.superseded
                          << ", rejected " << r.rejected << "), pulled " << r.pulled << " rows, leased " << r.leased
                          << " ids\n";
            }
            if (r.rejected > 0)
                std::cerr << "ferry: " << r.rejected << " writes were refused; see: ferry outcomes --rejected --db " << db << "\n";
            if (r.superseded > 0)
                std::cerr << "ferry: " << r.superseded << " writes lost to newer ones; see: ferry outcomes --superseded --db "
                          << db << " (kept for watched tables: ferry outcomes watch)\n";
            for (const auto& w : r.warnings) std::cerr << "ferry: warning: " << w << "\n";
        } else if (*rejected) {
            auto store = ferry::Store::open_existing(db);
            if (!dismiss.empty()) {
                std::vector<std::int64_t> unknown;
                for (auto id : dismiss)
                    if (!ferry::dismiss_rejected_write(store, id)) unknown.push_back(id);
                std::cerr << "ferry: dismissed " << dismiss.size() - unknown.size() << " rejected writes\n";
                if (!unknown.empty()) {
                    std::string ids;
                    for (auto id : unknown) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
                    throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                                       "no rejected write with id " + ids + " (see: ferry rejected --db " + db + ")");
                }
                return ok;
            }
            auto list = ferry::rejected_writes(store);
            if (json) {
                auto j = nlohmann::ordered_json::array();
                for (const auto& w : list)
                    j.push_back({{"id", w.id}, {"table", w.table}, {"key", nlohmann::json::parse(w.key_json)},
                                 {"op", w.op}, {"code", w.code}, {"reason", w.reason},
                                 {"values", w.values_json.empty() ? nlohmann::json() : nlohmann::json::parse(w.values_json)},
                                 {"rejected_at", w.rejected_at}});
                std::cout << j.dump(2) << "\n";
            } else {
                for (const auto& w : list)
                    std::cout << w.id << "\t" << w.rejected_at << "\t" << w.op << " " << w.table << " " << w.key_json
                              << "\t" << w.code << ": " << w.reason << "\n";
            }
        } else if (*apps) {
            if (json)
                std::cout << nlohmann::json(ferry::Store::available_apps()).dump() << "\n";
            else
                for (const auto& a : ferry::Store::available_apps()) std::cout << a << "\n";
        } else if (*server_trim) {
            auto r = ferry::server::trim_changes(database_url(url), inactive_days);
            if (json)
                std::cout << nlohmann::ordered_json{{"deleted", r.deleted}, {"tombstones", r.tombstones}, {"horizon", r.horizon}}.dump(2)
                          << "\n";
            else
                std::cout << "deleted " << r.deleted << " change-log entries and " << r.tombstones
                          << " old tombstones; horizon " << (r.horizon.empty() ? "(none)" : r.horizon) << "\n";
        } else if (*server_init) {
            auto r = ferry::server::install_app_schema(
                database_url(url), app_name, [](const ferry::server::InstallProgress& p) {
                    if (p.step == "migration")
                        std::cerr << "ferry: applying " << p.name << "\n";
                    else if (p.rows > 0)
                        std::cerr << "ferry: " << p.name << ": " << p.rows
                                  << " existing rows logged for the devices' first pull\n";
                });
            if (json)
                std::cout << nlohmann::ordered_json{{"app", app_name}, {"from_version", r.from_version},
                                                    {"to_version", r.to_version}, {"applied", r.applied},
                                                    {"backfilled", r.backfilled}}.dump(2)
                          << "\n";
            std::cerr << "ferry: app '" << app_name << "' cloud schema at version " << r.to_version;
            if (r.applied.empty())
                std::cerr << " (already up to date)\n";
            else
                std::cerr << " (was " << r.from_version << "; applied " << r.applied.size() << " migrations)\n";
        }
    } catch (const ferry::Error& e) {
        std::cerr << "ferry: error [" << ferry::error_domain_name(e.domain()) << "/" << ferry::error_code_name(e.code())
                  << "]: " << e.what() << "\n";
        return exit_code_for(e);
    } catch (const std::exception& e) {
        std::cerr << "ferry: internal error: " << e.what() << "\n";
        return failed;
    }
    return ok;
}
