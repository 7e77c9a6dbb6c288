// tests/support/eventually.hpp: waiting for something that happens on another thread or process
// (a daemon's round, a service's push). The bound is generous for a busy machine; a test asserts
// the outcome, never the time it took.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace ferry::test {

/// Polls `done` every 10 ms until it holds or `seconds` pass; its last answer.
inline bool eventually(const std::function<bool()>& done, double seconds = 30) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

}  // namespace ferry::test
