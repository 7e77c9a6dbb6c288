// lib/core/crash_point.cpp: see crash_point.hpp.
#include "lib/core/crash_point.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace ferry::detail {
namespace {
struct Target {
    std::string name;
    long count = 0;  // 0: no crash point armed
};

const Target& target() {
    static const Target t = [] {
        Target out;
        const char* spec = std::getenv("FERRY_TEST_CRASH_AT");
        if (!spec || !*spec) return out;
        std::string s(spec);
        const auto colon = s.find(':');
        out.name = s.substr(0, colon);
        out.count = colon == std::string::npos ? 1 : std::strtol(s.c_str() + colon + 1, nullptr, 10);
        if (out.count < 1) out.count = 1;
        return out;
    }();
    return t;
}

std::atomic<long> g_hits{0};
}  // namespace

void crash_point(const char* name) noexcept {
    const Target& t = target();
    if (t.count == 0 || t.name != name) return;
    if (g_hits.fetch_add(1) + 1 < t.count) return;
    ::kill(::getpid(), SIGKILL);
    ::_exit(137);  // not reached
}

}  // namespace ferry::detail
