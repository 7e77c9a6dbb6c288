/* ferry/ferry.h: Ferry's C API, for Swift, Kotlin (JNI/Panama), Dart FFI and plain C
 * (bindings/c/README.md). A thin layer over the C++ library (libferry); every function is
 * noexcept on the C++ side and never lets an exception out.
 *
 * Conventions:
 * - Handles are opaque; each has one free function, and every free function accepts NULL.
 * - A fallible function returns bool (true: it worked) or a pointer (NULL: it failed) and takes a
 *   trailing `ferry_error_t* error`, which may be NULL. On failure it is filled in; its message
 *   is owned by the library: release it with ferry_error_clear(). On success it is left alone.
 * - Strings the library returns in a `char*` are the caller's: release them with ferry_free().
 *   Strings returned as `const char*` belong to the handle they came from.
 * - Text is UTF-8. Blobs are (pointer, size).
 * - Threads: a handle may be used from any thread, one call at a time. A ferry_service's
 *   callbacks run on the service's own thread.
 */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors -------------------------------------------------------------------------------- */

/** Where an error comes from. */
typedef enum ferry_error_domain {
    FERRY_DOMAIN_FERRY = 0,    /**< Ferry's own checks */
    FERRY_DOMAIN_SQLITE = 1,   /**< the device database */
    FERRY_DOMAIN_POSTGRES = 2, /**< the cloud database */
    FERRY_DOMAIN_HTTP = 3,     /**< the gateway transport */
    FERRY_DOMAIN_IO = 4        /**< files and the operating system */
} ferry_error_domain;

/** What an error is: FERRY_ERROR_<name> (FERRY_ERROR_connection, FERRY_ERROR_constraint, ...), generated
 *  from ferry/error_codes.def, the table the C++ ferry::ErrorCode comes from (stable values). */
typedef enum ferry_error_code {
    FERRY_ERROR_NONE = 0,
#define FERRY_ERROR_CODE(name, value, message) FERRY_ERROR_##name = value,
#include "ferry/error_codes.def"
#undef FERRY_ERROR_CODE
    FERRY_ERROR_LAST_
} ferry_error_code;

typedef struct ferry_error_t {
    ferry_error_domain domain;
    ferry_error_code code;
    int native_code; /**< SQLite's extended result code for FERRY_DOMAIN_SQLITE, else 0 */
    bool transient;  /**< worth retrying unchanged later (connection lost, busy, timeout) */
    char* message;   /**< what was wrong, where, what to do; NULL when no error */
} ferry_error_t;

/** Releases the error's message and resets it to "no error". NULL-safe. */
void ferry_error_clear(ferry_error_t* error);
/** The name of a code ("connection", "constraint", ...); "unknown" for a value not in the table. */
const char* ferry_error_code_name(ferry_error_code code);

/** Releases a string the library returned. NULL-safe. */
void ferry_free(void* p);
/** The library's version, e.g. "0.1.0". */
const char* ferry_version(void);

/* ---- Values and rows ----------------------------------------------------------------------- */

typedef enum ferry_type {
    FERRY_NULL = 0,
    FERRY_INTEGER = 1,
    FERRY_REAL = 2,
    FERRY_TEXT = 3,
    FERRY_BLOB = 4
} ferry_type;

/** A statement parameter. `text` is NUL-terminated UTF-8; a blob is (`blob`, `size`). */
typedef struct ferry_value {
    ferry_type type;
    int64_t integer;
    double real;
    const char* text;
    const void* blob;
    size_t size;
} ferry_value;

ferry_value ferry_null(void);
ferry_value ferry_int(int64_t v);
ferry_value ferry_real(double v);
ferry_value ferry_text(const char* v);
ferry_value ferry_blob(const void* data, size_t size);

/** The rows of a query, all in memory. */
typedef struct ferry_rows ferry_rows;

size_t ferry_rows_count(const ferry_rows* rows);
size_t ferry_rows_columns(const ferry_rows* rows);
/** A column's name; NULL for an index out of range. */
const char* ferry_rows_column_name(const ferry_rows* rows, size_t column);
/** FERRY_NULL also for a cell out of range. */
ferry_type ferry_rows_type(const ferry_rows* rows, size_t row, size_t column);
/** The cell as an integer (0 unless FERRY_INTEGER), a real (integers converted), text (NULL
 *  unless FERRY_TEXT; owned by `rows`), or a blob (NULL unless FERRY_BLOB; owned by `rows`). */
int64_t ferry_rows_int(const ferry_rows* rows, size_t row, size_t column);
double ferry_rows_real(const ferry_rows* rows, size_t row, size_t column);
const char* ferry_rows_text(const ferry_rows* rows, size_t row, size_t column);
const void* ferry_rows_blob(const ferry_rows* rows, size_t row, size_t column, size_t* size);
void ferry_rows_free(ferry_rows* rows);

/* ---- Stores -------------------------------------------------------------------------------- */

typedef struct ferry_store ferry_store;

/** Opens (creating and migrating it) the store at `path` for `app` ("projectme", ...); `app`
 *  NULL or "" opens an existing store whatever its app. */
ferry_store* ferry_store_open(const char* path, const char* app, ferry_error_t* error);
void ferry_store_close(ferry_store* store);

/** Runs statements separated by semicolons, without parameters, all or nothing. */
bool ferry_exec(ferry_store* store, const char* sql, ferry_error_t* error);
/** Runs one statement with `count` parameters; returns the rows changed, or -1 on failure. */
int64_t ferry_execute(ferry_store* store, const char* sql, const ferry_value* params, size_t count,
                      ferry_error_t* error);
/** Runs one query. */
ferry_rows* ferry_query(ferry_store* store, const char* sql, const ferry_value* params, size_t count,
                        ferry_error_t* error);
/** Runs `body` in a transaction: committed when it returns true, rolled back when it returns
 *  false (the transaction's result is then false, with code FERRY_ERROR_cancelled unless `body`
 *  filled `error` itself). Nested calls use savepoints. */
bool ferry_transaction(ferry_store* store, bool (*body)(ferry_store* store, void* context, ferry_error_t* error),
                       void* context, ferry_error_t* error);

typedef struct ferry_status_t {
    int64_t pending_changes;
    int64_t rejected_writes;
    int schema_version;
    char* app;          /**< ferry_free() these three */
    char* site_id;
    char* last_sync_at; /**< ISO-8601 UTC, "" if never synced */
} ferry_status_t;

bool ferry_store_status(ferry_store* store, ferry_status_t* out, ferry_error_t* error);
/** Releases the strings of a status. NULL-safe. */
void ferry_status_clear(ferry_status_t* status);

/* ---- Sync ---------------------------------------------------------------------------------- */

typedef struct ferry_sync_report_t {
    int64_t pushed, applied, superseded, rejected, pulled, leased;
} ferry_sync_report_t;

/** One round through the HTTP gateway at `url` with the user's `token`. `report` may be NULL. */
bool ferry_sync_gateway(ferry_store* store, const char* url, const char* token, ferry_sync_report_t* report,
                        ferry_error_t* error);
/** One round directly against PostgreSQL (`conninfo`: libpq URL or key=value). Needs the server
 *  library (libferry_server); a build without it fails with FERRY_ERROR_not_found. */
bool ferry_sync_postgres(ferry_store* store, const char* conninfo, ferry_sync_report_t* report,
                         ferry_error_t* error);

/** The writes the server refused, as a JSON array (ferry_free() it), oldest first. */
char* ferry_rejected_json(ferry_store* store, ferry_error_t* error);

/* ---- Change notifications ------------------------------------------------------------------ */

/** A row a sync brought to the server's state: for the app to refresh what it shows. */
typedef struct ferry_change_t {
    const char* table;
    const char* key_json;  /**< the row's primary key as a JSON array */
    bool deleted;          /**< the row is gone */
    /** "" for a row a pull brought or a write that was applied; "superseded" or "rejected" when
     *  this device's write of the row did not win (docs/outcomes.md). */
    const char* lost;
    int64_t outcome_id;    /**< its write-outcome ledger entry, 0 when none was kept */
} ferry_change_t;

/** Called after each committed pull page or push answer, on the thread that syncs (the caller of
 *  ferry_sync_*, or a service's own thread). `changes` and its strings are valid during the call
 *  only. It must not call ferry_service_free() on the service that calls it. */
typedef void (*ferry_change_callback)(const ferry_change_t* changes, size_t count, void* context);

/** Sets the callback the store's syncs (ferry_sync_gateway, ferry_sync_postgres) report changed
 *  rows to; NULL removes it. */
void ferry_store_on_changes(ferry_store* store, ferry_change_callback callback, void* context);

/* ---- The write-outcome ledger (docs/outcomes.md) --------------------------------------------- */

/** Recorded outcomes of pushed writes, oldest first, as a JSON array (ferry_free() it).
 *  `outcome`: "applied", "superseded", "rejected", or NULL/"" for all; `include_resolved`: also
 *  those retried, restored or discarded. */
char* ferry_outcomes_json(ferry_store* store, const char* outcome, bool include_resolved, ferry_error_t* error);
/** Writes a rejected write's values again as a new local write, with `changes_json` (a JSON
 *  object of column values, or NULL) on top; the next sync pushes it. */
bool ferry_outcome_retry(ferry_store* store, int64_t id, const char* changes_json, ferry_error_t* error);
/** Writes a superseded write's losing values again as a new local write, which wins. */
bool ferry_outcome_restore(ferry_store* store, int64_t id, ferry_error_t* error);
/** Marks an outcome discarded (the app accepts the server's state); FERRY_ERROR_not_found when
 *  there is no unresolved outcome `id`. */
bool ferry_outcome_discard(ferry_store* store, int64_t id, ferry_error_t* error);
/** Which tables' applied and superseded outcomes the ledger keeps (`tables`: `count` names, "*"
 *  for every table; count 0: none), and its pruning limits (0: leave as they are). Rejected
 *  writes are always kept. */
bool ferry_outcome_watch(ferry_store* store, const char* const* tables, size_t count, int max_age_days,
                         int64_t max_count, ferry_error_t* error);
/** What became of the latest write of one row (`key_json`: its key as a JSON array): "pending",
 *  "applied", "superseded", "rejected" or "unknown" (ferry_free() it). */
char* ferry_write_status(ferry_store* store, const char* table, const char* key_json, ferry_error_t* error);

/* ---- The sync service (live sync, docs/daemon.md) -------------------------------------------- */

typedef struct ferry_service ferry_service;

typedef enum ferry_service_state {
    FERRY_SERVICE_STARTING = 0,
    FERRY_SERVICE_SYNCING = 1,
    FERRY_SERVICE_IDLE = 2,
    FERRY_SERVICE_RETRYING = 3,
    FERRY_SERVICE_STOPPED = 4
} ferry_service_state;

typedef struct ferry_service_status_t {
    ferry_service_state state;
    int64_t rounds, failed_rounds, pushed, pulled, rejected, pending_changes;
    ferry_error_code last_error_code; /**< FERRY_ERROR_NONE after a successful round */
} ferry_service_status_t;

/** Called on the service's thread whenever its status changes. Must not call
 *  ferry_service_stop() or ferry_service_free() on the same service. */
typedef void (*ferry_service_callback)(const ferry_service_status_t* status, void* context);

/** Keeps the store file at `path` in sync through the gateway (live: long polls), on threads of
 *  its own, until ferry_service_free(). The app keeps using its own ferry_store meanwhile.
 *  `callback` may be NULL. */
ferry_service* ferry_service_start_gateway(const char* path, const char* url, const char* token,
                                           ferry_service_callback callback, void* context, ferry_error_t* error);
/** The same, directly against PostgreSQL (LISTEN); needs libferry_server. */
ferry_service* ferry_service_start_postgres(const char* path, const char* conninfo, ferry_service_callback callback,
                                            void* context, ferry_error_t* error);
/** Sets the callback the service reports changed rows to (on its own thread); NULL removes it. */
void ferry_service_on_changes(ferry_service* service, ferry_change_callback callback, void* context);
/** Asks for a round now. */
void ferry_service_sync_now(ferry_service* service);
void ferry_service_status(const ferry_service* service, ferry_service_status_t* out);
/** Stops (the round in progress ends after its current batch) and releases it. NULL-safe. */
void ferry_service_free(ferry_service* service);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_FERRY_H */
