// sync/gateway/operator_text.hpp: what the operator views of `ferry gateway` and `ferry daemon`
// share: the Prometheus text format (0.0.4) and the escaping and ages of their HTML pages.
#pragma once

#include <string>

namespace ferry::detail {

/// A label value in the exposition format: backslash, quote and newline escaped.
std::string label_value(const std::string& v);

/// Builds a /metrics body: "# HELP"/"# TYPE" lines per family, then its samples.
class PrometheusText {
public:
    void family(const std::string& name, const char* type, const char* help);
    /// `labels` already formatted (`a="x",b="y"`, values through label_value), "" for none.
    void sample(const std::string& name, const std::string& labels, double value);
    /// A family of one sample without labels.
    void single(const std::string& name, const char* type, const char* help, double value);
    std::string text() const { return m_out; }

private:
    std::string m_out;
};

/// `s` safe inside HTML text and attribute values.
std::string html_escape(const std::string& s);

/// "12 s ago", "5 min ago", "3 h ago", "2 days ago" for an age in seconds (negative: 0).
std::string age_text(double seconds);

}  // namespace ferry::detail
