// sync/gateway/site_figures.hpp: what the operator listener reads from the database on each
// scrape: the most recently seen sites (devices) with their pull cursor and how far behind the
// change log they are, and the change log's trim horizon. One bounded query on a pooled connection.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace ferry::detail {

/// At most this many sites are reported, the most recently seen first: the output stays bounded
/// however many devices a database serves.
inline constexpr int k_reported_sites = 200;
/// A site's lag is counted up to this many change-log entries ("at least" when reached), so a
/// scrape reads at most k_reported_sites x k_lag_cap index entries.
inline constexpr std::int64_t k_lag_cap = 1000;

struct SiteFigures {
    std::string site;
    std::string user;    ///< ferry.sites.user_id; "" for a trusted process. Never a metric label.
    std::string cursor;  ///< "XID:ID"; "" when the site never pulled
    double last_seen_unix_s = 0;
    /// Change-log entries after the cursor, at most k_lag_cap; -1: a cursor that does not parse.
    std::int64_t changes_behind = -1;
};

struct DatabaseFigures {
    std::vector<SiteFigures> sites;  ///< by last_seen, newest first
    std::string trim_horizon;        ///< ferry.meta 'trim_horizon' ("XID:ID"); "" when never trimmed
};

/// Reads the figures in one read-only transaction as the connection's own (login) role, with a
/// short statement timeout. Throws pqxx errors (the caller translates them).
DatabaseFigures read_database_figures(pqxx::connection& c);

/// The transaction-id part of an "XID:ID" position; 0 when it does not parse.
std::uint64_t position_xid(const std::string& position);

}  // namespace ferry::detail
