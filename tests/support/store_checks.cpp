// tests/support/store_checks.cpp: the Store checks, as Catch2 assertions in the running test;
// a check that fails reports the statement or the expected error.
#include "tests/support/store_checks.hpp"

#include <catch2/catch.hpp>

namespace ferry::test {

std::int64_t count(Store& s, const std::string& table, const std::string& where) {
    return s.query_value("SELECT count(*) FROM \"" + table + "\" WHERE " + where)->as_int();
}

std::vector<std::string> columns_of(Store& s, const std::string& table) {
    std::vector<std::string> out;
    for (const auto& row : s.query("SELECT name FROM pragma_table_info(?1) ORDER BY cid", {table}).rows)
        out.push_back(row[0].as_text());
    return out;
}

std::string text(Store& s, const std::string& sql, const std::vector<Value>& params) {
    auto v = s.query_value(sql, params);
    return v ? v->to_string() : "<no row>";
}

void require_rejected(Store& s, const std::string& table, const std::string& sql, const std::vector<Value>& params,
                      const std::string& needle) {
    const auto before = s.query_json("SELECT * FROM \"" + table + "\"");
    try {
        s.execute(sql, params);
        FAIL("accepted: " << sql);
    } catch (const Error& e) {
        INFO(e.what());
        CHECK(e.code() == ErrorCode::constraint);
        CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
    CHECK(s.query_json("SELECT * FROM \"" + table + "\"") == before);
}

void require_constraint(const std::function<void()>& f, const std::string& needle) {
    try {
        f();
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::constraint);
        CHECK_THAT(std::string(e.what()), Catch::Matchers::Contains(needle));
        return;
    }
    FAIL("expected a constraint error mentioning " << needle);
}

ErrorCode code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("expected a ferry::Error");
    return ErrorCode::internal;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("expected a ferry::Error");
    return {};
}

}  // namespace ferry::test
