// tests/support/pg.hpp: PostgreSQL fixtures for integration tests. The server comes from libpq's
// PG* environment (the test command starts one with pg_virtualenv). Without a reachable server
// the fixture throws, so a test that needs PostgreSQL fails loudly instead of passing quietly.
#pragma once

#include <pqxx/pqxx>
#include <string>

namespace ferry::test {

/// A new, empty database created for one test and dropped at scope end.
class PgDatabase {
public:
    PgDatabase();
    ~PgDatabase();
    PgDatabase(const PgDatabase&) = delete;
    PgDatabase& operator=(const PgDatabase&) = delete;

    /// A libpq connection string for this database.
    const std::string& conninfo() const { return m_conninfo; }
    const std::string& name() const { return m_name; }

    /// A new connection to this database.
    pqxx::connection connect() const { return pqxx::connection(m_conninfo); }
    /// Runs SQL in its own transaction and commits.
    void exec(const std::string& sql) const;
    /// The first field of the first row as text ("" for NULL); throws when there is no row.
    std::string scalar(const std::string& sql) const;

private:
    std::string m_name;
    std::string m_conninfo;
};

}  // namespace ferry::test
