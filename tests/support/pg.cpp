// tests/support/pg.cpp: a throwaway database per test on the server named by PG* variables.
#include "tests/support/pg.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace ferry::test {
namespace {
pqxx::connection admin_connection() {
    try {
        return pqxx::connection("dbname=postgres");
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("integration tests need a PostgreSQL server (run them through "
                                             "scripts/test.sh, which starts one): ") +
                                 e.what());
    }
}
}  // namespace

PgDatabase::PgDatabase() {
    static std::atomic<int> counter{0};
    m_name = "ferry_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
    auto admin = admin_connection();
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + m_name);
    tx.exec("CREATE DATABASE " + m_name);
    m_conninfo = "dbname=" + m_name;
}

PgDatabase::~PgDatabase() {
    try {
        auto admin = admin_connection();
        pqxx::nontransaction tx(admin);
        tx.exec("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
    } catch (...) {
        // A leftover database in a throwaway server is harmless.
    }
}

void PgDatabase::exec(const std::string& sql) const {
    auto c = connect();
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
}

std::string PgDatabase::scalar(const std::string& sql) const {
    auto c = connect();
    pqxx::work tx(c);
    auto r = tx.exec(sql);
    if (r.empty()) throw std::runtime_error("query returned no row: " + sql);
    return r[0][0].is_null() ? std::string() : r[0][0].c_str();
}

}  // namespace ferry::test
