// sync/gateway/site_figures.cpp: see site_figures.hpp.
#include "sync/gateway/site_figures.hpp"

#include <regex>

namespace ferry::detail {
namespace {

// One row even when there is no site (the horizon comes with it). A cursor that is not a
// position PostgreSQL can cast (the server writes only good ones; this is a scrape, it must not
// fail on one bad row) gets no lag; an empty one counts from the start, as a pull would.
// The lag is how many entries, any user's, were written after the site's pull cursor: the
// primary key (xid, id) index is walked from the cursor and stops at the cap.
const char* const k_query = R"sql(
WITH recent AS (
    SELECT s.site, s.user_id, s.pull_cursor, s.last_seen,
           CASE WHEN coalesce(s.pull_cursor, '') = '' THEN '0:0'
                WHEN s.pull_cursor ~ '^[0-9]{1,19}:[0-9]{1,18}$' THEN s.pull_cursor END AS position
      FROM ferry.sites s
     ORDER BY s.last_seen DESC, s.site
     LIMIT $1)
SELECT h.horizon, r.site, coalesce(r.user_id, ''), coalesce(r.pull_cursor, ''),
       extract(epoch FROM r.last_seen)::float8,
       CASE WHEN r.position IS NULL THEN -1 ELSE
           (SELECT count(*) FROM (SELECT 1 FROM ferry.changes c
                                   WHERE (c.xid, c.id) > (split_part(r.position, ':', 1)::xid8,
                                                          split_part(r.position, ':', 2)::bigint)
                                   LIMIT $2) behind) END
  FROM (SELECT (SELECT value FROM ferry.meta WHERE key = 'trim_horizon') AS horizon) h
  LEFT JOIN recent r ON true
 ORDER BY r.last_seen DESC, r.site
)sql";

}  // namespace

DatabaseFigures read_database_figures(pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    // A scrape must not hold a pooled connection for long, whatever the database's state.
    tx.exec("SET LOCAL statement_timeout = 2000");
    const auto rows = tx.exec_params(k_query, k_reported_sites, k_lag_cap);
    DatabaseFigures out;
    for (const auto& r : rows) {
        if (!r[0].is_null()) out.trim_horizon = r[0].c_str();
        if (r[1].is_null()) continue;  // no site at all: the one row carries only the horizon
        out.sites.push_back(
            SiteFigures{r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].as<double>(), r[5].as<std::int64_t>()});
    }
    return out;
}

std::uint64_t position_xid(const std::string& position) {
    static const std::regex re("([0-9]{1,19}):[0-9]{1,18}");
    std::smatch m;
    return std::regex_match(position, m, re) ? std::stoull(m[1].str()) : 0;
}

}  // namespace ferry::detail
