// lib/sync/sync_client.cpp: the device side of the protocol (docs/protocol.md).
//
// Push: the lean change log is folded per row into one change (insert, update of some columns,
// or delete), each column carrying the clock of its latest local write; values are read from the
// row as it is now. The batch's sequence number and the log position it covers are recorded
// before sending, so a lost response is answered by sending the same batch again.
// Pull: the server sends rows as they are now; a column with a pending local write is left alone
// (the push decides it), everything else takes the server's value, in the same transaction as
// the cursor that covers it.
#include "ferry/sync.hpp"

#include <optional>

#include "ferry/error.hpp"
#include "lib/core/crash_point.hpp"
#include "lib/store/store_impl.hpp"
#include "lib/sync/id_leases.hpp"
#include "lib/sync/push_batch.hpp"
#include "lib/sync/remote_apply.hpp"

namespace ferry {
namespace {
using namespace detail;

json parse_response(const std::string& text, const char* endpoint) {
    try {
        auto j = json::parse(text);
        if (!j.is_object()) throw json::type_error::create(302, "not an object", nullptr);
        return j;
    } catch (const json::exception& e) {
        throw Error(ErrorDomain::ferry, ErrorCode::protocol,
                    std::string("the server's ") + endpoint + " response is not valid: " + e.what());
    }
}


void report(const SyncOptions& o, const char* phase, std::int64_t done, std::int64_t pending) {
    if (o.on_progress) o.on_progress(SyncProgress{phase, done, pending});
}

/// Tells the app which rows a committed page or push answer brought to the server's state.
void notify_applied(const SyncOptions& o, const std::vector<detail::RemoteRow>& rows) {
    if (!o.on_remote_changes || rows.empty()) return;
    std::vector<RemoteChange> changes;
    changes.reserve(rows.size());
    for (const auto& r : rows) changes.push_back(RemoteChange{r.table->name, r.pk.dump(), r.row.is_null()});
    o.on_remote_changes(changes);
}

/// The server's "held_back" note (protocol.md, pull) as a sentence for the operator.
std::string held_back_warning(const json& who) {
    std::string out = "pulls are held back by a transaction open for " +
                      std::to_string(who.value("open_ms", std::int64_t{0}) / 1000) + " s in the cloud database (pid " +
                      std::to_string(who.value("pid", std::int64_t{0}));
    const auto state = who.value("state", std::string());
    const auto application = who.value("application_name", std::string());
    if (!state.empty()) out += ", " + state;
    if (!application.empty()) out += ", application '" + application + "'";
    return out + "): changes committed after it began arrive once it ends; commit or end that transaction";
}
}  // namespace

SyncClient::SyncClient(Store& store, Transport& transport, SyncOptions options)
    : m_store(store), m_transport(transport), m_options(std::move(options)) {
    if (m_options.push_batch < 1 || m_options.pull_page < 1 || m_options.lease_block < 1)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "sync batch, page and lease sizes must be positive");
}

SyncReport SyncClient::sync() {
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
    total.warnings = q.warnings;
    return total;
}

SyncReport SyncClient::push() {
    auto& impl = m_store.impl();
    SyncReport rep;
    TableIndex index(impl);
    for (;;) {
        // 1. The batch: the one in flight, exactly as it was sent (its answer was lost), or the
        //    next one, recorded before it is sent.
        json batch;
        std::string changes_text;  // the batch's changes as sent: serialised once, stored and sent as is
        if (auto inflight = impl.meta("push_inflight")) {
            batch = json::parse(*inflight);
            changes_text = batch.at("changes").dump();
        } else {
            auto any = impl.query("SELECT max(seq) FROM ferry_changes", {});
            if (any.rows[0][0].is_null()) break;
            auto last = impl.query("SELECT seq FROM ferry_changes ORDER BY seq LIMIT 1 OFFSET ?",
                                   {static_cast<std::int64_t>(m_options.push_batch - 1)});
            std::int64_t upto = last.rows.empty() ? any.rows[0][0].as_int() : last.rows[0][0].as_int();
            json changes = fold_changes(impl, index, upto);
            // Parents still queued after the cut join the batch (bounded: each round moves the cut).
            for (int round = 0; round < 32; ++round) {
                const std::int64_t with_parents = queued_parents(impl, index, changes, upto);
                if (with_parents <= upto) break;
                upto = with_parents;
                changes = fold_changes(impl, index, upto);
            }
            if (changes.empty()) {  // e.g. rows created and deleted again offline
                impl.transaction([&] { impl.execute("DELETE FROM ferry_changes WHERE seq <= ?", {upto}); });
                continue;
            }
            const std::int64_t seq = std::stoll(impl.meta("push_seq").value_or("0")) + 1;
            changes_text = changes.dump();
            const std::string stored = R"({"seq":)" + std::to_string(seq) + R"(,"upto":)" + std::to_string(upto) +
                                       R"(,"changes":)" + changes_text + "}";
            batch = {{"seq", seq}, {"upto", upto}, {"changes", std::move(changes)}};
            impl.transaction([&] { impl.set_meta("push_inflight", stored); });
            crash_point("push.cut");
        }
        const std::int64_t seq = batch.at("seq");
        const std::int64_t upto = batch.at("upto");
        const json& changes = batch.at("changes");

        // 2. Send. A failure here leaves push_inflight set: the next push sends this batch again.
        const std::string request = R"({"app":)" + json(impl.app).dump() + R"(,"site":)" + json(impl.site_id).dump() +
                                    R"(,"seq":)" + std::to_string(seq) + R"(,"changes":)" + changes_text + "}";
        json response = parse_response(m_transport.call("push", request), "push");
        crash_point("push.answered");
        if (response.value("seq", std::int64_t(0)) != seq)
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server answered another push batch");
        const json results = response.value("results", json());
        if (!results.is_array() || results.size() != changes.size())
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's push results do not match the batch");
        if (response.contains("server_hlc") && response["server_hlc"].is_number_integer())
            impl.clock.observe(response["server_hlc"].get<std::int64_t>());

        // 3. Acknowledge: clear the covered log, keep rejections, take the server's rows.
        std::vector<RemoteRow> rows;
        remote_transaction(impl, [&] {
            impl.execute("DELETE FROM ferry_changes WHERE seq <= ?", {upto});
            for (std::size_t i = 0; i < changes.size(); ++i) {
                rep.pushed++;
                const json& ch = changes[i];
                const json& res = results[i];
                auto t = index.by_name.find(ch.at("t").get<std::string>());
                if (t == index.by_name.end()) continue;
                const std::string status = res.is_object() ? res.value("status", std::string("applied")) : "applied";
                const std::string key = ch["pk"].dump();
                // Counter bases move by what this batch sent, accepted or not: an accepted delta
                // is in the server's total, a refused one is dropped.
                if (ch.contains("deltas"))
                    for (auto d = ch["deltas"].begin(); d != ch["deltas"].end(); ++d)
                        set_counter_base(impl, *t->second, key, d.key(),
                                         counter_base(impl, *t->second, key, d.key()).value_or(0) + d.value().get<std::int64_t>());
                if (ch["op"] == 1 && ch.contains("vals"))
                    for (const auto& c : t->second->counters)
                        if (ch["vals"].contains(c) && ch["vals"][c].is_number_integer())
                            set_counter_base(impl, *t->second, key, c, ch["vals"][c].get<std::int64_t>());
                if (status == "applied") {
                    rep.applied++;
                } else if (status == "rejected") {
                    rep.rejected++;
                    impl.execute(
                        "INSERT INTO ferry_rejected(tbl, pk, op, code, reason, row_values, hlc, rejected_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        {t->first, key, op_name(ch["op"].get<int>()), res.value("code", std::string("rejected")),
                         res.value("reason", std::string()), ch.contains("vals") ? Value(ch["vals"].dump()) : Value(),
                         ch["hlc"].get<std::int64_t>(), Store::now_timestamp()});
                } else {
                    rep.superseded++;
                }
                if (res.is_object() && res.contains("row")) rows.push_back(RemoteRow{t->second, ch["pk"], res["row"]});
            }
            PendingWrites pending(impl, rows);  // writes made after the batch was cut
            apply_remote_rows(impl, rows, pending);
            impl.set_meta("push_seq", std::to_string(seq));
            impl.execute("DELETE FROM ferry_meta WHERE key = 'push_inflight'", {});
            impl.save_clock();
        });
        crash_point("push.acked");
        notify_applied(m_options, rows);
        auto left = impl.query("SELECT count(*) FROM ferry_changes", {}).rows[0][0].as_int();
        report(m_options, "push", rep.pushed, left);
    }
    return rep;
}


SyncReport SyncClient::pull() {
    auto& impl = m_store.impl();
    SyncReport rep;
    TableIndex index(impl);
    for (;;) {
        const std::string cursor = impl.meta("pull_cursor").value_or("");
        std::optional<json> snapshot;
        if (auto s = impl.meta("snapshot")) snapshot = json::parse(*s);
        // A fresh store starts with a snapshot of the current data rather than the whole history.
        if (!snapshot && cursor.empty()) {
            impl.transaction([&] {
                impl.execute("DELETE FROM ferry_snapshot_seen", {});
                impl.set_meta("snapshot", "{}");
            });
            snapshot = json::object();
        }
        json request = {{"app", impl.app}, {"site", impl.site_id}, {"cursor", cursor}, {"limit", m_options.pull_page}};
        if (snapshot) request["snapshot"] = *snapshot;
        // Rows cleared out of the way earlier: ask for their current state too (a snapshot
        // brings every row anyway).
        json fetch = json::array();
        if (!snapshot)
            for (const auto& row : impl.query("SELECT tbl, pk FROM ferry_refetch LIMIT ?", {static_cast<std::int64_t>(m_options.pull_page)}).rows) {
            auto t = index.by_id.find(row[0].as_int());
            if (t != index.by_id.end()) fetch.push_back({{"t", t->second->name}, {"pk", json::parse(row[1].as_text())}});
        }
        if (!fetch.empty()) request["fetch"] = fetch;
        json response;
        try {
            response = parse_response(m_transport.call("pull", request.dump()), "pull");
            crash_point(snapshot ? "snapshot.answered" : "pull.answered");
        } catch (const Error& e) {
            if (e.code() != ErrorCode::resync_required || snapshot) throw;
            // Fell behind the server's trimmed change log: take a fresh snapshot.
            impl.transaction([&] {
                impl.execute("DELETE FROM ferry_snapshot_seen", {});
                impl.set_meta("snapshot", "{}");
            });
            report(m_options, "resync", 0, 1);
            continue;
        }
        if (!response.contains("rows") || !response["rows"].is_array() || !response.contains("cursor") ||
            !response["cursor"].is_string())
            throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's pull response lacks rows or cursor");
        if (response.contains("server_hlc") && response["server_hlc"].is_number_integer())
            impl.clock.observe(response["server_hlc"].get<std::int64_t>());
        std::vector<RemoteRow> rows;
        for (const auto& r : response["rows"]) {
            auto t = index.by_name.find(r.value("t", std::string()));
            if (t == index.by_name.end()) continue;  // a table this device does not sync
            rows.push_back(RemoteRow{t->second, r.at("pk"), r.value("row", json())});
        }
        std::vector<RemoteRow> gone;  // rows a finished snapshot found deleted on the server
        remote_transaction(impl, [&] {
            for (const auto& f : fetch)
                impl.execute("DELETE FROM ferry_refetch WHERE tbl = ? AND pk = ?",
                             {index.by_name.at(f["t"].get<std::string>())->id, f["pk"].dump()});
            PendingWrites pending(impl, rows);
            apply_remote_rows(impl, rows, pending);
            if (snapshot) {
                for (const auto& r : rows)
                    impl.execute("INSERT OR IGNORE INTO ferry_snapshot_seen(tbl, pk) VALUES (?, ?)", {r.table->id, r.pk.dump()});
                const json next = response.value("snapshot", json());
                if (next.is_object())
                    impl.set_meta("snapshot", next.dump());
                else
                    gone = finish_snapshot(impl, index, response["cursor"].get<std::string>());
            } else {
                impl.set_meta("pull_cursor", response["cursor"].get<std::string>());
            }
            impl.set_meta("last_sync_at", Store::now_timestamp());
            impl.save_clock();
        });
        crash_point(snapshot ? "snapshot.applied" : "pull.applied");
        rows.insert(rows.end(), gone.begin(), gone.end());
        notify_applied(m_options, rows);
        if (response.contains("held_back") && response["held_back"].is_object() && rep.warnings.empty())
            rep.warnings.push_back(held_back_warning(response["held_back"]));
        rep.pulled += static_cast<std::int64_t>(response["rows"].size());
        rep.cursor = impl.meta("pull_cursor").value_or("");
        const bool more = response.value("more", false);
        report(m_options, "pull", rep.pulled, more ? 1 : 0);
        const auto refetch = impl.query("SELECT count(*) FROM ferry_refetch", {}).rows[0][0].as_int();
        // Go on while the server has more, or while rows to fetch remain and their number shrinks.
        if (!more && (refetch == 0 || refetch >= static_cast<std::int64_t>(fetch.size()))) break;
    }
    return rep;
}

std::int64_t SyncClient::lease_ids() {
    auto& impl = m_store.impl();
    json requests = json::array();
    for (const auto& need : detail::lease_needs(impl, m_options.lease_low_water))
        requests.push_back({{"t", need.table}, {"column", need.column}, {"count", m_options.lease_block}});
    if (requests.empty()) return 0;
    json request = {{"app", impl.app}, {"site", impl.site_id}, {"requests", requests}};
    json response = parse_response(m_transport.call("lease", request.dump()), "lease");
    crash_point("lease.answered");
    std::int64_t leased = 0;
    impl.transaction([&] {
        for (const auto& l : response.value("leases", json::array())) {
            auto ids = l.at("ids").get<std::vector<std::int64_t>>();
            leased += static_cast<std::int64_t>(ids.size());
            detail::add_lease(impl, l.at("t").get<std::string>(), l.at("column").get<std::string>(), ids);
        }
    });
    report(m_options, "lease", leased, 0);
    return leased;
}

std::vector<RejectedWrite> rejected_writes(Store& store) {
    std::vector<RejectedWrite> out;
    auto r = store.query(
        "SELECT id, tbl, pk, op, code, reason, coalesce(row_values, ''), rejected_at FROM ferry_rejected ORDER BY id");
    for (const auto& row : r.rows)
        out.push_back(RejectedWrite{row[0].as_int(), row[1].as_text(), row[2].as_text(), row[3].as_text(),
                                    row[4].as_text(), row[5].as_text(), row[6].as_text(), row[7].as_text()});
    return out;
}

bool dismiss_rejected_write(Store& store, std::int64_t id) {
    return store.execute("DELETE FROM ferry_rejected WHERE id = ?", {id}) > 0;
}

}  // namespace ferry