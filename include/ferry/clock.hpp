// ferry/clock.hpp: the wall-clock source behind Ferry's hybrid logical clocks, injectable so
// tests (and apps with their own time source) control time without sleeping.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry {

/// A source of physical time in milliseconds since the Unix epoch.
/// Thread-safety: implementations must be callable from any thread.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::int64_t now_ms() = 0;
};

/// The system's real-time clock.
class SystemClock final : public Clock {
public:
    std::int64_t now_ms() override;
    /// A process-wide instance.
    static SystemClock& instance();
};

/// A clock that moves only when told to; for tests.
class FakeClock final : public Clock {
public:
    explicit FakeClock(std::int64_t start_ms = 1700000000000) : m_ms(start_ms) {}
    std::int64_t now_ms() override { return m_ms.load(); }
    void set(std::int64_t ms) { m_ms.store(ms); }
    void advance(std::int64_t ms) { m_ms.fetch_add(ms); }

private:
    std::atomic<std::int64_t> m_ms;
};

/// Hybrid logical clock values: physical milliseconds in the high 48 bits, a logical counter in
/// the low 16. Ordered as plain integers; the total order of changes is (hlc, site id).
namespace hlc {
constexpr int logical_bits = 16;
constexpr std::int64_t pack(std::int64_t ms, std::int64_t counter) { return (ms << logical_bits) | counter; }
constexpr std::int64_t physical_ms(std::int64_t value) { return value >> logical_bits; }
constexpr std::int64_t counter(std::int64_t value) { return value & ((1 << logical_bits) - 1); }
}  // namespace hlc

}  // namespace ferry
