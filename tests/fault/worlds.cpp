// tests/fault/worlds.cpp: see worlds.hpp.
#include "tests/fault/worlds.hpp"

#include <algorithm>
#include <pqxx/pqxx>
#include <sstream>

#include "ferry/server.hpp"

namespace ferry::fault {
namespace {
const std::vector<std::string> k_statuses = {"PENDING", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED"};

std::string hex_tag(std::uint64_t seed) {
    std::ostringstream o;
    o << std::hex << (seed & 0xffffff);
    return o.str();
}

template <class T>
const T& any_of(Rng& rng, const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(v.size()) - 1))];
}
}  // namespace

// ---- aiflowo ----------------------------------------------------------------------------------

AiflowoWorld::AiflowoWorld(std::uint64_t s) : rng(s), seed(s), m_tag(hex_tag(s)) {
    ferry::server::install_app_schema(db.conninfo(), "aiflowo");
    oracle.table("User", "id", {"email"});
    oracle.table("Task", "id", {"userId", "title", "intent", "description", "currentStep", "status"});
    oracle.table("TaskLog", "id", {"taskId", "message", "step"});
    oracle.table("Tool", "id", {"usageCount"}, {"usageCount"});
    auto c = db.connect();
    pqxx::nontransaction tx(c);
    for (const auto& r : tx.exec("SELECT id, \"usageCount\"::text FROM \"Tool\" ORDER BY id")) {
        m_tools.push_back(r[0].c_str());
        oracle.put("Tool", r[0].c_str(), {{"usageCount", std::string(r[1].c_str())}});
    }
}

std::string AiflowoWorld::id(const std::string& prefix) { return prefix + "_" + m_tag + "_" + std::to_string(m_serial++); }

std::string AiflowoWorld::web_user() {
    const auto u = id("wu");
    const auto email = u + "@web.example";
    db.exec("INSERT INTO \"User\"(id, email) VALUES (" + lit(u) + ", " + lit(email) + ")");
    oracle.put("User", u, {{"email", email}});
    return u;
}

std::vector<std::string> AiflowoWorld::web_tasks(const std::string& user, int tasks, int logs_each) {
    std::vector<std::string> ids;
    std::string sql;
    for (int i = 0; i < tasks; ++i) {
        const auto t = id("wt");
        const auto step = std::to_string(pick(rng, 0, 9));
        const auto& status = any_of(rng, k_statuses);
        sql += "INSERT INTO \"Task\"(id, \"userId\", title, intent, description, \"currentStep\", status) VALUES (" +
               lit(t) + ", " + lit(user) + ", " + lit("web title " + t) + ", 'web', " + lit("web description " + t) +
               ", " + step + ", " + lit(status) + ");\n";
        oracle.put("Task", t, {{"userId", user}, {"title", "web title " + t}, {"intent", std::string("web")},
                               {"description", "web description " + t}, {"currentStep", step}, {"status", status}});
        for (int j = 0; j < logs_each; ++j) {
            const auto l = id("wl");
            sql += "INSERT INTO \"TaskLog\"(id, \"taskId\", message, step) VALUES (" + lit(l) + ", " + lit(t) + ", " +
                   lit("web log " + l) + ", " + std::to_string(j) + ");\n";
            oracle.put("TaskLog", l, {{"taskId", t}, {"message", "web log " + l}, {"step", std::to_string(j)}});
        }
        ids.push_back(t);
    }
    if (!sql.empty()) db.exec(sql);
    return ids;
}

std::vector<std::string> AiflowoWorld::web_logs(const std::string& task, int count) {
    std::vector<std::string> ids;
    std::string sql;
    for (int j = 0; j < count; ++j) {
        const auto l = id("wl");
        sql += "INSERT INTO \"TaskLog\"(id, \"taskId\", message, step) VALUES (" + lit(l) + ", " + lit(task) + ", " +
               lit("web log " + l) + ", " + std::to_string(j) + ");\n";
        oracle.put("TaskLog", l, {{"taskId", task}, {"message", "web log " + l}, {"step", std::to_string(j)}});
        ids.push_back(l);
    }
    if (!sql.empty()) db.exec(sql);
    return ids;
}

void AiflowoWorld::web_describe(const std::vector<std::string>& among, int count) {
    std::vector<std::string> alive;
    for (const auto& t : among)
        if (oracle.alive("Task", t)) alive.push_back(t);
    if (alive.empty()) return;
    std::string sql;
    for (int i = 0; i < count; ++i) {
        const auto& t = any_of(rng, alive);
        const auto d = "web edit " + id("wd");
        sql += "UPDATE \"Task\" SET description = " + lit(d) + " WHERE id = " + lit(t) + ";\n";
        oracle.put("Task", t, {{"description", d}});
    }
    db.exec(sql);
}

void AiflowoWorld::web_count_tools(int count) {
    std::string sql;
    for (int i = 0; i < count; ++i) {
        const auto& tool = any_of(rng, m_tools);
        const int d = pick(rng, 1, 5);
        sql += "UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + " + std::to_string(d) + " WHERE id = " + lit(tool) +
               ";\n";
        oracle.add("Tool", tool, "usageCount", d);
    }
    if (!sql.empty()) db.exec(sql);
}

std::string AiflowoWorld::dev_user(Store& s) {
    const auto u = id("du");
    const auto email = u + "@device.example";
    s.execute("INSERT INTO \"User\"(id, email) VALUES (?, ?)", {u, email});
    oracle.put("User", u, {{"email", email}});
    return u;
}

std::string AiflowoWorld::dev_task(Store& s, const std::string& user) {
    const auto t = id("dt");
    const auto step = pick(rng, 0, 9);
    const auto& status = any_of(rng, k_statuses);
    s.execute("INSERT INTO \"Task\"(id, \"userId\", title, intent, description, \"currentStep\", status) "
              "VALUES (?, ?, ?, 'device', ?, ?, ?)",
              {t, user, "device title " + t, "device description " + t, step, status});
    oracle.put("Task", t, {{"userId", user}, {"title", "device title " + t}, {"intent", std::string("device")},
                           {"description", "device description " + t}, {"currentStep", std::to_string(step)},
                           {"status", status}});
    return t;
}

std::string AiflowoWorld::dev_log(Store& s, const std::string& task) {
    const auto l = id("dl");
    const auto step = pick(rng, 0, 99);
    s.execute("INSERT INTO \"TaskLog\"(id, \"taskId\", message, step) VALUES (?, ?, ?, ?)",
              {l, task, "device log " + l, step});
    oracle.put("TaskLog", l, {{"taskId", task}, {"message", "device log " + l}, {"step", std::to_string(step)}});
    return l;
}

void AiflowoWorld::dev_update_task(Store& s, const std::string& task) {
    std::vector<std::string> cols = {"title", "intent", "currentStep", "status"};
    std::shuffle(cols.begin(), cols.end(), rng);
    cols.resize(static_cast<std::size_t>(pick(rng, 1, 3)));
    std::string sets;
    std::vector<Value> params;
    Vals vals;
    for (const auto& c : cols) {
        sets += (sets.empty() ? "" : ", ") + std::string("\"") + c + "\" = ?";
        if (c == "currentStep") {
            const int v = pick(rng, 10, 100000);
            params.emplace_back(v);
            vals[c] = std::to_string(v);
        } else if (c == "status") {
            const auto& v = any_of(rng, k_statuses);
            params.emplace_back(v);
            vals[c] = v;
        } else {
            const auto v = c + " " + id("du");
            params.emplace_back(v);
            vals[c] = v;
        }
    }
    params.emplace_back(task);
    s.execute("UPDATE \"Task\" SET " + sets + " WHERE id = ?", params);
    oracle.put("Task", task, vals);
}

void AiflowoWorld::dev_update_log(Store& s, const std::string& log) {
    const auto m = "edited " + id("dm");
    s.execute("UPDATE \"TaskLog\" SET message = ? WHERE id = ?", {m, log});
    oracle.put("TaskLog", log, {{"message", m}});
}

void AiflowoWorld::dev_delete_task(Store& s, const std::string& task) {
    s.execute("DELETE FROM \"Task\" WHERE id = ?", {task});
    for (const auto& l : oracle.where("TaskLog", "taskId", task)) oracle.erase("TaskLog", l);
    oracle.erase("Task", task);
}

void AiflowoWorld::dev_count_tool(Store& s, const std::string& tool, int delta) {
    s.execute("UPDATE \"Tool\" SET \"usageCount\" = \"usageCount\" + ? WHERE id = ?", {delta, tool});
    oracle.add("Tool", tool, "usageCount", delta);
}

void AiflowoWorld::dev_mix(Store& s, const std::string& user, std::vector<std::string>& known, int ops) {
    for (int i = 0; i < ops; ++i) {
        known.erase(std::remove_if(known.begin(), known.end(), [&](const std::string& t) { return !oracle.alive("Task", t); }),
                    known.end());
        const int what = pick(rng, 0, 99);
        if (what < 25 || known.empty()) {
            const auto t = dev_task(s, user);
            known.push_back(t);
            for (int j = pick(rng, 0, 2); j > 0; --j) dev_log(s, t);
        } else if (what < 40) {
            dev_log(s, any_of(rng, known));
        } else if (what < 70) {
            dev_update_task(s, any_of(rng, known));
        } else if (what < 78) {
            auto logs = oracle.where("TaskLog", "taskId", any_of(rng, known));
            if (!logs.empty()) dev_update_log(s, any_of(rng, logs));
        } else if (what < 88) {
            dev_delete_task(s, any_of(rng, known));
        } else {
            dev_count_tool(s, any_of(rng, m_tools), pick(rng, 1, 4));
        }
    }
}

void AiflowoWorld::dev_bulk(Store& s, const std::string& user, int tasks, int logs, int updates, int deletes,
                            int counters) {
    const std::string tp = id("bt") + "_", lp = id("bl") + "_";
    s.execute("WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ?3) "
              "INSERT INTO \"Task\"(id, \"userId\", title, intent, \"currentStep\", status) "
              "SELECT ?1 || k, ?2, 'bulk title ' || k, 'bulk', k % 10, 'PENDING' FROM n",
              {tp, user, tasks});
    std::vector<std::string> ids;
    for (int k = 0; k < tasks; ++k) {
        ids.push_back(tp + std::to_string(k));
        oracle.put("Task", ids.back(), {{"userId", user}, {"title", "bulk title " + std::to_string(k)},
                                         {"intent", std::string("bulk")}, {"description", std::nullopt},
                                         {"currentStep", std::to_string(k % 10)}, {"status", std::string("PENDING")}});
    }
    if (logs > 0 && tasks > 0) {
        s.execute("WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ?3) "
                  "INSERT INTO \"TaskLog\"(id, \"taskId\", message, step) "
                  "SELECT ?1 || k, ?2 || (k % ?4), 'bulk log ' || k, k FROM n",
                  {lp, tp, logs, tasks});
        for (int k = 0; k < logs; ++k)
            oracle.put("TaskLog", lp + std::to_string(k),
                       {{"taskId", tp + std::to_string(k % tasks)}, {"message", "bulk log " + std::to_string(k)},
                        {"step", std::to_string(k)}});
    }
    for (int i = 0; i < updates && !ids.empty(); ++i) {
        const auto& t = any_of(rng, ids);
        if (oracle.alive("Task", t)) dev_update_task(s, t);
    }
    for (int i = 0; i < deletes && !ids.empty(); ++i) {
        const auto& t = any_of(rng, ids);
        if (oracle.alive("Task", t)) dev_delete_task(s, t);
    }
    for (int i = 0; i < counters; ++i) dev_count_tool(s, any_of(rng, m_tools), pick(rng, 1, 3));
}

// ---- devlog -----------------------------------------------------------------------------------

DevlogWorld::DevlogWorld(std::uint64_t s) : rng(s), m_tag(hex_tag(s)) {
    ferry::server::install_app_schema(db.conninfo(), "devlog");
    oracle.table("projects", "id", {"name", "fullName", "repoUrl", "description"});
    oracle.table("devlog_entries", "id", {"key_field", "title", "description", "project_id", "status"});
    oracle.table("devlog_notes", "id", {"devlog_id", "category", "content"});
}

void DevlogWorld::claim(const std::string& table, const std::string& key) {
    if (oracle.tables().at(table).rows.count(key)) collisions.push_back(table + " " + key);
}

std::string DevlogWorld::dev_project(Store& s) {
    const auto n = m_tag + "-" + std::to_string(m_serial++);
    const auto full = "owner/repo-" + n, url = "https://git.example/owner/repo-" + n;
    s.execute("INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\", description) "
              "VALUES (?, ?, ?, 'owner', ?, ?)",
              {"repo-" + n, full, url, "repo-" + n, "project " + n});
    const auto key = s.query_value("SELECT id FROM projects WHERE \"fullName\" = ?", {full})->to_string();
    claim("projects", key);
    oracle.put("projects", key, {{"name", "repo-" + n}, {"fullName", full}, {"repoUrl", url}, {"description", "project " + n}});
    return key;
}

std::string DevlogWorld::dev_entry(Store& s, const std::string& project) {
    const auto n = m_tag + "-" + std::to_string(m_serial++);
    s.execute("INSERT INTO devlog_entries(key_field, title, description, project_id) VALUES (?, ?, ?, ?)",
              {"K-" + n, "entry " + n, "about " + n, static_cast<std::int64_t>(std::stoll(project))});
    const auto key = s.query_value("SELECT id FROM devlog_entries WHERE key_field = ?", {"K-" + n})->to_string();
    claim("devlog_entries", key);
    oracle.put("devlog_entries", key, {{"key_field", "K-" + n}, {"title", "entry " + n}, {"description", "about " + n},
                                       {"project_id", project}, {"status", std::string("new")}});
    return key;
}

std::string DevlogWorld::dev_note(Store& s, const std::string& entry) {
    const auto id = Store::new_id("uuid");
    const auto content = "note " + std::to_string(m_serial++);
    s.execute("INSERT INTO devlog_notes(id, devlog_id, timestamp, category, content) VALUES (?, ?, ?, 'progress', ?)",
              {id, static_cast<std::int64_t>(std::stoll(entry)), Store::now_timestamp(), content});
    oracle.put("devlog_notes", id, {{"devlog_id", entry}, {"category", std::string("progress")}, {"content", content}});
    return id;
}

void DevlogWorld::dev_update_entry(Store& s, const std::string& entry) {
    const auto title = "edited " + std::to_string(m_serial++);
    const std::string status = pick(rng, 0, 1) ? "in-progress" : "done";
    s.execute("UPDATE devlog_entries SET title = ?, status = ? WHERE id = ?", {title, status, static_cast<std::int64_t>(std::stoll(entry))});
    oracle.put("devlog_entries", entry, {{"title", title}, {"status", status}});
}

void DevlogWorld::dev_delete_entry(Store& s, const std::string& entry) {
    s.execute("DELETE FROM devlog_entries WHERE id = ?", {static_cast<std::int64_t>(std::stoll(entry))});
    for (const auto& n : oracle.where("devlog_notes", "devlog_id", entry)) oracle.erase("devlog_notes", n);
    oracle.erase("devlog_entries", entry);
}

void DevlogWorld::dev_mix(Store& s, std::vector<std::string>& projects, std::vector<std::string>& entries, int ops) {
    for (int i = 0; i < ops; ++i) {
        entries.erase(std::remove_if(entries.begin(), entries.end(),
                                     [&](const std::string& e) { return !oracle.alive("devlog_entries", e); }),
                      entries.end());
        const int what = pick(rng, 0, 99);
        if (projects.empty() || what < 10) {
            projects.push_back(dev_project(s));
        } else if (entries.empty() || what < 40) {
            entries.push_back(dev_entry(s, any_of(rng, projects)));
        } else if (what < 70) {
            dev_note(s, any_of(rng, entries));
        } else if (what < 90) {
            dev_update_entry(s, any_of(rng, entries));
        } else {
            dev_delete_entry(s, any_of(rng, entries));
        }
    }
}

}  // namespace ferry::fault
