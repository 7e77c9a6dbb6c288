// lib/core/hlc.hpp: the hybrid logical clock of one store. It never goes backwards: each value
// is greater than every value it handed out or observed, even when the wall clock steps back.
#pragma once

#include <cstdint>
#include <mutex>

#include "ferry/clock.hpp"

namespace ferry::detail {

class HybridClock {
public:
    explicit HybridClock(Clock& source) : m_source(&source) {}

    /// A new value for a local change.
    std::int64_t tick();
    /// Ratchets forward past a value seen from elsewhere (a pulled change, the stored state).
    void observe(std::int64_t remote);
    /// Sets the clock back to `value`: only for a clock found running further ahead of the
    /// server's than its skew bound allows (its writes would be refused forever otherwise).
    void rewind(std::int64_t value);
    /// The highest value handed out or observed.
    std::int64_t last() const;
    void set_source(Clock& source) { m_source = &source; }
    Clock& source() const { return *m_source; }

private:
    Clock* m_source;
    mutable std::mutex m_mutex;
    std::int64_t m_last = 0;
};

}  // namespace ferry::detail
