// sync/protocol/codec.hpp: the one encoder and decoder of every sync message (docs/protocol.md).
// Decoding is where messages are validated: a message of another protocol version, or with a
// malformed field, throws Error(protocol) naming it. Unknown extra fields are ignored (the
// gateway's "wait_ms", a newer peer's optional additions).
#pragma once

#include <string>

#include "sync/protocol/messages.hpp"

namespace ferry::protocol {

/// Parses a request body; throws Error(protocol) "bad request: malformed JSON: ..." for bad text.
json parse_request(const std::string& text);
/// Parses an answer of `endpoint`; throws Error(protocol) for text that is not a JSON object.
json parse_answer(const std::string& text, const std::string& endpoint);

json encode(const PushRequest& m);
json encode(const PushAnswer& m);
json encode(const PullRequest& m);
json encode(const PullAnswer& m);
json encode(const LeaseRequest& m);
json encode(const LeaseAnswer& m);

/// Decoding takes the message by value: callers that are done with it move it in, and rows are
/// moved out of it rather than copied.
/// Requests, on the server: throw Error(protocol) "bad request: <field> ...".
PushRequest decode_push_request(json j);
PullRequest decode_pull_request(json j);
LeaseRequest decode_lease_request(json j);
/// Answers, on the device: throw Error(protocol) "the server's <endpoint> answer is malformed: ...".
PushAnswer decode_push_answer(json j);
PullAnswer decode_pull_answer(json j);
LeaseAnswer decode_lease_answer(json j);

/// True when a pull answer brings nothing (no rows, no gone keys, no further page): what the
/// gateway's long poll waits behind. Cheap: nothing is decoded.
bool is_empty_page(const json& pull_answer);

/// The canonical record of a batch's changes: one object per change with its table and every
/// column's clock (the unversioned shape of version 1). The server's idempotency digest is taken
/// from its text, so it does not depend on how the request was laid out; the device stores its
/// batch in flight in it. The inverse throws Error(protocol) naming `what` for a bad record.
json changes_record(const std::vector<Change>& changes);
std::vector<Change> changes_from_record(const json& record, const std::string& what);

/// The record of a batch's results, as the server's ledger keeps them (statuses, no rows).
json results_record(const std::vector<PushResult>& results);
std::vector<PushResult> results_from_record(const json& record, const std::string& what);

/// A snapshot position as the device stores it between pages ({} for the first page).
json snapshot_record(const SnapshotState& s);
SnapshotState snapshot_from_record(const json& record, const std::string& what);

}  // namespace ferry::protocol
