// lib/schema/sync_rules.cpp: parsing of the embedded sync_rules.json files.
#include "lib/schema/sync_rules.hpp"

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "lib/schema/embedded_sql.hpp"

namespace ferry::detail {
namespace {
SyncRules parse(const std::string& app, const std::string& text) {
    const std::string where = "sql/apps/" + app + "/sync_rules.json";
    try {
        auto j = nlohmann::json::parse(text);
        SyncRules rules;
        rules.app = j.value("app", app);
        for (const auto& t : j.at("tables")) {
            TableRule r;
            r.name = t.at("name").get<std::string>();
            if (t.contains("owner")) {
                const auto& o = t.at("owner");
                if (o.contains("column")) r.owner_column = o.at("column").get<std::string>();
                if (o.contains("via")) r.owner_via = o.at("via").get<std::string>();
                if (o.contains("parent")) r.owner_parent = o.at("parent").get<std::string>();
            }
            r.owner_nullable_global = t.value("owner_nullable_global", false);
            if (t.contains("public_when")) r.public_when = t.at("public_when").get<std::string>();
            r.global = t.value("global", false);
            if (t.contains("counters")) r.counters = t.at("counters").get<std::vector<std::string>>();
            rules.tables.push_back(std::move(r));
        }
        if (j.contains("server_only_tables"))
            rules.server_only_tables = j.at("server_only_tables").get<std::vector<std::string>>();
        if (j.contains("server_only_columns"))
            rules.server_only_columns =
                j.at("server_only_columns").get<std::map<std::string, std::vector<std::string>>>();
        if (j.contains("device_only_tables"))
            rules.device_only_tables = j.at("device_only_tables").get<std::vector<std::string>>();
        if (j.contains("device_role_member_of"))
            rules.device_role_member_of = j.at("device_role_member_of").get<std::vector<std::string>>();
        rules.own_policies = j.value("own_policies", false);
        return rules;
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorDomain::ferry, ErrorCode::internal, where + " is malformed: " + e.what());
    }
}
}  // namespace

const TableRule* SyncRules::find(const std::string& table) const {
    for (const auto& t : tables)
        if (t.name == table) return &t;
    return nullptr;
}

bool SyncRules::is_server_only_column(const std::string& table, const std::string& column) const {
    auto it = server_only_columns.find(table);
    return it != server_only_columns.end() &&
           std::find(it->second.begin(), it->second.end(), column) != it->second.end();
}

const SyncRules& sync_rules(const std::string& app) {
    static std::mutex mutex;
    static std::map<std::string, SyncRules> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(app);
    if (it != cache.end()) return it->second;
    require_app(app);
    auto text = embedded_text("apps/" + app + "/sync_rules.json");
    if (!text)
        throw Error(ErrorDomain::ferry, ErrorCode::internal, "app '" + app + "' ships no sync_rules.json");
    return cache.emplace(app, parse(app, *text)).first->second;
}

}  // namespace ferry::detail
