// tests/fault/worlds.hpp: the data the fault tests write, each write recorded in an oracle.
//
// AiflowoWorld (seed 003: users, tasks, task logs, and Tool.usageCount, a counter): a web app
// writing PostgreSQL directly, and devices writing their stores offline. DevlogWorld (seed 004):
// rows whose integer keys come from ids leased from the server. Every write picks its rows and
// values from the world's seeded random source, so a seed replays the same writes.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ferry/store.hpp"
#include "tests/fault/fault_support.hpp"
#include "tests/support/pg.hpp"

namespace ferry::fault {

class AiflowoWorld {
public:
    explicit AiflowoWorld(std::uint64_t seed);

    test::PgDatabase db;
    Oracle oracle;
    Rng rng;
    std::uint64_t seed;

    /// A new id, unique in this world ("<prefix>_<tag>_<n>").
    std::string id(const std::string& prefix);
    const std::vector<std::string>& tools() const { return m_tools; }

    // The web app (plain SQL on PostgreSQL, one transaction per call).
    std::string web_user();
    /// `tasks` new tasks of `user`, each with `logs_each` logs; returns their ids.
    std::vector<std::string> web_tasks(const std::string& user, int tasks, int logs_each);
    /// `count` new logs of one task, in one transaction.
    std::vector<std::string> web_logs(const std::string& task, int count);
    /// Sets "description" of `count` random tasks among `among` (alive ones only).
    void web_describe(const std::vector<std::string>& among, int count);
    /// Adds to usageCount of `count` random tools.
    void web_count_tools(int count);

    // A device (its store, offline). Each call is one local transaction.
    std::string dev_user(Store& s);
    std::string dev_task(Store& s, const std::string& user);
    std::string dev_log(Store& s, const std::string& task);
    /// Updates 1-3 of title, intent, currentStep, status.
    void dev_update_task(Store& s, const std::string& task);
    void dev_update_log(Store& s, const std::string& log);
    /// Deletes the task (its logs go with it, by the cascade).
    void dev_delete_task(Store& s, const std::string& task);
    void dev_count_tool(Store& s, const std::string& tool, int delta);
    /// A mix of `ops` writes: new tasks of `user` with logs, updates and deletes of the alive tasks
    /// among `known` (the tasks the device holds; deleted ones are dropped from it), counters.
    void dev_mix(Store& s, const std::string& user, std::vector<std::string>& known, int ops);
    /// `tasks` inserts (one statement), `logs` inserts (one statement), then `updates` single-row
    /// updates and `deletes` deletes of those rows and `counters` counter moves: a long offline
    /// session of roughly tasks + logs + updates + deletes + counters changes.
    void dev_bulk(Store& s, const std::string& user, int tasks, int logs, int updates, int deletes, int counters);

    /// The oracle's alive tasks.
    std::vector<std::string> alive_tasks() const { return oracle.alive_keys("Task"); }

private:
    std::string m_tag;
    int m_serial = 0;
    std::vector<std::string> m_tools;
};

class DevlogWorld {
public:
    explicit DevlogWorld(std::uint64_t seed);

    test::PgDatabase db;
    Oracle oracle;
    Rng rng;
    /// Ids that two devices were both handed (must stay empty).
    std::vector<std::string> collisions;

    std::string dev_project(Store& s);
    std::string dev_entry(Store& s, const std::string& project);
    std::string dev_note(Store& s, const std::string& entry);
    void dev_update_entry(Store& s, const std::string& entry);
    void dev_delete_entry(Store& s, const std::string& entry);
    /// A mix of `ops` writes on this device's projects and entries.
    void dev_mix(Store& s, std::vector<std::string>& projects, std::vector<std::string>& entries, int ops);

private:
    void claim(const std::string& table, const std::string& key);
    std::string m_tag;
    int m_serial = 0;
};

}  // namespace ferry::fault
