// sync/server/scope.cpp: the readers and owner expressions of sync/server/scope.hpp.
#include "sync/server/scope.hpp"

#include "ferry/error.hpp"
#include "sync/server/rule_expr.hpp"

namespace ferry::detail {
namespace {
const PgTable& table_named(const std::vector<PgTable>& tables, const std::string& name) {
    for (const auto& t : tables)
        if (t.name == name) return t;
    throw Error(ErrorDomain::ferry, ErrorCode::internal, "sync rules name parent table " + name + ", which is not synced");
}

std::vector<std::string> column_names(const PgTable& t) {
    std::vector<std::string> out;
    for (const auto& c : t.columns) out.push_back(c.name);
    return out;
}
}  // namespace

ScopeSql scope_sql(const PgTable& t, const SyncRules& rules, const std::vector<PgTable>& tables,
                   const std::string& row) {
    const TableRule* rule = rules.find(t.name);
    const std::string everyone = "ARRAY['*']::text[]";
    if (!rule || rule->global) return {everyone, "NULL::text"};
    std::string public_part;
    if (rule->public_when)
        public_part = " || CASE WHEN " + render_rule_condition(*rule->public_when, column_names(t), row) + " THEN " +
                      everyone + " ELSE '{}'::text[] END";
    if (rule->owner_column) {
        const std::string owner = row + "." + pg_ident(*rule->owner_column) + "::text";
        const std::string when_null = rule->owner_nullable_global ? everyone : "'{}'::text[]";
        return {"(CASE WHEN " + owner + " IS NULL THEN " + when_null + " ELSE ARRAY[" + owner + "] END" + public_part + ")",
                owner};
    }
    if (rule->owner_via && rule->owner_parent) {
        const PgTable& parent = table_named(tables, *rule->owner_parent);
        const std::string key = "jsonb_build_array(" + to_device_expr(t.column(*rule->owner_via), row + "." +
                                                                      pg_ident(*rule->owner_via)) + ")";
        const std::string from = " FROM ferry.rows p WHERE p.tbl = " + pg_literal(parent.name) + " AND p.pk = " + key;
        return {"(coalesce((SELECT p.readers" + from + "), '{}'::text[])" + public_part + ")",
                "(SELECT p.owner" + from + ")"};
    }
    // Neither owner nor global (devlog's team tables): every user of the deployment.
    return {everyone, "'*'::text"};
}

std::vector<std::pair<const PgTable*, std::string>> via_children(const PgTable& parent, const SyncRules& rules,
                                                                 const std::vector<PgTable>& tables) {
    std::vector<std::pair<const PgTable*, std::string>> out;
    for (const auto& r : rules.tables)
        if (r.owner_via && r.owner_parent && *r.owner_parent == parent.name)
            for (const auto& t : tables)
                if (t.name == r.name) out.emplace_back(&t, *r.owner_via);
    return out;
}

}  // namespace ferry::detail
