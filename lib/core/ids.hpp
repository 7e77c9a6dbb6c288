// lib/core/ids.hpp: random ids (uuid v4, cuid, site ids) and the device timestamp format.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::detail {

std::string new_uuid();
std::string new_cuid();
/// 16 random bytes as 32 lowercase hex digits.
std::string new_site_id();
/// "2024-05-01T12:00:00.000Z" for a Unix time in milliseconds.
std::string iso_timestamp(std::int64_t unix_ms);

}  // namespace ferry::detail
