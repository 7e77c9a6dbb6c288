// lib/store/store.cpp: opening a device store (WAL, Ferry's SQL functions, migrations) and
// running SQL on it.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "ferry/error.hpp"
#include "lib/core/ids.hpp"
#include "lib/schema/embedded_sql.hpp"
#include "lib/schema/sync_rules.hpp"
#include "lib/store/capture.hpp"
#include "lib/store/deferred_indexes.hpp"
#include "lib/store/sqlite_error.hpp"
#include "lib/store/store_impl.hpp"
#include "sync/client/id_leases.hpp"

namespace ferry {
namespace detail {
namespace {

Store::Impl& impl_of(sqlite3_context* ctx) { return *static_cast<Store::Impl*>(sqlite3_user_data(ctx)); }

void fn_uuid(sqlite3_context* ctx, int, sqlite3_value**) {
    auto id = new_uuid();
    sqlite3_result_text(ctx, id.c_str(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
}

void fn_cuid(sqlite3_context* ctx, int, sqlite3_value**) {
    auto id = new_cuid();
    sqlite3_result_text(ctx, id.c_str(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
}

void fn_now(sqlite3_context* ctx, int, sqlite3_value**) {
    auto ts = iso_timestamp(impl_of(ctx).clock.source().now_ms());
    sqlite3_result_text(ctx, ts.c_str(), static_cast<int>(ts.size()), SQLITE_TRANSIENT);
}

void fn_capturing(sqlite3_context* ctx, int, sqlite3_value**) {
    sqlite3_result_int(ctx, impl_of(ctx).applying_remote ? 0 : 1);
}

void fn_hlc(sqlite3_context* ctx, int, sqlite3_value**) {
    Store::Impl& impl = impl_of(ctx);
    try {  // no exception may cross SQLite's C frames
        impl.observe_stored_clock();
    } catch (const std::exception& e) {
        sqlite3_result_error(ctx, (std::string("reading the store's clock: ") + e.what()).c_str(), -1);
        return;
    }
    sqlite3_result_int64(ctx, impl.clock.tick());
}

/// True when two values of one column differ: another type, other bytes, or for numbers another
/// value. Text is compared byte for byte whatever the column's collation: an edit that changes
/// only the case of a NOCASE column is still an edit to sync.
bool values_differ(sqlite3_value* a, sqlite3_value* b) {
    const int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
    if (ta != tb) {
        const bool numbers = (ta == SQLITE_INTEGER || ta == SQLITE_FLOAT) && (tb == SQLITE_INTEGER || tb == SQLITE_FLOAT);
        return !numbers || sqlite3_value_double(a) != sqlite3_value_double(b);
    }
    switch (ta) {
    case SQLITE_NULL: return false;
    case SQLITE_INTEGER: return sqlite3_value_int64(a) != sqlite3_value_int64(b);
    case SQLITE_FLOAT: return sqlite3_value_double(a) != sqlite3_value_double(b);
    default: {  // text or blob; sqlite3_value_blob reads text as it is stored (no copy to terminate it)
        const void* pa = sqlite3_value_blob(a);
        const void* pb = sqlite3_value_blob(b);
        const int n = sqlite3_value_bytes(a);
        return n != sqlite3_value_bytes(b) || (n > 0 && std::memcmp(pa, pb, static_cast<std::size_t>(n)) != 0);
    }
    }
}

/// ferry_changed_columns(KEY_BITS, NEW.c0, OLD.c0, NEW.c1, OLD.c1, ...), the WHEN of the update
/// capture trigger (lib/store/capture.cpp): the mask of the columns whose value changed (bit
/// column_bit(i) for column i), or 0 when nothing changed or a key column did (KEY_BITS: the key
/// columns' bits; the key-change trigger logs those). The mask is kept for the trigger's INSERT,
/// which SQLite runs right after a true WHEN, before anything else can call this function, so the
/// comparison is made once per captured update (a trigger may not hold a subquery's result, and a
/// flattened one is evaluated twice).
void fn_changed_columns(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    Store::Impl& impl = impl_of(ctx);
    const std::int64_t key_bits = sqlite3_value_int64(argv[0]);
    std::int64_t mask = 0;
    for (int i = 1; i + 1 < argc; i += 2)
        if (values_differ(argv[i], argv[i + 1])) mask |= column_bit(static_cast<std::size_t>(i / 2));
    if (mask & key_bits) mask = 0;
    impl.changed_columns = mask != 0 ? mask : -1;
    sqlite3_result_int64(ctx, mask);
}

/// ferry_taken_changed_columns(): the mask the trigger's WHEN found, taken once.
void fn_taken_changed_columns(sqlite3_context* ctx, int, sqlite3_value**) {
    Store::Impl& impl = impl_of(ctx);
    if (impl.changed_columns < 0) {
        sqlite3_result_error(ctx, "ferry_taken_changed_columns() runs only in the update capture trigger, after "
                                  "ferry_changed_columns() found a change", -1);
        return;
    }
    sqlite3_result_int64(ctx, impl.changed_columns);
    impl.changed_columns = -1;
}

void register_functions(Store::Impl& impl) {
    struct Fn {
        const char* name;
        int args;  // -1: any number
        void (*fn)(sqlite3_context*, int, sqlite3_value**);
    };
    const Fn fns[] = {{"ferry_uuid", 0, fn_uuid},
                      {"ferry_cuid", 0, fn_cuid},
                      {"ferry_now", 0, fn_now},
                      {"ferry_capturing", 0, fn_capturing},
                      {"ferry_hlc", 0, fn_hlc},
                      {"ferry_next_id", 1, sql_next_id},
                      {"ferry_changed_columns", -1, fn_changed_columns},
                      {"ferry_taken_changed_columns", 0, fn_taken_changed_columns}};
    for (const auto& f : fns) {
        int rc = sqlite3_create_function_v2(impl.handle(), f.name, f.args, SQLITE_UTF8, &impl, f.fn, nullptr, nullptr,
                                            nullptr);
        if (rc != SQLITE_OK) throw_sqlite(impl.handle(), std::string("registering ") + f.name);
    }
}

/// Binds without a copy (SQLITE_STATIC): `params` outlive every use of the binding, because the
/// statement is reset and its bindings cleared (StatementCache::release) or it is finalized before
/// execute or query returns to the caller that owns them.
void bind_params(sqlite3* db, sqlite3_stmt* st, const std::vector<Value>& params, const std::string& sql) {
    const int expected = sqlite3_bind_parameter_count(st);
    if (static_cast<int>(params.size()) != expected)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "the statement takes " + std::to_string(expected) + " parameter(s) but " +
                        std::to_string(params.size()) + " were given (running: " + sql + ")");
    for (std::size_t i = 0; i < params.size(); ++i) {
        const int idx = static_cast<int>(i + 1);
        const Value& v = params[i];
        int rc = SQLITE_OK;
        switch (v.type()) {
        case Value::Type::null: rc = sqlite3_bind_null(st, idx); break;
        case Value::Type::integer: rc = sqlite3_bind_int64(st, idx, v.as_int()); break;
        case Value::Type::real: rc = sqlite3_bind_double(st, idx, v.as_real()); break;
        case Value::Type::text:
            rc = sqlite3_bind_text64(st, idx, v.as_text().data(), v.as_text().size(), SQLITE_STATIC, SQLITE_UTF8);
            break;
        case Value::Type::blob: {
            // An empty vector's data() may be null, which SQLite would bind as NULL.
            static const std::uint8_t empty = 0;
            const auto& b = v.as_blob();
            rc = sqlite3_bind_blob64(st, idx, b.empty() ? &empty : b.data(), b.size(), SQLITE_STATIC);
            break;
        }
        }
        if (rc != SQLITE_OK) throw_sqlite(db, "binding parameter " + std::to_string(idx) + " of: " + sql);
    }
}

Value column_value(sqlite3_stmt* st, int i) {
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return Value(static_cast<std::int64_t>(sqlite3_column_int64(st, i)));
    case SQLITE_FLOAT: return Value(sqlite3_column_double(st, i));
    case SQLITE_TEXT: {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        return Value(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))));
    }
    case SQLITE_BLOB: {
        auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, i));
        return Value(Blob(p, p + sqlite3_column_bytes(st, i)));
    }
    default: return Value();
    }
}

std::string base64(const Blob& data) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        unsigned n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += t[n >> 18];
        out += t[(n >> 12) & 63];
        out += t[(n >> 6) & 63];
        out += t[n & 63];
    }
    if (i + 1 == data.size()) {
        unsigned n = data[i] << 16;
        out += t[n >> 18];
        out += t[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == data.size()) {
        unsigned n = (data[i] << 16) | (data[i + 1] << 8);
        out += t[n >> 18];
        out += t[(n >> 12) & 63];
        out += t[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

bool table_exists(Store::Impl& impl, const std::string& name) {
    return !impl.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", {name}).rows.empty();
}

int recorded_version(Store::Impl& impl, const std::string& scope) {
    auto r = impl.query("SELECT coalesce(max(version), 0) FROM ferry_migrations WHERE scope=?", {scope});
    return static_cast<int>(r.rows[0][0].as_int());
}

/// Applies the pending migrations of one scope, each in its own IMMEDIATE transaction. The
/// version is read again inside the transaction, so two processes opening one new file at once
/// apply each migration exactly once. Returns true when anything was applied.
bool migrate_scope(Store::Impl& impl, const std::string& scope) {
    const auto all = migrations(scope, Side::sqlite);
    const int latest = all.empty() ? 0 : all.back().version;
    bool applied_any = false;
    for (const auto& m : all) {
        if (table_exists(impl, "ferry_migrations") && recorded_version(impl, scope) >= m.version) continue;
        impl.exec("BEGIN IMMEDIATE");
        try {
            if (!table_exists(impl, "ferry_migrations") || recorded_version(impl, scope) < m.version) {
                impl.exec(m.sql);
                impl.execute("INSERT INTO ferry_migrations(scope, version, name, applied_at) VALUES (?,?,?,?)",
                             {scope, m.version, m.name, Store::now_timestamp()});
                applied_any = true;
            }
            impl.exec("COMMIT");
        } catch (const Error& e) {
            impl.exec("ROLLBACK");
            throw Error(ErrorDomain::ferry, ErrorCode::migration_failed,
                        "migration " + scope + "/sqlite/" + m.name + " failed and was rolled back: " + e.what());
        }
    }
    const int have = recorded_version(impl, scope);
    if (have > latest)
        throw Error(ErrorDomain::ferry, ErrorCode::schema_too_new,
                    impl.path + ": its '" + scope + "' schema is at version " + std::to_string(have) +
                        " but this build of Ferry knows only up to " + std::to_string(latest) +
                        "; open it with a newer Ferry");
    return applied_any;
}

/// Switches the file to WAL (a persistent property of the file, so usually already done).
/// SQLite does not call the busy handler for this switch, which needs the file to itself: when
/// another connection is creating the same store at this moment, retry until the busy timeout.
void enable_wal(Store::Impl& impl, int busy_timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(busy_timeout_ms, 0));
    for (;;) {
        const int rc = sqlite3_exec(impl.handle(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) return;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) break;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    impl.exec("PRAGMA journal_mode=WAL");  // once more, so the error is reported the usual way
}

/// Authorizer: refuses to set recursive_triggers on an open store. Turned off, the rows a
/// REPLACE deletes would leave the change log silently; this way the write fails loudly instead
/// (SQLite reports "not authorized").
int refuse_capture_pragmas(void*, int action, const char* name, const char* value, const char*, const char*) {
    if (action == SQLITE_PRAGMA && value && name && sqlite3_stricmp(name, "recursive_triggers") == 0) return SQLITE_DENY;
    return SQLITE_OK;
}

Error wrong_app(const std::string& path, const std::string& stored, const std::string& wanted) {
    return Error(ErrorDomain::ferry, ErrorCode::wrong_app,
                 path + " is a store of app '" + stored + "', not '" + wanted + "'");
}

void check_file_is_store(Store::Impl& impl, const std::string& app) {
    // Reading the schema is the first access to the file: a file that is not a database fails here.
    auto objects = impl.query("SELECT count(*) FROM sqlite_master", {});
    const bool has_meta = table_exists(impl, "ferry_meta");
    if (!has_meta) {
        if (objects.rows[0][0].as_int() > 0)
            throw Error(ErrorDomain::ferry, ErrorCode::not_a_store,
                        impl.path + " is a SQLite database but not a Ferry store (it has tables but no ferry_meta); "
                                    "Ferry will not modify it");
        if (app.empty())
            throw Error(ErrorDomain::ferry, ErrorCode::not_a_store,
                        impl.path + " is empty: create the store with an app name (ferry init --app APP)");
        return;
    }
    auto stored = impl.meta("app");
    if (!stored) {
        // Another connection is creating this store right now (its first migration committed,
        // its app not yet recorded), or a creation was interrupted. Opening with an app name
        // finishes the creation; open_impl checks the recorded app again once it is written.
        if (!app.empty()) return;
        throw Error(ErrorDomain::ferry, ErrorCode::not_a_store,
                    impl.path + " has ferry_meta but no app recorded (its creation did not finish); "
                                "open it with an app name (ferry init --app APP) to finish it");
    }
    if (!app.empty() && *stored != app) throw wrong_app(impl.path, *stored, app);
}

}  // namespace

void with_remote_apply(Store::Impl& impl, const std::function<void()>& body) {
    const bool before = impl.applying_remote;
    impl.applying_remote = true;
    try {
        body();
    } catch (...) {
        impl.applying_remote = before;
        throw;
    }
    impl.applying_remote = before;
}

}  // namespace detail

using namespace detail;

Store::Impl::Impl(const std::string& p, int flags) : path(p), db(p, flags) {}

void Store::Impl::exec(const std::string& sql) {
    try {
        db.exec(sql);
    } catch (const SQLite::Exception& e) {
        throw sqlite_error(e, "running: " + sql);
    }
}

namespace detail {
void StatementCache::Finalize::operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }

StatementCache::StatementPtr StatementCache::prepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
        SQLITE_OK)
        throw_sqlite(db, "running: " + sql);
    return StatementPtr(raw);
}

StatementCache::Entry* StatementCache::acquire(sqlite3* db, const std::string& sql) {
    auto it = m_entries.find(sql);
    if (it != m_entries.end()) {
        if (it->second.busy) return nullptr;
        m_order.splice(m_order.begin(), m_order, it->second.position);
        it->second.busy = true;
        return &it->second;
    }
    StatementPtr statement = prepare(db, sql);  // throws before anything is cached
    if (m_entries.size() >= m_capacity) {
        for (auto victim = m_order.end(); victim != m_order.begin();) {
            --victim;
            auto e = m_entries.find(*victim);
            if (e->second.busy) continue;
            m_entries.erase(e);
            m_order.erase(victim);
            break;
        }
    }
    m_order.push_front(sql);
    Entry& entry = m_entries[sql];
    entry.statement = std::move(statement);
    entry.position = m_order.begin();
    entry.busy = true;
    return &entry;
}

void StatementCache::release(Entry& entry) noexcept {
    if (sqlite3_stmt* st = entry.statement.get()) {
        sqlite3_reset(st);  // an error here repeats the one the use already reported
        sqlite3_clear_bindings(st);  // frees copies of large bound values now
    }
    entry.busy = false;
}
}  // namespace detail

namespace {
/// Steps `st` to its end, calling on_row for each row; SQLite errors are thrown with `sql` named.
template <class F>
void run_statement(sqlite3* db, sqlite3_stmt* st, const std::string& sql, F&& on_row) {
    for (;;) {
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            on_row();
            continue;
        }
        if (rc == SQLITE_DONE) return;
        throw_sqlite(db, "running: " + sql);
    }
}
}  // namespace

std::int64_t Store::Impl::execute(const std::string& sql, const std::vector<Value>& params) {
    sqlite3* conn = handle();
    return statements.with(conn, sql, [&](sqlite3_stmt* st) -> std::int64_t {
        if (!st) return 0;  // only whitespace or comments
        bind_params(conn, st, params, sql);
        run_statement(conn, st, sql, [] {});
        return sqlite3_changes64(conn);
    });
}

QueryResult Store::Impl::query(const std::string& sql, const std::vector<Value>& params) {
    sqlite3* conn = handle();
    return statements.with(conn, sql, [&](sqlite3_stmt* st) {
        QueryResult r;
        if (!st) return r;
        bind_params(conn, st, params, sql);
        int n = -1;
        run_statement(conn, st, sql, [&] {
            if (n < 0) n = sqlite3_column_count(st);
            Row row;
            row.reserve(static_cast<std::size_t>(n));
            for (int i = 0; i < n; ++i) row.push_back(column_value(st, i));
            r.rows.push_back(std::move(row));
        });
        // Read after the first step: a schema change since the statement was cached is in it now.
        n = sqlite3_column_count(st);
        for (int i = 0; i < n; ++i) r.columns.emplace_back(sqlite3_column_name(st, i));
        return r;
    });
}

Store::Impl::TransactionLevel Store::Impl::begin_level() {
    TransactionLevel level{"ferry_tx_" + std::to_string(transaction_depth),
                           transaction_depth == 0 && sqlite3_get_autocommit(handle())};
    exec(level.outer ? "BEGIN IMMEDIATE" : "SAVEPOINT " + level.savepoint);
    ++transaction_depth;
    return level;
}

void Store::Impl::commit_level(const TransactionLevel& level) {
    // A COMMIT can fail too (a deferred foreign key, a full disk) and leaves the transaction
    // open: it is rolled back like a failed body, or every later transaction would become a
    // savepoint inside it and nothing would ever be committed.
    try {
        exec(level.outer ? "COMMIT" : "RELEASE " + level.savepoint);
    } catch (...) {
        rollback_level(level);
        throw;
    }
    --transaction_depth;
}

void Store::Impl::rollback_level(const TransactionLevel& level) noexcept {
    --transaction_depth;
    try {
        exec(level.outer ? "ROLLBACK" : "ROLLBACK TO " + level.savepoint + "; RELEASE " + level.savepoint);
    } catch (...) {
        // The original error matters more than a failed rollback.
    }
}

void Store::Impl::transaction(const std::function<void()>& body) {
    const TransactionLevel level = begin_level();
    try {
        body();
    } catch (...) {
        rollback_level(level);
        throw;
    }
    commit_level(level);
}

std::optional<std::string> Store::Impl::meta(const std::string& key) {
    auto r = query("SELECT value FROM ferry_meta WHERE key=?", {key});
    if (r.rows.empty()) return std::nullopt;
    return r.rows[0][0].as_text();
}

void Store::Impl::set_meta(const std::string& key, const std::string& value) {
    execute("INSERT INTO ferry_meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            {key, value});
}

void Store::Impl::observe_stored_clock() {
    unsigned int version = 0;
    if (sqlite3_file_control(handle(), "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK) return;
    if (version == clock_data_version) return;
    clock_data_version = version;
    if (auto stored = meta("hlc")) clock.observe(std::stoll(*stored));
}

void Store::Impl::save_clock() {
    if (clock_rewound) {
        set_meta("hlc", std::to_string(clock.last()));
        clock_rewound = false;
        return;
    }
    execute("INSERT INTO ferry_meta(key, value) VALUES ('hlc', ?1) ON CONFLICT(key) DO UPDATE SET value = "
            "CAST(max(CAST(value AS INTEGER), CAST(?1 AS INTEGER)) AS TEXT)",
            {std::to_string(clock.last())});
}

void Store::Impl::rewind_clock(std::int64_t value) {
    clock.rewind(value);
    clock_rewound = true;
}

namespace {
std::unique_ptr<Store::Impl> open_impl(const std::string& path, const std::string& app, const StoreOptions& options) {
    if (path.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "a store needs a file path (got an empty one)");
    if (!app.empty()) require_app(app);
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (!exists && !options.create)
        throw Error(ErrorDomain::io, ErrorCode::not_found, path + ": no such store (create it with ferry init)");
    if (!exists && app.empty())
        throw Error(ErrorDomain::io, ErrorCode::not_found, path + ": no such store");
    if (exists && S_ISDIR(st.st_mode))
        throw Error(ErrorDomain::io, ErrorCode::io, path + " is a directory, not a store file");

    std::unique_ptr<Store::Impl> impl;
    try {
        int flags = SQLite::OPEN_READWRITE | (options.create ? SQLite::OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
        impl = std::make_unique<Store::Impl>(path, flags);
    } catch (const SQLite::Exception& e) {
        throw sqlite_error(e, "opening " + path);
    }
    sqlite3_extended_result_codes(impl->handle(), 1);
    if (options.clock) impl->clock.set_source(*options.clock);
    impl->db.setBusyTimeout(options.busy_timeout_ms);
    register_functions(*impl);
    check_file_is_store(*impl, app);
    enable_wal(*impl, options.busy_timeout_ms);
    // Recursive triggers on: without them the row a REPLACE deletes (same key, or another row
    // holding one of its unique values) fires no delete trigger, so capture would miss it.
    impl->exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=ON");
    sqlite3_set_authorizer(impl->handle(), refuse_capture_pragmas, nullptr);

    const bool fresh = !table_exists(*impl, "ferry_meta");
    if (fresh || options.migrate) migrate_scope(*impl, "ferry");

    // The app and site id are written once, in one transaction, by whoever creates the store.
    impl->transaction([&] {
        if (!impl->meta("app")) impl->set_meta("app", app);
        if (!impl->meta("site_id")) impl->set_meta("site_id", new_site_id());
    });
    impl->app = *impl->meta("app");
    if (!app.empty() && impl->app != app)  // created at the same moment by someone else, for another app
        throw wrong_app(impl->path, impl->app, app);
    impl->site_id = *impl->meta("site_id");

    // A first sync that stopped before its last page left indexes set aside: build them now, so
    // the app never runs for long without them, and before the app's migrations touch them.
    if (table_exists(*impl, "ferry_deferred_indexes") && has_deferred_indexes(*impl))
        impl->transaction([&] { impl->index_warnings = build_deferred_indexes(*impl); });

    bool changed = false;
    if (options.migrate) changed = migrate_scope(*impl, impl->app);
    impl->schema_version = recorded_version(*impl, impl->app);
    if (options.migrate && (changed || !capture_is_current(*impl))) impl->transaction([&] { install_capture(*impl); });

    // The clock never goes backwards: resume past everything recorded in the store.
    if (auto saved = impl->meta("hlc")) impl->clock.observe(std::stoll(*saved));
    auto max_local = impl->query("SELECT max(hlc) FROM ferry_changes", {});
    if (!max_local.rows[0][0].is_null()) impl->clock.observe(max_local.rows[0][0].as_int());
    return impl;
}
}  // namespace

Store Store::open(const std::string& path, const std::string& app, StoreOptions options) {
    if (app.empty())
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "Store::open needs an app name; use open_existing");
    return Store(open_impl(path, app, options));
}

Store Store::open_existing(const std::string& path, StoreOptions options) {
    options.create = false;
    return Store(open_impl(path, "", options));
}

std::vector<std::string> Store::available_apps() { return app_names(); }

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() {
    if (!m_impl) return;
    try {
        if (m_impl->clock.last() > 0 && sqlite3_get_autocommit(m_impl->handle())) m_impl->save_clock();
    } catch (...) {
        // Closing must not throw; the outbox still holds every local hlc, so nothing is lost.
    }
}

const std::string& Store::path() const { return m_impl->path; }
const std::string& Store::app() const { return m_impl->app; }
int Store::schema_version() const { return m_impl->schema_version; }

namespace {
/// True when `sql` holds exactly one statement (then it is atomic by itself, and statements that
/// cannot run inside a transaction, such as VACUUM, work). False when unsure.
bool single_statement(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* first = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &first, &tail) != SQLITE_OK) return false;
    sqlite3_finalize(first);
    if (!first) return false;  // only comments: nothing to do either way
    if (!tail || !*tail) return true;
    sqlite3_stmt* next = nullptr;
    const bool rest_is_empty = sqlite3_prepare_v2(db, tail, -1, &next, nullptr) == SQLITE_OK && next == nullptr;
    sqlite3_finalize(next);
    return rest_is_empty;
}
}  // namespace

void Store::exec(const std::string& sql) {
    if (m_impl->transaction_depth == 0 && sqlite3_get_autocommit(m_impl->handle()) &&
        single_statement(m_impl->handle(), sql)) {
        m_impl->execute(sql, {});  // through the statement cache: run again, it is not prepared again
        return;
    }
    // A transaction (or a savepoint inside one) makes a multi-statement script all-or-nothing.
    m_impl->transaction([&] { m_impl->exec(sql); });
}

std::int64_t Store::execute(const std::string& sql, const std::vector<Value>& params) {
    return m_impl->execute(sql, params);
}

QueryResult Store::query(const std::string& sql, const std::vector<Value>& params) {
    return m_impl->query(sql, params);
}

std::optional<Value> Store::query_value(const std::string& sql, const std::vector<Value>& params) {
    auto r = m_impl->query(sql, params);
    if (r.rows.empty() || r.rows[0].empty()) return std::nullopt;
    return r.rows[0][0];
}

std::string Store::query_json(const std::string& sql, const std::vector<Value>& params) {
    auto r = m_impl->query(sql, params);
    auto out = nlohmann::ordered_json::array();
    for (const auto& row : r.rows) {
        nlohmann::ordered_json obj = nlohmann::ordered_json::object();
        for (std::size_t i = 0; i < r.columns.size(); ++i) {
            const Value& v = row[i];
            switch (v.type()) {
            case Value::Type::null: obj[r.columns[i]] = nullptr; break;
            case Value::Type::integer: obj[r.columns[i]] = v.as_int(); break;
            case Value::Type::real: obj[r.columns[i]] = v.as_real(); break;
            case Value::Type::text: obj[r.columns[i]] = v.as_text(); break;
            case Value::Type::blob: obj[r.columns[i]] = base64(v.as_blob()); break;
            }
        }
        out.push_back(std::move(obj));
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Store::transaction(const std::function<void()>& body) { m_impl->transaction(body); }

std::vector<std::string> Store::synced_tables() const {
    std::vector<std::string> out;
    for (const auto& t : sync_rules(m_impl->app).tables) out.push_back(t.name);
    return out;
}

StoreStatus Store::status() {
    StoreStatus s;
    s.path = m_impl->path;
    s.app = m_impl->app;
    s.schema_version = m_impl->schema_version;
    auto all = migrations(m_impl->app, Side::sqlite);
    s.latest_schema_version = all.empty() ? 0 : all.back().version;
    s.site_id = m_impl->site_id;
    s.pending_changes = m_impl->query("SELECT count(*) FROM ferry_changes", {}).rows[0][0].as_int();
    s.rejected_writes = m_impl->query("SELECT count(*) FROM ferry_rejected", {}).rows[0][0].as_int();
    s.pull_cursor = m_impl->meta("pull_cursor").value_or("");
    s.last_sync_at = m_impl->meta("last_sync_at").value_or("");
    const auto synced = synced_tables();
    auto tables = m_impl->query(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'ferry_%' "
        "ORDER BY name",
        {});
    for (const auto& row : tables.rows) {
        TableStatus t;
        t.name = row[0].as_text();
        std::string quoted = "\"";
        for (char c : t.name) quoted += (c == '"' ? std::string("\"\"") : std::string(1, c));
        quoted += "\"";
        t.rows = m_impl->query("SELECT count(*) FROM " + quoted, {}).rows[0][0].as_int();
        t.synced = std::find(synced.begin(), synced.end(), t.name) != synced.end();
        s.tables.push_back(std::move(t));
    }
    for (const auto& lease : detail::leased_tables(*m_impl))
        for (auto& t : s.tables)
            if (t.name == lease.table) t.leased_ids_left = lease.left;
    return s;
}

std::string Store::new_id(const std::string& kind) {
    if (kind == "uuid") return new_uuid();
    if (kind == "cuid") return new_cuid();
    throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "unknown id kind '" + kind + "' (use uuid or cuid)");
}

std::string Store::now_timestamp() { return iso_timestamp(SystemClock::instance().now_ms()); }

}  // namespace ferry
