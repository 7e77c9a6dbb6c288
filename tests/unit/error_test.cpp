// tests/unit/error_test.cpp: the error code table's names and their reverse lookup.
#include "ferry/error.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using ferry::ErrorCode;

TEST_CASE("error_code_from_name finds every code of the table by its name", "[unit][error]") {
    std::set<std::string> names;
#define FERRY_ERROR_CODE(name, value, message)                            \
    CHECK(ferry::error_code_from_name(#name) == ErrorCode::name);         \
    CHECK(std::string(ferry::error_code_name(ErrorCode::name)) == #name); \
    names.insert(#name);
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
    CHECK(names.count("site_reused") == 1);
    CHECK(names.count("unauthenticated") == 1);
}

TEST_CASE("error_code_from_name returns nothing for names not in the table", "[unit][error]") {
    CHECK_FALSE(ferry::error_code_from_name("").has_value());
    CHECK_FALSE(ferry::error_code_from_name("Busy").has_value());
    CHECK_FALSE(ferry::error_code_from_name("busy ").has_value());
    CHECK_FALSE(ferry::error_code_from_name("no_such_code").has_value());
}
