// sync/protocol/codec.cpp: the JSON shapes of protocol version 2 (docs/protocol.md). The layout
// is chosen for speed and cannot change cheaply later: rows travel grouped per table, column
// names once per table per message and each row an array; a pushed column's clock is sent only
// when it differs from its change's clock.
#include "sync/protocol/codec.hpp"

#include <set>
#include <tuple>

#include "ferry/error.hpp"

namespace ferry::protocol {
namespace {

/// Where a decode is: the message's error prefix and the path of the field being read.
struct Ctx {
    std::string prefix;
    [[noreturn]] void fail(const std::string& what) const {
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, prefix + what);
    }
};

Ctx request_ctx() { return {"bad request: "}; }
Ctx answer_ctx(const char* endpoint) { return {std::string("the server's ") + endpoint + " answer is malformed: "}; }

std::string at(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }
std::string quoted(const std::string& path) { return "'" + path + "'"; }

/// A member, or nullptr when absent (a JSON null counts as absent).
json* member(json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
}

void require_object(const Ctx& c, const json& j, const std::string& path) {
    if (!j.is_object()) c.fail(path.empty() ? "the message must be a JSON object" : quoted(path) + " must be an object");
}

json& required(const Ctx& c, json& obj, const char* key, const std::string& path, const char* type) {
    json* v = member(obj, key);
    if (!v) c.fail(quoted(at(path, key)) + " (" + type + ") is required");
    return *v;
}

std::string string_of(const Ctx& c, json& v, const std::string& path) {
    if (!v.is_string()) c.fail(quoted(path) + " must be a string");
    return std::move(v.get_ref<std::string&>());
}

std::string required_string(const Ctx& c, json& obj, const char* key, const std::string& path = "") {
    json& v = required(c, obj, key, path, "string");
    if (!v.is_string()) c.fail(quoted(at(path, key)) + " (string) is required");
    return std::move(v.get_ref<std::string&>());
}

std::string optional_string(const Ctx& c, json& obj, const char* key, const std::string& path = "") {
    json* v = member(obj, key);
    return v ? string_of(c, *v, at(path, key)) : std::string();
}

std::int64_t integer_of(const Ctx& c, const json& v, const std::string& path, std::int64_t min, std::int64_t max) {
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX))
        c.fail(quoted(path) + " must be an integer");
    const auto n = v.get<std::int64_t>();
    if (n < min || n > max)
        c.fail(quoted(path) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
}

std::int64_t required_int(const Ctx& c, json& obj, const char* key, std::int64_t min = INT64_MIN,
                          std::int64_t max = INT64_MAX, const std::string& path = "") {
    json& v = required(c, obj, key, path, "integer");
    if (!v.is_number_integer()) c.fail(quoted(at(path, key)) + " (integer) is required");
    return integer_of(c, v, at(path, key), min, max);
}

bool optional_bool(const Ctx& c, json& obj, const char* key) {
    json* v = member(obj, key);
    if (!v) return false;
    if (!v->is_boolean()) c.fail(quoted(key) + " must be true or false");
    return v->get<bool>();
}

json& array_of(const Ctx& c, json& v, const std::string& path) {
    if (!v.is_array()) c.fail(quoted(path) + " must be an array");
    return v;
}

json& required_array(const Ctx& c, json& obj, const char* key, const std::string& path = "") {
    json& v = required(c, obj, key, path, "array");
    if (!v.is_array()) c.fail(quoted(at(path, key)) + " (array) is required");
    return v;
}

json key_of(const Ctx& c, json& v, const std::string& path) {
    if (!v.is_array() || v.empty()) c.fail(quoted(path) + " must be a key: an array of its key values");
    return std::move(v);
}

/// A missing "v" is version 1: the unversioned shape of earlier releases.
void check_version(const Ctx& c, const json& j, const char* self, const char* other) {
    if (!j.is_object()) c.fail("the message must be a JSON object");
    std::int64_t v = 1;
    auto it = j.find("v");
    if (it != j.end()) {
        if (!it->is_number_integer()) c.fail("'v' (the protocol version) must be an integer");
        v = it->get<std::int64_t>();
    }
    if (v != k_protocol_version)
        throw Error(ErrorDomain::ferry, ErrorCode::protocol,
                    std::string(self) + " speaks protocol version " + std::to_string(k_protocol_version) + "; " + other +
                        " is version " + std::to_string(v) + ": upgrade the older side");
}

void check_request_version(const json& j) { check_version(request_ctx(), j, "this server", "this request"); }
void check_answer_version(const json& j, const char* endpoint) { check_version(answer_ctx(endpoint), j, "this device", "the server's answer"); }

/// 1-64 characters of [0-9A-Za-z_-]; "server" names writers outside Ferry.
std::string site_of(const Ctx& c, json& obj) {
    std::string site = required_string(c, obj, "site");
    bool ok = !site.empty() && site.size() <= 64;
    for (char ch : site)
        ok = ok && ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '-');
    if (!ok) c.fail("'site' must be 1-64 characters of [0-9A-Za-z_-]");
    if (site == "server") c.fail("'server' is reserved for writers outside Ferry");
    return site;
}

/// "XID:ID", each 1-20 digits (a change-log position as a pull answers it).
bool is_position(const std::string& s) {
    const auto colon = s.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 20 || s.size() - colon - 1 < 1 || s.size() - colon - 1 > 20)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != colon && (s[i] < '0' || s[i] > '9')) return false;
    return true;
}

json header() { return json{{"v", k_protocol_version}}; }

void put_app_site(json& out, const std::string& app, const std::string& site) {
    if (!app.empty()) out["app"] = app;
    out["site"] = site;
}

// --- clocks -----------------------------------------------------------------------------------

void put_clocks(json& out, const Clocks& c) {
    out["server_hlc"] = c.server_hlc;
    out["max_hlc"] = c.max_hlc;
    out["max_skew_ms"] = c.max_skew_ms;
}

Clocks clocks_of(const Ctx& c, json& j) {
    Clocks out;
    out.server_hlc = required_int(c, j, "server_hlc");
    out.max_hlc = required_int(c, j, "max_hlc");
    out.max_skew_ms = required_int(c, j, "max_skew_ms", 0);
    return out;
}

// --- changes ----------------------------------------------------------------------------------

std::map<std::string, std::int64_t> int_map_of(const Ctx& c, json& v, const std::string& path) {
    if (!v.is_object()) c.fail(quoted(path) + " must be an object of integers");
    std::map<std::string, std::int64_t> out;
    for (auto it = v.begin(); it != v.end(); ++it) out.emplace(it.key(), integer_of(c, it.value(), at(path, it.key()), INT64_MIN, INT64_MAX));
    return out;
}

json int_map_json(const std::map<std::string, std::int64_t>& m) {
    json out = json::object();
    for (const auto& [k, v] : m) out[k] = v;
    return out;
}

/// One change object (wire or record): a column without a clock of its own has the change's.
Change change_of(const Ctx& c, json& j, const std::string& path, std::string table) {
    require_object(c, j, path);
    Change ch;
    ch.table = std::move(table);
    ch.pk = key_of(c, required(c, j, "pk", path, "array"), at(path, "pk"));
    ch.op = static_cast<int>(required_int(c, j, "op", 1, 3, path));
    ch.hlc = required_int(c, j, "hlc", INT64_MIN, INT64_MAX, path);
    if (json* vals = member(j, "vals")) {
        if (!vals->is_object()) c.fail(quoted(at(path, "vals")) + " must be an object of column values");
        ch.vals = std::move(*vals);
    }
    std::map<std::string, std::int64_t> clocks;
    if (json* v = member(j, "clocks")) clocks = int_map_of(c, *v, at(path, "clocks"));
    for (auto it = ch.vals.begin(); it != ch.vals.end(); ++it) {
        auto own = clocks.find(it.key());
        ch.clocks.emplace(it.key(), own == clocks.end() ? ch.hlc : own->second);
    }
    if (json* d = member(j, "deltas")) ch.deltas = int_map_of(c, *d, at(path, "deltas"));
    return ch;
}

json change_json(const Change& ch) {
    json out = {{"pk", ch.pk}, {"op", ch.op}, {"hlc", ch.hlc}};
    if (!ch.vals.empty()) out["vals"] = ch.vals;
    json clocks = json::object();
    for (const auto& [col, h] : ch.clocks)
        if (h != ch.hlc) clocks[col] = h;
    if (!clocks.empty()) out["clocks"] = std::move(clocks);
    if (!ch.deltas.empty()) out["deltas"] = int_map_json(ch.deltas);
    return out;
}

// --- rows -------------------------------------------------------------------------------------

json table_rows_json(const TableRows& t) {
    json out = {{"t", t.table}};
    if (!t.rows.empty()) {
        out["cols"] = t.cols;
        out["rows"] = t.rows;
    }
    if (!t.gone.empty()) out["gone"] = t.gone;
    return out;
}

TableRows table_rows_of(const Ctx& c, json& j, const std::string& path) {
    require_object(c, j, path);
    TableRows out;
    out.table = required_string(c, j, "t", path);
    if (json* cols = member(j, "cols")) {
        std::set<std::string> seen;
        std::size_t i = 0;
        for (auto& col : array_of(c, *cols, at(path, "cols"))) {
            out.cols.push_back(string_of(c, col, at(at(path, "cols"), i++)));
            if (!seen.insert(out.cols.back()).second) c.fail(quoted(at(path, "cols")) + " names column " + out.cols.back() + " twice");
        }
    }
    if (json* rows = member(j, "rows")) {
        array_of(c, *rows, at(path, "rows"));
        if (!rows->empty() && !member(j, "cols")) c.fail(quoted(at(path, "cols")) + " (array) is required with rows");
        out.rows.reserve(rows->size());
        for (std::size_t i = 0; i < rows->size(); ++i) {
            json& row = (*rows)[i];
            if (!row.is_array() || row.size() != out.cols.size())
                c.fail(quoted(at(at(path, "rows"), i)) + " must be an array of " + std::to_string(out.cols.size()) +
                       " values, one per column of 'cols'");
            out.rows.push_back(std::move(row));
        }
    }
    if (json* gone = member(j, "gone")) {
        array_of(c, *gone, at(path, "gone"));
        out.gone.reserve(gone->size());
        for (std::size_t i = 0; i < gone->size(); ++i) out.gone.push_back(key_of(c, (*gone)[i], at(at(path, "gone"), i)));
    }
    return out;
}

json tables_json(const std::vector<TableRows>& tables) {
    json out = json::array();
    for (const auto& t : tables) out.push_back(table_rows_json(t));
    return out;
}

std::vector<TableRows> tables_of(const Ctx& c, json& j) {
    json& tables = required_array(c, j, "tables");
    std::vector<TableRows> out;
    out.reserve(tables.size());
    for (std::size_t i = 0; i < tables.size(); ++i) out.push_back(table_rows_of(c, tables[i], at("tables", i)));
    return out;
}

// --- results, snapshots -----------------------------------------------------------------------

json result_json(const PushResult& r) {
    json out = {{"status", r.status}};
    if (!r.code.empty()) out["code"] = r.code;
    if (!r.reason.empty()) out["reason"] = r.reason;
    if (!r.lost.empty()) out["lost"] = r.lost;
    if (!r.winner_site.empty()) out["winner"] = {{"site", r.winner_site}, {"hlc", r.winner_hlc}};
    return out;
}

PushResult result_of(const Ctx& c, json& j, const std::string& path) {
    require_object(c, j, path);
    PushResult r;
    r.status = required_string(c, j, "status", path);
    if (r.status != "applied" && r.status != "superseded" && r.status != "rejected")
        c.fail(quoted(at(path, "status")) + " must be applied, superseded or rejected, not '" + r.status + "'");
    r.code = optional_string(c, j, "code", path);
    r.reason = optional_string(c, j, "reason", path);
    if (json* lost = member(j, "lost")) {
        array_of(c, *lost, at(path, "lost"));
        for (std::size_t i = 0; i < lost->size(); ++i) r.lost.push_back(string_of(c, (*lost)[i], at(at(path, "lost"), i)));
    }
    if (json* winner = member(j, "winner")) {
        const std::string w = at(path, "winner");
        require_object(c, *winner, w);
        r.winner_site = required_string(c, *winner, "site", w);
        r.winner_hlc = required_int(c, *winner, "hlc", 0, INT64_MAX, w);
    }
    return r;
}

json snapshot_json(const SnapshotState& s) {
    json out = json::object();
    if (!s.cursor.empty()) out["cursor"] = s.cursor;
    if (!s.table.empty()) out["table"] = s.table;
    if (!s.after.is_null()) out["after"] = s.after;
    return out;
}

SnapshotState snapshot_of(const Ctx& c, json& j, const std::string& path) {
    if (!j.is_object()) c.fail(quoted(path) + " must be an object as returned by the previous snapshot page");
    SnapshotState s;
    s.cursor = optional_string(c, j, "cursor", path);
    if (!s.cursor.empty() && !is_position(s.cursor)) c.fail("bad snapshot cursor " + quoted(at(path, "cursor")));
    s.table = optional_string(c, j, "table", path);
    if (json* after = member(j, "after")) s.after = key_of(c, *after, at(path, "after"));
    return s;
}

HeldBack held_back_of(const Ctx& c, json& j) {
    require_object(c, j, "held_back");
    HeldBack h;
    h.pid = required_int(c, j, "pid", INT64_MIN, INT64_MAX, "held_back");
    h.open_ms = required_int(c, j, "open_ms", INT64_MIN, INT64_MAX, "held_back");
    h.state = optional_string(c, j, "state", "held_back");
    h.application_name = optional_string(c, j, "application_name", "held_back");
    return h;
}

}  // namespace

// --- text -------------------------------------------------------------------------------------

json parse_request(const std::string& text) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, std::string("bad request: malformed JSON: ") + e.what());
    }
}

json parse_answer(const std::string& text, const std::string& endpoint) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(ErrorDomain::ferry, ErrorCode::protocol,
                    "the server's " + endpoint + " answer is not valid JSON: " + e.what());
    }
    if (!j.is_object())
        throw Error(ErrorDomain::ferry, ErrorCode::protocol, "the server's " + endpoint + " answer is not a JSON object");
    return j;
}

// --- push -------------------------------------------------------------------------------------

json encode(const PushRequest& m) {
    json out = header();
    put_app_site(out, m.app, m.site);
    out["seq"] = m.seq;
    // Consecutive changes of one table share a group: the order of the changes is kept exactly.
    json tables = json::array();
    for (const auto& ch : m.changes) {
        if (tables.empty() || tables.back()["t"] != ch.table) tables.push_back({{"t", ch.table}, {"changes", json::array()}});
        tables.back()["changes"].push_back(change_json(ch));
    }
    out["tables"] = std::move(tables);
    return out;
}

PushRequest decode_push_request(json j) {
    const Ctx c = request_ctx();
    check_request_version(j);
    PushRequest m;
    m.app = optional_string(c, j, "app");
    m.site = site_of(c, j);
    m.seq = required_int(c, j, "seq", 1, INT64_MAX);
    json& tables = required_array(c, j, "tables");
    std::size_t count = 0;
    for (auto& t : tables) count += t.is_object() && t.contains("changes") && t["changes"].is_array() ? t["changes"].size() : 0;
    if (count > static_cast<std::size_t>(k_max_batch))
        c.fail("a batch holds at most " + std::to_string(k_max_batch) + " changes, this one " + std::to_string(count));
    m.changes.reserve(count);
    for (std::size_t i = 0; i < tables.size(); ++i) {
        const std::string path = at("tables", i);
        require_object(c, tables[i], path);
        const std::string table = required_string(c, tables[i], "t", path);
        json& changes = required_array(c, tables[i], "changes", path);
        for (std::size_t k = 0; k < changes.size(); ++k)
            m.changes.push_back(change_of(c, changes[k], at(at(path, "changes"), k), table));
    }
    return m;
}

json encode(const PushAnswer& m) {
    json out = header();
    out["seq"] = m.seq;
    out["duplicate"] = m.duplicate;
    json results = json::array();
    for (const auto& r : m.results) results.push_back(result_json(r));
    out["results"] = std::move(results);
    out["tables"] = tables_json(m.tables);
    put_clocks(out, m.clocks);
    return out;
}

PushAnswer decode_push_answer(json j) {
    const Ctx c = answer_ctx("push");
    check_answer_version(j, "push");
    PushAnswer m;
    m.seq = required_int(c, j, "seq");
    m.duplicate = optional_bool(c, j, "duplicate");
    json& results = required_array(c, j, "results");
    m.results.reserve(results.size());
    for (std::size_t i = 0; i < results.size(); ++i) m.results.push_back(result_of(c, results[i], at("results", i)));
    m.tables = tables_of(c, j);
    m.clocks = clocks_of(c, j);
    return m;
}

// --- pull -------------------------------------------------------------------------------------

json encode(const PullRequest& m) {
    json out = header();
    put_app_site(out, m.app, m.site);
    out["cursor"] = m.cursor;
    out["limit"] = m.limit;
    if (m.acked_seq) out["acked_seq"] = *m.acked_seq;
    if (!m.fetch.empty()) {
        json fetch = json::array();
        for (const auto& f : m.fetch) fetch.push_back({{"t", f.table}, {"keys", f.keys}});
        out["fetch"] = std::move(fetch);
    }
    if (m.snapshot) out["snapshot"] = snapshot_json(*m.snapshot);
    if (m.wait_ms) out["wait_ms"] = *m.wait_ms;
    return out;
}

PullRequest decode_pull_request(json j) {
    const Ctx c = request_ctx();
    check_request_version(j);
    PullRequest m;
    m.app = optional_string(c, j, "app");
    m.site = site_of(c, j);
    m.limit = required_int(c, j, "limit", 1, k_max_page);
    m.cursor = optional_string(c, j, "cursor");
    if (!m.cursor.empty() && !is_position(m.cursor)) c.fail("'cursor' must be empty or XID:ID as returned by a pull");
    if (member(j, "acked_seq")) m.acked_seq = required_int(c, j, "acked_seq", 0, INT64_MAX);
    if (json* fetch = member(j, "fetch")) {
        array_of(c, *fetch, "fetch");
        std::size_t count = 0;
        for (std::size_t i = 0; i < fetch->size(); ++i) {
            const std::string path = at("fetch", i);
            json& f = (*fetch)[i];
            require_object(c, f, path);
            TableKeys keys;
            keys.table = required_string(c, f, "t", path);
            json& list = required_array(c, f, "keys", path);
            count += list.size();
            if (count > static_cast<std::size_t>(k_max_page))
                c.fail("'fetch' asks for more than " + std::to_string(k_max_page) + " keys");
            for (std::size_t k = 0; k < list.size(); ++k) keys.keys.push_back(key_of(c, list[k], at(at(path, "keys"), k)));
            m.fetch.push_back(std::move(keys));
        }
    }
    if (j.contains("snapshot")) m.snapshot = snapshot_of(c, j["snapshot"], "snapshot");
    if (member(j, "wait_ms")) m.wait_ms = required_int(c, j, "wait_ms", 0, k_max_wait_ms);
    return m;
}

json encode(const PullAnswer& m) {
    json out = header();
    out["cursor"] = m.cursor;
    out["more"] = m.more;
    if (m.held_back)
        out["held_back"] = {{"pid", m.held_back->pid},
                            {"open_ms", m.held_back->open_ms},
                            {"state", m.held_back->state},
                            {"application_name", m.held_back->application_name}};
    if (m.is_snapshot) out["snapshot"] = m.snapshot ? snapshot_json(*m.snapshot) : json();
    out["tables"] = tables_json(m.tables);
    put_clocks(out, m.clocks);
    return out;
}

PullAnswer decode_pull_answer(json j) {
    const Ctx c = answer_ctx("pull");
    check_answer_version(j, "pull");
    PullAnswer m;
    m.cursor = required_string(c, j, "cursor");
    m.more = optional_bool(c, j, "more");
    if (json* h = member(j, "held_back")) m.held_back = held_back_of(c, *h);
    if (j.contains("snapshot")) {
        m.is_snapshot = true;
        if (json* s = member(j, "snapshot")) m.snapshot = snapshot_of(c, *s, "snapshot");
    }
    m.tables = tables_of(c, j);
    m.clocks = clocks_of(c, j);
    return m;
}

bool is_empty_page(const json& j) {
    const auto tables = j.find("tables");
    if (tables == j.end() || !tables->is_array()) return false;
    auto holds = [](const json& t, const char* key) {
        const auto it = t.find(key);
        return it != t.end() && it->is_array() && !it->empty();
    };
    for (const auto& t : *tables)
        if (!t.is_object() || holds(t, "rows") || holds(t, "gone")) return false;
    const auto more = j.find("more");
    return more == j.end() || (more->is_boolean() && !more->get<bool>());
}

// --- lease ------------------------------------------------------------------------------------

json encode(const LeaseRequest& m) {
    json out = header();
    put_app_site(out, m.app, m.site);
    json requests = json::array();
    for (const auto& r : m.requests) requests.push_back({{"t", r.table}, {"column", r.column}, {"count", r.count}});
    out["requests"] = std::move(requests);
    return out;
}

LeaseRequest decode_lease_request(json j) {
    const Ctx c = request_ctx();
    check_request_version(j);
    LeaseRequest m;
    m.app = optional_string(c, j, "app");
    m.site = site_of(c, j);
    json& requests = required_array(c, j, "requests");
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const std::string path = at("requests", i);
        require_object(c, requests[i], path);
        LeaseAsk ask;
        ask.table = required_string(c, requests[i], "t", path);
        ask.column = required_string(c, requests[i], "column", path);
        ask.count = required_int(c, requests[i], "count", 1, k_max_lease, path);
        m.requests.push_back(std::move(ask));
    }
    return m;
}

json encode(const LeaseAnswer& m) {
    json out = header();
    json leases = json::array();
    for (const auto& l : m.leases) leases.push_back({{"t", l.table}, {"column", l.column}, {"ids", l.ids}});
    out["leases"] = std::move(leases);
    put_clocks(out, m.clocks);
    return out;
}

LeaseAnswer decode_lease_answer(json j) {
    const Ctx c = answer_ctx("lease");
    check_answer_version(j, "lease");
    LeaseAnswer m;
    json& leases = required_array(c, j, "leases");
    for (std::size_t i = 0; i < leases.size(); ++i) {
        const std::string path = at("leases", i);
        require_object(c, leases[i], path);
        Lease l;
        l.table = required_string(c, leases[i], "t", path);
        l.column = required_string(c, leases[i], "column", path);
        json& ids = required_array(c, leases[i], "ids", path);
        for (std::size_t k = 0; k < ids.size(); ++k)
            l.ids.push_back(integer_of(c, ids[k], at(at(path, "ids"), k), INT64_MIN, INT64_MAX));
        m.leases.push_back(std::move(l));
    }
    m.clocks = clocks_of(c, j);
    return m;
}

// --- records ----------------------------------------------------------------------------------

json changes_record(const std::vector<Change>& changes) {
    json out = json::array();
    for (const auto& ch : changes) {
        json r = {{"t", ch.table}, {"pk", ch.pk}, {"op", ch.op}, {"hlc", ch.hlc}};
        if (ch.op != 3 || !ch.vals.empty()) {
            r["vals"] = ch.vals;
            r["clocks"] = int_map_json(ch.clocks);
        }
        if (!ch.deltas.empty()) r["deltas"] = int_map_json(ch.deltas);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Change> changes_from_record(const json& record, const std::string& what) {
    const Ctx c{what + " is malformed: "};
    json copy = record;
    std::vector<Change> out;
    for (std::size_t i = 0; i < array_of(c, copy, "changes").size(); ++i) {
        const std::string path = at("changes", i);
        require_object(c, copy[i], path);
        std::string table = required_string(c, copy[i], "t", path);
        out.push_back(change_of(c, copy[i], path, std::move(table)));
    }
    return out;
}

json results_record(const std::vector<PushResult>& results) {
    json out = json::array();
    for (const auto& r : results) out.push_back(result_json(r));
    return out;
}

std::vector<PushResult> results_from_record(const json& record, const std::string& what) {
    const Ctx c{what + " is malformed: "};
    json copy = record;
    std::vector<PushResult> out;
    for (std::size_t i = 0; i < array_of(c, copy, "results").size(); ++i)
        out.push_back(result_of(c, copy[i], at("results", i)));
    return out;
}

json snapshot_record(const SnapshotState& s) { return snapshot_json(s); }

SnapshotState snapshot_from_record(const json& record, const std::string& what) {
    json copy = record;
    return snapshot_of(Ctx{what + " is malformed: "}, copy, "snapshot");
}

// --- equality (for tests) ---------------------------------------------------------------------

bool Clocks::operator==(const Clocks& o) const {
    return std::tie(server_hlc, max_hlc, max_skew_ms) == std::tie(o.server_hlc, o.max_hlc, o.max_skew_ms);
}
bool Change::operator==(const Change& o) const {
    return std::tie(table, pk, op, hlc, vals, clocks, deltas) == std::tie(o.table, o.pk, o.op, o.hlc, o.vals, o.clocks, o.deltas);
}
bool PushRequest::operator==(const PushRequest& o) const {
    return std::tie(app, site, seq, changes) == std::tie(o.app, o.site, o.seq, o.changes);
}
bool PushResult::operator==(const PushResult& o) const {
    return std::tie(status, code, reason, lost, winner_site, winner_hlc) ==
           std::tie(o.status, o.code, o.reason, o.lost, o.winner_site, o.winner_hlc);
}
bool TableRows::operator==(const TableRows& o) const {
    return std::tie(table, cols, rows, gone) == std::tie(o.table, o.cols, o.rows, o.gone);
}
bool PushAnswer::operator==(const PushAnswer& o) const {
    return std::tie(seq, duplicate, results, tables, clocks) == std::tie(o.seq, o.duplicate, o.results, o.tables, o.clocks);
}
bool SnapshotState::operator==(const SnapshotState& o) const {
    return std::tie(cursor, table, after) == std::tie(o.cursor, o.table, o.after);
}
bool TableKeys::operator==(const TableKeys& o) const { return std::tie(table, keys) == std::tie(o.table, o.keys); }
bool PullRequest::operator==(const PullRequest& o) const {
    return std::tie(app, site, cursor, limit, acked_seq, fetch, snapshot, wait_ms) ==
           std::tie(o.app, o.site, o.cursor, o.limit, o.acked_seq, o.fetch, o.snapshot, o.wait_ms);
}
bool HeldBack::operator==(const HeldBack& o) const {
    return std::tie(pid, open_ms, state, application_name) == std::tie(o.pid, o.open_ms, o.state, o.application_name);
}
bool PullAnswer::operator==(const PullAnswer& o) const {
    return std::tie(cursor, more, held_back, snapshot, is_snapshot, tables, clocks) ==
           std::tie(o.cursor, o.more, o.held_back, o.snapshot, o.is_snapshot, o.tables, o.clocks);
}
bool LeaseAsk::operator==(const LeaseAsk& o) const {
    return std::tie(table, column, count) == std::tie(o.table, o.column, o.count);
}
bool LeaseRequest::operator==(const LeaseRequest& o) const {
    return std::tie(app, site, requests) == std::tie(o.app, o.site, o.requests);
}
bool Lease::operator==(const Lease& o) const { return std::tie(table, column, ids) == std::tie(o.table, o.column, o.ids); }
bool LeaseAnswer::operator==(const LeaseAnswer& o) const { return std::tie(leases, clocks) == std::tie(o.leases, o.clocks); }

}  // namespace ferry::protocol
