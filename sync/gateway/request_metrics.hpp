// sync/gateway/request_metrics.hpp: what the gateway counts about the requests it answers, for
// its operator listener (docs/gateway.md, "Metrics and the status page"): requests by endpoint and
// status, error codes, a duration histogram per endpoint, long polls. Counted by the access log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace ferry::detail {

/// What a request was for; the label set of the request metrics stays this small whatever
/// paths clients send.
enum class Endpoint { push, pull, lease, healthz, readyz, other };
inline constexpr std::size_t k_endpoint_count = 6;

const char* endpoint_name(Endpoint e);
/// POST /v1/push, /v1/pull, /v1/lease, GET (or HEAD) /healthz, /readyz; anything else is other.
Endpoint endpoint_of(const std::string& method, const std::string& path);

/// Upper bounds (seconds) of the duration histogram's buckets; +Inf is implied. A long-polled
/// pull lasts up to 30 s, hence the last ones.
inline constexpr std::array<double, 12> k_duration_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                              0.5,   1,    2.5,   5,    10,  30};

struct DurationHistogram {
    /// Not cumulative: the observations in each bucket and no lower one.
    std::array<std::uint64_t, k_duration_buckets.size()> in_bucket{};
    std::uint64_t count = 0;  ///< every observation (the +Inf bucket)
    double sum_seconds = 0;
};

struct RequestCounts {
    std::map<std::pair<Endpoint, int>, std::uint64_t> by_status;  ///< (endpoint, HTTP status) -> requests
    std::map<std::string, std::uint64_t> errors_by_code;          ///< Ferry error code name -> error answers
    std::array<DurationHistogram, k_endpoint_count> durations{};  ///< by Endpoint
    std::uint64_t long_polls = 0;                                 ///< pulls that waited for a change
};

/// Thread-safe counters, updated once per request (one short critical section).
class RequestMetrics {
public:
    /// One answered request. `error_code`: "" for a success. `seconds`: nullopt when the request
    /// was refused before it was routed (a malformed request line), so it was not timed.
    void record(Endpoint endpoint, int status, const std::string& error_code, std::optional<double> seconds);
    void long_poll_started();
    RequestCounts snapshot() const;

private:
    mutable std::mutex m_mutex;
    RequestCounts m_counts;
};

}  // namespace ferry::detail
