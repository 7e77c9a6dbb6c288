// sync/server/server_capture.cpp: generated capture triggers per synced table. A row trigger logs
// each insert, update and delete with the row's key in device form (so the device and the server
// name a row the same way) and, for an update, which columns really changed; a statement trigger
// logs a TRUNCATE as a delete of every row. Clocks are recorded by ferry.log_change (0006).
#include "sync/server/server_capture.hpp"

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

std::string row_capture_sql(const PgTable& t) {
    const std::string fn = "ferry." + pg_ident("capture_" + t.name);
    const std::string tbl = pg_literal(t.name);
    const std::string all = text_array(synced_names(t));
    return "CREATE OR REPLACE FUNCTION " + fn + "()" + k_definer + " AS $ferry$\n"
           "DECLARE k jsonb; ok jsonb; cols text[];\n"
           "BEGIN\n"
           "  IF TG_OP <> 'DELETE' THEN k := " + device_key_expr(t, "NEW") + "; END IF;\n"
           "  IF TG_OP <> 'INSERT' THEN ok := " + device_key_expr(t, "OLD") + "; END IF;\n"
           "  IF TG_OP = 'INSERT' THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", k, 1::smallint, " + all + ");\n"
           "  ELSIF TG_OP = 'DELETE' THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", ok, 3::smallint, NULL);\n"
           "  ELSIF k IS DISTINCT FROM ok THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", ok, 3::smallint, NULL);\n"
           "    PERFORM ferry.log_change(" + tbl + ", k, 1::smallint, " + all + ");\n"
           "  ELSE\n"
           "    cols := " + changed_columns_expr(t) + ";\n"
           "    IF cols <> '{}' THEN PERFORM ferry.log_change(" + tbl + ", k, 2::smallint, cols); END IF;\n"
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
           "  logged AS (INSERT INTO ferry.changes(tbl, pk, op) SELECT " + tbl + ", pk, 3 FROM gone)\n"
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
std::string backfill_sql(const PgTable& t) {
    const std::string tbl = pg_literal(t.name);
    return "WITH missing AS (SELECT " + device_key_expr(t, "t") + " AS pk FROM " + pg_ident(t.name) +
           " t WHERE NOT EXISTS (SELECT 1 FROM ferry.rows r WHERE r.tbl = " + tbl + " AND r.pk = " +
           device_key_expr(t, "t") + ")), "
           "known AS (INSERT INTO ferry.rows(tbl, pk, created_hlc, created_site) "
           "SELECT " + tbl + ", pk, ferry.now_hlc(), 'server' FROM missing) "
           "INSERT INTO ferry.changes(tbl, pk, op) SELECT " + tbl + ", pk, 1 FROM missing";
}
}  // namespace

std::int64_t install_server_capture(pqxx::connection& c, const std::string& app,
                                    const std::function<void(const std::string&, std::int64_t)>& on_table) {
    pqxx::work tx(c);
    std::int64_t total = 0;
    for (const auto& t : read_tables(tx, app)) {
        tx.exec(row_capture_sql(t));
        tx.exec(truncate_capture_sql(t, qualified_name(tx, t)));
        tx.exec(notify_sql(t));
        const auto logged = static_cast<std::int64_t>(tx.exec(backfill_sql(t)).affected_rows());
        total += logged;
        if (on_table) on_table(t.name, logged);
    }
    tx.commit();
    return total;
}

}  // namespace ferry::detail
