// sync/pg_error.hpp: the one place where libpqxx exceptions become ferry::Error.
#pragma once

#include <functional>
#include <string>

namespace ferry::detail {

/// Runs `body`, translating any pqxx or std exception into ferry::Error with `context`
/// ("installing app devlog", ...). ferry::Error passes through unchanged.
void translate_pg(const std::string& context, const std::function<void()>& body);

/// Connection strings in messages without their password.
std::string redact_conninfo(const std::string& conninfo);

}  // namespace ferry::detail
