// tests/fault/fault_support.cpp: see fault_support.hpp.
#include "tests/fault/fault_support.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "ferry/error.hpp"
#include "tests/support/replicas.hpp"

extern char** environ;

namespace ferry::fault {

int fault_rounds() {
    const char* v = std::getenv("FERRY_FAULT_ROUNDS");
    if (!v || !*v) return 0;
    return std::max(0, std::atoi(v));
}

std::uint64_t fault_seed(std::uint64_t fallback) {
    const char* v = std::getenv("FERRY_FAULT_SEED");
    if (!v || !*v) return fallback;
    return std::strtoull(v, nullptr, 0);
}

std::string fault_sync_path() { return FERRY_FAULT_SYNC_PATH; }
std::string cli_path() { return FERRY_CLI_PATH; }

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- child processes --------------------------------------------------------------------------

namespace {
std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string tail(const std::string& s, std::size_t n) {
    std::string t = s.size() > n ? "..." + s.substr(s.size() - n) : s;
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
}
}  // namespace

std::string ChildResult::describe() const {
    std::ostringstream o;
    if (timed_out) o << "timed out (killed) after " << seconds << " s";
    else if (exited) o << "exited " << code << " after " << seconds << " s";
    else o << "killed by signal " << signal << " after " << seconds << " s";
    if (!out.empty()) o << "; stdout: " << tail(out, 600);
    if (!err.empty()) o << "; stderr: " << tail(err, 600);
    return o.str();
}

Child::Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        const std::string key = kv.substr(0, kv.find('='));
        if (key == "FERRY_TEST_CRASH_AT" || env.count(key)) continue;
        envs.push_back(kv);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string out = m_dir.file("out"), err = m_dir.file("err");
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    m_started = now_s();
    const int rc = ::posix_spawnp(&m_pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

Child::~Child() {
    if (!m_done && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
}

void Child::reap(int status) {
    m_done = true;
    m_status = status;
    m_ended = now_s();
}

bool Child::running() {
    if (m_done) return false;
    int status = 0;
    const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) reap(status);
    return !m_done;
}

void Child::kill() {
    if (!m_done) ::kill(m_pid, SIGKILL);
}

ChildResult Child::wait(int timeout_ms) {
    ChildResult r;
    const double deadline = now_s() + timeout_ms / 1000.0;
    while (running()) {
        if (now_s() > deadline) {
            r.timed_out = true;
            ::kill(m_pid, SIGKILL);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
            reap(status);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.exited = WIFEXITED(m_status);
    r.code = r.exited ? WEXITSTATUS(m_status) : -1;
    r.signal = WIFSIGNALED(m_status) ? WTERMSIG(m_status) : 0;
    r.seconds = m_ended - m_started;
    r.out = slurp(m_dir.file("out"));
    r.err = slurp(m_dir.file("err"));
    return r;
}

ChildResult run_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      int timeout_ms) {
    Child c(argv, env);
    return c.wait(timeout_ms);
}

std::vector<std::string> sync_argv(const std::string& store_path, const std::string& conninfo,
                                   const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {fault_sync_path(), "--db", store_path, "--url", conninfo};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// ---- the oracle -------------------------------------------------------------------------------

void Oracle::table(const std::string& name, const std::string& key, std::vector<std::string> columns,
                   std::set<std::string> counters) {
    OracleTable t;
    t.name = name;
    t.key = key;
    t.columns = std::move(columns);
    t.counters = std::move(counters);
    m_tables[name] = std::move(t);
}

OracleTable& Oracle::at(const std::string& table) {
    auto it = m_tables.find(table);
    if (it == m_tables.end()) throw std::logic_error("oracle has no table " + table);
    return it->second;
}

void Oracle::put(const std::string& table, const std::string& key, const Vals& vals) {
    auto& row = at(table).rows[key];
    if (!row) row = Vals{};
    for (const auto& [c, v] : vals) (*row)[c] = v;
}

void Oracle::erase(const std::string& table, const std::string& key) { at(table).rows[key] = std::nullopt; }

void Oracle::add(const std::string& table, const std::string& key, const std::string& column, std::int64_t delta) {
    auto& row = at(table).rows[key];
    if (!row) throw std::logic_error("counter of a row the oracle does not hold: " + table + " " + key);
    auto& v = (*row)[column];
    v = std::to_string((v ? std::stoll(*v) : 0) + delta);
}

bool Oracle::alive(const std::string& table, const std::string& key) const {
    auto t = m_tables.find(table);
    if (t == m_tables.end()) return false;
    auto r = t->second.rows.find(key);
    return r != t->second.rows.end() && r->second.has_value();
}

std::optional<std::string> Oracle::value(const std::string& table, const std::string& key,
                                         const std::string& column) const {
    auto& rows = m_tables.at(table).rows;
    auto r = rows.find(key);
    if (r == rows.end() || !r->second) return std::nullopt;
    auto c = r->second->find(column);
    return c == r->second->end() ? std::nullopt : c->second;
}

std::vector<std::string> Oracle::alive_keys(const std::string& table) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : m_tables.at(table).rows)
        if (v) out.push_back(k);
    return out;
}

std::vector<std::string> Oracle::where(const std::string& table, const std::string& column,
                                       const std::string& value) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : m_tables.at(table).rows)
        if (v) {
            auto c = v->find(column);
            if (c != v->end() && c->second && *c->second == value) out.push_back(k);
        }
    return out;
}

std::int64_t Oracle::size() const {
    std::int64_t n = 0;
    for (const auto& [name, t] : m_tables)
        for (const auto& [k, v] : t.rows) n += v ? static_cast<std::int64_t>(t.columns.size()) : 1;
    return n;
}

void Check::add(const Check& other) {
    checked += other.checked;
    lost += other.lost;
    duplicated += other.duplicated;
    problems.insert(problems.end(), other.problems.begin(), other.problems.end());
}

std::string Check::report(std::size_t max_lines) const {
    std::ostringstream o;
    o << checked << " values checked, " << lost << " lost, " << duplicated << " duplicated";
    for (std::size_t i = 0; i < problems.size() && i < max_lines; ++i) o << "\n  " << problems[i];
    if (problems.size() > max_lines) o << "\n  ... " << problems.size() - max_lines << " more";
    return o.str();
}

namespace {
std::string show(const std::optional<std::string>& v) { return v ? "'" + *v + "'" : "NULL"; }

Check compare(const OracleTable& t, const Actual& actual, const std::string& where) {
    Check c;
    for (const auto& [key, expected] : t.rows) {
        auto it = actual.find(key);
        if (!expected) {
            c.checked++;
            if (it != actual.end()) {
                c.lost++;  // a delete that did not happen
                c.problems.push_back(where + ": " + t.name + " " + key + " was deleted but is there");
            }
            continue;
        }
        if (it == actual.end()) {
            c.checked += static_cast<std::int64_t>(t.columns.size());
            c.lost++;
            c.problems.push_back(where + ": " + t.name + " " + key + " is missing");
            continue;
        }
        for (const auto& col : t.columns) {
            auto e = expected->find(col);
            if (e == expected->end()) continue;  // never written by the test: not tracked
            c.checked++;
            auto a = it->second.find(col);
            const std::optional<std::string> got = a == it->second.end() ? std::nullopt : a->second;
            if (got == e->second) continue;
            if (t.counters.count(col) && got && e->second && std::stoll(*got) > std::stoll(*e->second)) {
                c.duplicated++;
                c.problems.push_back(where + ": " + t.name + " " + key + " counter " + col + " = " + *got +
                                     ", expected " + *e->second + " (a delta applied twice)");
            } else {
                c.lost++;
                c.problems.push_back(where + ": " + t.name + " " + key + " " + col + " = " + show(got) + ", expected " +
                                     show(e->second));
            }
        }
    }
    for (const auto& [key, vals] : actual)
        if (!t.rows.count(key)) {
            c.duplicated++;
            c.problems.push_back(where + ": " + t.name + " " + key + " is there but nobody wrote it");
        }
    return c;
}

std::string qi(const std::string& name) { return "\"" + name + "\""; }
}  // namespace

Actual cloud_rows(const test::PgDatabase& db, const OracleTable& t) {
    std::string sql = "SELECT " + qi(t.key) + "::text";
    for (const auto& c : t.columns) sql += ", " + qi(c) + "::text";
    sql += " FROM " + qi(t.name);
    auto conn = db.connect();
    pqxx::nontransaction tx(conn);
    Actual out;
    for (const auto& r : tx.exec(sql)) {
        Vals v;
        for (std::size_t i = 0; i < t.columns.size(); ++i)
            v[t.columns[i]] = r[static_cast<int>(i + 1)].is_null() ? std::nullopt
                                                                    : std::optional<std::string>(r[static_cast<int>(i + 1)].c_str());
        out[r[0].c_str()] = std::move(v);
    }
    return out;
}

Actual device_rows(Store& s, const OracleTable& t) {
    std::string sql = "SELECT CAST(" + qi(t.key) + " AS TEXT)";
    for (const auto& c : t.columns) sql += ", CAST(" + qi(c) + " AS TEXT)";
    sql += " FROM " + qi(t.name);
    Actual out;
    for (const auto& r : s.query(sql).rows) {
        Vals v;
        for (std::size_t i = 0; i < t.columns.size(); ++i)
            v[t.columns[i]] = r[i + 1].is_null() ? std::nullopt : std::optional<std::string>(r[i + 1].as_text());
        out[r[0].as_text()] = std::move(v);
    }
    return out;
}

Check check_cloud(const Oracle& o, const test::PgDatabase& db) {
    Check c;
    for (const auto& [name, t] : o.tables()) c.add(compare(t, cloud_rows(db, t), "cloud"));
    return c;
}

Check check_device(const Oracle& o, Store& s, const std::string& where) {
    Check c;
    for (const auto& [name, t] : o.tables()) c.add(compare(t, device_rows(s, t), where));
    return c;
}

// ---- device checks ----------------------------------------------------------------------------

std::vector<std::string> store_problems(Store& s, bool allow_rejected) {
    std::vector<std::string> out;
    const std::string where = s.path() + ": ";
    auto ic = s.query("PRAGMA integrity_check");
    if (ic.rows.size() != 1 || ic.rows[0][0].to_string() != "ok")
        out.push_back(where + "integrity_check: " + (ic.rows.empty() ? "no answer" : ic.rows[0][0].to_string()));
    auto fk = s.query("PRAGMA foreign_key_check");
    if (!fk.rows.empty())
        out.push_back(where + std::to_string(fk.rows.size()) + " rows with a missing parent, first in table " +
                      fk.rows[0][0].to_string());
    const auto st = s.status();
    if (st.pending_changes != 0) out.push_back(where + std::to_string(st.pending_changes) + " changes still pending");
    if (s.query_value("SELECT value FROM ferry_meta WHERE key = 'push_inflight'"))
        out.push_back(where + "a push batch is still in flight");
    if (s.query_value("SELECT value FROM ferry_meta WHERE key = 'snapshot'"))
        out.push_back(where + "a snapshot is unfinished");
    if (!allow_rejected && st.rejected_writes != 0) {
        std::string first;
        auto r = s.query("SELECT tbl, pk, op, code, reason FROM ferry_rejected ORDER BY id LIMIT 3");
        for (const auto& row : r.rows)
            first += " [" + row[0].to_string() + " " + row[1].to_string() + " " + row[2].to_string() + ": " +
                     row[3].to_string() + ": " + row[4].to_string() + "]";
        out.push_back(where + std::to_string(st.rejected_writes) + " writes rejected:" + first);
    }
    return out;
}

std::string replica_diff(Store& a, Store& b) {
    return test::diff_dumps(test::dump_synced(a), test::dump_synced(b), true, 20);
}

// ---- cloud helpers ----------------------------------------------------------------------------

std::string lit(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

int wait_for_backend(const test::PgDatabase& db, const std::string& application_name, const std::string& wait_type,
                     int timeout_ms) {
    auto conn = db.connect();
    const double deadline = now_s() + timeout_ms / 1000.0;
    while (now_s() < deadline) {
        pqxx::nontransaction tx(conn);
        auto r = tx.exec_params(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = $2 "
            "AND datname = current_database() LIMIT 1",
            application_name, wait_type);
        if (!r.empty()) return r[0][0].as<int>();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
}

void terminate_backend(const test::PgDatabase& db, int pid) {
    auto conn = db.connect();
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_terminate_backend($1)", pid);
}

// ---- figures ----------------------------------------------------------------------------------

void Figures::count(const Check& c) {
    writes_checked += c.checked;
    lost += c.lost;
    duplicated += c.duplicated;
}

std::string Figures::line() const {
    std::ostringstream o;
    o << "FAULT FIGURES " << name << ": mode=" << (long_run() ? "long" : "short") << " seed=" << seed
      << " runs=" << runs << " crashes=" << crashes << " not_reached=" << not_reached << " transient=" << transient
      << " writes_checked=" << writes_checked << " lost=" << lost << " duplicated=" << duplicated
      << " seconds=" << static_cast<std::int64_t>(seconds * 10) / 10.0;
    return o.str();
}

void Figures::print() const {
    std::cout << line() << std::endl;
    if (const char* f = std::getenv("FERRY_FAULT_FIGURES"); f && *f) {
        std::ofstream out(f, std::ios::app);
        out << line() << "\n";
    }
}

}  // namespace ferry::fault
