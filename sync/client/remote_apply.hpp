// sync/client/remote_apply.hpp: bringing local rows to the server's state: pulled pages, the rows
// a push answer carries, the end of a snapshot. Local writes not yet pushed are respected.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sync/client/rows.hpp"
#include "sync/protocol/messages.hpp"

namespace ferry::detail {

/// Local writes not yet acknowledged by the server, per row: which columns, and how they began/ended.
struct Pending {
    std::int64_t mask = 0;
    bool inserted = false;
    int last_op = 0;
};
struct RemoteRow;

/// The pending local writes of the rows a sync step touches, read from the change log once for
/// the rows given (one scan, whatever the log's length) and for any other row on first use. Only
/// those rows are held in memory, so a device with a long queue applies pages in bounded memory.
/// Valid within the transaction it was made in.
class PendingWrites {
public:
    /// `entries_sql`, when given, reads the log entries (tbl, pk, op, mask first; in seq order) of
    /// the rows in the JSON array ?1 of [table id, key text] by key (a push's LogIndex) instead
    /// of scanning the log.
    PendingWrites(Store::Impl& impl, const std::vector<RemoteRow>& rows, const std::string& entries_sql = {});
    /// The row's pending writes, or null when it has none.
    const Pending* find(std::int64_t table_id, const std::string& pk);
    /// False when the log was empty when this was made (then no row has pending writes).
    bool any() const { return !m_log_empty; }
    /// Drops the row's entries from the change log (and from here).
    void clear(std::int64_t table_id, const std::string& pk);

private:
    Store::Impl& m_impl;
    std::map<std::pair<std::int64_t, std::string>, std::optional<Pending>> m_rows;
    bool m_log_empty = false;  // nothing queued when made: no row has pending writes
};

/// The value of a counter column last agreed with the server, if known.
std::optional<std::int64_t> counter_base(Store::Impl& impl, const CapturedTable& t, const std::string& key,
                                         const std::string& col);
void set_counter_base(Store::Impl& impl, const CapturedTable& t, const std::string& key, const std::string& col,
                      std::int64_t base);

/// A row as the server has it now: its values as the answer sent them (a JSON array), or none
/// when it does not exist there (for this device).
struct RemoteRow {
    const CapturedTable* table = nullptr;
    json pk;
    json values;  ///< null: no such row on the server
    /// Where each of table->columns is in `values` (-1: not sent); shared by one table's rows of
    /// an answer.
    std::shared_ptr<const std::vector<int>> slots;

    bool exists() const { return !values.is_null(); }
    /// The value of the table's column `i`, or nullptr when the server did not send it.
    const json* value(std::size_t i) const;
};

/// The rows of an answer's tables (protocol::TableRows, moved from) that this device syncs, in
/// the answer's table order, each table's keys with no row first (a delete frees unique values
/// its rows may take). Throws Error(protocol) for a table whose rows lack a key column.
std::vector<RemoteRow> remote_rows(const TableIndex& index, std::vector<protocol::TableRows>& tables);

/// Applies rows from the server (capture must be off: see remote_transaction). Rows whose
/// unique values an out-of-date local row holds are retried after the rest; when no row can
/// move, the local row in the way is cleared (and fetched again later, see ferry_refetch).
/// How remote rows are written: `upsert` writes every column the server sent (a snapshot, whose
/// rows are mostly new); `changed_columns` compares a row the device has with it and writes only
/// the columns that differ (a pull, a push answer: most of a row is as the device has it).
enum class Apply { upsert, changed_columns };
void apply_remote_rows(Store::Impl& impl, const std::vector<RemoteRow>& rows, PendingWrites& pending, Apply mode);

/// Runs `body` as one transaction that applies remote data: capture off, and foreign keys and
/// CHECK constraints off, because the server already enforced its own and pages may bring a
/// child before its parent. Throws Error(invalid_argument) inside an open transaction.
void remote_transaction(Store::Impl& impl, const std::function<void()>& body);

/// A snapshot's first page is about to be applied (its position is fixed now): every synced row
/// the device holds becomes "unseen" (ferry_snapshot_unseen). A row a page or a push answer
/// brings is seen again (mark_seen); the snapshot's end deletes the rows still unseen. A table
/// that was empty costs no bookkeeping at all, so a fresh device's first sync keeps no marks.
void start_snapshot_marks(Store::Impl& impl, const TableIndex& index);
/// During a snapshot: these rows are at the server's state, not deleted there.
void mark_seen(Store::Impl& impl, const std::vector<RemoteRow>& rows);

/// Ends a snapshot: synced rows still unseen that have no local writes were deleted on the
/// server meanwhile; the pull goes on from the snapshot's cursor.
/// Returns the rows it deleted (row null).
std::vector<RemoteRow> finish_snapshot(Store::Impl& impl, const TableIndex& index, const std::string& cursor);

}  // namespace ferry::detail
