// ferry/value.hpp: a dynamically typed SQL value (NULL, integer, real, text, blob) and rows of them.
// Values follow the device type mapping: booleans are integers 0/1, decimals and timestamps text.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ferry {

using Blob = std::vector<std::uint8_t>;

/// One SQL value as SQLite stores it.
class Value {
public:
    enum class Type { null, integer, real, text, blob };

    Value() = default;
    Value(std::nullptr_t) {}
    Value(int v) : m_v(static_cast<std::int64_t>(v)) {}
    Value(std::int64_t v) : m_v(v) {}
    Value(bool v) : m_v(static_cast<std::int64_t>(v ? 1 : 0)) {}
    Value(double v) : m_v(v) {}
    Value(std::string v) : m_v(std::move(v)) {}
    Value(const char* v) : m_v(std::string(v)) {}
    Value(Blob v) : m_v(std::move(v)) {}

    Type type() const noexcept { return static_cast<Type>(m_v.index()); }
    bool is_null() const noexcept { return type() == Type::null; }

    /// Accessors throw ferry::Error(invalid_argument) when the value has another type.
    std::int64_t as_int() const;
    double as_real() const;  ///< also converts integers
    const std::string& as_text() const;
    const Blob& as_blob() const;

    /// A readable rendering: NULL as "NULL", blobs as x'hex'. For messages and the CLI.
    std::string to_string() const;

    friend bool operator==(const Value& a, const Value& b) { return a.m_v == b.m_v; }
    friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

private:
    std::variant<std::monostate, std::int64_t, double, std::string, Blob> m_v;
};

using Row = std::vector<Value>;

/// The rows a query returned, with the column names in order.
struct QueryResult {
    std::vector<std::string> columns;
    std::vector<Row> rows;

    /// The index of a column by name; throws ferry::Error(not_found) if absent.
    std::size_t column_index(const std::string& name) const;
    /// rows[row][column_index(name)]
    const Value& at(std::size_t row, const std::string& name) const;
};

}  // namespace ferry
