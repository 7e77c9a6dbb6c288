// tests/support/replicas.cpp: dumps and comparisons of replicas' synced tables.
#include "tests/support/replicas.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace ferry::test {
namespace {
std::string quote(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

/// '-000120.5000' -> '-120.5', '-0.00' -> '0'; anything that is not a plain decimal is returned as is.
std::string canonical_decimal(const std::string& text) {
    std::string s = text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.erase(0, 1);
    }
    if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos ||
        std::count(s.begin(), s.end(), '.') > 1)
        return text;
    std::string int_part = s, frac;
    if (auto dot = s.find('.'); dot != std::string::npos) {
        int_part = s.substr(0, dot);
        frac = s.substr(dot + 1);
    }
    int_part.erase(0, std::min(int_part.find_first_not_of('0'), int_part.size()));
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (int_part.empty()) int_part = "0";
    std::string out = int_part + (frac.empty() ? "" : "." + frac);
    if (negative && out != "0") out = "-" + out;
    return out;
}

bool same_value(const Value& a, const Value& b, ColumnKind kind, bool semantic) {
    if (a == b) return true;
    if (!semantic || a.type() != Value::Type::text || b.type() != Value::Type::text) return false;
    switch (kind) {
    case ColumnKind::json: return same_json(a.as_text(), b.as_text());
    case ColumnKind::decimal: return same_decimal(a.as_text(), b.as_text());
    case ColumnKind::exact: return false;
    }
    return false;
}

std::string render_key(const TableDump& t, const Row& row) {
    std::string out = "(";
    for (std::size_t i = 0; i < t.key.size(); ++i) {
        auto pos = std::find(t.columns.begin(), t.columns.end(), t.key[i]) - t.columns.begin();
        out += (i ? ", " : "") + row[static_cast<std::size_t>(pos)].to_string();
    }
    return out + ")";
}

/// Orders rows by their key values (type first, then value), as SQLite's ORDER BY does for the
/// types a key can hold.
bool key_less(const TableDump& t, const Row& a, const Row& b) {
    for (const auto& k : t.key) {
        auto i = static_cast<std::size_t>(std::find(t.columns.begin(), t.columns.end(), k) - t.columns.begin());
        const Value& x = a[i];
        const Value& y = b[i];
        if (x == y) continue;
        if (x.type() != y.type()) return x.type() < y.type();
        switch (x.type()) {
        case Value::Type::null: continue;
        case Value::Type::integer: return x.as_int() < y.as_int();
        case Value::Type::real: return x.as_real() < y.as_real();
        case Value::Type::text: return x.as_text() < y.as_text();
        case Value::Type::blob: return x.as_blob() < y.as_blob();
        }
    }
    return false;
}
}  // namespace

bool same_json(const std::string& a, const std::string& b) {
    try {
        return nlohmann::json::parse(a) == nlohmann::json::parse(b);
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

bool same_decimal(const std::string& a, const std::string& b) { return canonical_decimal(a) == canonical_decimal(b); }

std::vector<ColumnKind> column_kinds(Store& store, const std::string& table, const std::vector<std::string>& columns) {
    auto sql = store.query_value("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", {table});
    const std::string ddl = sql && !sql->is_null() ? sql->as_text() : std::string();
    std::vector<ColumnKind> out;
    for (const auto& c : columns) {
        const std::string prefix = "\"" + table + "_" + c + "_";
        if (ddl.find(prefix + "json\"") != std::string::npos || ddl.find(prefix + "array\"") != std::string::npos)
            out.push_back(ColumnKind::json);
        else if (ddl.find(prefix + "decimal\"") != std::string::npos)
            out.push_back(ColumnKind::decimal);
        else
            out.push_back(ColumnKind::exact);
    }
    return out;
}

Dump dump_synced(Store& store) {
    Dump out;
    for (const auto& name : store.synced_tables()) {
        TableDump t;
        t.name = name;
        auto info = store.query("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", {name});
        if (info.rows.empty()) throw std::runtime_error("synced table " + name + " is not on the device");
        std::vector<std::pair<std::int64_t, std::string>> key;
        for (const auto& r : info.rows) {
            t.columns.push_back(r[0].as_text());
            if (r[1].as_int() > 0) key.emplace_back(r[1].as_int(), r[0].as_text());
        }
        std::sort(key.begin(), key.end());
        for (const auto& k : key) t.key.push_back(k.second);
        t.kinds = column_kinds(store, name, t.columns);
        std::string order;
        for (const auto& k : t.key) order += (order.empty() ? "" : ", ") + quote(k);
        auto rows = store.query("SELECT * FROM " + quote(name) + (order.empty() ? "" : " ORDER BY " + order));
        t.rows = std::move(rows.rows);
        // ORDER BY already sorts; sort again with the same rule so both sides agree even if a
        // collation differed.
        std::stable_sort(t.rows.begin(), t.rows.end(), [&](const Row& a, const Row& b) { return key_less(t, a, b); });
        out.push_back(std::move(t));
    }
    return out;
}

std::string diff_dumps(const Dump& a, const Dump& b, bool semantic, std::size_t max_lines) {
    std::ostringstream out;
    std::size_t lines = 0;
    auto line = [&](const std::string& s) {
        if (lines < max_lines) out << s << "\n";
        else if (lines == max_lines) out << "...\n";
        ++lines;
    };
    for (const auto& ta : a) {
        auto it = std::find_if(b.begin(), b.end(), [&](const TableDump& t) { return t.name == ta.name; });
        if (it == b.end()) {
            line("table " + ta.name + " only on the left");
            continue;
        }
        const TableDump& tb = *it;
        if (ta.columns != tb.columns) {
            line("table " + ta.name + ": different columns");
            continue;
        }
        std::size_t i = 0, j = 0;
        while (i < ta.rows.size() || j < tb.rows.size()) {
            if (j == tb.rows.size() || (i < ta.rows.size() && key_less(ta, ta.rows[i], tb.rows[j]))) {
                line(ta.name + " " + render_key(ta, ta.rows[i]) + ": only on the left");
                ++i;
            } else if (i == ta.rows.size() || key_less(ta, tb.rows[j], ta.rows[i])) {
                line(ta.name + " " + render_key(tb, tb.rows[j]) + ": only on the right");
                ++j;
            } else {
                for (std::size_t c = 0; c < ta.columns.size(); ++c)
                    if (!same_value(ta.rows[i][c], tb.rows[j][c], ta.kinds[c], semantic))
                        line(ta.name + " " + render_key(ta, ta.rows[i]) + " ." + ta.columns[c] + ": " +
                             ta.rows[i][c].to_string() + " != " + tb.rows[j][c].to_string());
                ++i;
                ++j;
            }
        }
    }
    for (const auto& tb : b)
        if (std::none_of(a.begin(), a.end(), [&](const TableDump& t) { return t.name == tb.name; }))
            line("table " + tb.name + " only on the right");
    return out.str();
}

std::string dump_summary(const Dump& d) {
    std::string out;
    for (const auto& t : d) out += (out.empty() ? "" : ", ") + t.name + "=" + std::to_string(t.rows.size());
    return out;
}

const TableDump& table_of(const Dump& d, const std::string& name) {
    for (const auto& t : d)
        if (t.name == name) return t;
    throw std::out_of_range("no table " + name + " in the dump");
}

}  // namespace ferry::test
