// lib/schema/embedded_sql.hpp: the SQL tree embedded at build time, and the numbered migrations
// of each scope (an app name, or "ferry" for Ferry's own metadata) on each side.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ferry::detail {

struct EmbeddedFile {
    const char* path;  ///< relative to sql/, e.g. "apps/devlog/sqlite/0001_schema.sql"
    const char* text;
};

/// Every embedded file, sorted by path (defined in the generated ferry_sql_data.cpp).
const std::vector<EmbeddedFile>& embedded_files();

enum class Side { sqlite, postgres };

struct Migration {
    int version = 0;
    std::string name;  ///< file name without directory, e.g. "0001_schema.sql"
    std::string sql;
};

/// The migrations of `scope` ("ferry" or an app) on `side`, ordered by version.
/// Throws Error(unknown_app) when the scope has none, Error(internal) on a gap in the numbering.
std::vector<Migration> migrations(const std::string& scope, Side side);

/// The app schemas embedded in this build, sorted.
std::vector<std::string> app_names();
bool has_app(const std::string& app);

/// The text of an embedded file, if present.
std::optional<std::string> embedded_text(const std::string& path);

/// Throws Error(unknown_app) naming the apps that exist, unless `app` is one of them.
void require_app(const std::string& app);

}  // namespace ferry::detail
