// sync/gateway/request_metrics.cpp: see request_metrics.hpp.
#include "sync/gateway/request_metrics.hpp"

namespace ferry::detail {

const char* endpoint_name(Endpoint e) {
    switch (e) {
    case Endpoint::push: return "push";
    case Endpoint::pull: return "pull";
    case Endpoint::lease: return "lease";
    case Endpoint::healthz: return "healthz";
    case Endpoint::readyz: return "readyz";
    case Endpoint::other: break;
    }
    return "other";
}

Endpoint endpoint_of(const std::string& method, const std::string& path) {
    if (method == "POST") {
        if (path == "/v1/push") return Endpoint::push;
        if (path == "/v1/pull") return Endpoint::pull;
        if (path == "/v1/lease") return Endpoint::lease;
    }
    if (method == "GET" || method == "HEAD") {
        if (path == "/healthz") return Endpoint::healthz;
        if (path == "/readyz") return Endpoint::readyz;
    }
    return Endpoint::other;
}

void RequestMetrics::record(Endpoint endpoint, int status, const std::string& error_code,
                            std::optional<double> seconds) {
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_counts.by_status[{endpoint, status}];
    if (!error_code.empty()) ++m_counts.errors_by_code[error_code];
    if (!seconds) return;
    auto& h = m_counts.durations[static_cast<std::size_t>(endpoint)];
    ++h.count;
    h.sum_seconds += *seconds;
    for (std::size_t i = 0; i < k_duration_buckets.size(); ++i)
        if (*seconds <= k_duration_buckets[i]) {
            ++h.in_bucket[i];
            break;
        }
}

void RequestMetrics::long_poll_started() {
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_counts.long_polls;
}

RequestCounts RequestMetrics::snapshot() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_counts;
}

}  // namespace ferry::detail
