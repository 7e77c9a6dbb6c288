// bindings/c/ferry_c.cpp: the C API (ferry/ferry.h) over the device library: stores, queries,
// transactions, the gateway sync and the gateway sync service. Every entry point is noexcept.
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "bindings/c/handles.hpp"
#include "ferry/http_transport.hpp"
#include "ferry/outcomes.hpp"

using ferry::c::guarded;
using ferry::c::require;

// The C enums mirror the C++ ones value for value (the casts below rely on it).
static_assert(FERRY_DOMAIN_IO == static_cast<int>(ferry::ErrorDomain::io), "ferry_error_domain follows ErrorDomain");
static_assert(FERRY_BLOB == static_cast<int>(ferry::Value::Type::blob), "ferry_type follows Value::Type");
static_assert(FERRY_SERVICE_STOPPED == static_cast<int>(ferry::SyncState::stopped),
              "ferry_service_state follows SyncState");
static_assert(FERRY_ERROR_internal == static_cast<int>(ferry::ErrorCode::internal), "codes come from one table");

namespace ferry::c {

namespace {
char* copy_string(const std::string& s) {
    char* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (!out) throw std::bad_alloc();
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

ferry::Value value_of(const ferry_value& v) {
    switch (v.type) {
    case FERRY_NULL: return ferry::Value();
    case FERRY_INTEGER: return ferry::Value(static_cast<std::int64_t>(v.integer));
    case FERRY_REAL: return ferry::Value(v.real);
    case FERRY_TEXT:
        require(v.text, "a FERRY_TEXT parameter's text");
        return ferry::Value(std::string(v.text));
    case FERRY_BLOB: {
        if (v.size > 0) require(v.blob, "a FERRY_BLOB parameter's data");
        const auto* p = static_cast<const std::uint8_t*>(v.blob);
        return ferry::Value(ferry::Blob(p, p + v.size));
    }
    }
    throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                       "a parameter has an unknown type " + std::to_string(static_cast<int>(v.type)));
}

std::vector<ferry::Value> params_of(const ferry_value* params, size_t count) {
    if (count > 0) require(params, "params");
    std::vector<ferry::Value> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) out.push_back(value_of(params[i]));
    return out;
}

const ferry::Value* cell(const ferry_rows* rows, size_t row, size_t column) {
    if (!rows || row >= rows->result.rows.size() || column >= rows->result.columns.size()) return nullptr;
    return &rows->result.rows[row][column];
}

ferry_service_status_t c_status(const ferry::SyncServiceStatus& s) {
    ferry_service_status_t out{};
    out.state = static_cast<ferry_service_state>(s.state);
    out.rounds = s.rounds;
    out.failed_rounds = s.failed_rounds;
    out.pushed = s.pushed;
    out.pulled = s.pulled;
    out.rejected = s.rejected;
    out.pending_changes = s.pending_changes;
    out.last_error_code = s.last_error.empty() ? FERRY_ERROR_NONE : static_cast<ferry_error_code>(s.last_error_code);
    return out;
}

/// Thrown inside a transaction whose C body returned false.
struct BodyFailed {};
}  // namespace

void set_error(ferry_error_t* error, ferry_error_domain domain, ferry_error_code code, const char* message,
               int native_code, bool transient) {
    if (!error) return;
    std::free(error->message);
    error->domain = domain;
    error->code = code;
    error->native_code = native_code;
    error->transient = transient;
    const size_t n = std::strlen(message);
    error->message = static_cast<char*>(std::malloc(n + 1));
    if (error->message) std::memcpy(error->message, message, n + 1);
}

void set_error(ferry_error_t* error, const ferry::Error& e) {
    set_error(error, static_cast<ferry_error_domain>(e.domain()), static_cast<ferry_error_code>(e.code()), e.what(),
              e.native_code(), e.is_transient());
}

void require(const void* p, const char* what) {
    if (!p)
        throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                           std::string(what) + " is NULL");
}

ferry_sync_report_t report_of(const ferry::SyncReport& r) {
    return ferry_sync_report_t{r.pushed, r.applied, r.superseded, r.rejected, r.pulled, r.leased};
}

ferry_sync_report_t sync_round(ferry_store* store, ferry::Transport& transport) {
    ferry::SyncOptions options;
    options.on_remote_changes = [store](const std::vector<ferry::RemoteChange>& v) { store->changes.deliver(v); };
    return report_of(ferry::SyncClient(store->store, transport, std::move(options)).sync());
}

ferry_service* start_service(const char* path, ferry::SyncService::TransportFactory connect,
                             ferry::SyncService::FeedFactory feed, ferry_service_callback callback, void* context) {
    require(path, "path");
    auto handle = std::make_unique<ferry_service>();
    handle->callback = callback;
    handle->context = context;
    ferry::SyncServiceOptions options;
    ferry_service* raw = handle.get();
    options.sync.on_remote_changes = [raw](const std::vector<ferry::RemoteChange>& v) { raw->changes.deliver(v); };
    options.on_status = [raw](const ferry::SyncServiceStatus& s) {
        if (!raw->callback) return;
        const ferry_service_status_t status = c_status(s);
        raw->callback(&status, raw->context);
    };
    handle->service = std::make_unique<ferry::SyncService>(path, std::move(connect), std::move(feed), std::move(options));
    handle->service->start();
    return handle.release();
}

}  // namespace ferry::c

void ferry_change_sink::set(ferry_change_callback cb, void* ctx) {
    std::lock_guard<std::mutex> lock(mutex);
    callback = cb;
    context = ctx;
}

void ferry_change_sink::deliver(const std::vector<ferry::RemoteChange>& changes) {
    ferry_change_callback cb;
    void* ctx;
    {
        // Called outside the lock: the callback may set another one (or none) for its handle.
        std::lock_guard<std::mutex> lock(mutex);
        cb = callback;
        ctx = context;
    }
    if (!cb || changes.empty()) return;
    std::vector<ferry_change_t> out;
    out.reserve(changes.size());
    for (const auto& c : changes)
        out.push_back(ferry_change_t{c.table.c_str(), c.key_json.c_str(), c.deleted, c.lost.c_str(), c.outcome_id});
    cb(out.data(), out.size(), ctx);
}

extern "C" {

void ferry_error_clear(ferry_error_t* error) {
    if (!error) return;
    std::free(error->message);
    *error = ferry_error_t{};
}

const char* ferry_error_code_name(ferry_error_code code) {
    if (code == FERRY_ERROR_NONE) return "none";
    switch (code) {
#define FERRY_ERROR_CODE(name, value, message) \
    case FERRY_ERROR_##name: return #name;
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
    default: return "unknown";
    }
}

void ferry_free(void* p) { std::free(p); }

const char* ferry_version(void) { return FERRY_VERSION; }

ferry_value ferry_null(void) { return ferry_value{}; }
ferry_value ferry_int(int64_t v) {
    ferry_value out{};
    out.type = FERRY_INTEGER;
    out.integer = v;
    return out;
}
ferry_value ferry_real(double v) {
    ferry_value out{};
    out.type = FERRY_REAL;
    out.real = v;
    return out;
}
ferry_value ferry_text(const char* v) {
    ferry_value out{};
    out.type = v ? FERRY_TEXT : FERRY_NULL;
    out.text = v;
    return out;
}
ferry_value ferry_blob(const void* data, size_t size) {
    ferry_value out{};
    out.type = FERRY_BLOB;
    out.blob = data;
    out.size = size;
    return out;
}

size_t ferry_rows_count(const ferry_rows* rows) { return rows ? rows->result.rows.size() : 0; }
size_t ferry_rows_columns(const ferry_rows* rows) { return rows ? rows->result.columns.size() : 0; }
const char* ferry_rows_column_name(const ferry_rows* rows, size_t column) {
    if (!rows || column >= rows->result.columns.size()) return nullptr;
    return rows->result.columns[column].c_str();
}
ferry_type ferry_rows_type(const ferry_rows* rows, size_t row, size_t column) {
    const ferry::Value* v = ferry::c::cell(rows, row, column);
    return v ? static_cast<ferry_type>(v->type()) : FERRY_NULL;
}
int64_t ferry_rows_int(const ferry_rows* rows, size_t row, size_t column) {
    const ferry::Value* v = ferry::c::cell(rows, row, column);
    return v && v->type() == ferry::Value::Type::integer ? v->as_int() : 0;
}
double ferry_rows_real(const ferry_rows* rows, size_t row, size_t column) {
    const ferry::Value* v = ferry::c::cell(rows, row, column);
    if (!v) return 0;
    if (v->type() == ferry::Value::Type::real) return v->as_real();
    if (v->type() == ferry::Value::Type::integer) return static_cast<double>(v->as_int());
    return 0;
}
const char* ferry_rows_text(const ferry_rows* rows, size_t row, size_t column) {
    const ferry::Value* v = ferry::c::cell(rows, row, column);
    return v && v->type() == ferry::Value::Type::text ? v->as_text().c_str() : nullptr;
}
const void* ferry_rows_blob(const ferry_rows* rows, size_t row, size_t column, size_t* size) {
    const ferry::Value* v = ferry::c::cell(rows, row, column);
    const bool blob = v && v->type() == ferry::Value::Type::blob;
    if (size) *size = blob ? v->as_blob().size() : 0;
    return blob ? v->as_blob().data() : nullptr;
}
void ferry_rows_free(ferry_rows* rows) { delete rows; }

ferry_store* ferry_store_open(const char* path, const char* app, ferry_error_t* error) {
    return guarded<ferry_store*>(error, nullptr, [&] {
        require(path, "path");
        ferry::Store s = app && *app ? ferry::Store::open(path, app) : ferry::Store::open_existing(path);
        return new ferry_store{std::move(s), {}};
    });
}

void ferry_store_close(ferry_store* store) {
    try {
        delete store;
    } catch (...) {  // closing never fails the caller: SQLite closes the file in any case
    }
}

bool ferry_exec(ferry_store* store, const char* sql, ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        require(sql, "sql");
        store->store.exec(sql);
        return true;
    });
}

int64_t ferry_execute(ferry_store* store, const char* sql, const ferry_value* params, size_t count,
                      ferry_error_t* error) {
    return guarded<int64_t>(error, -1, [&] {
        require(store, "store");
        require(sql, "sql");
        return static_cast<int64_t>(store->store.execute(sql, ferry::c::params_of(params, count)));
    });
}

ferry_rows* ferry_query(ferry_store* store, const char* sql, const ferry_value* params, size_t count,
                        ferry_error_t* error) {
    return guarded<ferry_rows*>(error, nullptr, [&] {
        require(store, "store");
        require(sql, "sql");
        return new ferry_rows{store->store.query(sql, ferry::c::params_of(params, count))};
    });
}

bool ferry_transaction(ferry_store* store, bool (*body)(ferry_store*, void*, ferry_error_t*), void* context,
                       ferry_error_t* error) {
    ferry_error_t inner{};
    bool body_failed = false;
    const bool ok = guarded<bool>(error, false, [&] {
        require(store, "store");
        require(reinterpret_cast<const void*>(body), "body");
        try {
            store->store.transaction([&] {
                if (!body(store, context, &inner)) throw ferry::c::BodyFailed{};
            });
        } catch (const ferry::c::BodyFailed&) {
            body_failed = true;
        }
        return !body_failed;
    });
    if (body_failed) {
        if (inner.message)
            ferry::c::set_error(error, inner.domain, inner.code, inner.message, inner.native_code, inner.transient);
        else
            ferry::c::set_error(error, FERRY_DOMAIN_FERRY, FERRY_ERROR_cancelled,
                                "the transaction's body returned false: rolled back");
    }
    ferry_error_clear(&inner);
    return ok;
}

bool ferry_store_status(ferry_store* store, ferry_status_t* out, ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        require(out, "out");
        const ferry::StoreStatus s = store->store.status();
        ferry_status_t status{};
        status.pending_changes = s.pending_changes;
        status.rejected_writes = s.rejected_writes;
        status.schema_version = s.schema_version;
        status.app = ferry::c::copy_string(s.app);
        status.site_id = ferry::c::copy_string(s.site_id);
        status.last_sync_at = ferry::c::copy_string(s.last_sync_at);
        *out = status;
        return true;
    });
}

void ferry_status_clear(ferry_status_t* status) {
    if (!status) return;
    std::free(status->app);
    std::free(status->site_id);
    std::free(status->last_sync_at);
    *status = ferry_status_t{};
}

bool ferry_sync_gateway(ferry_store* store, const char* url, const char* token, ferry_sync_report_t* report,
                        ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        require(url, "url");
        require(token, "token");
        ferry::HttpOptions options;
        options.bearer_token = token;
        auto transport = ferry::connect_gateway(url, options);
        const ferry_sync_report_t r = ferry::c::sync_round(store, *transport);
        if (report) *report = r;
        return true;
    });
}

char* ferry_rejected_json(ferry_store* store, ferry_error_t* error) {
    return guarded<char*>(error, nullptr, [&] {
        require(store, "store");
        auto list = nlohmann::json::array();
        for (const auto& w : ferry::rejected_writes(store->store))
            list.push_back({{"id", w.id}, {"table", w.table}, {"key", nlohmann::json::parse(w.key_json)},
                            {"op", w.op}, {"code", w.code}, {"reason", w.reason}, {"rejected_at", w.rejected_at}});
        return ferry::c::copy_string(list.dump());
    });
}

void ferry_store_on_changes(ferry_store* store, ferry_change_callback callback, void* context) {
    if (store) store->changes.set(callback, context);
}

char* ferry_outcomes_json(ferry_store* store, const char* outcome, bool include_resolved, ferry_error_t* error) {
    return guarded<char*>(error, nullptr, [&] {
        require(store, "store");
        ferry::OutcomeFilter filter;
        filter.outcome = outcome ? outcome : "";
        filter.include_resolved = include_resolved;
        return ferry::c::copy_string(ferry::write_outcomes_json(store->store, filter));
    });
}

bool ferry_outcome_retry(ferry_store* store, int64_t id, const char* changes_json, ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        ferry::retry_write(store->store, id, changes_json ? changes_json : "");
        return true;
    });
}

bool ferry_outcome_restore(ferry_store* store, int64_t id, ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        ferry::restore_write(store->store, id);
        return true;
    });
}

bool ferry_outcome_discard(ferry_store* store, int64_t id, ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        if (!ferry::discard_write(store->store, id))
            throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::not_found,
                               "no unresolved write outcome " + std::to_string(id));
        return true;
    });
}

bool ferry_outcome_watch(ferry_store* store, const char* const* tables, size_t count, int max_age_days,
                         int64_t max_count, ferry_error_t* error) {
    return guarded<bool>(error, false, [&] {
        require(store, "store");
        if (count > 0) require(tables, "tables");
        ferry::OutcomePolicy policy = ferry::outcome_policy(store->store);
        policy.watch.clear();
        for (size_t i = 0; i < count; ++i) {
            require(tables[i], "tables[i]");
            policy.watch.emplace_back(tables[i]);
        }
        if (max_age_days > 0) policy.max_age_days = max_age_days;
        if (max_count > 0) policy.max_count = max_count;
        ferry::set_outcome_policy(store->store, policy);
        return true;
    });
}

char* ferry_write_status(ferry_store* store, const char* table, const char* key_json, ferry_error_t* error) {
    return guarded<char*>(error, nullptr, [&] {
        require(store, "store");
        require(table, "table");
        require(key_json, "key_json");
        return ferry::c::copy_string(ferry::write_status(store->store, table, key_json));
    });
}

ferry_service* ferry_service_start_gateway(const char* path, const char* url, const char* token,
                                           ferry_service_callback callback, void* context, ferry_error_t* error) {
    return guarded<ferry_service*>(error, nullptr, [&] {
        require(url, "url");
        require(token, "token");
        ferry::HttpOptions options;
        options.bearer_token = token;
        const std::string base = url;
        return ferry::c::start_service(
            path, [base, options] { return ferry::connect_gateway(base, options); },
            [base, options] { return ferry::gateway_changes(base, options); }, callback, context);
    });
}

void ferry_service_on_changes(ferry_service* service, ferry_change_callback callback, void* context) {
    if (service) service->changes.set(callback, context);
}

void ferry_service_sync_now(ferry_service* service) {
    if (service) service->service->sync_now();
}

void ferry_service_status(const ferry_service* service, ferry_service_status_t* out) {
    if (!out) return;
    *out = service ? ferry::c::c_status(service->service->status()) : ferry_service_status_t{};
}

void ferry_service_free(ferry_service* service) {
    if (!service) return;
    try {
        service->service->stop();
    } catch (...) {
    }
    delete service;
}

}  // extern "C"
