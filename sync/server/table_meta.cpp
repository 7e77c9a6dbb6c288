// sync/server/table_meta.cpp: catalog reading and the device type mapping in SQL.
#include "sync/server/table_meta.hpp"

#include <cmath>
#include <cstdlib>

#include "ferry/error.hpp"
#include "lib/schema/sync_rules.hpp"

namespace ferry::detail {

using nlohmann::json;
namespace {
PgKind kind_of(const std::string& type, char typcategory) {
    if (typcategory == 'A') return PgKind::array;
    if (type == "smallint" || type == "integer" || type == "bigint") return PgKind::integer;
    if (type == "real" || type == "double precision") return PgKind::real;
    if (type == "numeric") return PgKind::numeric;
    if (type == "boolean") return PgKind::boolean;
    if (type == "timestamp without time zone") return PgKind::timestamp;
    if (type == "timestamp with time zone") return PgKind::timestamptz;
    if (type == "date") return PgKind::date;
    if (type == "json" || type == "jsonb") return PgKind::json;
    if (type == "bytea") return PgKind::bytea;
    if (type == "inet") return PgKind::inet;
    return PgKind::text;
}
}  // namespace

std::string pg_ident(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string pg_literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

const PgColumn& PgTable::column(const std::string& n) const {
    for (const auto& c : columns)
        if (c.name == n) return c;
    throw Error(ErrorDomain::ferry, ErrorCode::not_found, "table " + name + " has no column " + n);
}

bool PgTable::has_synced_column(const std::string& n) const {
    for (const auto& c : columns)
        if (c.name == n) return c.synced;
    return false;
}

std::vector<PgTable> read_tables(pqxx::transaction_base& tx, const std::string& app) {
    const auto& rules = sync_rules(app);
    std::vector<PgTable> out;
    for (const auto& rule : rules.tables) {
        PgTable t;
        t.name = rule.name;
        auto cols = tx.exec_params(
            "SELECT a.attname, format_type(a.atttypid, NULL), ty.typcategory, "
            "       coalesce(pg_get_expr(d.adbin, d.adrelid), '') "
            "FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            rule.name);
        if (cols.empty())
            throw Error(ErrorDomain::ferry, ErrorCode::internal,
                        "sync rules of '" + app + "' name table " + rule.name +
                            ", which the database lacks: run ferry server init --app " + app);
        for (const auto& r : cols) {
            PgColumn c;
            c.name = r[0].as<std::string>();
            c.type = r[1].as<std::string>();
            c.kind = kind_of(c.type, r[2].as<std::string>()[0]);
            c.synced = !rules.is_server_only_column(t.name, c.name);
            c.default_expr = r[3].as<std::string>();
            t.columns.push_back(std::move(c));
        }
        auto pk = tx.exec_params(
            "SELECT a.attname FROM pg_index i "
            "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary ORDER BY k.ord",
            rule.name);
        for (const auto& r : pk) t.pk.push_back(r[0].as<std::string>());
        if (t.pk.empty())
            throw Error(ErrorDomain::ferry, ErrorCode::internal, "synced table " + rule.name + " has no primary key");
        out.push_back(std::move(t));
    }
    return out;
}

std::string to_device_expr(const PgColumn& c, const std::string& v) {
    static const std::string iso = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";
    switch (c.kind) {
    case PgKind::integer:
    case PgKind::real: return v;
    case PgKind::numeric: return v + "::text";
    case PgKind::boolean: return "(CASE WHEN " + v + " THEN 1 WHEN NOT " + v + " THEN 0 END)";
    case PgKind::timestamp: return "to_char(" + v + ", " + iso + ")";
    case PgKind::timestamptz: return "to_char(" + v + " AT TIME ZONE 'UTC', " + iso + ")";
    case PgKind::date: return "to_char(" + v + ", 'YYYY-MM-DD')";
    case PgKind::json: return v + "::text";
    case PgKind::array: return "to_jsonb(" + v + ")::text";
    case PgKind::bytea:
        return "(CASE WHEN " + v + " IS NOT NULL THEN jsonb_build_object('b64', translate(encode(" + v +
               ", 'base64'), E'\\n', '')) END)";
    case PgKind::inet:
        // inet::text always shows the mask ("10.0.0.1/32"); a single host travels as written.
        return "(CASE WHEN masklen(" + v + ") = (CASE family(" + v + ") WHEN 4 THEN 32 ELSE 128 END) THEN host(" + v +
               ") ELSE " + v + "::text END)";
    case PgKind::text: return v + "::text";
    }
    return v;
}

std::string from_device_expr(const PgColumn& c, const std::string& j) {
    const std::string text = "(" + j + " #>> '{}')";
    switch (c.kind) {
    case PgKind::integer:
    case PgKind::real:
    case PgKind::numeric:
    case PgKind::date:
    case PgKind::inet:
    case PgKind::text: return text + "::" + c.type;
    case PgKind::boolean: return "(" + text + "::integer <> 0)";
    case PgKind::timestamp: return "(" + text + "::timestamptz AT TIME ZONE 'UTC')";
    case PgKind::timestamptz: return text + "::timestamptz";
    case PgKind::json: return text + "::" + c.type;
    case PgKind::array: {
        const std::string elem = c.type.substr(0, c.type.size() - 2);  // "text[]" -> "text"
        return "(CASE WHEN " + text + " IS NOT NULL THEN ARRAY(SELECT e::" + elem +
               " FROM jsonb_array_elements_text(" + text + "::jsonb) e)::" + c.type + " END)";
    }
    case PgKind::bytea: return "decode(" + j + " ->> 'b64', 'base64')";
    }
    return text;
}

std::string device_key_expr(const PgTable& t, const std::string& row) {
    std::string s = "jsonb_build_array(";
    for (std::size_t i = 0; i < t.pk.size(); ++i)
        s += (i ? ", " : "") + to_device_expr(t.column(t.pk[i]), row + "." + pg_ident(t.pk[i]));
    return s + ")";
}

std::string device_columns_expr(const PgTable& t, const std::string& row) {
    std::string out;
    for (const auto& c : t.columns) {
        if (!c.synced) continue;
        const std::string v = row + "." + pg_ident(c.name);
        out += (out.empty() ? "" : ", ") +
               (c.kind == PgKind::bytea ? "translate(encode(" + v + ", 'base64'), E'\\n', '')" : to_device_expr(c, v));
    }
    return out.empty() ? "NULL" : out;
}

namespace {
/// One value of a device_columns_expr select list, from PostgreSQL's text form to the JSON the
/// device receives (what jsonb_build_object of to_device_expr would have made of it).
json device_value(const PgColumn& c, const pqxx::field& f) {
    if (f.is_null()) return nullptr;
    const char* text = f.c_str();
    switch (c.kind) {
    case PgKind::integer:
    case PgKind::boolean: return std::strtoll(text, nullptr, 10);
    case PgKind::real: {
        // Infinity and NaN are no JSON numbers: jsonb keeps them as strings, so does this.
        char* end = nullptr;
        const double d = std::strtod(text, &end);
        if (end && *end == '\0' && std::isfinite(d)) return d;
        return std::string(text, f.size());
    }
    case PgKind::bytea: return json{{"b64", std::string(text, f.size())}};
    default: return std::string(text, f.size());
    }
}
}  // namespace

json device_values(const PgTable& t, const pqxx::row& r, int first) {
    json out = json::array();
    int i = first;
    for (const auto& c : t.columns)
        if (c.synced) out.push_back(device_value(c, r[i++]));
    return out;
}

std::string key_columns_expr(const PgTable& t, const std::string& key_json) {
    std::string s;
    for (std::size_t i = 0; i < t.pk.size(); ++i)
        s += (i ? ", " : "") + from_device_expr(t.column(t.pk[i]), "(" + key_json + " -> " + std::to_string(i) + ")") +
             " AS k" + std::to_string(i);
    return s;
}

std::string key_join_expr(const PgTable& t, const std::string& row, const std::string& keys) {
    std::string s;
    for (std::size_t i = 0; i < t.pk.size(); ++i)
        s += (i ? " AND " : "") + row + "." + pg_ident(t.pk[i]) + " = " + keys + ".k" + std::to_string(i);
    return s;
}

std::string key_match_expr(const PgTable& t, const std::string& row, const std::string& key_json) {
    std::string s;
    for (std::size_t i = 0; i < t.pk.size(); ++i)
        s += (i ? " AND " : "") + row + "." + pg_ident(t.pk[i]) + " = " +
             from_device_expr(t.column(t.pk[i]), "(" + key_json + " -> " + std::to_string(i) + ")");
    return s;
}

}  // namespace ferry::detail
