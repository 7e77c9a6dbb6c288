// bench/report.hpp: the results of a benchmark run: one Series per (measurement, rows,
// transport) with Ferry's and the baseline's value in every run and the per-run figure (a ratio
// or a size) compared with its goal; printed as a table and written as JSON. Goals are reported,
// never asserted: a slow machine makes a goal "not met", not the run fail.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench/bench_util.hpp"

namespace bench {

/// A goal on a figure: at least or at most `value`; no goal when `op` is empty.
struct Target {
    std::string op;  ///< ">=", "<=" or ""
    double value = 0;
    bool met(double x) const { return op == ">=" ? x >= value : op == "<=" ? x <= value : true; }
    std::string text() const { return op.empty() ? "-" : op + " " + fmt("%.2f", value); }
};

/// One measurement at one size through one transport, over the runs.
struct Series {
    std::string name;       ///< e.g. "initial_sync_vs_sqlite_insert"
    std::size_t rows = 0;
    std::string transport;  ///< "direct", "gateway" or "device" (no server)
    std::string unit = "s";            ///< unit of `ferry` and `baseline`
    std::string baseline_name;         ///< what `baseline` measured ("" when there is none)
    std::string figure_text;           ///< how a figure is made, e.g. "baseline / ferry"
    std::vector<double> ferry, baseline, figures;  ///< one value per run
    Target goal;

    /// Sets what the series compares; returns *this for record().
    Series& describe(const std::string& baseline_what, const std::string& figure_how, Target target = {}) {
        baseline_name = baseline_what;
        figure_text = figure_how;
        goal = std::move(target);
        return *this;
    }
    /// One run's values (no baseline value when `baseline_value` is empty).
    void record(double ferry_value, std::optional<double> baseline_value, double figure) {
        ferry.push_back(ferry_value);
        if (baseline_value) baseline.push_back(*baseline_value);
        figures.push_back(figure);
    }

    double median_figure() const { return median(figures); }
    bool met() const { return goal.met(median_figure()); }
    nlohmann::json to_json() const {
        nlohmann::json j = {{"name", name},
                            {"rows", rows},
                            {"transport", transport},
                            {"unit", unit},
                            {"ferry", ferry},
                            {"baseline_name", baseline_name},
                            {"baseline", baseline},
                            {"figure", figure_text},
                            {"figures", figures},
                            {"median", median_figure()},
                            {"min", min_of(figures)},
                            {"max", max_of(figures)},
                            {"goal", goal.text()}};
        j["met"] = goal.op.empty() ? nlohmann::json() : nlohmann::json(met());
        return j;
    }
};

/// Every Series of a run, in the order they were first recorded.
class Report {
public:
    /// The series for (name, rows, transport), created empty on first use.
    Series& series(const std::string& name, std::size_t rows, const std::string& transport) {
        const auto key = std::make_tuple(name, rows, transport);
        auto it = m_index.find(key);
        if (it != m_index.end()) return m_series[it->second];
        m_index[key] = m_series.size();
        m_series.push_back(Series{});
        Series& s = m_series.back();
        s.name = name;
        s.rows = rows;
        s.transport = transport;
        return s;
    }
    const Series* find(const std::string& name, std::size_t rows, const std::string& transport) const {
        auto it = m_index.find(std::make_tuple(name, rows, transport));
        return it == m_index.end() ? nullptr : &m_series[it->second];
    }
    const std::vector<Series>& all() const { return m_series; }

    void print(std::FILE* out) const {
        std::fprintf(out, "\n%-34s %9s %-8s %11s %11s %9s %15s %8s %s\n", "measurement", "rows", "via", "ferry", "baseline",
                     "figure", "runs (min-max)", "goal", "met");
        for (const auto& s : m_series) {
            std::fprintf(out, "%-34s %9zu %-8s %11s %11s %9s %15s %8s %s\n", s.name.c_str(), s.rows, s.transport.c_str(),
                         value_text(s.ferry, s.unit).c_str(), value_text(s.baseline, s.unit).c_str(),
                         fmt("%.3f", s.median_figure()).c_str(),
                         (fmt("%.3f", min_of(s.figures)) + "-" + fmt("%.3f", max_of(s.figures))).c_str(),
                         s.goal.text().c_str(), s.goal.op.empty() ? "" : s.met() ? "yes" : "NO");
        }
        std::fprintf(out, "(ferry and baseline: medians over the runs; figure: the median of the per-run figures, "
                          "see bench/README.md)\n");
    }

    void write_json(const std::string& path, const nlohmann::json& machine, const nlohmann::json& config) const {
        nlohmann::json j = {{"machine", machine}, {"config", config}, {"measurements", nlohmann::json::array()}};
        for (const auto& s : m_series) j["measurements"].push_back(s.to_json());
        std::ofstream out(path);
        out << j.dump(2) << "\n";
        if (!out) throw std::runtime_error("cannot write " + path);
    }

private:
    static std::string value_text(const std::vector<double>& v, const std::string& unit) {
        if (v.empty()) return "-";
        return unit == "s" ? fmt("%.3f s", median(v)) : fmt("%.1f ", median(v)) + unit;
    }

    std::vector<Series> m_series;
    std::map<std::tuple<std::string, std::size_t, std::string>, std::size_t> m_index;
};

}  // namespace bench
