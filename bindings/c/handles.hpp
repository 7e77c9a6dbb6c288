// bindings/c/handles.hpp: what the C API's opaque handles hold, and the one place that turns
// C++ exceptions into ferry_error_t (shared by ferry_c.cpp and ferry_c_server.cpp).
#pragma once

#include <memory>
#include <mutex>
#include <vector>
#include <new>
#include <utility>

#include "ferry/error.hpp"
#include "ferry/ferry.h"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "ferry/sync_service.hpp"

/// Where a handle's syncs report changed rows (ferry_store_on_changes, ferry_service_on_changes).
struct ferry_change_sink {
    std::mutex mutex;  // a service's thread reads it while the app may set it (never held during a call)
    ferry_change_callback callback = nullptr;
    void* context = nullptr;
    void set(ferry_change_callback cb, void* ctx);
    /// Delivers `changes` to the callback, if one is set.
    void deliver(const std::vector<ferry::RemoteChange>& changes);
};

struct ferry_store {
    ferry::Store store;
    ferry_change_sink changes;
};

struct ferry_rows {
    ferry::QueryResult result;
};

struct ferry_service {
    ferry_change_sink changes;  // before the service: it outlives the service's thread
    std::unique_ptr<ferry::SyncService> service;
    ferry_service_callback callback = nullptr;
    void* context = nullptr;
};

namespace ferry::c {

/// Fills `error` (when not NULL) with a copy of the message; an earlier message is released.
void set_error(ferry_error_t* error, ferry_error_domain domain, ferry_error_code code, const char* message,
               int native_code = 0, bool transient = false);
void set_error(ferry_error_t* error, const ferry::Error& e);

/// Runs `body`; any exception becomes `error` and the result is `failed`. Never throws.
template <class R, class F>
R guarded(ferry_error_t* error, R failed, F&& body) noexcept {
    try {
        return body();
    } catch (const ferry::Error& e) {
        set_error(error, e);
    } catch (const std::bad_alloc&) {
        set_error(error, FERRY_DOMAIN_FERRY, FERRY_ERROR_internal, "out of memory");
    } catch (const std::exception& e) {
        set_error(error, FERRY_DOMAIN_FERRY, FERRY_ERROR_internal, e.what());
    } catch (...) {
        set_error(error, FERRY_DOMAIN_FERRY, FERRY_ERROR_internal, "an unknown exception");
    }
    return failed;
}

/// A NULL argument where one is required: Error(invalid_argument) naming it.
void require(const void* p, const char* what);

ferry_sync_report_t report_of(const ferry::SyncReport& r);

/// One sync round of `store` through `transport`, its changed rows reported to the store's sink.
ferry_sync_report_t sync_round(ferry_store* store, ferry::Transport& transport);

/// A service handle around a started SyncService whose status goes to `callback`.
ferry_service* start_service(const char* path, ferry::SyncService::TransportFactory connect,
                             ferry::SyncService::FeedFactory feed, ferry_service_callback callback, void* context);

}  // namespace ferry::c
