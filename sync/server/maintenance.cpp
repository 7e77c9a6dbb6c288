// sync/server/maintenance.cpp: operator tasks on a cloud database: trimming the change log and
// old tombstones.
#include <pqxx/pqxx>

#include "ferry/error.hpp"
#include "ferry/server.hpp"
#include "sync/server/pg_error.hpp"

namespace ferry::server {

TrimResult trim_changes(const std::string& conninfo, int inactive_days) {
    if (inactive_days < 1)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "inactive_days must be at least 1");
    TrimResult result;
    detail::translate_pg("trimming the change log", [&] {
        pqxx::connection c(conninfo);
        pqxx::work tx(c);
        auto r = tx.exec_params(
            "SELECT t.deleted, coalesce(t.horizon, ''), ferry.trim_tombstones(make_interval(days => $1)) "
            "FROM ferry.trim_changes(make_interval(days => $1)) t",
            inactive_days);
        result.deleted = r[0][0].as<std::int64_t>();
        result.horizon = r[0][1].as<std::string>();
        result.tombstones = r[0][2].as<std::int64_t>();
        tx.commit();
    });
    return result;
}

}  // namespace ferry::server
