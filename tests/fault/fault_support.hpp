// tests/fault/fault_support.hpp: what the fault suite (docs/reliability.md) is built from:
// child processes that sync and may be killed, an oracle of the writes a test made, checks of the
// cloud and of device stores against it, the run's knobs and the figures it prints.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include "ferry/store.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::fault {

// ---- knobs ------------------------------------------------------------------------------------

/// FERRY_FAULT_ROUNDS: 0 (unset) for the short run of the default suite, else the long run's size.
int fault_rounds();
/// Whether this is the long run (FERRY_FAULT_ROUNDS set and > 0).
inline bool long_run() { return fault_rounds() > 0; }
/// FERRY_FAULT_SEED when set (to replay a failure), else `fallback`.
std::uint64_t fault_seed(std::uint64_t fallback);

/// The test helper that syncs one store (tests/fault/fault_sync.cpp) and the `ferry` CLI.
std::string fault_sync_path();
std::string cli_path();

// ---- child processes --------------------------------------------------------------------------

struct ChildResult {
    bool exited = false;     ///< exited normally (code is valid)
    int code = -1;
    int signal = 0;          ///< the signal that ended it, if any
    bool timed_out = false;  ///< killed by wait() after its time bound
    double seconds = 0;
    std::string out, err;
    bool killed_by_sigkill() const { return !exited && signal == 9; }
    bool ok() const { return exited && code == 0; }
    /// One line for messages: how it ended, and the tail of its output.
    std::string describe() const;
};

/// A child process, its standard output and error captured in files. FERRY_TEST_CRASH_AT is
/// never inherited: only `env` sets it.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
    ~Child();  ///< kills and reaps a child still running
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return m_pid; }
    /// Whether it is still running (reaps it when it has ended).
    bool running();
    /// SIGKILL now.
    void kill();
    /// Waits for the end, at most `timeout_ms`; past that it is killed and timed_out is set.
    ChildResult wait(int timeout_ms = 120000);

private:
    void reap(int status);
    test::TempDir m_dir;
    pid_t m_pid = -1;
    bool m_done = false;
    int m_status = 0;
    double m_started = 0;
    double m_ended = 0;
};

/// Runs a child to its end (bounded by `timeout_ms`).
ChildResult run_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                      int timeout_ms = 120000);

/// argv of the sync helper for one store: `ferry_fault_sync --db PATH --url CONNINFO ...extra`.
std::vector<std::string> sync_argv(const std::string& store_path, const std::string& conninfo,
                                   const std::vector<std::string>& extra = {});

/// Seconds on a monotonic clock.
double now_s();

// ---- the oracle -------------------------------------------------------------------------------

/// Column values as text (integers in decimal), nullopt for NULL.
using Vals = std::map<std::string, std::optional<std::string>>;

/// What a table must hold at the end: every row a test created, with the columns it tracks.
struct OracleTable {
    std::string name;
    std::string key;                   ///< the single primary-key column
    std::vector<std::string> columns;  ///< tracked columns (text or integer in both databases)
    std::set<std::string> counters;    ///< counter columns: a value above the oracle's is a duplicate
    std::map<std::string, std::optional<Vals>> rows;  ///< key -> values; nullopt: deleted
};

class Oracle {
public:
    void table(const std::string& name, const std::string& key, std::vector<std::string> columns,
               std::set<std::string> counters = {});
    /// An insert or an update: the given columns take these values.
    void put(const std::string& table, const std::string& key, const Vals& vals);
    void erase(const std::string& table, const std::string& key);
    /// A counter moved by `delta`.
    void add(const std::string& table, const std::string& key, const std::string& column, std::int64_t delta);
    bool alive(const std::string& table, const std::string& key) const;
    std::optional<std::string> value(const std::string& table, const std::string& key, const std::string& column) const;
    std::vector<std::string> alive_keys(const std::string& table) const;
    /// Keys of alive rows of `table` whose `column` equals `value`.
    std::vector<std::string> where(const std::string& table, const std::string& column, const std::string& value) const;
    const std::map<std::string, OracleTable>& tables() const { return m_tables; }
    /// Tracked values of alive rows: the number of values a check compares.
    std::int64_t size() const;

private:
    OracleTable& at(const std::string& table);
    std::map<std::string, OracleTable> m_tables;
};

/// What a comparison with the oracle found.
struct Check {
    std::int64_t checked = 0;     ///< values compared
    std::int64_t lost = 0;        ///< rows missing, deleted rows still there, values not as written, counters short
    std::int64_t duplicated = 0;  ///< rows nobody wrote, counters above what was added
    std::vector<std::string> problems;  ///< one line each
    void add(const Check& other);
    bool clean() const { return lost == 0 && duplicated == 0 && problems.empty(); }
    std::string report(std::size_t max_lines = 25) const;
};

/// Rows of an oracle table as a replica holds them: key -> tracked values.
using Actual = std::map<std::string, Vals>;
Actual cloud_rows(const test::PgDatabase& db, const OracleTable& t);
Actual device_rows(Store& s, const OracleTable& t);

/// Compares every oracle table with the cloud / a device store; `where` names the replica.
Check check_cloud(const Oracle& o, const test::PgDatabase& db);
Check check_device(const Oracle& o, Store& s, const std::string& where);

// ---- device checks ----------------------------------------------------------------------------

/// What is wrong with a store that should be at rest after its last sync: integrity_check not
/// ok, foreign keys broken, changes pending, a batch in flight, writes rejected. Empty if none.
std::vector<std::string> store_problems(Store& s, bool allow_rejected = false);

/// The semantic difference of the synced tables of two stores ("" when equal).
std::string replica_diff(Store& a, Store& b);

// ---- cloud helpers ----------------------------------------------------------------------------

/// PostgreSQL string literal.
std::string lit(const std::string& s);
/// The backend pid of the connection named `application_name` once it waits for `wait_type`
/// (e.g. "Lock"); 0 after `timeout_ms`.
int wait_for_backend(const test::PgDatabase& db, const std::string& application_name, const std::string& wait_type,
                     int timeout_ms = 15000);
/// pg_terminate_backend(pid) from another connection.
void terminate_backend(const test::PgDatabase& db, int pid);

// ---- figures ----------------------------------------------------------------------------------

/// The figures of one fault test, printed at its end ("FAULT FIGURES name: ...") and appended to
/// the file named by FERRY_FAULT_FIGURES when set (scripts/fault.sh collects them).
struct Figures {
    std::string name;
    std::uint64_t seed = 0;
    std::int64_t runs = 0;             ///< scenarios run
    std::int64_t crashes = 0;          ///< children killed: crash points hit, or random kills
    std::int64_t not_reached = 0;      ///< armed crash points the child never reached N times
    std::int64_t transient = 0;        ///< transient errors seen (expected under faults)
    std::int64_t writes_checked = 0;   ///< values compared with the oracle, over every replica
    std::int64_t lost = 0;
    std::int64_t duplicated = 0;
    double seconds = 0;
    void count(const Check& c);
    std::string line() const;
    void print() const;
};

/// A fault test's random source: seeded, and the seed is in every failure message.
using Rng = std::mt19937_64;
inline int pick(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
inline bool chance(Rng& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

}  // namespace ferry::fault
