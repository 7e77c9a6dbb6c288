// lib/core/hlc.cpp: HybridClock and the system clock.
#include "lib/core/hlc.hpp"

#include <chrono>

namespace ferry {

std::int64_t SystemClock::now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

SystemClock& SystemClock::instance() {
    static SystemClock clock;
    return clock;
}

namespace detail {

std::int64_t HybridClock::tick() {
    std::lock_guard<std::mutex> lock(m_mutex);
    const std::int64_t wall = hlc::pack(m_source->now_ms(), 0);
    // Past the wall clock (or at it), the logical counter carries the order; an overflow of the
    // counter simply borrows the next millisecond, which keeps the values strictly increasing.
    m_last = wall > m_last ? wall : m_last + 1;
    return m_last;
}

void HybridClock::observe(std::int64_t remote) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (remote > m_last) m_last = remote;
}

void HybridClock::rewind(std::int64_t value) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_last = value;
}

std::int64_t HybridClock::last() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_last;
}

}  // namespace detail
}  // namespace ferry
