// sync/gateway/operator_text.cpp: see operator_text.hpp.
#include "sync/gateway/operator_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ferry::detail {
namespace {
/// Whole numbers as integers; others with microseconds (a Unix timestamp keeps its digits).
std::string number(double v) {
    char buf[64];
    if (std::fabs(v) < 9e15 && v == std::floor(v))
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    else
        std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}
}  // namespace

std::string label_value(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out;
}

void PrometheusText::family(const std::string& name, const char* type, const char* help) {
    m_out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void PrometheusText::sample(const std::string& name, const std::string& labels, double value) {
    m_out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(value) + "\n";
}

void PrometheusText::single(const std::string& name, const char* type, const char* help, double value) {
    family(name, type, help);
    sample(name, "", value);
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string age_text(double seconds) {
    const auto s = static_cast<long long>(std::max(0.0, seconds));
    if (s < 120) return std::to_string(s) + " s ago";
    if (s < 7200) return std::to_string(s / 60) + " min ago";
    if (s < 172800) return std::to_string(s / 3600) + " h ago";
    return std::to_string(s / 86400) + " days ago";
}

}  // namespace ferry::detail
