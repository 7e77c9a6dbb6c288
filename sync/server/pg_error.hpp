// sync/server/pg_error.hpp: the one place where libpqxx exceptions become ferry::Error.
#pragma once

#include <functional>
#include <string>

#include "ferry/error.hpp"

namespace ferry::detail {

/// Runs `body`, translating any pqxx or std exception into ferry::Error with `context`
/// ("installing app devlog", ...). ferry::Error passes through unchanged.
void translate_pg(const std::string& context, const std::function<void()>& body);

/// What a SQLSTATE says an error *is* (DESIGN.md decision 6), decided by its code alone:
/// connection (class 08, a terminated backend), busy (lock timeout, deadlock, serialization
/// failure, resource limits), timeout (statement timeout, cancel), invalid_argument (class 22),
/// constraint (class 23), not_permitted (42501), otherwise sql.
ErrorCode code_for_sqlstate(const std::string& sqlstate);

/// True for errors about one change's *data* (classes 22 and 23, an app trigger's RAISE
/// EXCEPTION, a row-level security refusal): those become that change's rejection. Any other
/// error fails the whole call and the same batch is sent again later.
bool is_data_sqlstate(const std::string& sqlstate);

/// True for failures that running the same transaction again can cure at once (deadlock,
/// serialization failure): the server retries the batch itself before reporting busy.
bool is_retry_sqlstate(const std::string& sqlstate);

/// Connection strings in messages without their password.
std::string redact_conninfo(const std::string& conninfo);

}  // namespace ferry::detail
