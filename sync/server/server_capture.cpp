// sync/server/server_capture.cpp: one generated trigger function per synced table. It logs the
// row's key in device form (so the device and the server name a row the same way) and, for an
// update, which columns really changed.
#include "sync/server/server_capture.hpp"

#include "sync/server/table_meta.hpp"

namespace ferry::detail {
namespace {
std::string text_array(const std::vector<std::string>& items) {
    std::string s = "ARRAY[";
    for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + pg_literal(items[i]);
    return s + "]::text[]";
}

std::string capture_function_sql(const PgTable& t) {
    std::vector<std::string> synced;
    for (const auto& c : t.columns)
        if (c.synced) synced.push_back(c.name);
    const std::string fn = "ferry." + pg_ident("capture_" + t.name);
    const std::string tbl = pg_literal(t.name);
    // SECURITY DEFINER with a fixed search_path: every writer of the table (web app roles under
    // RLS included) gets its change logged without any grant on schema ferry.
    return "CREATE OR REPLACE FUNCTION " + fn +
           "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $ferry$\n"
           "DECLARE k jsonb; ok jsonb; cols text[];\n"
           "BEGIN\n"
           "  IF TG_OP <> 'DELETE' THEN k := " + device_key_expr(t, "NEW") + "; END IF;\n"
           "  IF TG_OP <> 'INSERT' THEN ok := " + device_key_expr(t, "OLD") + "; END IF;\n"
           "  IF TG_OP = 'INSERT' THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", k, 1::smallint, " + text_array(synced) + ");\n"
           "  ELSIF TG_OP = 'DELETE' THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", ok, 3::smallint, NULL);\n"
           "  ELSIF k IS DISTINCT FROM ok THEN\n"
           "    PERFORM ferry.log_change(" + tbl + ", ok, 3::smallint, NULL);\n"
           "    PERFORM ferry.log_change(" + tbl + ", k, 1::smallint, " + text_array(synced) + ");\n"
           "  ELSE\n"
           "    SELECT array_agg(n.key) INTO cols FROM jsonb_each(to_jsonb(NEW)) n\n"
           "     WHERE n.key = ANY(" + text_array(synced) + ") AND n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key);\n"
           "    IF cols IS NOT NULL THEN PERFORM ferry.log_change(" + tbl + ", k, 2::smallint, cols); END IF;\n"
           "  END IF;\n"
           "  RETURN NULL;\n"
           "END\n$ferry$;\n"
           "DROP TRIGGER IF EXISTS ferry_capture ON " + pg_ident(t.name) + ";\n"
           "CREATE TRIGGER ferry_capture AFTER INSERT OR UPDATE OR DELETE ON " + pg_ident(t.name) +
           " FOR EACH ROW EXECUTE FUNCTION " + fn + "();\n";
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
        tx.exec(capture_function_sql(t));
        const auto logged = static_cast<std::int64_t>(tx.exec(backfill_sql(t)).affected_rows());
        total += logged;
        if (on_table) on_table(t.name, logged);
    }
    tx.commit();
    return total;
}

}  // namespace ferry::detail
