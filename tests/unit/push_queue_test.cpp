// tests/unit/push_queue_test.cpp: the device's push bookkeeping over a long queue, through an
// in-process server that applies everything: the work per batch does not grow with the entries
// still queued behind it, and the rows a push answer brings do not disturb writes made later.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "lib/store/store_impl.hpp"
#include "sync/protocol/codec.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::Store;
using ferry::Value;
using nlohmann::json;

namespace {
/// Applies every change and answers with the pushed values of its inserts as the server's rows.
class ApplyAll : public ferry::Transport {
public:
    std::string call(const std::string& endpoint, const std::string& request) override {
        if (endpoint != "push") throw std::runtime_error("unexpected endpoint " + endpoint);
        auto req = ferry::protocol::decode_push_request(json::parse(request));
        ferry::protocol::PushAnswer out;
        out.seq = req.seq;
        std::map<std::string, std::size_t> group;
        for (const auto& ch : req.changes) {
            out.results.push_back({"applied", "", ""});
            out.clocks.max_hlc = std::max(out.clocks.max_hlc, ch.hlc);
            if (ch.op == 2) continue;  // only inserts carry every column, the key included
            auto [at, fresh] = group.emplace(ch.table, out.tables.size());
            if (fresh) {
                out.tables.push_back({ch.table, {}, {}, {}});
                for (auto it = ch.vals.begin(); it != ch.vals.end(); ++it) out.tables.back().cols.push_back(it.key());
            }
            auto& rows = out.tables[at->second];
            if (ch.op == 3) {
                rows.gone.push_back(ch.pk);
                continue;
            }
            json row = json::array();
            for (const auto& c : rows.cols) row.push_back(ch.vals.value(c, json()));
            rows.rows.push_back(std::move(row));
        }
        out.clocks.server_hlc = out.clocks.max_hlc;
        out.clocks.max_skew_ms = 300000;
        ++calls;
        return ferry::protocol::encode(out).dump();
    }
    int calls = 0;
};

int count_steps(void* counter) {
    ++*static_cast<std::int64_t*>(counter);
    return 0;
}

/// SQLite virtual-machine steps (in hundreds) that pushing `tasks` queued inserts takes, in
/// batches of 10: a deterministic measure of work, unlike time.
std::int64_t push_steps(const ferry::test::TempDir& dir, int tasks) {
    Store s = Store::open(dir.file("q" + std::to_string(tasks) + ".ferry"), "projectme");
    s.transaction([&] {
        s.execute(R"(INSERT INTO "User"(id, username, name) VALUES ('u1', 'u1', 'One'))");
        for (int i = 0; i < tasks; ++i)
            s.execute(R"(INSERT INTO "Task"(id, "userId", title) VALUES (?, 'u1', ?))",
                      {"t" + std::to_string(i), "task " + std::to_string(i)});
    });
    ApplyAll server;
    ferry::SyncOptions o;
    o.push_batch = 10;
    ferry::SyncClient client(s, server, o);
    std::int64_t steps = 0;
    sqlite3_progress_handler(ferry::detail::impl_of(s).handle(), 100, count_steps, &steps);
    auto rep = client.push();
    sqlite3_progress_handler(ferry::detail::impl_of(s).handle(), 0, nullptr, nullptr);
    REQUIRE(rep.applied == tasks + 1);
    REQUIRE(s.status().pending_changes == 0);
    REQUIRE(server.calls == (tasks + 1 + 9) / 10);
    return steps;
}
}  // namespace

TEST_CASE("pushing a queue four times as long takes about four times the work", "[unit][push]") {
    ferry::test::TempDir dir;
    // Each batch used to read every entry queued after it (its rows' parents, the writes made
    // after its cut) and count the whole log: work grew with the square of the queue.
    const double small = static_cast<double>(push_steps(dir, 500));
    const double large = static_cast<double>(push_steps(dir, 2000));
    INFO("steps: " << small << " for 500 tasks, " << large << " for 2000");
    CHECK(large / small < 5.5);
    WARN("push work, 2000 tasks / 500 tasks: " << large / small);
}

TEST_CASE("a long push keeps writes made while it runs, and finds parents queued after a batch", "[unit][push]") {
    ferry::test::TempDir dir;
    Store s = Store::open(dir.file("w.ferry"), "projectme");
    s.transaction([&] {
        s.execute(R"(INSERT INTO "User"(id, username, name) VALUES ('u1', 'u1', 'One'))");
        for (int i = 0; i < 40; ++i) s.execute(R"(INSERT INTO "Task"(id, "userId", title) VALUES (?, 'u1', 'x'))", {"t" + std::to_string(i)});
        // A user created after the tasks, that an early task then names: it travels with that task.
        s.execute(R"(INSERT INTO "User"(id, username, name) VALUES ('u2', 'u2', 'Two'))");
        s.execute(R"(UPDATE "Task" SET "userId" = 'u2' WHERE id = 't3')");
    });
    // After the first batch is answered, the app edits a task of a later batch and one already pushed.
    class EditDuring : public ApplyAll {
    public:
        explicit EditDuring(Store& s) : m_store(s) {}
        std::string call(const std::string& endpoint, const std::string& request) override {
            std::string out = ApplyAll::call(endpoint, request);
            if (calls == 1) {
                auto req = ferry::protocol::decode_push_request(json::parse(request));
                bool has_u2 = false;
                for (const auto& ch : req.changes) has_u2 = has_u2 || (ch.table == "User" && ch.pk[0] == "u2");
                first_had_parent = has_u2;
                m_store.execute(R"(UPDATE "Task" SET title = 'edited' WHERE id IN ('t1', 't30'))");
            }
            return out;
        }
        bool first_had_parent = false;

    private:
        Store& m_store;
    } server(s);
    ferry::SyncOptions o;
    o.push_batch = 10;
    ferry::SyncClient client(s, server, o);
    auto rep = client.push();
    CHECK(server.first_had_parent);
    // Both edits stay, and were pushed after the batch that carried their row.
    CHECK(s.query(R"(SELECT count(*) FROM "Task" WHERE title = 'edited')").rows[0][0].as_int() == 2);
    CHECK(s.status().pending_changes == 0);
    CHECK(rep.applied >= 42);  // 2 users, 40 tasks, and the edits (each once or folded into its insert)
}
