// sync/pg_error.cpp: translation of libpqxx 6.4 exceptions.
#include "sync/pg_error.hpp"

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

void translate_pg(const std::string& context, const std::function<void()>& body) {
    try {
        body();
    } catch (const Error&) {
        throw;
    } catch (const pqxx::broken_connection& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::connection, context + ": " + e.what());
    } catch (const pqxx::integrity_constraint_violation& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::constraint, context + ": " + e.what());
    } catch (const pqxx::insufficient_privilege& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::not_permitted, context + ": " + e.what());
    } catch (const pqxx::sql_error& e) {
        const std::string state = e.sqlstate();
        ErrorCode code = ErrorCode::sql;
        if (state == "40001" || state == "40P01" || state == "55P03") code = ErrorCode::busy;
        else if (state.rfind("22", 0) == 0) code = ErrorCode::invalid_argument;
        else if (state == "57014") code = ErrorCode::timeout;
        throw Error(ErrorDomain::postgres, code, context + ": " + e.what());
    } catch (const pqxx::failure& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::connection, context + ": " + e.what());
    } catch (const std::exception& e) {
        throw Error(ErrorDomain::postgres, ErrorCode::internal, context + ": " + e.what());
    }
}

}  // namespace ferry::detail
