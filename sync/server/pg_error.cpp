// sync/server/pg_error.cpp: translation of libpqxx 6.4 exceptions.
#include "sync/server/pg_error.hpp"

#include <pqxx/pqxx>
#include <regex>

#include "ferry/error.hpp"

namespace ferry::detail {

std::string redact_conninfo(const std::string& conninfo) {
    if (conninfo.find_first_not_of(" \t") == std::string::npos)
        return "the server named by the PG* environment variables (no connection string was given; set DATABASE_URL "
               "or pass --database-url)";
    static const std::regex url_password(R"(://([^:/@]+):[^@]*@)");
    static const std::regex kv_password(R"(password\s*=\s*('[^']*'|\S+))");
    std::string out = std::regex_replace(conninfo, url_password, "://$1:***@");
    return std::regex_replace(out, kv_password, "password=***");
}

ErrorCode code_for_sqlstate(const std::string& s) {
    auto cls = [&](const char* c) { return s.rfind(c, 0) == 0; };
    if (cls("08") || s == "57P01" || s == "57P02" || s == "57P03") return ErrorCode::connection;
    if (s == "40001" || s == "40P01" || s == "55P03" || s == "55006" || cls("53")) return ErrorCode::busy;
    if (s == "57014") return ErrorCode::timeout;
    if (cls("22")) return ErrorCode::invalid_argument;
    if (cls("23")) return ErrorCode::constraint;
    if (s == "42501") return ErrorCode::not_permitted;
    return ErrorCode::sql;
}

bool is_data_sqlstate(const std::string& s) {
    return s.rfind("22", 0) == 0 || s.rfind("23", 0) == 0 || s == "P0001" || s == "42501";
}

bool is_retry_sqlstate(const std::string& s) { return s == "40001" || s == "40P01"; }

void translate_pg(const std::string& context, const std::function<void()>& body) {
    try {
        body();
    } catch (const Error&) {
        throw;
    } catch (const pqxx::broken_connection& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::connection, context + ": " + e.what());
    } catch (const pqxx::sql_error& e) {
        throw Error(ErrorDomain::postgres, code_for_sqlstate(e.sqlstate()), context + ": " + e.what());
    } catch (const pqxx::failure& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::connection, context + ": " + e.what());
    } catch (const std::exception& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::internal, context + ": " + e.what());
    }
}

}  // namespace ferry::detail
