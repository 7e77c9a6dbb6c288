// sync/server/rule_expr.hpp: the condition language of sync rules' `public_when`
// (docs/sync-rules.md). A rule is parsed and checked against the table's columns, then rendered
// as SQL by Ferry itself: nothing from the rules file is spliced into SQL unparsed.
#pragma once

#include <string>
#include <vector>

namespace ferry::detail {

/// Parses `text` (e.g. `"isPublic" = true`, `visibility = 'public' AND "deletedAt" IS NULL`) and
/// returns it as SQL over row alias `row` (`NEW`, `t`). Columns must be among `columns`.
/// Grammar: or := and (OR and)*; and := not (AND not)*; not := NOT not | '(' or ')' | test;
/// test := column (= | <> | != | < | <= | > | >=) literal | column IS [NOT] NULL
///       | column [NOT] IN (literal, ...); literal := 'text' | number | true | false | NULL;
/// column := name | "quoted name". Keywords are case-insensitive.
/// Throws Error(invalid_argument) naming the rule and what is wrong.
std::string render_rule_condition(const std::string& text, const std::vector<std::string>& columns,
                                  const std::string& row);

}  // namespace ferry::detail
