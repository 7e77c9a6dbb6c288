// sync/gateway/rate_limiter.hpp: a token bucket per user (the token's `sub`), per gateway
// process. It protects the database from one user's runaway client; it is not a quota (several
// gateway processes each keep their own buckets, and a restart forgets them).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ferry::detail {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    /// `per_second` requests per second on average, bursts of up to `burst`. per_second <= 0
    /// turns the limit off.
    RateLimiter(double per_second, double burst);

    /// Takes one request from `user`'s bucket at `now`. Nothing when allowed; else the seconds to
    /// wait before the next request would be (at least 1, for Retry-After). Thread-safe.
    std::optional<int> take(const std::string& user, Clock::time_point now = Clock::now());

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    /// Drops buckets that have refilled completely (they hold no information), so memory stays
    /// bounded by the users active in the last burst/per_second seconds.
    void forget_full_buckets(Clock::time_point now);

    double m_per_second;
    double m_burst;
    std::mutex m_mutex;
    std::unordered_map<std::string, Bucket> m_buckets;
    Clock::time_point m_last_sweep{};
};

}  // namespace ferry::detail
