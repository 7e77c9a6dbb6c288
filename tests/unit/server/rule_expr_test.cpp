// tests/unit/server/rule_expr_test.cpp: the public_when condition language (sync/server/rule_expr.hpp) is
// parsed and rendered by Ferry: only known columns, quoted as identifiers; literals quoted as
// literals; anything else is refused with the rule named.
#include <catch2/catch.hpp>

#include "ferry/error.hpp"
#include "sync/server/rule_expr.hpp"

using ferry::detail::render_rule_condition;

namespace {
const std::vector<std::string> k_columns = {"isPublic", "visibility", "deletedAt", "priority"};

std::string render(const std::string& text) { return render_rule_condition(text, k_columns, "NEW"); }

void require_refused(const std::string& text, const std::string& needle) {
    try {
        render(text);
        FAIL("accepted: " << text);
    } catch (const ferry::Error& e) {
        CHECK(e.code() == ferry::ErrorCode::invalid_argument);
        CHECK_THAT(e.what(), Catch::Contains(needle));
        CHECK_THAT(e.what(), Catch::Contains(text));
    }
}
}  // namespace

TEST_CASE("rule conditions render as SQL over the row alias", "[unit][rules]") {
    CHECK(render("\"isPublic\" = true") == "(NEW.\"isPublic\" = true)");
    CHECK(render("visibility = 'public' AND \"deletedAt\" IS NULL") ==
          "((NEW.\"visibility\" = 'public') AND (NEW.\"deletedAt\" IS NULL))");
    CHECK(render("NOT (priority >= 3 or visibility != 'x')") ==
          "(NOT (((NEW.\"priority\" >= 3) OR (NEW.\"visibility\" <> 'x'))))");
    CHECK(render("visibility IN ('public', 'team')") == "(NEW.\"visibility\" IN ('public', 'team'))");
    CHECK(render("visibility NOT IN ('it''s')") == "(NEW.\"visibility\" NOT IN ('it''s'))");
    CHECK(render("\"deletedAt\" IS NOT NULL") == "(NEW.\"deletedAt\" IS NOT NULL)");
}

TEST_CASE("rule conditions refuse what they do not understand instead of passing it to SQL", "[unit][rules]") {
    require_refused("secret = 'x'", "unknown column 'secret'");
    require_refused("visibility = 'public'; DROP TABLE users", "unexpected character ';'");
    require_refused("visibility = lower('x')", "expected a literal");
    require_refused("visibility = 'public' OR", "expected a column name");
    require_refused("(visibility = 'a'", "missing ')'");
    require_refused("visibility = 'open", "unterminated text literal");
    require_refused("\"isPublic\"", "expected a comparison");
    require_refused("visibility IS 'x'", "expected NULL after IS");
}
