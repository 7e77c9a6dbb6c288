// lib/core/error.cpp: ferry::Error and the code table's names and messages.
#include "ferry/error.hpp"

namespace ferry {

const char* error_code_message(ErrorCode code) noexcept {
    switch (code) {
#define FERRY_ERROR_CODE(name, value, message) \
    case ErrorCode::name:                      \
        return message;
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
    }
    return "unknown error";
}

const char* error_code_name(ErrorCode code) noexcept {
    switch (code) {
#define FERRY_ERROR_CODE(name, value, message) \
    case ErrorCode::name:                      \
        return #name;
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
    }
    return "unknown";
}

std::optional<ErrorCode> error_code_from_name(const std::string& name) {
#define FERRY_ERROR_CODE(code, value, message) \
    if (name == #code) return ErrorCode::code;
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
    return std::nullopt;
}

const char* error_domain_name(ErrorDomain domain) noexcept {
    switch (domain) {
    case ErrorDomain::ferry: return "ferry";
    case ErrorDomain::sqlite: return "sqlite";
    case ErrorDomain::postgres: return "postgres";
    case ErrorDomain::http: return "http";
    case ErrorDomain::io: return "io";
    }
    return "unknown";
}

Error::Error(ErrorDomain domain, ErrorCode code, const std::string& message, int native_code)
    : std::runtime_error(message), m_domain(domain), m_code(code), m_native_code(native_code) {}

bool Error::is_transient() const noexcept {
    return m_code == ErrorCode::busy || m_code == ErrorCode::connection || m_code == ErrorCode::timeout;
}

}  // namespace ferry
