// lib/store/sqlite_error.hpp: the one place where SQLite failures become ferry::Error.
#pragma once

#include <string>

struct sqlite3;
namespace SQLite {
class Exception;
}

namespace ferry {
class Error;
}

namespace ferry::detail {

/// Maps an SQLite result code (primary or extended) and message to a ferry::Error.
/// `context` says what Ferry was doing ("opening /x.db", "running: INSERT ...").
Error sqlite_error(int code, const std::string& message, const std::string& context);
Error sqlite_error(const SQLite::Exception& e, const std::string& context);
/// Throws the error currently recorded on `db`.
[[noreturn]] void throw_sqlite(sqlite3* db, const std::string& context);

}  // namespace ferry::detail
