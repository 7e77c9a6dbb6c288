// ferry/error.hpp: the one exception type Ferry throws, with a domain and a code.
// The codes are listed once in ferry/error_codes.def, which also generates the C constants.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace ferry {

/// Where an error came from.
enum class ErrorDomain {
    ferry,     ///< Ferry's own checks (bad argument, schema version, sync protocol)
    sqlite,    ///< the device database
    postgres,  ///< the cloud database
    http,      ///< the HTTP transport or gateway
    io,        ///< files and the operating system
};

/// Every error Ferry reports. Values are stable: they are part of the C API.
enum class ErrorCode {
#define FERRY_ERROR_CODE(name, value, message) name = value,
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
};

/// The human-readable summary of a code ("constraint violated", ...).
const char* error_code_message(ErrorCode code) noexcept;
/// The stable identifier of a code ("constraint", ...), as used in JSON and the C API.
const char* error_code_name(ErrorCode code) noexcept;
/// The code whose stable identifier is `name` ("site_reused" -> ErrorCode::site_reused), e.g. for
/// a code named in a JSON answer; nullopt for a name that is not in the table.
std::optional<ErrorCode> error_code_from_name(const std::string& name);
/// The identifier of a domain ("sqlite", ...).
const char* error_domain_name(ErrorDomain domain) noexcept;

/// The exception thrown by every Ferry function that can fail.
/// what() is a complete sentence saying what was wrong, where, and what to do.
class Error : public std::runtime_error {
public:
    Error(ErrorDomain domain, ErrorCode code, const std::string& message, int native_code = 0);

    ErrorDomain domain() const noexcept { return m_domain; }
    ErrorCode code() const noexcept { return m_code; }
    /// The code of the library that reported it, when there is one: SQLite's extended result
    /// code for domain sqlite (e.g. 2067, SQLITE_CONSTRAINT_UNIQUE); 0 otherwise.
    int native_code() const noexcept { return m_native_code; }

    /// True for failures worth retrying unchanged later (connection lost, busy, timeout).
    bool is_transient() const noexcept;

private:
    ErrorDomain m_domain;
    ErrorCode m_code;
    int m_native_code = 0;
};

}  // namespace ferry
