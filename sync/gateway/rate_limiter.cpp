// sync/gateway/rate_limiter.cpp: token buckets refilled lazily on each request.
#include "sync/gateway/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace ferry::detail {

RateLimiter::RateLimiter(double per_second, double burst)
    : m_per_second(per_second), m_burst(std::max(1.0, burst)) {}

std::optional<int> RateLimiter::take(const std::string& user, Clock::time_point now) {
    if (m_per_second <= 0) return std::nullopt;
    std::lock_guard<std::mutex> lock(m_mutex);
    forget_full_buckets(now);
    auto [it, fresh] = m_buckets.try_emplace(user, Bucket{m_burst, now});
    Bucket& b = it->second;
    if (!fresh) {
        const double elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(m_burst, b.tokens + std::max(0.0, elapsed) * m_per_second);
        b.updated = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / m_per_second)));
}

void RateLimiter::forget_full_buckets(Clock::time_point now) {
    if (now - m_last_sweep < std::chrono::seconds(60)) return;
    m_last_sweep = now;
    const double refill_s = m_burst / m_per_second;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (std::chrono::duration<double>(now - it->second.updated).count() >= refill_s)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

}  // namespace ferry::detail
