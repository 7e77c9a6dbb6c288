// tests/unit/timestamp_test.cpp: iso_timestamp (ferry_now(), outcome times) spells every instant
// as the C library's gmtime_r does, across leap days, century rules, the epoch and negative times.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "lib/core/ids.hpp"

namespace {
/// The spelling by gmtime_r and snprintf, which iso_timestamp replaced.
std::string by_gmtime(std::int64_t unix_ms) {
    std::int64_t secs = unix_ms / 1000, millis = unix_ms % 1000;
    if (millis < 0) millis += 1000, secs -= 1;
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
    return buf;
}

constexpr std::int64_t k_year_1 = -62135596800000;      // 0001-01-01T00:00:00.000Z
constexpr std::int64_t k_year_9999_end = 253402300799999;  // 9999-12-31T23:59:59.999Z
}  // namespace

TEST_CASE("iso timestamps are spelled as gmtime spells them", "[unit][timestamp]") {
    CHECK(ferry::detail::iso_timestamp(0) == "1970-01-01T00:00:00.000Z");
    CHECK(ferry::detail::iso_timestamp(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(ferry::detail::iso_timestamp(951782400000) == "2000-02-29T00:00:00.000Z");   // 2000 is a leap year
    CHECK(ferry::detail::iso_timestamp(4107542399999) == "2100-02-28T23:59:59.999Z");  // 2100 is not
    CHECK(ferry::detail::iso_timestamp(4107542400000) == "2100-03-01T00:00:00.000Z");
    CHECK(ferry::detail::iso_timestamp(k_year_1) == "0001-01-01T00:00:00.000Z");
    CHECK(ferry::detail::iso_timestamp(k_year_9999_end) == "9999-12-31T23:59:59.999Z");
    CHECK(ferry::detail::iso_timestamp(k_year_9999_end + 1) == by_gmtime(k_year_9999_end + 1));  // five digits

    // Every day boundary (and the millisecond either side) of 1968-2104, then random instants.
    for (std::int64_t day = -730; day <= 48944; ++day)
        for (std::int64_t ms : {day * 86400000 - 1, day * 86400000, day * 86400000 + 43200123}) {
            INFO(ms);
            REQUIRE(ferry::detail::iso_timestamp(ms) == by_gmtime(ms));
        }
    std::mt19937_64 random(20261202);
    std::uniform_int_distribution<std::int64_t> instant(k_year_1, k_year_9999_end);
    for (int i = 0; i < 200000; ++i) {
        const auto ms = instant(random);
        INFO(ms);
        REQUIRE(ferry::detail::iso_timestamp(ms) == by_gmtime(ms));
    }
}
