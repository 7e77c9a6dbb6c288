// bench/pg_util.hpp: the PostgreSQL side of the benchmarks: a throwaway database per run on the
// server named by libpq's PG* variables, CHECKPOINT before a timed step, and the server's
// version. Only the benchmarks that link libpqxx include it.
#pragma once

#include <pqxx/pqxx>

#include <cstdio>
#include <string>
#include <unistd.h>

namespace bench {

/// A database `ferry_bench_<pid>_<tag>` on the PG* server, created empty and dropped (FORCE) at
/// scope end. Throws pqxx errors when the server cannot be reached.
class Database {
public:
    explicit Database(const std::string& tag) {
        m_name = "ferry_bench_" + std::to_string(::getpid()) + "_" + tag;
        pqxx::connection admin("dbname=postgres");
        pqxx::nontransaction tx(admin);
        tx.exec("DROP DATABASE IF EXISTS " + m_name);
        tx.exec("CREATE DATABASE " + m_name);
    }
    ~Database() {
        try {
            pqxx::connection admin("dbname=postgres");
            pqxx::nontransaction tx(admin);
            tx.exec("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench: could not drop database %s: %s\n", m_name.c_str(), e.what());
        }
    }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const std::string& name() const { return m_name; }
    std::string conninfo() const { return "dbname=" + m_name; }

private:
    std::string m_name;
};

/// CHECKPOINT, so a timed step does not pay for the previous step's dirty buffers. Without the
/// privilege (not a superuser) it measures without one.
inline void checkpoint(pqxx::connection& c) {
    try {
        pqxx::nontransaction tx(c);
        tx.exec("CHECKPOINT");
    } catch (const std::exception&) {
    }
}

/// `SHOW server_version` of the PG* server; throws when it cannot be reached.
inline std::string server_version() {
    pqxx::connection c("dbname=postgres");
    pqxx::nontransaction tx(c);
    return tx.exec("SHOW server_version")[0][0].c_str();
}

}  // namespace bench
