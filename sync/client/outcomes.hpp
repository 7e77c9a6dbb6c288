// sync/client/outcomes.hpp: recording what became of each pushed change in the write-outcome
// ledger (ferry_outcomes, docs/outcomes.md), within the transaction that takes its push answer.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "sync/client/remote_apply.hpp"
#include "sync/protocol/messages.hpp"

namespace ferry::detail {

/// What a change's result means for the app: "applied", "superseded" (wholly, or some columns
/// of an applied update) or "rejected".
std::string outcome_of(const protocol::PushResult& result);

/// Records outcomes per the store's watch rules, read once when made.
class OutcomeRecorder {
public:
    explicit OutcomeRecorder(Store::Impl& impl);
    /// Whether the rules keep `outcome` (outcome_of) of a change to `table`: a rejection always,
    /// the others for watched tables.
    bool keeps(const std::string& table, const std::string& outcome) const;
    /// Records `outcome` of `change` in push batch `batch` (`row`: the server's row now, or null
    /// when the answer carried none). Returns its ledger id.
    std::int64_t record(const CapturedTable& table, const protocol::Change& change, const protocol::PushResult& result,
                        const std::string& outcome, std::int64_t batch, const RemoteRow* row);
    /// How many record() has written.
    std::int64_t recorded() const { return m_recorded; }

private:
    Store::Impl& m_impl;
    std::set<std::string> m_watch;
    std::int64_t m_recorded = 0;
};

/// Prunes applied, superseded and resolved outcomes past the policy's age and count (never an
/// unresolved rejection). Runs in its own transaction (a savepoint inside the caller's).
void prune_outcomes(Store::Impl& impl);

}  // namespace ferry::detail
