// sync/client/sync_client.cpp: the device side of the protocol (docs/protocol.md).
//
// Push: the lean change log is folded per row into one change (insert, update of some columns,
// or delete), each column carrying the clock of its latest local write; values are read from the
// row as it is now. The batch's sequence number and the log position it covers are recorded
// before sending, so a lost response is answered by sending the same batch again.
// Pull: the server sends rows as they are now; a column with a pending local write is left alone
// (the push decides it), everything else takes the server's value, in the same transaction as
// the cursor that covers it.
#include "ferry/sync.hpp"

#include <future>
#include <optional>

#include "ferry/error.hpp"
#include "lib/core/crash_point.hpp"
#include "lib/store/deferred_indexes.hpp"
#include "lib/store/store_impl.hpp"
#include "sync/client/id_leases.hpp"
#include "sync/client/outcomes.hpp"
#include "sync/client/push_batch.hpp"
#include "sync/client/remote_apply.hpp"
#include "sync/client/sync_lock.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/transport/in_process.hpp"
#include "lib/core/ids.hpp"

namespace ferry {
namespace {
using namespace detail;

/// The answer to a request of each kind, decoded (and so validated) by the codec.
protocol::PushAnswer decode_answer(const protocol::PushRequest&, json j) { return protocol::decode_push_answer(std::move(j)); }
protocol::PullAnswer decode_answer(const protocol::PullRequest&, json j) { return protocol::decode_pull_answer(std::move(j)); }
protocol::LeaseAnswer decode_answer(const protocol::LeaseRequest&, json j) { return protocol::decode_lease_answer(std::move(j)); }

/// Sends one request and returns its answer. A server in this process takes the message and
/// gives its answer as they are; any other transport gets the request as text, and its answer
/// is parsed and decoded here.
template <class Request>
auto exchange(Transport& transport, const char* endpoint, const Request& request) {
    if (auto* local = dynamic_cast<InProcessTransport*>(&transport)) return local->call(request);
    return decode_answer(request, protocol::parse_answer(transport.call(endpoint, protocol::encode(request).dump()), endpoint));
}

/// A page cache sized for applying pages while a sync runs, the connection's own afterwards.
/// SQLite's default (2 MB) holds too little of a large table's indexes: every row a page brings
/// then reads each index's path from the file again, and a 1,000-row pull grew with the table.
class SyncPageCache {
public:
    // 16 MiB: the inner pages of every index of a table of millions of rows, and the leaves a
    // page of rows touches. SQLite allocates it as pages are used, so a small sync stays small.
    static constexpr std::int64_t k_kib = 16384;
    explicit SyncPageCache(Store::Impl& impl) : m_impl(impl) {
        m_before = impl.query("PRAGMA cache_size", {}).rows.at(0).at(0).as_int();
        // Negative: KiB; positive: pages (of 4 KiB here). A larger cache set by the app stays.
        const std::int64_t before_kib = m_before < 0 ? -m_before : m_before * 4;
        m_changed = before_kib < k_kib;
        if (m_changed) impl.exec("PRAGMA cache_size = -" + std::to_string(k_kib));
    }
    ~SyncPageCache() {
        if (!m_changed) return;
        try {
            m_impl.exec("PRAGMA cache_size = " + std::to_string(m_before));
        } catch (...) {  // a destructor must not throw; the cache size only costs speed
        }
    }
    SyncPageCache(const SyncPageCache&) = delete;
    SyncPageCache& operator=(const SyncPageCache&) = delete;

private:
    Store::Impl& m_impl;
    std::int64_t m_before = 0;
    bool m_changed = false;
};

/// The next snapshot page, asked for while the device applies the one before it, so the server
/// reads and encodes page k+1 while the device writes page k. Where page k+1 begins is known as
/// soon as page k arrives, and nothing on the server depends on the device having applied it.
class PagePrefetch {
public:
    void start(Transport& transport, protocol::PullRequest next) {
        m_request = next;
        m_answer = std::async(std::launch::async,
                              [&transport, next = std::move(next)] { return exchange(transport, "pull", next); });
    }

    /// The answer to `request` if it was asked for ahead (its failure is thrown here); nothing
    /// otherwise. An answer to another request is dropped.
    std::optional<protocol::PullAnswer> take(const protocol::PullRequest& request) {
        if (!m_answer.valid()) return std::nullopt;
        std::future<protocol::PullAnswer> answer = std::move(m_answer);
        if (!(m_request == request)) {
            answer.wait();
            return std::nullopt;
        }
        return answer.get();
    }

private:
    protocol::PullRequest m_request;
    std::future<protocol::PullAnswer> m_answer;  // std::async's: its destructor waits for the request to end
};

void report(const SyncOptions& o, const char* phase, std::int64_t done, std::int64_t pending) {
    if (o.on_progress) o.on_progress(SyncProgress{phase, done, pending});
}

/// What a push answer said of the local writes that lost, by (table, key text).
using LostWrites = std::map<std::pair<std::string, std::string>, RemoteChange>;

/// Tells the app which rows a committed page or push answer brought to the server's state, and
/// which of its writes lost.
void notify_applied(const SyncOptions& o, const std::vector<detail::RemoteRow>& rows, LostWrites lost = {}) {
    if (!o.on_remote_changes || rows.empty()) return;
    std::vector<RemoteChange> changes;
    changes.reserve(rows.size());
    for (const auto& r : rows) {
        RemoteChange c;
        c.table = r.table->name;
        c.key_json = r.pk.dump();
        c.deleted = !r.exists();
        auto it = lost.find({c.table, c.key_json});
        if (it != lost.end()) {
            c.lost = std::move(it->second.lost);
            c.lost_columns = std::move(it->second.lost_columns);
            c.outcome_id = it->second.outcome_id;
        }
        changes.push_back(std::move(c));
    }
    o.on_remote_changes(changes);
}

/// The server's "held_back" note (protocol.md, pull) as a sentence for the operator.
std::string held_back_warning(const protocol::HeldBack& who) {
    std::string out = "pulls are held back by a transaction open for " + std::to_string(who.open_ms / 1000) +
                      " s in the cloud database (pid " + std::to_string(who.pid);
    if (!who.state.empty()) out += ", " + who.state;
    if (!who.application_name.empty()) out += ", application '" + who.application_name + "'";
    return out + "): changes committed after it began arrive once it ends; commit or end that transaction";
}

/// Ratchets the clock past every clock an answer carries (the server's own, and the greatest of
/// the rows it sent: HLC's receive rule), and sets it back when it runs further ahead of the
/// server's than the server accepts (a device clock that was wrong, or a server clock that was,
/// and has been set right): its writes would otherwise be refused forever.
void observe_clocks(Store::Impl& impl, const protocol::Clocks& clocks) {
    if (clocks.server_hlc > 0) {
        impl.clock_skew_ms = impl.clock.source().now_ms() - (clocks.server_hlc >> 16);
        impl.clock_skew_seen = true;
    }
    impl.clock.observe(clocks.max_hlc);
    impl.clock.observe(clocks.server_hlc);
    if (impl.clock.last() > clocks.server_hlc + (clocks.max_skew_ms << 16)) impl.rewind_clock(clocks.server_hlc);
}

/// The cut batch in flight, as stored in ferry_meta (push_inflight): the log entries it covers,
/// and its changes (moved out of the cut) in their canonical record (protocol::changes_record).
struct InFlight {
    std::int64_t seq = 0;
    BatchCut cut;
    std::vector<protocol::Change> changes;
};

std::optional<InFlight> load_inflight(Store::Impl& impl) {
    auto text = impl.meta("push_inflight");
    if (!text) return std::nullopt;
    json j = json::parse(*text);
    InFlight b;
    b.seq = j.at("seq").get<std::int64_t>();
    b.cut.upto = j.at("upto").get<std::int64_t>();
    b.cut.extra = j.value("extra", json::array());
    b.cut.extra_upto = j.value("extra_upto", std::int64_t{0});
    b.changes = protocol::changes_from_record(j.at("changes"), "the push batch in flight");
    // A batch larger than the protocol allows (cut by an older version) was never applied by any
    // server: it is cut again.
    if (b.changes.size() > static_cast<std::size_t>(k_max_push_batch)) return std::nullopt;
    return b;
}

/// Cuts the next batch and records it in flight, in one transaction (nothing when the log is
/// empty). The record comes before the send, so a lost answer is repaired by sending it again.
std::optional<InFlight> cut_next(Store::Impl& impl, const TableIndex& index, int limit, LogIndex* log,
                                 std::int64_t& cleared) {
    std::optional<InFlight> out;
    impl.transaction([&] {
        for (;;) {
            BatchCut cut = cut_batch(impl, index, limit, log);
            if (cut.upto == 0 && cut.extra.empty()) return;  // the log is empty
            if (cut.changes.empty()) {  // e.g. rows created and deleted again offline
                cleared += clear_batch(impl, cut, log);
                continue;
            }
            InFlight b;
            b.seq = std::stoll(impl.meta("push_seq").value_or("0")) + 1;
            b.changes = std::move(cut.changes);
            b.cut = std::move(cut);
            const std::string stored = R"({"seq":)" + std::to_string(b.seq) + R"(,"upto":)" + std::to_string(b.cut.upto) +
                                       R"(,"extra":)" + b.cut.extra.dump() + R"(,"extra_upto":)" +
                                       std::to_string(b.cut.extra_upto) + R"(,"changes":)" +
                                       protocol::changes_record(b.changes).dump() + "}";
            impl.set_meta("push_inflight", stored);
            out = std::move(b);
            return;
        }
    });
    return out;
}

/// This store's site id was used by another copy of it (a restored backup, a copied file): it
/// takes a new one and pushes its pending changes again under it (they are all still in the log).
std::string rotate_site(Store::Impl& impl) {
    const std::string old_site = impl.site_id;
    const std::string new_site = new_site_id();
    impl.transaction([&] {
        impl.set_meta("site_id", new_site);
        impl.set_meta("push_seq", "0");
        impl.execute("DELETE FROM ferry_meta WHERE key = 'push_inflight'", {});
        impl.set_meta("previous_site_id", old_site);
    });
    impl.site_id = new_site;
    return "site id " + old_site + " was already used by another copy of this store (restored from a backup, or "
           "copied): the store now syncs as " + new_site + " and pushed its pending changes again";
}

/// The row of each change in a push answer (by table and key), moved out of `rows`; a change
/// whose key the answer does not carry gets none.
std::vector<RemoteRow> rows_of(const std::vector<protocol::Change>& changes, std::vector<RemoteRow> rows) {
    std::map<std::pair<std::string, std::string>, std::size_t> by_key;
    for (std::size_t i = 0; i < rows.size(); ++i) by_key.emplace(std::make_pair(rows[i].table->name, rows[i].pk.dump()), i);
    std::vector<RemoteRow> out;
    for (const auto& ch : changes) {
        auto it = by_key.find({ch.table, ch.pk.dump()});
        if (it == by_key.end()) continue;
        out.push_back(std::move(rows[it->second]));
        by_key.erase(it);
    }
    return out;
}

/// Records a push answer: clears the covered log, keeps rejections, takes the server's rows; in
/// one local transaction with the new batch sequence.
/// Returns how many log entries it cleared.
std::int64_t acknowledge(Store::Impl& impl, const SyncOptions& options, const InFlight& batch, protocol::PushAnswer& answer,
                         const TableIndex& index, LogIndex* log, SyncReport& rep) {
    const auto& changes = batch.changes;
    if (answer.seq != batch.seq) throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server answered another push batch");
    if (answer.results.size() != changes.size())
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's push results do not match the batch");
    observe_clocks(impl, answer.clocks);
    std::vector<RemoteRow> rows = rows_of(changes, remote_rows(index, answer.tables));
    // The server's row of a change, for the ledger; indexed on first use (most batches record
    // no outcome and need none).
    std::map<std::pair<std::string, std::string>, const RemoteRow*> by_key;
    auto row_for = [&](const std::string& table, const std::string& key) -> const RemoteRow* {
        if (by_key.empty())
            for (const auto& r : rows) by_key.emplace(std::make_pair(r.table->name, r.pk.dump()), &r);
        auto it = by_key.find({table, key});
        return it == by_key.end() ? nullptr : it->second;
    };
    LostWrites lost;
    std::int64_t cleared = 0;
    remote_transaction(impl, [&] {
        lost.clear();
        OutcomeRecorder ledger(impl);
        cleared = clear_batch(impl, batch.cut, log);
        for (std::size_t i = 0; i < changes.size(); ++i) {
            rep.pushed++;
            const protocol::Change& ch = changes[i];
            const protocol::PushResult& res = answer.results[i];
            auto t = index.by_name.find(ch.table);
            if (t == index.by_name.end()) continue;
            const std::string key = ch.pk.dump();
            // Counter bases move by what this batch sent, accepted or not: an accepted delta
            // is in the server's total, a refused one is dropped.
            for (const auto& [column, delta] : ch.deltas)
                set_counter_base(impl, *t->second, key, column,
                                 counter_base(impl, *t->second, key, column).value_or(0) + delta);
            if (ch.op == 1)
                for (const auto& c : t->second->counters)
                    if (ch.vals.contains(c) && ch.vals[c].is_number_integer())
                        set_counter_base(impl, *t->second, key, c, ch.vals[c].get<std::int64_t>());
            if (res.status == "applied")
                rep.applied++;
            else if (res.status == "rejected")
                rep.rejected++;
            else
                rep.superseded++;
            const std::string outcome = outcome_of(res);
            std::int64_t id = 0;
            if (ledger.keeps(ch.table, outcome)) id = ledger.record(*t->second, ch, res, outcome, batch.seq, row_for(ch.table, key));
            if (outcome != "applied") {
                RemoteChange& c = lost[{ch.table, key}];
                c.lost = outcome;
                c.lost_columns = res.lost;
                c.outcome_id = id;
            }
        }
        if (ledger.recorded() > 0) prune_outcomes(impl);  // the ledger stays bounded, even within one long push
        PendingWrites pending(impl, rows, log ? log->entries_sql() : std::string());  // writes made after the cut
        apply_remote_rows(impl, rows, pending, Apply::changed_columns);
        // During a snapshot, a row whose server state the push's answer brought counts as seen:
        // the snapshot's end must not take it for a row deleted on the server.
        if (impl.meta("snapshot")) mark_seen(impl, rows);
        impl.set_meta("push_seq", std::to_string(batch.seq));
        impl.execute("DELETE FROM ferry_meta WHERE key = 'push_inflight'", {});
        impl.save_clock();
    });
    notify_applied(options, rows, std::move(lost));
    return cleared;
}

/// A malformed answer is a protocol error, whatever part of it was malformed.
template <class F>
auto protocol_guard(F&& body) {
    try {
        return body();
    } catch (const json::exception& e) {
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, std::string("the server's answer is malformed: ") + e.what());
    }
}
}  // namespace

SyncClient::SyncClient(Store& store, Transport& transport, SyncOptions options)
    : m_store(store), m_transport(transport), m_options(std::move(options)) {
    if (m_options.push_batch < 1 || m_options.pull_page < 1 || m_options.lease_block < 1)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "sync batch, page and lease sizes must be positive");
}

template <class F>
auto SyncClient::locked(F&& body) {
    const bool outer = !m_lock;
    if (outer) m_lock = std::make_shared<SyncLock>(m_store.path(), m_options.lock_timeout_ms);
    struct Release {
        SyncClient& c;
        bool outer;
        std::optional<SyncPageCache> cache;
        ~Release() {
            cache.reset();
            if (outer) c.m_lock.reset();
        }
    } release{*this, outer, std::nullopt};
    if (outer) release.cache.emplace(ferry::detail::impl_of(m_store));
    return protocol_guard(std::forward<F>(body));
}

SyncReport SyncClient::sync() {
    return locked([&] {
        SyncReport total;
        total.leased = lease_ids();
        auto p = push();
        auto q = pull();
        total.pushed = p.pushed;
        total.applied = p.applied;
        total.superseded = p.superseded;
        total.rejected = p.rejected;
        total.pulled = q.pulled;
        total.cursor = q.cursor;
        total.warnings = p.warnings;
        total.warnings.insert(total.warnings.end(), q.warnings.begin(), q.warnings.end());
        if (ferry::detail::impl_of(m_store).clock_skew_seen) total.clock_skew_ms = ferry::detail::impl_of(m_store).clock_skew_ms;
        return total;
    });
}

SyncReport SyncClient::push() {
    return locked([&] {
        auto& impl = ferry::detail::impl_of(m_store);
        SyncReport rep;
        TableIndex index(impl);
        // The log is counted once; progress then counts down by the entries each batch clears (a
        // count per batch would read the whole remaining log every time).
        std::int64_t left = impl.query("SELECT count(*) FROM ferry_changes", {}).rows[0][0].as_int();
        // A queue of more than one batch gets an index of its rows, so that no batch scans the
        // log after its cut (queued parents, writes made after the cut).
        std::optional<LogIndex> log;
        if (left > m_options.push_batch) log.emplace(impl);
        LogIndex* const by_row = log ? &*log : nullptr;
        for (;;) {
            // 1. The batch: the one in flight, exactly as it was sent (its answer was lost), or the next.
            std::int64_t cleared = 0;
            std::optional<InFlight> batch = load_inflight(impl);
            if (!batch) batch = cut_next(impl, index, m_options.push_batch, by_row, cleared);
            left -= cleared;
            if (!batch) break;
            crash_point("push.cut");

            // 2. Send. A failure here leaves the batch in flight: the next push sends it again.
            protocol::PushRequest request{impl.app, impl.site_id, batch->seq, std::move(batch->changes)};
            protocol::PushAnswer response;
            try {
                response = exchange(m_transport, "push", request);
            } catch (const Error& e) {
                if (e.code() != ErrorCode::site_reused) throw;
                rep.warnings.push_back(rotate_site(impl));
                continue;
            }
            batch->changes = std::move(request.changes);
            crash_point("push.answered");
            left -= acknowledge(impl, m_options, *batch, response, index, by_row, rep);
            crash_point("push.acked");
            // Writes made during the push are not in the count: recounted when it runs out.
            if (left <= 0) left = impl.query("SELECT count(*) FROM ferry_changes", {}).rows[0][0].as_int();
            report(m_options, "push", rep.pushed, left);
        }
        return rep;
    });
}

SyncReport SyncClient::pull() {
    return locked([&] { return pull_locked(); });
}

SyncReport SyncClient::pull_locked() {
    auto& impl = ferry::detail::impl_of(m_store);
    SyncReport rep;
    TableIndex index(impl);
    int rounds_without_fetch = 0;
    PagePrefetch prefetch;
    rep.warnings = std::move(impl.index_warnings);
    impl.index_warnings.clear();
    for (;;) {
        const std::string cursor = impl.meta("pull_cursor").value_or("");
        std::optional<protocol::SnapshotState> snapshot;
        if (auto s = impl.meta("snapshot")) snapshot = protocol::snapshot_from_record(json::parse(*s), "the stored snapshot position");
        // A fresh store starts with a snapshot of the current data rather than the whole history.
        if (!snapshot && cursor.empty()) {
            impl.transaction([&] {
                impl.execute("DELETE FROM ferry_snapshot_unseen", {});
                impl.set_meta("snapshot", "{}");
            });
            snapshot = protocol::SnapshotState{};
        }
        protocol::PullRequest request;
        request.app = impl.app;
        request.site = impl.site_id;
        request.cursor = cursor;
        request.limit = m_options.pull_page;
        request.acked_seq = std::stoll(impl.meta("push_seq").value_or("0"));
        request.snapshot = snapshot;
        // Rows cleared out of the way earlier: ask for their current state too (a snapshot
        // brings every row anyway).
        std::vector<std::pair<std::int64_t, std::string>> fetched;  // (table id, key text)
        if (!snapshot) {
            std::map<std::int64_t, std::size_t> group;  // table id -> its entry in request.fetch
            for (const auto& row : impl.query("SELECT tbl, pk FROM ferry_refetch LIMIT ?", {static_cast<std::int64_t>(m_options.pull_page)}).rows) {
                auto t = index.by_id.find(row[0].as_int());
                if (t == index.by_id.end()) continue;
                auto [slot, fresh] = group.emplace(t->first, request.fetch.size());
                if (fresh) request.fetch.push_back(protocol::TableKeys{t->second->name, {}});
                request.fetch[slot->second].keys.push_back(json::parse(row[1].as_text()));
                fetched.emplace_back(t->first, row[1].as_text());
            }
        }
        protocol::PullAnswer response;
        try {
            auto ahead = prefetch.take(request);
            response = ahead ? std::move(*ahead) : exchange(m_transport, "pull", request);
            crash_point(snapshot ? "snapshot.answered" : "pull.answered");
        } catch (const Error& e) {
            if (e.code() != ErrorCode::resync_required || snapshot) throw;
            // Fell behind the server's trimmed change log: take a fresh snapshot.
            impl.transaction([&] {
                impl.execute("DELETE FROM ferry_snapshot_unseen", {});
                impl.set_meta("snapshot", "{}");
            });
            report(m_options, "resync", 0, 1);
            continue;
        }
        observe_clocks(impl, response.clocks);
        std::int64_t received = 0;
        for (const auto& t : response.tables) received += static_cast<std::int64_t>(t.rows.size() + t.gone.size());
        if (snapshot && response.snapshot) {
            protocol::PullRequest next = request;
            next.snapshot = response.snapshot;
            prefetch.start(m_transport, std::move(next));
        }
        std::vector<RemoteRow> rows = remote_rows(index, response.tables);
        std::vector<RemoteRow> gone;  // rows a finished snapshot found deleted on the server
        remote_transaction(impl, [&] {
            for (const auto& [table_id, key] : fetched)
                impl.execute("DELETE FROM ferry_refetch WHERE tbl = ? AND pk = ?", {table_id, key});
            // The snapshot's position is fixed by the server with its first page: every row the
            // device holds then is unseen until a page or a push answer brings it. (A row a push
            // answer brought before that was seen before the position: its later delete would be
            // neither in the pages nor after the position, so it is unseen too.)
            if (snapshot && snapshot->cursor.empty()) {
                start_snapshot_marks(impl, index);
                std::vector<std::string> names;
                for (const auto& t : index.tables) names.push_back(t.name);
                defer_secondary_indexes(impl, names);
            }
            PendingWrites pending(impl, rows);
            apply_remote_rows(impl, rows, pending, snapshot ? Apply::upsert : Apply::changed_columns);
            if (snapshot) {
                mark_seen(impl, rows);
                if (response.snapshot)
                    impl.set_meta("snapshot", protocol::snapshot_record(*response.snapshot).dump());
                else {
                    gone = finish_snapshot(impl, index, response.cursor);
                    for (auto& w : build_deferred_indexes(impl)) rep.warnings.push_back(std::move(w));
                }
            } else {
                impl.set_meta("pull_cursor", response.cursor);
            }
            impl.set_meta("last_sync_at", Store::now_timestamp());
            impl.save_clock();
        });
        crash_point(snapshot ? "snapshot.applied" : "pull.applied");
        rows.insert(rows.end(), gone.begin(), gone.end());
        notify_applied(m_options, rows);
        if (response.held_back && rep.warnings.empty()) rep.warnings.push_back(held_back_warning(*response.held_back));
        rep.pulled += received;
        rep.cursor = impl.meta("pull_cursor").value_or("");
        const bool more = response.more;
        report(m_options, "pull", rep.pulled, more ? 1 : 0);
        const auto refetch = impl.query("SELECT count(*) FROM ferry_refetch", {}).rows[0][0].as_int();
        // Go on while the server has more, or while rows to fetch remain: once when the page asked
        // for none, then for as long as their number shrinks.
        if (!more && (refetch == 0 || (fetched.empty() ? ++rounds_without_fetch > 1
                                                      : refetch >= static_cast<std::int64_t>(fetched.size()))))
            break;
    }
    return rep;
}

std::int64_t SyncClient::lease_ids() {
    return locked([&] { return lease_locked(); });
}

std::int64_t SyncClient::lease_locked() {
    auto& impl = ferry::detail::impl_of(m_store);
    protocol::LeaseRequest request{impl.app, impl.site_id, {}};
    for (const auto& need : detail::lease_needs(impl, m_options.lease_low_water))
        request.requests.push_back(protocol::LeaseAsk{need.table, need.column, m_options.lease_block});
    if (request.requests.empty()) return 0;
    const protocol::LeaseAnswer response = exchange(m_transport, "lease", request);
    crash_point("lease.answered");
    std::int64_t leased = 0;
    impl.transaction([&] {
        for (const auto& l : response.leases) {
            leased += static_cast<std::int64_t>(l.ids.size());
            detail::add_lease(impl, l.table, l.column, l.ids);
        }
    });
    report(m_options, "lease", leased, 0);
    return leased;
}

}  // namespace ferry