// lib/core/ids.cpp: id generation. Randomness comes from one thread-local engine seeded from
// std::random_device; ids need uniqueness, not secrecy.
#include "lib/core/ids.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "ferry/clock.hpp"

namespace ferry::detail {
namespace {
std::mt19937_64& engine() {
    thread_local std::mt19937_64 e([] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }());
    return e;
}

std::string hex_bytes(int n) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < n; ++i) {
        auto b = static_cast<unsigned>(engine()() & 0xff);
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

std::string base36(std::uint64_t v, std::size_t width) {
    static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string out;
    do {
        out.insert(out.begin(), digits[v % 36]);
        v /= 36;
    } while (v);
    if (out.size() < width) out.insert(0, width - out.size(), '0');
    if (out.size() > width) out = out.substr(out.size() - width);
    return out;
}
}  // namespace

std::string new_uuid() {
    std::string h = hex_bytes(16);
    h[12] = '4';                                     // version 4
    h[16] = "89ab"[engine()() & 3];                  // RFC 4122 variant
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
           h.substr(20, 12);
}

std::string new_cuid() {
    // cuid v1 layout: 'c', 8 chars of time, 4 of counter, 4 of fingerprint, 8 of randomness.
    static std::atomic<std::uint64_t> counter{0};
    thread_local const std::uint64_t fingerprint = engine()();
    const auto ms = static_cast<std::uint64_t>(SystemClock::instance().now_ms());
    return "c" + base36(ms, 8) + base36(counter.fetch_add(1) % (36ull * 36 * 36 * 36), 4) +
           base36(fingerprint, 4) + base36(engine()(), 8);
}

std::string new_site_id() { return hex_bytes(16); }

std::string iso_timestamp(std::int64_t unix_ms) {
    std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
    int millis = static_cast<int>(unix_ms % 1000);
    if (millis < 0) {
        millis += 1000;
        secs -= 1;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

}  // namespace ferry::detail
