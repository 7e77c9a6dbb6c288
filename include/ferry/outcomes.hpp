// ferry/outcomes.hpp: the write-outcome ledger (docs/outcomes.md). What became of each local write
// a sync pushed: applied, superseded (it lost last-writer-wins: which value won, which device or
// writer, when) or rejected (refused by the server: the code and reason). The ledger is the table
// ferry_outcomes of the store, readable with plain SQL; these functions read it and act on it.
//
// Every function takes the Store it works on (borrowed for the call), throws ferry::Error, and
// may be called from any thread that may use that Store (one thread at a time per Store).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/store.hpp"

namespace ferry {

/// One recorded outcome of a pushed local write.
struct WriteOutcome {
    std::int64_t id = 0;           ///< ferry_outcomes.id
    std::string table;
    std::string key_json;          ///< the row's primary key as a JSON array
    std::string op;                ///< "insert", "update" or "delete"
    std::string outcome;           ///< "applied", "superseded" or "rejected"
    std::string code;              ///< rejected: "constraint", "invalid_argument", "not_permitted", "clock_skew"...
    std::string reason;            ///< the server's explanation (rejected, superseded)
    std::vector<std::string> columns;  ///< superseded: the columns that lost (empty for a delete)
    std::string local_values_json;     ///< what this device wrote: the refused values, or the losing ones ("" for a delete)
    std::string winner_values_json;    ///< superseded: the values that won ("" when the winner deleted the row)
    std::string winner_site;           ///< superseded: the site that won; "server" for a write in the cloud database
    std::string winner_at;             ///< superseded: when the winning write was made, ISO-8601 UTC
    std::string recorded_at;           ///< when the answer arrived, ISO-8601 UTC
    std::string resolution;            ///< "" until the app acts: "retried", "restored" or "discarded"
};

/// Which outcomes write_outcomes() lists.
struct OutcomeFilter {
    std::string outcome;            ///< "applied", "superseded", "rejected", or "" for all
    std::string table;              ///< one table, or "" for all
    bool include_resolved = false;  ///< also those the app retried, restored or discarded
    std::int64_t limit = 0;         ///< the newest `limit`, 0 for all
};

/// Recorded outcomes, oldest first.
std::vector<WriteOutcome> write_outcomes(Store& store, const OutcomeFilter& filter = {});

/// The same as a JSON array of objects (id, table, key, op, outcome, code, reason, columns,
/// local_values, winner_values, winner_site, winner_at, recorded_at, resolution; absent members
/// are empty), as `ferry outcomes --json` prints them and the C API returns them.
std::string write_outcomes_json(Store& store, const OutcomeFilter& filter = {});

/// What the ledger keeps. Rejected writes are always kept until resolved (they hold the only copy
/// of what the app wrote); applied and superseded outcomes only for the watched tables.
struct OutcomePolicy {
    std::vector<std::string> watch;  ///< synced table names, or "*" for every table; empty: none
    int max_age_days = 30;           ///< older kept outcomes are pruned (unresolved rejections stay)
    std::int64_t max_count = 10000;  ///< beyond this many, the oldest are pruned (idem)
};

/// The store's policy (defaults until set). Stored in the file: it holds for every connection.
OutcomePolicy outcome_policy(Store& store);
/// Sets it. Throws Error(invalid_argument) for a table that is not synced or a limit below 1.
void set_outcome_policy(Store& store, const OutcomePolicy& policy);

/// Writes a rejected write's values again as a new local write (after fixing what made the
/// server refuse it), with `changes_json` (a JSON object of column values, may be "") applied on
/// top; the next sync pushes it. Marks the outcome "retried". Throws Error(not_found) for an
/// unknown id or for an update of a row this device no longer has, Error(invalid_argument) for an
/// outcome that is not an unresolved rejection or a column the table does not have, and what the
/// write itself throws (Error(constraint) when the data still clashes locally).
void retry_write(Store& store, std::int64_t id, const std::string& changes_json = "");
/// Writes a superseded write's losing values again as a new local write, which wins against the
/// value that beat it (a newer clock); the next sync pushes it. Marks the outcome "restored".
/// Throws as retry_write, for an outcome that is not an unresolved supersession.
void restore_write(Store& store, std::int64_t id);
/// Marks an outcome "discarded" (the app accepts the server's state). Returns false if no such
/// id or already resolved.
bool discard_write(Store& store, std::int64_t id);

/// What became of the latest write of one row: "pending" (queued or in flight), "applied",
/// "superseded", "rejected", or "unknown" (nothing queued and nothing recorded: applied, unless
/// its table is not watched or the outcome was pruned). The same answer as the SQL view
/// ferry_write_status.
std::string write_status(Store& store, const std::string& table, const std::string& key_json);

}  // namespace ferry
