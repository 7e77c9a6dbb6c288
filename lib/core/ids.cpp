// lib/core/ids.cpp: id generation. Randomness comes from one thread-local engine seeded from
// std::random_device; ids need uniqueness, not secrecy.
#include "lib/core/ids.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
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

namespace {
/// The proleptic Gregorian date of a day counted from 1970-01-01 (negative before it), by whole
/// 400-year eras of 146,097 days; month and day 1-based.
void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
    days += 719468;  // from 0000-03-01: a year that starts in March has its leap day last
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto of_era = static_cast<unsigned>(days - era * 146097);                             // [0, 146096]
    const unsigned year_of_era = (of_era - of_era / 1460 + of_era / 36524 - of_era / 146096) / 365;  // [0, 399]
    const unsigned of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
    const unsigned month_from_march = (5 * of_year + 2) / 153;                                   // [0, 11]
    day = of_year - (153 * month_from_march + 2) / 5 + 1;
    month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
}

void put_digits(char* at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}
}  // namespace

// Arithmetic rather than gmtime_r and snprintf: ferry_now() runs in the app's updatedAt triggers,
// once or twice for every row a statement updates, and gmtime_r's time-zone lock and snprintf
// were 13% of a 1-column update's instructions (scripts/capture_instructions.sh).
std::string iso_timestamp(std::int64_t unix_ms) {
    std::int64_t secs = unix_ms / 1000, millis = unix_ms % 1000;
    if (millis < 0) millis += 1000, secs -= 1;
    std::int64_t days = secs / 86400, of_day = secs % 86400;
    if (of_day < 0) of_day += 86400, days -= 1;
    std::int64_t year = 0;
    unsigned month = 0, day = 0;
    civil_from_days(days, year, month, day);
    if (year < 0 || year > 9999) {  // not four digits: spelled as before, with the sign or fifth digit
        char buf[64];
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(year), month, day,
                      static_cast<int>(of_day / 3600), static_cast<int>(of_day / 60 % 60), static_cast<int>(of_day % 60),
                      static_cast<int>(millis));
        return buf;
    }
    std::string out = "0000-00-00T00:00:00.000Z";
    put_digits(&out[0], static_cast<unsigned>(year), 4);
    put_digits(&out[5], month, 2);
    put_digits(&out[8], day, 2);
    put_digits(&out[11], static_cast<unsigned>(of_day / 3600), 2);
    put_digits(&out[14], static_cast<unsigned>(of_day / 60 % 60), 2);
    put_digits(&out[17], static_cast<unsigned>(of_day % 60), 2);
    put_digits(&out[20], static_cast<unsigned>(millis), 3);
    return out;
}

}  // namespace ferry::detail
