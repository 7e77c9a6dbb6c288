// sync/server/device_role.cpp: grants and row-level security policies for ferry_device.
#include "sync/server/device_role.hpp"

#include "sync/server/rule_expr.hpp"

namespace ferry::detail {
namespace {
const std::string k_role = k_device_role;
// A scalar subquery: PostgreSQL evaluates it once per statement (an InitPlan), where the
// function, inlined, parsed the request's claims as jsonb for every row a policy checked (1 µs a
// row: a count of 100k Task rows under the read policy's test took 133 ms, 35 ms this way).
const std::string k_user = "(SELECT ferry.user_id())";

std::vector<std::string> column_names(const PgTable& t) {
    std::vector<std::string> out;
    for (const auto& c : t.columns) out.push_back(c.name);
    return out;
}

const PgTable* find(const std::vector<PgTable>& tables, const std::string& name) {
    for (const auto& t : tables)
        if (t.name == name) return &t;
    return nullptr;
}

/// "Row alias `row` of `t` belongs to the request's user" as a policy expression.
std::string owned_expr(const PgTable& t, const SyncRules& rules, const std::vector<PgTable>& tables,
                       const std::string& row) {
    const TableRule* rule = rules.find(t.name);
    if (!rule || rule->global) return "false";
    if (rule->owner_column) return row + "." + pg_ident(*rule->owner_column) + "::text = " + k_user;
    if (rule->owner_via && rule->owner_parent) {
        const PgTable* parent = find(tables, *rule->owner_parent);
        if (!parent || parent->pk.size() != 1) return "false";
        return "EXISTS (SELECT 1 FROM " + pg_ident(parent->name) + " p WHERE p." + pg_ident(parent->pk[0]) + " = " + row +
               "." + pg_ident(*rule->owner_via) + " AND " + owned_expr(*parent, rules, tables, "p") + ")";
    }
    return "true";  // a team table (neither owner nor global): every user
}

/// "... may be read by the user": owned, public, global, or under a parent the user may read
/// (the parent's own policies apply inside the subquery).
std::string readable_expr(const PgTable& t, const SyncRules& rules, const std::vector<PgTable>& tables) {
    const TableRule* rule = rules.find(t.name);
    if (!rule || rule->global) return "true";
    std::string expr = owned_expr(t, rules, tables, pg_ident(t.name));
    if (rule->owner_column && rule->owner_nullable_global)
        expr += " OR " + pg_ident(t.name) + "." + pg_ident(*rule->owner_column) + " IS NULL";
    if (rule->public_when)
        expr += " OR " + render_rule_condition(*rule->public_when, column_names(t), pg_ident(t.name));
    if (rule->owner_via && rule->owner_parent)
        if (const PgTable* parent = find(tables, *rule->owner_parent); parent && parent->pk.size() == 1)
            expr = "EXISTS (SELECT 1 FROM " + pg_ident(parent->name) + " p WHERE p." + pg_ident(parent->pk[0]) + " = " +
                   pg_ident(t.name) + "." + pg_ident(*rule->owner_via) + ")";
    return expr;
}

void policy(pqxx::work& tx, const PgTable& t, const std::string& name, const std::string& command,
            const std::string& to, const std::string& using_expr, const std::string& check_expr) {
    const std::string T = pg_ident(t.name);
    tx.exec("DROP POLICY IF EXISTS " + pg_ident(name) + " ON " + T);
    std::string sql = "CREATE POLICY " + pg_ident(name) + " ON " + T + " FOR " + command + " TO " + to;
    if (!using_expr.empty()) sql += " USING (" + using_expr + ")";
    if (!check_expr.empty()) sql += " WITH CHECK (" + check_expr + ")";
    tx.exec(sql);
}

void table_policies(pqxx::work& tx, const PgTable& t, const SyncRules& rules, const std::vector<PgTable>& tables) {
    const TableRule* rule = rules.find(t.name);
    const std::string T = pg_ident(t.name);
    tx.exec("ALTER TABLE " + T + " ENABLE ROW LEVEL SECURITY");
    // Every other role keeps the access it had: the policies below are about ferry_device only.
    const std::string others = "current_user <> " + pg_literal(k_role);
    policy(tx, t, "ferry: other roles", "ALL", "PUBLIC", others, others);
    policy(tx, t, "ferry: device reads", "SELECT", k_role, readable_expr(t, rules, tables), "");
    if (rule && rule->global) {
        // Users add to a shared row's counters (Ferry's own checks allow nothing else).
        if (!rule->counters.empty()) policy(tx, t, "ferry: device counts", "UPDATE", k_role, "true", "true");
        return;
    }
    const std::string mine = owned_expr(t, rules, tables, T);
    policy(tx, t, "ferry: device inserts", "INSERT", k_role, "", mine);
    policy(tx, t, "ferry: device updates", "UPDATE", k_role, mine, mine);
    policy(tx, t, "ferry: device deletes", "DELETE", k_role, mine, "");
}
}  // namespace

void install_device_role(pqxx::work& tx, const SyncRules& rules, const std::vector<PgTable>& tables) {
    // Creating a role takes CREATEROLE, which an app database's owner often lacks: then an
    // administrator creates it once (docs/gateway.md), and until then only trusted processes sync.
    // Roles belong to the whole cluster: an install into another database may create the role at
    // the same moment (unique_violation on pg_authid), which is as good as finding it.
    tx.exec("DO $$ BEGIN CREATE ROLE " + k_role + " NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
            "WHEN insufficient_privilege THEN RAISE WARNING 'Ferry: cannot create role " + k_role +
            " (no CREATEROLE): users cannot sync through the gateway until an administrator runs "
            "CREATE ROLE " + k_role + " NOLOGIN and ferry server init runs again'; END $$");
    if (tx.exec("SELECT 1 FROM pg_roles WHERE rolname = " + pg_literal(k_role)).empty()) return;
    for (const auto& member_of : rules.device_role_member_of)
        tx.exec("DO $$ BEGIN GRANT " + pg_ident(member_of) + " TO " + k_role +
                "; EXCEPTION WHEN unique_violation THEN NULL; END $$");  // granted at the same moment elsewhere
    tx.exec("GRANT USAGE ON SCHEMA ferry TO " + k_role);
    tx.exec("GRANT SELECT ON ferry.meta TO " + k_role);
    tx.exec("GRANT SELECT, INSERT, UPDATE ON ferry.sites, ferry.rows TO " + k_role);
    // A merge logs the rows it inserts and deletes itself (sync_server.cpp).
    tx.exec("GRANT SELECT, INSERT, UPDATE ON ferry.changes TO " + k_role);
    tx.exec("GRANT USAGE ON SEQUENCE ferry.changes_id_seq TO " + k_role);
    tx.exec("GRANT SELECT, INSERT, DELETE ON ferry.merges TO " + k_role);
    tx.exec("DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO " + k_role + "', current_database()); END $$");
    for (const auto& t : tables) {
        tx.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON " + pg_ident(t.name) + " TO " + k_role);
        for (const auto& c : t.columns) {
            auto seq = tx.exec_params("SELECT pg_get_serial_sequence(quote_ident($1), $2)", t.name, c.name);
            if (!seq[0][0].is_null()) tx.exec("GRANT USAGE, SELECT, UPDATE ON SEQUENCE " + std::string(seq[0][0].c_str()) +
                                              " TO " + k_role);
        }
        if (!rules.own_policies) table_policies(tx, t, rules, tables);
    }
}

}  // namespace ferry::detail
