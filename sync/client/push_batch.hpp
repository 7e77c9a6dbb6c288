// sync/client/push_batch.hpp: what a push sends: the change log folded into one change per row,
// with current values, and a cut that keeps queued parents with the rows that name them.
#pragma once

#include "sync/client/rows.hpp"
#include "sync/protocol/messages.hpp"

namespace ferry::detail {

/// The most changes one push batch may hold (the server refuses larger ones: docs/protocol.md).
constexpr int k_max_push_batch = static_cast<int>(protocol::k_max_batch);

/// A batch cut from the change log: every entry up to `upto`, plus the rows `extra` (JSON array
/// of [table id, key text]) with all their entries up to `extra_upto`: parents queued after the
/// cut that rows of the batch name. Acknowledging the batch clears exactly those entries.
struct BatchCut {
    std::int64_t upto = 0;
    json extra = json::array();
    std::int64_t extra_upto = 0;
    std::vector<protocol::Change> changes;
};

/// An index of the change log by row, for a push of many batches. The log has no index on its
/// rows (capture stays lean), so without one every batch would scan all the entries after its cut
/// to find queued parents and pending writes, and a long queue would cost quadratic time. A
/// temporary table mirrors each entry's (seq, tbl, pk), indexed by row; it catches up with new
/// entries before each use (one range read of the log's tail), and every entry it finds is
/// checked against the log itself, so an entry cleared (or rewritten) meanwhile is never reported.
/// Lives as long as one push; the table is dropped when it ends.
class LogIndex {
public:
    explicit LogIndex(Store::Impl& impl);
    ~LogIndex();
    LogIndex(const LogIndex&) = delete;
    LogIndex& operator=(const LogIndex&) = delete;

    /// Of the rows `keys` (JSON array of [table id, key text]), those with log entries after
    /// `after`, as a JSON array of [table id, key text, greatest seq].
    json queued_after(const json& keys, std::int64_t after);
    /// SQL reading the log entries (tbl, pk, op, mask, seq; in seq order) of the rows in the JSON
    /// array ?1 of [table id, key text], through the index; catches up first.
    const std::string& entries_sql();

private:
    void catch_up();
    Store::Impl& m_impl;
};

/// Cuts the next batch: at most `limit` changes (at most k_max_push_batch), never empty while the
/// log holds entries that fold into a change, and always sendable whatever the log holds. A row
/// naming a parent queued later moves the cut past the parent's entries (the log's order kept);
/// when that would make the batch too large, the parents join by key instead, fewer entries are
/// cut, and at worst the parents travel first by themselves.
/// With `log`, rows are found in the log through it.
BatchCut cut_batch(Store::Impl& impl, const TableIndex& index, int limit, LogIndex* log = nullptr);

/// Clears the log entries a batch covered (in the caller's transaction); returns how many.
std::int64_t clear_batch(Store::Impl& impl, const BatchCut& cut, LogIndex* log = nullptr);

/// Folds the log entries up to `upto`, and those of the rows in `extra` up to `extra_upto`, into
/// one change per row (docs/protocol.md, push), the changes of one table together.
std::vector<protocol::Change> fold_changes(Store::Impl& impl, const TableIndex& index, std::int64_t upto, const json& extra = json::array(),
                  std::int64_t extra_upto = 0, LogIndex* log = nullptr);

}  // namespace ferry::detail
