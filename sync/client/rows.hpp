// sync/client/rows.hpp: how the device names and encodes rows on the wire (docs/protocol.md):
// values in device form as JSON, keys as JSON arrays, synced tables by id and name.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ferry/value.hpp"
#include "lib/store/capture.hpp"

namespace ferry::detail {

using nlohmann::json;

/// A value as it travels: numbers, strings, null; blobs as {"b64": ...}.
json to_json(const Value& v);
/// The inverse of to_json; throws Error(protocol) naming column `table`.`column` for anything
/// else. (The name is put together only then: this runs for every value a sync applies.)
Value from_json(const json& j, const std::string& table, const std::string& column);
/// "insert", "update" or "delete" for a change-log op.
const char* op_name(int op);

/// The synced tables of a store, by id and by name.
struct TableIndex {
    std::vector<CapturedTable> tables;
    std::map<std::int64_t, const CapturedTable*> by_id;
    std::map<std::string, const CapturedTable*> by_name;
    explicit TableIndex(Store::Impl& impl);
};

/// "k1 = ? AND k2 = ?" for the table's primary key.
std::string where_key(const CapturedTable& t);
/// The values of a key given as a JSON array; throws Error(protocol) for a malformed key.
std::vector<Value> key_values(const CapturedTable& t, const json& pk);

}  // namespace ferry::detail
