// lib/schema/embedded_sql.cpp: lookups over the embedded SQL tree.
#include "lib/schema/embedded_sql.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "ferry/error.hpp"

namespace ferry::detail {
namespace {
std::string side_dir(Side side) { return side == Side::sqlite ? "sqlite" : "postgres"; }

std::string scope_prefix(const std::string& scope, Side side) {
    return (scope == "ferry" ? std::string("ferry/") : "apps/" + scope + "/") + side_dir(side) + "/";
}
}  // namespace

std::vector<Migration> migrations(const std::string& scope, Side side) {
    if (scope != "ferry") require_app(scope);
    const std::string prefix = scope_prefix(scope, side);
    std::vector<Migration> out;
    for (const auto& f : embedded_files()) {
        std::string path = f.path;
        if (path.compare(0, prefix.size(), prefix) != 0) continue;
        std::string name = path.substr(prefix.size());
        if (name.find('/') != std::string::npos || name.size() < 6 || name.substr(name.size() - 4) != ".sql")
            continue;
        Migration m;
        m.version = std::atoi(name.substr(0, 4).c_str());
        m.name = name;
        m.sql = f.text;
        out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i].version != static_cast<int>(i) + 1)
            throw Error(ErrorDomain::ferry, ErrorCode::internal,
                        "migrations of '" + scope + "' (" + side_dir(side) + ") are not numbered 0001, 0002, ... without gaps: found " +
                            out[i].name);
    }
    return out;
}

std::vector<std::string> app_names() {
    std::set<std::string> apps;
    for (const auto& f : embedded_files()) {
        std::string path = f.path;
        if (path.rfind("apps/", 0) != 0) continue;
        auto slash = path.find('/', 5);
        if (slash == std::string::npos) continue;
        std::string app = path.substr(5, slash - 5);
        if (path.find("/sqlite/", slash) != std::string::npos) apps.insert(app);
    }
    return {apps.begin(), apps.end()};
}

bool has_app(const std::string& app) {
    auto apps = app_names();
    return std::find(apps.begin(), apps.end(), app) != apps.end();
}

void require_app(const std::string& app) {
    if (has_app(app)) return;
    std::string known;
    for (const auto& a : app_names()) known += (known.empty() ? "" : ", ") + a;
    throw Error(ErrorDomain::ferry, ErrorCode::unknown_app,
                "unknown app '" + app + "': this build of Ferry ships " + (known.empty() ? "no apps" : known));
}

std::optional<std::string> embedded_text(const std::string& path) {
    for (const auto& f : embedded_files())
        if (path == f.path) return std::string(f.text);
    return std::nullopt;
}

}  // namespace ferry::detail
