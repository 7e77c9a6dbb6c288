// lib/schema/sync_rules.hpp: an app's sync rules (sql/apps/<app>/sync_rules.json, see
// docs/sync-rules.md): which tables sync, ownership, counters, and server-only objects.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::detail {

struct TableRule {
    std::string name;
    std::optional<std::string> owner_column;   ///< the row's owner is this column
    std::optional<std::string> owner_via;      ///< ... or the owner of the parent row via this FK column
    std::optional<std::string> owner_parent;   ///< the parent table of owner_via
    bool owner_nullable_global = false;        ///< NULL owner: a global row
    std::optional<std::string> public_when;    ///< SQL condition making a row readable by all
    bool global = false;                       ///< shared by all users
    std::vector<std::string> counters;         ///< merged by adding deltas
};

struct SyncRules {
    std::string app;
    std::vector<TableRule> tables;  ///< parents before children
    std::vector<std::string> server_only_tables;
    std::map<std::string, std::vector<std::string>> server_only_columns;
    std::vector<std::string> device_only_tables;
    /// Roles of the app's own schema that Ferry's device role (`ferry_device`, which a user's
    /// requests run as) is made a member of, so the app's policies for them apply to it
    /// (agentchat: Supabase's `authenticated`).
    std::vector<std::string> device_role_member_of;
    /// True when the app's schema brings its own row-level security policies (agentchat);
    /// otherwise Ferry installs ownership policies generated from these rules.
    bool own_policies = false;

    const TableRule* find(const std::string& table) const;
    bool is_server_only_column(const std::string& table, const std::string& column) const;
};

/// The parsed rules of an app (cached). Throws Error(unknown_app) or Error(internal) when the
/// embedded rules file is missing or malformed.
const SyncRules& sync_rules(const std::string& app);

}  // namespace ferry::detail
