// lib/store/sqlite_error.cpp: translation of SQLite result codes into Ferry's error codes.
#include "lib/store/sqlite_error.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "ferry/error.hpp"

namespace ferry::detail {
namespace {
ErrorCode code_for(int rc) {
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return ErrorCode::constraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::busy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::corrupt;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_FULL: return ErrorCode::io;
    case SQLITE_MISMATCH: return ErrorCode::invalid_argument;
    default: return ErrorCode::sql;
    }
}

std::string clip(const std::string& s) {
    constexpr std::size_t max = 160;
    return s.size() <= max ? s : s.substr(0, max) + "...";
}
}  // namespace

Error sqlite_error(int code, const std::string& message, const std::string& context) {
    const ErrorCode ferry_code = code_for(code);
    std::string text = message;
    if (ferry_code == ErrorCode::corrupt)
        text += " (the file is damaged or is not a SQLite database; restore it from a backup or resync into a new store)";
    if (message.find("no such function: ferry_") != std::string::npos) {
        return Error(ErrorDomain::sqlite, ErrorCode::capture_unavailable,
                     message + ": this database is a Ferry store; write to it through Ferry (library or `ferry exec`) "
                               "so the change is captured for sync (" + clip(context) + ")");
    }
    if (message.find("no leased ids left") != std::string::npos)
        return Error(ErrorDomain::ferry, ErrorCode::lease_exhausted, message + " (" + clip(context) + ")");
    return Error(ErrorDomain::sqlite, ferry_code, text + " (" + clip(context) + ")", code);
}

Error sqlite_error(const SQLite::Exception& e, const std::string& context) {
    return sqlite_error(e.getExtendedErrorCode() >= 0 ? e.getExtendedErrorCode() : e.getErrorCode(), e.what(),
                        context);
}

void throw_sqlite(sqlite3* db, const std::string& context) {
    throw sqlite_error(sqlite3_extended_errcode(db), sqlite3_errmsg(db), context);
}

}  // namespace ferry::detail
