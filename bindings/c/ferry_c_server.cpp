// bindings/c/ferry_c_server.cpp: the C API's direct-PostgreSQL functions (ferry_sync_postgres,
// ferry_service_start_postgres), in libferry_c_server: they need libferry_server (libpqxx), which a
// phone's build of libferry_c does not have.
#include <string>

#include "bindings/c/handles.hpp"
#include "ferry/postgres_transport.hpp"

extern "C" {

bool ferry_sync_postgres(ferry_store* store, const char* conninfo, ferry_sync_report_t* report,
                         ferry_error_t* error) {
    return ferry::c::guarded<bool>(error, false, [&] {
        ferry::c::require(store, "store");
        ferry::c::require(conninfo, "conninfo");
        auto transport = ferry::connect_postgres(conninfo, store->store.app());
        const ferry_sync_report_t r = ferry::c::sync_round(store, *transport);
        if (report) *report = r;
        return true;
    });
}

ferry_service* ferry_service_start_postgres(const char* path, const char* conninfo, ferry_service_callback callback,
                                            void* context, ferry_error_t* error) {
    return ferry::c::guarded<ferry_service*>(error, nullptr, [&] {
        ferry::c::require(path, "path");
        ferry::c::require(conninfo, "conninfo");
        const std::string url = conninfo, app = ferry::Store::open_existing(path).app();
        return ferry::c::start_service(
            path, [url, app] { return ferry::connect_postgres(url, app); },
            [url] { return ferry::postgres_changes(url); }, callback, context);
    });
}

}  // extern "C"
