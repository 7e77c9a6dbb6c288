// sync/gateway/operator_views.cpp: see operator_views.hpp. Metric names and meanings are listed
// in docs/gateway.md; a user id never becomes a label (sites are labelled by their id only).
#include "sync/gateway/operator_views.hpp"
#include "sync/gateway/operator_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace ferry::detail {
namespace {

std::string endpoint_label(Endpoint e) { return std::string("endpoint=\"") + endpoint_name(e) + "\""; }

void request_counts(PrometheusText& m, const RequestCounts& r) {
    m.family("ferry_gateway_requests_total", "counter",
             "Requests answered on the public port, by endpoint and HTTP status.");
    for (const auto& [key, n] : r.by_status)
        m.sample("ferry_gateway_requests_total",
                 endpoint_label(key.first) + ",status=\"" + std::to_string(key.second) + "\"", static_cast<double>(n));
    m.family("ferry_gateway_errors_total", "counter", "Error answers by Ferry error code.");
    for (const auto& [code, n] : r.errors_by_code)
        m.sample("ferry_gateway_errors_total", "code=\"" + label_value(code) + "\"", static_cast<double>(n));
}

void durations(PrometheusText& m, const RequestCounts& r) {
    const std::string name = "ferry_gateway_request_duration_seconds";
    m.family(name, "histogram",
             "Time from reading a request to having written its answer, by endpoint (a long poll's wait included).");
    for (std::size_t e = 0; e < k_endpoint_count; ++e) {
        const auto& h = r.durations[e];
        const std::string endpoint = endpoint_label(static_cast<Endpoint>(e));
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < k_duration_buckets.size(); ++i) {
            cumulative += h.in_bucket[i];
            char le[32];
            std::snprintf(le, sizeof le, "%g", k_duration_buckets[i]);
            m.sample(name + "_bucket", endpoint + ",le=\"" + le + "\"", static_cast<double>(cumulative));
        }
        m.sample(name + "_bucket", endpoint + ",le=\"+Inf\"", static_cast<double>(h.count));
        m.sample(name + "_sum", endpoint, h.sum_seconds);
        m.sample(name + "_count", endpoint, static_cast<double>(h.count));
    }
}

void process_figures(PrometheusText& m, const OperatorSnapshot& s) {
    m.family("ferry_gateway_info", "gauge", "1, labelled with the app this gateway serves.");
    m.sample("ferry_gateway_info", "app=\"" + label_value(s.app) + "\"", 1);
    m.single("ferry_gateway_long_polls_active", "gauge", "Pulls waiting for a change now.", s.long_polls_active);
    m.single("ferry_gateway_long_polls_total", "counter", "Pulls that waited for a change.",
             static_cast<double>(s.requests.long_polls));
    m.single("ferry_gateway_listening", "gauge", "1 while the LISTEN connection for changes is up.",
             s.listening ? 1 : 0);
    m.family("ferry_gateway_pool_connections", "gauge", "Pooled PostgreSQL connections, idle or in use.");
    m.sample("ferry_gateway_pool_connections", "state=\"idle\"", s.pool.idle);
    m.sample("ferry_gateway_pool_connections", "state=\"in_use\"", s.pool.open - s.pool.idle);
    m.single("ferry_gateway_pool_max_connections", "gauge", "The pool's size (pool_size).", s.pool.size);
    m.single("ferry_gateway_pool_waiting_requests", "gauge", "Requests waiting for a free connection now.",
             s.pool.waiting);
    m.single("ferry_gateway_pool_acquire_timeouts_total", "counter",
             "Waits for a connection that gave up (a request answered 503 busy, or a scrape without site figures).",
             static_cast<double>(s.pool.acquire_timeouts));
}

void database_figures(PrometheusText& m, const OperatorSnapshot& s) {
    m.single("ferry_gateway_site_query_success", "gauge", "1 when this scrape read the sites from the database.",
             s.database ? 1 : 0);
    if (!s.database) return;
    const auto& sites = s.database->sites;
    m.family("ferry_site_last_seen_timestamp_seconds", "gauge",
             "Unix time a site (device) last pushed or pulled; the 200 most recently seen sites.");
    for (const auto& site : sites)
        m.sample("ferry_site_last_seen_timestamp_seconds", "site=\"" + label_value(site.site) + "\"",
                 site.last_seen_unix_s);
    m.family("ferry_site_changes_behind", "gauge",
             "Change-log entries (any user's) written after the site's pull cursor, counted up to 1000.");
    for (const auto& site : sites)
        if (site.changes_behind >= 0)
            m.sample("ferry_site_changes_behind", "site=\"" + label_value(site.site) + "\"",
                     static_cast<double>(site.changes_behind));
    m.single("ferry_trim_horizon_xid", "gauge",
             "Transaction id of the change log's trim horizon (ferry server trim); 0 when never trimmed.",
             static_cast<double>(position_xid(s.database->trim_horizon)));
}

std::string utc_time(double unix_s) {
    const auto t = static_cast<std::time_t>(unix_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}


std::string behind_text(std::int64_t n) {
    if (n < 0) return "?";
    return std::to_string(n) + (n >= k_lag_cap ? "+" : "");
}

const char* const k_page_head =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">"
    "<title>ferry gateway</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}th,td{padding:.3em .8em;border-bottom:1px solid #ddd;"
    "text-align:left}td.num{text-align:right}.down,.error{color:#b00020}.up{color:#176f2c}</style></head><body>";

void page_summary(std::ostringstream& h, const OperatorSnapshot& s) {
    h << "<h1>ferry gateway: " << html_escape(s.app)
      << "</h1><p id=\"summary\">changes listener <span id=\"listening\" class=\""
      << (s.listening ? "up\">listening" : "down\">not listening") << "</span> · <span id=\"long-polls\">"
      << s.long_polls_active << "</span> long polls waiting · pool <span id=\"pool\">" << (s.pool.open - s.pool.idle)
      << " in use, " << s.pool.idle << " idle of " << s.pool.size << "</span> · page generated "
      << utc_time(s.now_unix_s) << "</p>";
}

void page_sites(std::ostringstream& h, const OperatorSnapshot& s) {
    h << "<h2>Sites</h2>";
    if (!s.database) {
        h << "<p id=\"database-error\" class=\"error\">the sites could not be read: " << html_escape(s.database_error)
          << "</p>";
        return;
    }
    h << "<p>the " << k_reported_sites << " most recently seen; behind: change-log entries after the site's pull cursor"
      << " (counted up to " << k_lag_cap << ")</p><table id=\"sites\"><thead><tr><th>site</th><th>user</th>"
      << "<th>last seen</th><th>pull cursor</th><th>behind</th></tr></thead><tbody>";
    for (const auto& site : s.database->sites)
        h << "<tr data-site=\"" << html_escape(site.site) << "\"><td class=\"site\">" << html_escape(site.site)
          << "</td><td class=\"user\">" << html_escape(site.user.empty() ? "(trusted)" : site.user)
          << "</td><td class=\"last-seen\">" << utc_time(site.last_seen_unix_s) << " ("
          << age_text(s.now_unix_s - site.last_seen_unix_s) << ")</td><td class=\"cursor\">"
          << html_escape(site.cursor.empty() ? "(never pulled)" : site.cursor) << "</td><td class=\"num behind\">"
          << behind_text(site.changes_behind) << "</td></tr>";
    h << "</tbody></table><p id=\"horizon\">trim horizon: "
      << html_escape(s.database->trim_horizon.empty() ? "never trimmed" : s.database->trim_horizon) << "</p>";
}

void page_requests(std::ostringstream& h, const RequestCounts& r) {
    h << "<h2>Requests</h2><table id=\"requests\"><thead><tr><th>endpoint</th><th>status</th><th>requests</th></tr>"
         "</thead><tbody>";
    for (const auto& [key, n] : r.by_status)
        h << "<tr data-endpoint=\"" << endpoint_name(key.first) << "\" data-status=\"" << key.second << "\"><td>"
          << endpoint_name(key.first) << "</td><td>" << key.second << "</td><td class=\"num count\">" << n
          << "</td></tr>";
    h << "</tbody></table><h2>Errors</h2><table "
         "id=\"errors\"><thead><tr><th>code</th><th>answers</th></tr></thead><tbody>";
    for (const auto& [code, n] : r.errors_by_code)
        h << "<tr data-code=\"" << html_escape(code) << "\"><td>" << html_escape(code)
          << "</td><td class=\"num count\">" << n << "</td></tr>";
    h << "</tbody></table>";
}

}  // namespace

std::string metrics_text(const OperatorSnapshot& s) {
    PrometheusText m;
    request_counts(m, s.requests);
    durations(m, s.requests);
    process_figures(m, s);
    database_figures(m, s);
    return m.text();
}

std::string status_page(const OperatorSnapshot& s) {
    std::ostringstream h;
    h << k_page_head;
    page_summary(h, s);
    page_sites(h, s);
    page_requests(h, s.requests);
    h << "<p><a href=\"/metrics\">metrics</a></p></body></html>\n";
    return h.str();
}

}  // namespace ferry::detail
