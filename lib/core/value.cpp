// lib/core/value.cpp: ferry::Value accessors and QueryResult lookups.
#include "ferry/value.hpp"

#include <cstdio>

#include "ferry/error.hpp"

namespace ferry {
namespace {
const char* type_name(Value::Type t) {
    switch (t) {
    case Value::Type::null: return "NULL";
    case Value::Type::integer: return "integer";
    case Value::Type::real: return "real";
    case Value::Type::text: return "text";
    case Value::Type::blob: return "blob";
    }
    return "?";
}

[[noreturn]] void wrong_type(Value::Type want, Value::Type have) {
    throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                std::string("value is ") + type_name(have) + ", not " + type_name(want));
}
}  // namespace

std::int64_t Value::as_int() const {
    if (auto p = std::get_if<std::int64_t>(&m_v)) return *p;
    wrong_type(Type::integer, type());
}

double Value::as_real() const {
    if (auto p = std::get_if<double>(&m_v)) return *p;
    if (auto p = std::get_if<std::int64_t>(&m_v)) return static_cast<double>(*p);
    wrong_type(Type::real, type());
}

const std::string& Value::as_text() const {
    if (auto p = std::get_if<std::string>(&m_v)) return *p;
    wrong_type(Type::text, type());
}

const Blob& Value::as_blob() const {
    if (auto p = std::get_if<Blob>(&m_v)) return *p;
    wrong_type(Type::blob, type());
}

std::string Value::to_string() const {
    switch (type()) {
    case Type::null: return "NULL";
    case Type::integer: return std::to_string(as_int());
    case Type::real: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(m_v));
        return buf;
    }
    case Type::text: return as_text();
    case Type::blob: {
        static const char* hex = "0123456789abcdef";
        std::string out = "x'";
        for (auto b : as_blob()) {
            out += hex[b >> 4];
            out += hex[b & 15];
        }
        return out + "'";
    }
    }
    return {};
}

std::size_t QueryResult::column_index(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return i;
    throw Error(ErrorDomain::ferry, ErrorCode::not_found, "the query has no column named '" + name + "'");
}

const Value& QueryResult::at(std::size_t row, const std::string& name) const {
    if (row >= rows.size())
        throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                    "row " + std::to_string(row) + " is out of range (" + std::to_string(rows.size()) + " rows)");
    return rows[row][column_index(name)];
}

}  // namespace ferry
