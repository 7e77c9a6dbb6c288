// tests/support/pg_catalog.cpp: the catalog snapshot as one sorted string_agg over the system
// catalogs, and query results read through one pqxx transaction each.
#include "tests/support/pg_catalog.hpp"

#include <pqxx/pqxx>
#include <utility>

namespace ferry::test {

std::string catalog_snapshot(const PgDatabase& db) {
    return db.scalar(R"SQL(
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT 'col ' || table_name || '.' || column_name || ' ' || ordinal_position || ' ' || data_type || ' ' ||
         coalesce(character_maximum_length::text, '') || ' ' || coalesce(datetime_precision::text, '') || ' ' ||
         is_nullable || ' ' || coalesce(column_default, '')
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'idx ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'trg ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'typ ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
  UNION ALL SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'
  UNION ALL SELECT 'mview ' || matviewname || ' ' || definition FROM pg_matviews WHERE schemaname = 'public'
  UNION ALL SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(p.prosrc) || ' ' || p.prosecdef
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'pol ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' ||
         coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'public'
  UNION ALL SELECT 'rls ' || relname || ' ' || relrowsecurity
    FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
) s(x))SQL");
}

std::set<std::string> pg_set(const PgDatabase& db, const std::string& sql) {
    auto c = db.connect();
    pqxx::work tx(c);
    std::set<std::string> out;
    for (const auto& row : tx.exec(sql)) out.insert(row[0].c_str());
    return out;
}

PgRows pg_rows(const PgDatabase& db, const std::string& sql) {
    auto c = db.connect();
    pqxx::work tx(c);
    auto r = tx.exec(sql);
    PgRows out;
    for (const auto& row : r) {
        std::vector<std::string> v;
        for (const auto& f : row) v.push_back(f.is_null() ? std::string("NULL") : f.c_str());
        out.push_back(std::move(v));
    }
    return out;
}

std::string scalar_committed(const PgDatabase& db, const std::string& sql) {
    auto c = db.connect();
    pqxx::work w(c);
    auto r = w.exec(sql);
    w.commit();
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].c_str();
}

}  // namespace ferry::test
