// sync/server/server_capture.cpp: generated capture triggers per synced table. A row trigger logs
// each insert, update and delete with the row's key in device form (so the device and the server
// name a row the same way) and, for an update, which columns really changed; a statement trigger
// logs a TRUNCATE as a delete of every row. Clocks are recorded by ferry.log_change (0006).
#include "sync/server/server_capture.hpp"

#include "lib/schema/sync_rules.hpp"
#include "sync/server/device_role.hpp"
#include "sync/server/scope.hpp"
#include "sync/server/table_meta.hpp"

namespace ferry::detail {
namespace {
// SECURITY DEFINER with a fixed search_path: every writer of the table (web app roles under RLS
// included) gets its change logged without any grant on schema ferry.
const char* const k_definer = " RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp";

std::string text_array(const std::vector<std::string>& items) {
    std::string s = "ARRAY[";
    for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + pg_literal(items[i]);
    return s + "]::text[]";
}

std::vector<std::string> synced_names(const PgTable& t) {
    std::vector<std::string> out;
    for (const auto& c : t.columns)
        if (c.synced) out.push_back(c.name);
    return out;
}

/// Whether a column's value changed, as the device would see it. Text comparison for the kinds
/// whose equality hides a change of their device form (SQL NULL versus JSON null is NULL versus
/// 'null'; numeric 1.5 versus 1.50; real -0 versus 0) or that may lack an equality operator
/// (json, json[], unknown types); the type's own equality, which is cheaper, for the others.
std::string changed_expr(const PgColumn& c) {
    const std::string n = pg_ident(c.name);
    switch (c.kind) {
    case PgKind::integer:
    case PgKind::boolean:
    case PgKind::timestamp:
    case PgKind::timestamptz:
    case PgKind::date:
    case PgKind::bytea:
    case PgKind::inet: return "NEW." + n + " IS DISTINCT FROM OLD." + n;
    default: return "NEW." + n + "::text IS DISTINCT FROM OLD." + n + "::text";
    }
}

/// The synced columns an UPDATE changed, as a text[] without NULLs.
std::string changed_columns_expr(const PgTable& t) {
    std::string s;
    for (const auto& c : t.columns)
        if (c.synced)
            s += (s.empty() ? "" : ", ") + std::string("CASE WHEN ") + changed_expr(c) + " THEN " + pg_literal(c.name) + " END";
    return "array_remove(ARRAY[" + s + "]::text[], NULL)";
}

std::string qualified_name(pqxx::work& tx, const PgTable& t);

/// When a parent's scope changes (a chat given to another user, a task made private), the rows
/// owned through it change scope too: each gets an entry naming its readers before and after,
/// so the devices that lose it remove it and those that gain it receive it.
std::string rescope_children_sql(pqxx::work& tx, const PgTable& parent, const SyncRules& rules,
                                 const std::vector<PgTable>& tables) {
    std::string sql;
    if (parent.pk.size() != 1) return sql;
    for (const auto& [child, via] : via_children(parent, rules, tables)) {
        const std::string ct = pg_literal(child->name);
        sql += "    WITH kids AS (SELECT " + device_key_expr(*child, "c") + " AS pk FROM " + qualified_name(tx, *child) +
               " c WHERE c." + pg_ident(via) + " = NEW." + pg_ident(parent.pk[0]) + "),\n"
               "    moved AS (UPDATE ferry.rows r SET readers = nr, owner = nw FROM kids "
               "WHERE r.tbl = " + ct + " AND r.pk = kids.pk RETURNING r.pk)\n"
               "    INSERT INTO ferry.changes(tbl, pk, op, readers) SELECT " + ct +
               ", pk, 2, ferry.union_readers(orr, nr) FROM moved;\n";
    }
    return sql;
}

std::string row_capture_sql(pqxx::work& tx, const PgTable& t, const SyncRules& rules,
                            const std::vector<PgTable>& tables) {
    const std::string fn = "ferry." + pg_ident("capture_" + t.name);
    const std::string tbl = pg_literal(t.name);
    const std::string all = text_array(synced_names(t));
    const ScopeSql now = scope_sql(t, rules, tables, "NEW");
    const ScopeSql was = scope_sql(t, rules, tables, "OLD");
    const std::string rescope = rescope_children_sql(tx, t, rules, tables);
    const std::string log_new = ", nr, nw);\n";
    return "CREATE OR REPLACE FUNCTION " + fn + "()" + k_definer + " AS $ferry$\n"
           "DECLARE k jsonb; ok jsonb; cols text[]; nr text[]; nw text; orr text[]; ow text;\n"
           "BEGIN\n"
           // A row a Ferry merge's own insert or delete writes (sync_server.cpp, merge_sql): that
           // statement logs it, with its clocks and scope. Only the statement's own rows (trigger
           // depth 1; cascades and app triggers' writes are deeper) of the table it marks, and
           // only in a merge transaction (a ferry.merges row, which no other role may write): a
           // writer that sets ferry.merge_logs itself is captured as ever.
           "  IF current_setting('ferry.merge_logs', true) = " + tbl + " AND pg_trigger_depth() = 1 AND TG_OP <> 'UPDATE'\n"
           "     AND EXISTS (SELECT 1 FROM ferry.merges m WHERE m.xid = pg_current_xact_id()) THEN\n"
           "    RETURN NULL;\n"
           "  END IF;\n"
           "  IF TG_OP <> 'DELETE' THEN k := " + device_key_expr(t, "NEW") + "; nr := " + now.readers + "; nw := " +
           now.owner + "; END IF;\n"
           "  IF TG_OP <> 'INSERT' THEN ok := " + device_key_expr(t, "OLD") + "; END IF;\n"
           "  IF TG_OP = 'INSERT' THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", k, 1::smallint, " + all + log_new +
           "  ELSIF TG_OP = 'DELETE' THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", ok, 3::smallint, NULL, NULL, NULL);\n"
           "  ELSIF k IS DISTINCT FROM ok THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", ok, 3::smallint, NULL, NULL, NULL);\n"
           "    PERFORM ferry.log_change(" + tbl + ", k, 1::smallint, " + all + log_new +
           "  ELSE\n"
           "    cols := " + changed_columns_expr(t) + ";\n"
           "    orr := " + was.readers + "; ow := " + was.owner + ";\n"
           "    IF cols <> '{}' OR nr IS DISTINCT FROM orr OR nw IS DISTINCT FROM ow THEN\n"
           "      PERFORM ferry.log_change(" + tbl + ", k, 2::smallint, cols" + log_new +
           "    END IF;\n" +
           (rescope.empty() ? std::string() : "    IF nr IS DISTINCT FROM orr OR nw IS DISTINCT FROM ow THEN\n" + rescope +
                                                  "    END IF;\n") +
           "  END IF;\n"
           "  RETURN NULL;\n"
           "END\n$ferry$;\n"
           "DROP TRIGGER IF EXISTS ferry_capture ON " + pg_ident(t.name) + ";\n"
           "CREATE TRIGGER ferry_capture AFTER INSERT OR UPDATE OR DELETE ON " + pg_ident(t.name) +
           " FOR EACH ROW EXECUTE FUNCTION " + fn + "();\n";
}

/// TRUNCATE fires no row triggers: before it empties the table (each table of a TRUNCATE ...
/// CASCADE fires its own), every row is logged as a delete with a tombstone newer than anything
/// known about it, site 'server', so every device's pull deletes it and a stale push loses.
std::string truncate_capture_sql(const PgTable& t, const std::string& qualified) {
    const std::string fn = "ferry." + pg_ident("truncate_" + t.name);
    const std::string tbl = pg_literal(t.name);
    return "CREATE OR REPLACE FUNCTION " + fn + "()" + k_definer + " AS $ferry$\n"
           "BEGIN\n"
           "  WITH gone AS MATERIALIZED (SELECT " + device_key_expr(t, "t") + " AS pk FROM " + qualified + " t),\n"
           "  logged AS (INSERT INTO ferry.changes(tbl, pk, op, readers) SELECT " + tbl + ", g.pk, 3, "
           "coalesce((SELECT r.readers FROM ferry.rows r WHERE r.tbl = " + tbl + " AND r.pk = g.pk), '{}') FROM gone g)\n"
           "  INSERT INTO ferry.rows AS r (tbl, pk, deleted_hlc, deleted_site)\n"
           "  SELECT " + tbl + ", pk, ferry.now_hlc(), 'server' FROM gone\n"
           "  ON CONFLICT (tbl, pk) DO UPDATE\n"
           "     SET deleted_hlc = ferry.next_hlc(r.clocks, r.created_hlc, r.deleted_hlc), deleted_site = 'server';\n"
           "  RETURN NULL;\n"
           "END\n$ferry$;\n"
           "DROP TRIGGER IF EXISTS ferry_capture_truncate ON " + pg_ident(t.name) + ";\n"
           "CREATE TRIGGER ferry_capture_truncate BEFORE TRUNCATE ON " + pg_ident(t.name) +
           " FOR EACH STATEMENT EXECUTE FUNCTION " + fn + "();\n";
}

/// Wakes live-sync listeners (0008): one notification per writing transaction, at its commit.
std::string notify_sql(const PgTable& t) {
    return "DROP TRIGGER IF EXISTS ferry_notify ON " + pg_ident(t.name) + ";\n"
           "CREATE TRIGGER ferry_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + pg_ident(t.name) +
           " FOR EACH STATEMENT EXECUTE FUNCTION ferry.notify_change();\n";
}

/// The table's name with its schema: the capture functions' search_path holds only pg_catalog.
std::string qualified_name(pqxx::work& tx, const PgTable& t) {
    return tx.exec_params("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(quote_ident($1))",
                          t.name)[0][0].as<std::string>();
}

/// Rows that exist without Ferry knowing them (an adopted database, seed rows written before
/// capture was installed) are logged once as inserts, so a device's first pull receives them.
std::string backfill_sql(const PgTable& t, const ScopeSql& scope) {
    const std::string tbl = pg_literal(t.name);
    return "WITH missing AS (SELECT " + device_key_expr(t, "t") + " AS pk, " + scope.readers + " AS readers, " +
           scope.owner + " AS owner FROM " + pg_ident(t.name) +
           " t WHERE NOT EXISTS (SELECT 1 FROM ferry.rows r WHERE r.tbl = " + tbl + " AND r.pk = " +
           device_key_expr(t, "t") + ")), "
           "known AS (INSERT INTO ferry.rows(tbl, pk, created_hlc, created_site, readers, owner) "
           "SELECT " + tbl + ", pk, ferry.now_hlc(), 'server', readers, owner FROM missing) "
           "INSERT INTO ferry.changes(tbl, pk, op, readers) SELECT " + tbl + ", pk, 1, readers FROM missing";
}

/// The scope of every row as the current rules say (rules change with an upgrade; rows known
/// before 0009 have none yet). Parents come first in the rules, so a via-owned row finds its
/// parent's scope already recorded.
std::string rescope_sql(const PgTable& t, const ScopeSql& scope) {
    const std::string tbl = pg_literal(t.name);
    return "UPDATE ferry.rows r SET readers = x.readers, owner = x.owner FROM (SELECT " + device_key_expr(t, "t") +
           " AS pk, " + scope.readers + " AS readers, " + scope.owner + " AS owner FROM " + pg_ident(t.name) +
           " t) x WHERE r.tbl = " + tbl + " AND r.pk = x.pk AND (r.readers, r.owner) IS DISTINCT FROM (x.readers, x.owner)";
}

/// Entries logged before 0009 get their row's recorded scope (or nobody's, for a row that is
/// gone: only trusted processes pull them).
std::string old_entries_sql(const PgTable& t) {
    const std::string tbl = pg_literal(t.name);
    return "UPDATE ferry.changes c SET readers = coalesce((SELECT r.readers FROM ferry.rows r WHERE r.tbl = c.tbl AND "
           "r.pk = c.pk AND r.deleted_hlc IS NULL), '{}') WHERE c.tbl = " + tbl + " AND c.readers IS NULL";
}
}  // namespace

std::int64_t install_server_capture(pqxx::connection& c, const std::string& app,
                                    const std::function<void(const std::string&, std::int64_t)>& on_table) {
    pqxx::work tx(c);
    std::int64_t total = 0;
    const auto& rules = sync_rules(app);
    const auto tables = read_tables(tx, app);
    for (const auto& t : tables) {
        const ScopeSql scope = scope_sql(t, rules, tables, "t");
        tx.exec(row_capture_sql(tx, t, rules, tables));
        tx.exec(truncate_capture_sql(t, qualified_name(tx, t)));
        tx.exec(notify_sql(t));
        tx.exec(rescope_sql(t, scope));
        tx.exec(old_entries_sql(t));
        const auto logged = static_cast<std::int64_t>(tx.exec(backfill_sql(t, scope)).affected_rows());
        total += logged;
        if (on_table) on_table(t.name, logged);
    }
    install_device_role(tx, rules, tables);
    tx.commit();
    return total;
}

}  // namespace ferry::detail
