// sync/client/rows.cpp: row encoding and addressing for the sync client.
#include "sync/client/rows.hpp"

#include "ferry/error.hpp"
#include "lib/store/store_impl.hpp"

namespace ferry::detail {

json to_json(const Value& v) {
    switch (v.type()) {
    case Value::Type::null: return nullptr;
    case Value::Type::integer: return v.as_int();
    case Value::Type::real: return v.as_real();
    case Value::Type::text: return v.as_text();
    case Value::Type::blob: {
        static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const auto& d = v.as_blob();
        std::string out;
        for (std::size_t i = 0; i < d.size(); i += 3) {
            unsigned n = d[i] << 16;
            if (i + 1 < d.size()) n |= d[i + 1] << 8;
            if (i + 2 < d.size()) n |= d[i + 2];
            out += t[n >> 18];
            out += t[(n >> 12) & 63];
            out += i + 1 < d.size() ? t[(n >> 6) & 63] : '=';
            out += i + 2 < d.size() ? t[n & 63] : '=';
        }
        return json{{"b64", out}};
    }
    }
    return nullptr;
}

Value from_json(const json& j, const std::string& table, const std::string& column) {
    if (j.is_null()) return Value();
    if (j.is_boolean()) return Value(j.get<bool>());
    if (j.is_number_integer()) return Value(j.get<std::int64_t>());
    if (j.is_number()) return Value(j.get<double>());
    if (j.is_string()) return Value(j.get<std::string>());
    if (j.is_object() && j.contains("b64") && j["b64"].is_string()) {
        const std::string& s = j["b64"].get_ref<const std::string&>();
        Blob out;
        unsigned buf = 0;
        int bits = 0;
        for (char c : s) {
            int v;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
            else if (c >= '0' && c <= '9') v = c - '0' + 52;
            else if (c == '+') v = 62;
            else if (c == '/') v = 63;
            else continue;
            buf = (buf << 6) | static_cast<unsigned>(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out.push_back(static_cast<std::uint8_t>((buf >> bits) & 0xff));
            }
        }
        return Value(std::move(out));
    }
    throw Error(ErrorDomain::ferry, ErrorCode::protocol, "unexpected value " + j.dump() + " for " + table + "." + column);
}

const char* op_name(int op) { return op == 1 ? "insert" : op == 2 ? "update" : "delete"; }

TableIndex::TableIndex(Store::Impl& impl) : tables(captured_tables(impl)) {
    for (const auto& t : tables) {
        by_id[t.id] = &t;
        by_name[t.name] = &t;
    }
}

std::string where_key(const CapturedTable& t) {
    std::string s;
    for (std::size_t i = 0; i < t.pk_columns.size(); ++i) s += (i ? " AND " : "") + quote_ident(t.pk_columns[i]) + " = ?";
    return s;
}

std::vector<Value> key_values(const CapturedTable& t, const json& pk) {
    if (!pk.is_array() || pk.size() != t.pk_columns.size())
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, "bad key " + pk.dump() + " for table " + t.name);
    std::vector<Value> out;
    for (std::size_t i = 0; i < pk.size(); ++i) out.push_back(from_json(pk[i], t.name, t.pk_columns[i]));
    return out;
}

}  // namespace ferry::detail
