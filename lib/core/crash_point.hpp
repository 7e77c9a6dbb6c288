// lib/core/crash_point.hpp: deterministic crash points for the fault suite (tests/fault/).
//
// FERRY_TEST_CRASH_AT=NAME[:N] in the environment makes the process kill itself with SIGKILL the
// N-th time (default 1) it reaches crash_point(NAME), as a power cut or an OOM kill would. The
// variable is read once; without it a crash point costs one relaxed load. Test-only: never set it
// in production. The names are listed in docs/reliability.md.
#pragma once

namespace ferry::detail {

/// Kills the process here if FERRY_TEST_CRASH_AT names this point (and this is the N-th time).
void crash_point(const char* name) noexcept;

}  // namespace ferry::detail
