// sync/server/schema_installer.cpp: `ferry server init`: install or upgrade an app's cloud
// schema and Ferry's metadata, one transaction per migration, under an advisory lock.
#include <pqxx/pqxx>

#include "ferry/error.hpp"
#include "ferry/server.hpp"
#include "lib/schema/embedded_sql.hpp"
#include "sync/server/pg_error.hpp"
#include "sync/server/server_capture.hpp"

namespace ferry::server {
namespace {
using detail::Migration;
using detail::Side;

// One lock for all schema changes in a database: installs of any app serialise.
constexpr const char* k_lock_sql = "SELECT pg_advisory_lock(hashtext('ferry.schema_install'))";
constexpr const char* k_unlock_sql = "SELECT pg_advisory_unlock(hashtext('ferry.schema_install'))";

void bootstrap(pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec(
        "CREATE SCHEMA IF NOT EXISTS ferry;"
        "CREATE TABLE IF NOT EXISTS ferry.schema_migrations ("
        "  scope text NOT NULL, version integer NOT NULL, name text NOT NULL,"
        "  applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, version))");
    tx.commit();
}

int recorded(pqxx::connection& c, const std::string& scope) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params("SELECT coalesce(max(version), 0) FROM ferry.schema_migrations WHERE scope = $1", scope);
    return r[0][0].as<int>();
}

using Progress = std::function<void(const InstallProgress&)>;

void apply(pqxx::connection& c, const std::string& scope, const std::vector<Migration>& all, InstallResult* result,
           const Progress& on_progress) {
    const int have = recorded(c, scope);
    const int latest = all.empty() ? 0 : all.back().version;
    if (have > latest)
        throw Error(ErrorDomain::ferry, ErrorCode::schema_too_new,
                    "the database's '" + scope + "' schema is at version " + std::to_string(have) +
                        " but this build of Ferry knows only up to " + std::to_string(latest) + "; use a newer Ferry");
    for (const auto& m : all) {
        if (m.version <= have) continue;
        if (on_progress) on_progress({"migration", scope + "/" + m.name, 0});
        try {
            pqxx::work tx(c);
            tx.exec(m.sql);
            tx.exec_params("INSERT INTO ferry.schema_migrations(scope, version, name) VALUES ($1, $2, $3)", scope,
                           m.version, m.name);
            tx.commit();
        } catch (const std::exception& e) {
            throw Error(ErrorDomain::postgres, ErrorCode::migration_failed,
                        "migration " + scope + "/postgres/" + m.name + " failed and was rolled back: " + e.what());
        }
        if (result) result->applied.push_back(scope + "/" + m.name);
    }
}

void claim_app(pqxx::connection& c, const std::string& app) {
    pqxx::work tx(c);
    auto r = tx.exec("SELECT value FROM ferry.meta WHERE key = 'app'");
    if (!r.empty() && r[0][0].as<std::string>() != app)
        throw Error(ErrorDomain::ferry, ErrorCode::wrong_app,
                    "this database already holds app '" + r[0][0].as<std::string>() + "'; install '" + app +
                        "' into a database of its own");
    if (r.empty()) tx.exec_params("INSERT INTO ferry.meta(key, value) VALUES ('app', $1)", app);
    tx.commit();
}
}  // namespace

InstallResult install_app_schema(const std::string& conninfo, const std::string& app, const Progress& on_progress) {
    detail::require_app(app);
    InstallResult result;
    detail::translate_pg("installing app '" + app + "' into " + detail::redact_conninfo(conninfo), [&] {
        pqxx::connection c(conninfo);
        pqxx::nontransaction(c).exec(k_lock_sql);
        try {
            bootstrap(c);
            apply(c, "ferry", detail::migrations("ferry", Side::postgres), nullptr, on_progress);
            claim_app(c, app);
            result.from_version = recorded(c, app);
            apply(c, app, detail::migrations(app, Side::postgres), &result, on_progress);
            result.to_version = recorded(c, app);
            result.backfilled = detail::install_server_capture(c, app, [&](const std::string& table, std::int64_t rows) {
                if (on_progress) on_progress({"capture", table, rows});
            });
        } catch (...) {
            try {
                pqxx::nontransaction(c).exec(k_unlock_sql);
            } catch (...) {
            }
            throw;
        }
        pqxx::nontransaction(c).exec(k_unlock_sql);
    });
    return result;
}

int installed_version(const std::string& conninfo, const std::string& app) {
    detail::require_app(app);
    int version = 0;
    detail::translate_pg("reading the schema version of '" + app + "'", [&] {
        pqxx::connection c(conninfo);
        pqxx::read_transaction tx(c);
        auto exists = tx.exec("SELECT to_regclass('ferry.schema_migrations') IS NOT NULL");
        if (!exists[0][0].as<bool>()) return;
        auto r = tx.exec_params("SELECT coalesce(max(version), 0) FROM ferry.schema_migrations WHERE scope = $1", app);
        version = r[0][0].as<int>();
    });
    return version;
}

}  // namespace ferry::server
