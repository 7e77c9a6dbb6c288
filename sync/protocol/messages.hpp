// sync/protocol/messages.hpp: every message of the sync protocol (docs/protocol.md) as a typed
// struct, shared by the device (sync/client), the server (sync/server) and the gateway. The JSON
// shapes live only in codec.cpp; values inside rows stay JSON in their device form.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferry::protocol {

using nlohmann::json;

/// The version every request and answer carries as "v". Version 1 is the unversioned shape of
/// Ferry 0.x (one object per row); 2 groups rows per table with the column names once.
constexpr std::int64_t k_protocol_version = 2;

/// Limits every server enforces (and every device respects).
constexpr std::int64_t k_max_batch = 10000;  ///< changes per push
constexpr std::int64_t k_max_page = 10000;   ///< rows per pull page, keys per fetch
constexpr std::int64_t k_max_wait_ms = 30000;  ///< longest long poll a pull may ask for
constexpr std::int64_t k_max_lease = 10000;  ///< ids per lease request

/// The clocks every answer carries (docs/protocol.md, "Clocks and the order of writes").
struct Clocks {
    std::int64_t server_hlc = 0;   ///< the server's clock when it answered
    std::int64_t max_hlc = 0;      ///< the greatest clock recorded for any row in the answer
    std::int64_t max_skew_ms = 0;  ///< how far ahead of server_hlc a change may be
    bool operator==(const Clocks& o) const;
};

/// One row's folded local writes, as pushed.
struct Change {
    std::string table;
    json pk = json::array();  ///< key values in key order, device form
    int op = 0;               ///< 1 insert (every column), 2 update (the changed columns), 3 delete
    std::int64_t hlc = 0;     ///< the change's clock (an insert's own, not its later updates')
    json vals = json::object();                  ///< column -> value (device form); empty for a delete
    std::map<std::string, std::int64_t> clocks;  ///< column -> clock of its latest write, one per vals column
    std::map<std::string, std::int64_t> deltas;  ///< counter column -> increment since the last agreement
    bool operator==(const Change& o) const;
};

struct PushRequest {
    std::string app;  ///< empty: not said (the server does not check it)
    std::string site;
    std::int64_t seq = 0;
    std::vector<Change> changes;  ///< at most one per row; answered in this order
    bool operator==(const PushRequest& o) const;
};

/// The outcome of one change: "applied", "superseded" or "rejected" (with a code and a reason).
struct PushResult {
    PushResult() = default;
    PushResult(std::string s, std::string c, std::string r) : status(std::move(s)), code(std::move(c)), reason(std::move(r)) {}
    std::string status;
    std::string code;
    std::string reason;
    /// Columns of the change that lost last-writer-wins (every pushed column of a superseded
    /// change; some of an applied update's), and the newest write that beat them: its site
    /// ("server" for a write made in the cloud database) and clock. Empty when nothing lost.
    std::vector<std::string> lost;
    std::string winner_site;
    std::int64_t winner_hlc = 0;
    bool operator==(const PushResult& o) const;
};

/// Rows of one table as they are on the server now, for this receiver. Each row is a JSON array
/// of values in `cols` order; a row's key is the value of its key columns (as the key was logged
/// or asked for). `gone` lists keys whose current state is "no row".
struct TableRows {
    std::string table;
    std::vector<std::string> cols;
    std::vector<json> rows;
    std::vector<json> gone;
    bool operator==(const TableRows& o) const;
};

struct PushAnswer {
    std::int64_t seq = 0;
    bool duplicate = false;
    std::vector<PushResult> results;  ///< one per change of the request, in order
    std::vector<TableRows> tables;    ///< the current row of every change's key
    Clocks clocks;
    bool operator==(const PushAnswer& o) const;
};

/// Where a snapshot goes on from. All empty: the first page.
struct SnapshotState {
    std::string cursor;  ///< the change-log position the snapshot began at
    std::string table;   ///< the table to go on in
    json after;          ///< the last key sent in it, or null
    bool operator==(const SnapshotState& o) const;
};

/// Keys of one table that a pull asks for explicitly.
struct TableKeys {
    std::string table;
    std::vector<json> keys;
    bool operator==(const TableKeys& o) const;
};

struct PullRequest {
    std::string app;
    std::string site;
    std::string cursor;  ///< empty on the first pull, else "XID:ID" as answered
    std::int64_t limit = 0;
    std::optional<std::int64_t> acked_seq;  ///< the device's last acknowledged push batch
    std::vector<TableKeys> fetch;
    std::optional<SnapshotState> snapshot;  ///< set: a snapshot page is asked for
    /// Gateway only (a long poll): when there is nothing new, wait up to this long for a change
    /// before answering. The gateway takes it off before the request reaches the server.
    std::optional<std::int64_t> wait_ms;
    bool operator==(const PullRequest& o) const;
};

/// The transaction that holds pulls back (docs/protocol.md, pull).
struct HeldBack {
    std::int64_t pid = 0;
    std::int64_t open_ms = 0;
    std::string state;
    std::string application_name;
    bool operator==(const HeldBack& o) const;
};

struct PullAnswer {
    std::string cursor;
    bool more = false;
    std::optional<HeldBack> held_back;
    /// A snapshot page: where the next page goes on from; nothing once the snapshot is complete.
    std::optional<SnapshotState> snapshot;
    bool is_snapshot = false;  ///< the answer is a snapshot page
    std::vector<TableRows> tables;
    Clocks clocks;
    bool operator==(const PullAnswer& o) const;
};

struct LeaseAsk {
    std::string table;
    std::string column;
    std::int64_t count = 0;
    bool operator==(const LeaseAsk& o) const;
};

struct LeaseRequest {
    std::string app;
    std::string site;
    std::vector<LeaseAsk> requests;
    bool operator==(const LeaseRequest& o) const;
};

struct Lease {
    std::string table;
    std::string column;
    std::vector<std::int64_t> ids;
    bool operator==(const Lease& o) const;
};

struct LeaseAnswer {
    std::vector<Lease> leases;
    Clocks clocks;
    bool operator==(const LeaseAnswer& o) const;
};

}  // namespace ferry::protocol
