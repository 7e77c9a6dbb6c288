// sync/gateway/operator_views.hpp: the two answers of the gateway's operator listener, made from
// one snapshot of its figures: /metrics (Prometheus text format 0.0.4) and / (a self-contained
// HTML status page). Pure functions of the snapshot, so they are cheap to test and to read.
#pragma once

#include <optional>
#include <string>

#include "sync/gateway/connection_pool.hpp"
#include "sync/gateway/request_metrics.hpp"
#include "sync/gateway/site_figures.hpp"

namespace ferry::detail {

struct OperatorSnapshot {
    std::string app;
    RequestCounts requests;
    int long_polls_active = 0;
    bool listening = false;  ///< the LISTEN connection is up
    ConnectionPool::Figures pool;
    std::optional<DatabaseFigures> database;  ///< nullopt when the scrape's query failed
    std::string database_error;               ///< why, for the page (never a connection string)
    double now_unix_s = 0;                    ///< when the snapshot was taken (the page's ages)
};

/// The body of GET /metrics (Content-Type "text/plain; version=0.0.4").
std::string metrics_text(const OperatorSnapshot& s);

/// The body of GET /: no script, no external asset, refreshed every 5 s; every value escaped.
std::string status_page(const OperatorSnapshot& s);

}  // namespace ferry::detail
