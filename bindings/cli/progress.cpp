// bindings/cli/progress.cpp: the sync progress of `ferry sync`.
#include "bindings/cli/progress.hpp"

#include <algorithm>
#include <cmath>

namespace ferry::cli {
namespace {

constexpr int k_bar_width = 24;
constexpr auto k_redraw = std::chrono::milliseconds(100);  // a terminal line at most 10 times a second

/// "3s", "2m05s", "1h02m": a duration for a person.
std::string duration(double seconds) {
    const auto s = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds)));
    char out[32];
    if (s < 60) std::snprintf(out, sizeof out, "%llds", static_cast<long long>(s));
    else if (s < 3600) std::snprintf(out, sizeof out, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    else std::snprintf(out, sizeof out, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60));
    return out;
}

/// The line of a batch or page in a log (not a terminal).
std::string plain_line(const SyncProgress& p) {
    if (p.phase == "push") return "ferry: push: " + std::to_string(p.done) + " sent, " + std::to_string(p.pending) + " left";
    if (p.phase == "pull") return "ferry: pull: " + std::to_string(p.done) + " received" + (p.pending ? ", more to come" : "");
    if (p.phase == "lease") return "ferry: lease: " + std::to_string(p.done) + " ids leased";
    return "ferry: " + p.phase + ": the store fell behind the server's change log and takes a fresh snapshot";
}

}  // namespace

std::string grouped(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

void ProgressView::update(const SyncProgress& p) {
    if (!m_terminal) {
        m_out << plain_line(p) << "\n";
        return;
    }
    const bool new_phase = p.phase != m_phase;
    if (new_phase) {
        finish();
        m_phase = p.phase;
        m_started = m_last;  // a phase's first report comes after its first batch: count that batch's time
    }
    m_last = Clock::now();
    // The last batch of a phase (nothing left) is always drawn, so the line ends on the total.
    draw(p, new_phase || p.pending == 0);
}

void ProgressView::draw(const SyncProgress& p, bool force) {
    const auto now = Clock::now();
    if (!force && now - m_drawn < k_redraw) return;
    m_drawn = now;
    const double elapsed = std::chrono::duration<double>(now - m_started).count();
    const double rate = elapsed > 0 ? static_cast<double>(p.done) / elapsed : 0;
    std::string line = "ferry: " + p.phase + " ";
    if (p.phase == "push") {
        const std::int64_t total = p.done + p.pending;
        const int filled = total > 0 ? static_cast<int>(k_bar_width * p.done / total) : k_bar_width;
        line += "[" + std::string(static_cast<std::size_t>(filled), '#') +
                std::string(static_cast<std::size_t>(k_bar_width - filled), '.') + "] " + grouped(p.done) + "/" +
                grouped(total) + " changes";
        if (rate > 0) {
            line += ", " + grouped(static_cast<std::int64_t>(rate)) + "/s";
            if (p.pending > 0) line += ", " + duration(static_cast<double>(p.pending) / rate) + " left";
        }
    } else if (p.phase == "pull") {
        // A pull does not know how many rows are to come: the count and the rate.
        line += grouped(p.done) + " rows";
        if (rate > 0) line += ", " + grouped(static_cast<std::int64_t>(rate)) + "/s";
        line += p.pending ? ", more to come" : ", caught up";
    } else {
        line = plain_line(p);
    }
    line += ", " + duration(elapsed);
    m_out << "\r\x1b[K" << line << std::flush;  // back to the line's start, clear it, draw
    m_open = true;
}

void ProgressView::finish() {
    if (!m_open) return;
    m_out << "\n" << std::flush;
    m_open = false;
}

}  // namespace ferry::cli
