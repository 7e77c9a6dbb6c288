// tests/integration/parity_test.cpp: the device and cloud schemas of every app agree, checked
// from the live catalogs (SQLite pragmas, PostgreSQL pg_catalog), not from a hand-kept list:
// same tables, same columns, types compatible under the mapping, same primary keys, same foreign
// keys and ON DELETE rules. Intended differences come only from the app's sync_rules.json.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "ferry/server.hpp"
#include "ferry/store.hpp"
#include "lib/schema/sync_rules.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
struct Column {
    std::string type;  // SQLite declared type, or PostgreSQL format_type
    bool not_null = false;
};
struct Fk {
    std::vector<std::string> from;
    std::string parent;
    std::string on_delete;
    std::string on_update;
    bool operator<(const Fk& o) const {
        return std::tie(from, parent, on_delete, on_update) < std::tie(o.from, o.parent, o.on_delete, o.on_update);
    }
};
struct Table {
    std::map<std::string, Column> columns;
    std::vector<std::string> pk;
    std::set<Fk> fks;
    std::map<std::string, std::vector<std::string>> indexes;  // name -> columns; not PK/constraint ones
    std::set<std::vector<std::string>> unique;                // column lists of UNIQUE constraints/indexes
};
using Catalog = std::map<std::string, Table>;

Catalog device_catalog(ferry::Store& s) {
    Catalog out;
    auto tables = s.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                          "AND name NOT LIKE 'ferry_%'");
    for (const auto& row : tables.rows) {
        const auto name = row[0].as_text();
        Table t;
        std::vector<std::pair<std::int64_t, std::string>> pk;
        for (const auto& c : s.query("SELECT name, upper(type), pk, \"notnull\" FROM pragma_table_info(?)", {name}).rows) {
            t.columns[c[0].as_text()] = Column{c[1].as_text(), c[3].as_int() != 0};
            if (c[2].as_int() > 0) pk.emplace_back(c[2].as_int(), c[0].as_text());
        }
        std::sort(pk.begin(), pk.end());
        for (auto& p : pk) t.pk.push_back(p.second);
        std::map<std::int64_t, Fk> fks;
        for (const auto& f : s.query("SELECT id, \"from\", \"table\", on_delete, on_update FROM pragma_foreign_key_list(?) "
                                     "ORDER BY id, seq",
                                     {name}).rows) {
            auto& fk = fks[f[0].as_int()];
            fk.from.push_back(f[1].as_text());
            fk.parent = f[2].as_text();
            fk.on_delete = f[3].as_text();
            fk.on_update = f[4].as_text();
        }
        for (auto& [id, fk] : fks) t.fks.insert(fk);
        // Indexes written as CREATE INDEX (autoindexes of inline UNIQUE/PRIMARY KEY have no sql).
        for (const auto& i : s.query("SELECT m.name, ii.name FROM sqlite_master m JOIN pragma_index_info(m.name) ii "
                                     "WHERE m.type = 'index' AND m.tbl_name = ? AND m.sql IS NOT NULL ORDER BY m.name, ii.seqno",
                                     {name}).rows)
            t.indexes[i[0].as_text()].push_back(i[1].is_null() ? "<expr>" : i[1].as_text());
        std::map<std::string, std::vector<std::string>> unique;
        for (const auto& u : s.query("SELECT il.name, ii.name FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii "
                                     "WHERE il.\"unique\" AND il.origin <> 'pk' ORDER BY il.name, ii.seqno",
                                     {name}).rows)
            unique[u[0].as_text()].push_back(u[1].as_text());
        for (auto& [n, cols] : unique) t.unique.insert(cols);
        // A rowid alias (INTEGER PRIMARY KEY) can never be NULL even without NOT NULL.
        if (t.pk.size() == 1 && t.columns[t.pk[0]].type == "INTEGER") t.columns[t.pk[0]].not_null = true;
        out[name] = t;
    }
    return out;
}

std::string on_delete_name(char c) {
    switch (c) {
    case 'c': return "CASCADE";
    case 'n': return "SET NULL";
    case 'd': return "SET DEFAULT";
    case 'r': return "RESTRICT";
    default: return "NO ACTION";
    }
}

Catalog cloud_catalog(const ferry::test::PgDatabase& db) {
    Catalog out;
    auto c = db.connect();
    pqxx::read_transaction tx(c);
    for (const auto& r : tx.exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")) {
        const std::string name = r[0].c_str();
        Table t;
        const std::string rel = "to_regclass(" + tx.quote(tx.quote_name(name)) + ")";
        for (const auto& col : tx.exec("SELECT attname, format_type(atttypid, NULL), attnotnull FROM pg_attribute "
                                       "WHERE attrelid = " + rel + " AND attnum > 0 AND NOT attisdropped"))
            t.columns[col[0].c_str()] = Column{col[1].c_str(), col[2].as<bool>()};
        // Indexes: plain ones by name; every UNIQUE one (constraint or index) also by its columns,
        // since SQLite names the index of an inline UNIQUE constraint itself.
        std::map<std::string, std::vector<std::string>> unique;
        for (const auto& i : tx.exec("SELECT ic.relname, coalesce(a.attname, '<expr>'), x.indisunique, "
                                     "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                                     "FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid "
                                     "JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                                     "LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum "
                                     "WHERE x.indrelid = " + rel + " AND NOT x.indisprimary ORDER BY ic.relname, k.ord")) {
            if (i[2].as<bool>()) unique[i[0].c_str()].push_back(i[1].c_str());
            if (!i[3].as<bool>()) t.indexes[i[0].c_str()].push_back(i[1].c_str());
        }
        for (auto& [n, cols] : unique) t.unique.insert(cols);
        for (const auto& k : tx.exec("SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY "
                                     "AS k(attnum, ord) ON true JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
                                     "a.attnum = k.attnum WHERE i.indrelid = " + rel + " AND i.indisprimary ORDER BY k.ord"))
            t.pk.push_back(k[0].c_str());
        std::map<std::string, Fk> fks;
        for (const auto& f : tx.exec(
                 "SELECT con.oid::text, a.attname, CASE WHEN pn.nspname = 'public' THEN pc.relname ELSE pn.nspname || '.' || pc.relname END, "
                 "con.confdeltype, con.confupdtype FROM pg_constraint con "
                 "JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                 "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
                 "JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
                 "WHERE con.conrelid = " + rel + " AND con.contype = 'f' ORDER BY con.oid, k.ord")) {
            auto& fk = fks[f[0].c_str()];
            fk.from.push_back(f[1].c_str());
            fk.parent = f[2].c_str();
            fk.on_delete = on_delete_name(f[3].c_str()[0]);
            fk.on_update = on_delete_name(f[4].c_str()[0]);
        }
        for (auto& [id, fk] : fks) t.fks.insert(fk);
        out[name] = t;
    }
    return out;
}

/// The SQLite declared types a PostgreSQL type may map to (DESIGN.md decision 9).
std::set<std::string> device_types_for(const std::string& pg) {
    if (pg == "integer" || pg == "bigint" || pg == "smallint") return {"INTEGER", "INT"};
    if (pg == "real" || pg == "double precision") return {"REAL"};
    if (pg == "boolean") return {"INTEGER"};
    if (pg == "bytea") return {"BLOB"};
    return {"TEXT"};  // text, varchar, uuid, inet, numeric, timestamps, json(b), arrays, enums
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST_CASE("device and cloud schemas agree for every app", "[integration][parity]") {
    for (const auto& app : ferry::Store::available_apps()) {
        DYNAMIC_SECTION("app " << app) {
            ferry::test::PgDatabase db;
            ferry::server::install_app_schema(db.conninfo(), app);
            ferry::test::TempDir dir;
            auto store = ferry::Store::open(dir.file("p.db"), app);
            const auto& rules = ferry::detail::sync_rules(app);
            const Catalog device = device_catalog(store);
            const Catalog cloud = cloud_catalog(db);

            for (const auto& [name, t] : cloud) {
                INFO("cloud table " << name);
                if (contains(rules.server_only_tables, name)) {
                    CHECK(device.count(name) == 0);
                    continue;
                }
                REQUIRE(device.count(name) == 1);
                const Table& d = device.at(name);
                CHECK(d.pk == t.pk);
                for (const auto& [col, c] : t.columns) {
                    INFO("column " << name << "." << col << " (" << c.type << ")");
                    if (rules.is_server_only_column(name, col)) {
                        CHECK(d.columns.count(col) == 0);
                        continue;
                    }
                    REQUIRE(d.columns.count(col) == 1);
                    CHECK(device_types_for(c.type).count(d.columns.at(col).type) == 1);
                    CHECK(d.columns.at(col).not_null == c.not_null);
                }
                for (const auto& [col, c] : d.columns) {
                    INFO("device column " << name << "." << col);
                    CHECK(t.columns.count(col) == 1);
                }
                for (const auto& fk : t.fks) {
                    INFO("foreign key " << name << "(" << fk.from[0] << ") -> " << fk.parent << " ON DELETE " << fk.on_delete);
                    if (contains(rules.server_only_tables, fk.parent) || rules.is_server_only_column(name, fk.from[0]))
                        continue;
                    CHECK(d.fks.count(fk) == 1);
                }
                for (const auto& [index, cols] : t.indexes) {
                    INFO("index " << index);
                    bool server_only = false;
                    for (const auto& col : cols) server_only = server_only || rules.is_server_only_column(name, col);
                    if (server_only) continue;
                    REQUIRE(d.indexes.count(index) == 1);
                    CHECK(d.indexes.at(index) == cols);
                }
                for (const auto& [index, cols] : d.indexes) {
                    INFO("device index " << index);
                    bool named_constraint = t.indexes.count(index) == 0 && t.unique.count(cols) == 1;
                    CHECK((t.indexes.count(index) == 1 || named_constraint));
                }
                for (const auto& cols : t.unique) {
                    INFO("unique key on " << name << "(" << cols[0] << (cols.size() > 1 ? ", ..." : "") << ")");
                    bool server_only = false;
                    for (const auto& col : cols) server_only = server_only || rules.is_server_only_column(name, col);
                    if (!server_only) CHECK(d.unique.count(cols) == 1);
                }
            }
            for (const auto& [name, t] : device) {
                INFO("device table " << name);
                if (contains(rules.device_only_tables, name)) continue;
                CHECK(cloud.count(name) == 1);
            }
            // Every synced table exists on both sides; every table on both sides is synced or declared.
            for (const auto& rule : rules.tables) {
                INFO("synced table " << rule.name);
                CHECK(device.count(rule.name) == 1);
                CHECK(cloud.count(rule.name) == 1);
            }
            for (const auto& [name, t] : device) {
                INFO("table " << name << " is neither synced nor declared device-only in sync_rules.json");
                CHECK((rules.find(name) != nullptr || contains(rules.device_only_tables, name)));
            }
        }
    }
}
