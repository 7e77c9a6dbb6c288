// sync/server/table_meta.hpp: what the server needs to know about a synced table, read from the
// live PostgreSQL catalog, and the SQL that converts its values to and from the device form
// (DESIGN.md decision 9: timestamps as ISO-8601 UTC text, booleans 0/1, arrays as JSON text...).
#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace ferry::detail {

enum class PgKind { integer, real, numeric, boolean, text, inet, timestamp, timestamptz, date, json, array, bytea };

struct PgColumn {
    std::string name;
    std::string type;  ///< format_type without modifiers, e.g. "timestamp without time zone", "\"TaskStatus\""
    PgKind kind = PgKind::text;
    bool synced = true;  ///< false for server-only columns
    std::string default_expr;  ///< the column's DEFAULT expression, "" when it has none
};

struct PgTable {
    std::string name;
    std::vector<PgColumn> columns;  ///< every column, in table order
    std::vector<std::string> pk;    ///< primary key columns, in key order
    const PgColumn& column(const std::string& name) const;
    bool has_synced_column(const std::string& name) const;
};

/// Reads the synced tables of `app` (in sync-rules order) from the catalog. Throws
/// Error(internal) when a table of the rules is missing or has no primary key.
std::vector<PgTable> read_tables(pqxx::transaction_base& tx, const std::string& app);

/// SQL turning a PostgreSQL value expression into its device form, as a jsonb-compatible value.
std::string to_device_expr(const PgColumn& c, const std::string& value);
/// SQL turning jsonb element `json` (device form) into a value of the column's type.
std::string from_device_expr(const PgColumn& c, const std::string& json);
/// jsonb_build_array of the key in device form, from row alias `row`.
std::string device_key_expr(const PgTable& t, const std::string& row);
/// The synced columns of `t` in device form from row alias `row`, one select-list expression
/// per column in table order, each read back by device_values: no jsonb built per row.
std::string device_columns_expr(const PgTable& t, const std::string& row);
/// The values of a device_columns_expr select list, from field `first` of `r` on, as a JSON
/// array in the order of t's synced columns (device form: what the device receives).
nlohmann::json device_values(const PgTable& t, const pqxx::row& r, int first);
/// The key in device form `key_json` as the key columns' own types, a select list named k0, k1...
/// A subquery of them (kept apart with OFFSET 0) joins the table by plain equality, which
/// PostgreSQL can use for an index scan under row-level security; a join clause with jsonb
/// operators counts as leaky there and turned every lookup by key into a scan of the table.
std::string key_columns_expr(const PgTable& t, const std::string& key_json);
/// "row.k1 = keys.k0 AND ..." for the columns of key_columns_expr in subquery `keys`.
std::string key_join_expr(const PgTable& t, const std::string& row, const std::string& keys);
/// "row.k1 = <from device key element 0> AND ..." matching the device-form key `key_json`.
std::string key_match_expr(const PgTable& t, const std::string& row, const std::string& key_json);

std::string pg_ident(const std::string& name);
std::string pg_literal(const std::string& text);

}  // namespace ferry::detail
