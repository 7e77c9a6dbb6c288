// bindings/cli/progress.hpp: a long sync's progress on standard error (docs/cli.md): on a terminal,
// one line redrawn in place with a bar, the count, the rate and the time left; otherwise one
// plain line per batch or page, for logs.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "ferry/sync.hpp"

namespace ferry::cli {

class ProgressView {
public:
    /// `terminal`: draw in place (standard error is a TTY).
    ProgressView(std::ostream& out, bool terminal) : m_out(out), m_terminal(terminal), m_last(Clock::now()) {}
    ~ProgressView() { finish(); }
    ProgressView(const ProgressView&) = delete;
    ProgressView& operator=(const ProgressView&) = delete;

    void update(const SyncProgress& p);
    /// Ends a line drawn in place (called by the destructor too).
    void finish();

private:
    using Clock = std::chrono::steady_clock;
    void draw(const SyncProgress& p, bool force);

    std::ostream& m_out;
    bool m_terminal;
    std::string m_phase;           // the phase being shown
    Clock::time_point m_started;   // when it began: the previous phase's last report, or the start
    Clock::time_point m_drawn;     // when the line was last drawn
    Clock::time_point m_last;      // the last report (or construction)
    bool m_open = false;           // a line drawn in place is not ended yet
};

/// "12,345": thousands separated, for counts on a terminal.
std::string grouped(std::int64_t n);

}  // namespace ferry::cli
