/* tests/c/c_api_test.c: the C API (ferry/ferry.h), compiled as C, against a real PostgreSQL:
 * a store used offline (typed parameters and results, transactions, errors with their domain and
 * code), a direct sync, a sync through a real gateway (and a forged token refused), the live
 * sync service bringing another store the rows, and the
 * write-outcome ledger (a conflict restored, a rejection retried and one discarded, the change
 * callback naming the writes that lost).
 * Usage: c_api_test DIR CONNINFO GATEWAY_URL TOKEN (tests/c/run_c_api_test.sh makes the database
 * and starts the gateway). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/ferry.h"

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                          \
        }                                                                        \
    } while (0)
#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static const char* k_user = "11111111-1111-4111-8111-111111111111";

static bool insert_two(ferry_store* store, void* context, ferry_error_t* error) {
    (void)context;
    ferry_value a[] = {ferry_text("22222222-2222-4222-8222-222222222222"), ferry_text("t1@x.org")};
    ferry_value b[] = {ferry_text("33333333-3333-4333-8333-333333333333"), ferry_text("t2@x.org")};
    return ferry_execute(store, "INSERT INTO users(id, email) VALUES (?, ?)", a, 2, error) == 1 &&
           ferry_execute(store, "INSERT INTO users(id, email) VALUES (?, ?)", b, 2, error) == 1;
}

static bool insert_then_fail(ferry_store* store, void* context, ferry_error_t* error) {
    (void)context;
    ferry_value a[] = {ferry_text("44444444-4444-4444-8444-444444444444"), ferry_text("gone@x.org")};
    if (ferry_execute(store, "INSERT INTO users(id, email) VALUES (?, ?)", a, 2, error) != 1) return false;
    return false; /* the body gives up: everything it wrote is rolled back */
}

static int64_t count_of(ferry_store* store, const char* sql) {
    ferry_error_t error = {0};
    ferry_rows* rows = ferry_query(store, sql, NULL, 0, &error);
    REQUIRE(rows != NULL);
    const int64_t n = ferry_rows_int(rows, 0, 0);
    ferry_rows_free(rows);
    return n;
}

static int64_t int_of(ferry_store* store, const char* sql) { return count_of(store, sql); }

/* What the change callback saw: rows, and rows whose local write lost. */
typedef struct seen_t {
    int rows, superseded, rejected;
    int64_t last_outcome_id;
} seen_t;
static void on_changes(const ferry_change_t* changes, size_t count, void* context) {
    seen_t* seen = (seen_t*)context;
    for (size_t i = 0; i < count; ++i) {
        ++seen->rows;
        if (strcmp(changes[i].lost, "superseded") == 0) ++seen->superseded;
        if (strcmp(changes[i].lost, "rejected") == 0) ++seen->rejected;
        if (changes[i].outcome_id != 0) seen->last_outcome_id = changes[i].outcome_id;
        CHECK(changes[i].table != NULL && changes[i].key_json[0] == '[');
    }
}

static int status_calls = 0;
static void on_status(const ferry_service_status_t* status, void* context) {
    (void)status;
    ++*(int*)context;
}

int main(int argc, char** argv) {
    REQUIRE(argc == 5);
    char a_path[4096], b_path[4096], c_path[4096];
    snprintf(a_path, sizeof a_path, "%s/a.db", argv[1]);
    snprintf(b_path, sizeof b_path, "%s/b.db", argv[1]);
    snprintf(c_path, sizeof c_path, "%s/c.db", argv[1]);
    const char* conninfo = argv[2];
    const char* gateway = argv[3];
    const char* token = argv[4]; /* k_user's */
    CHECK(strcmp(ferry_version(), "0.1.0") == 0);
    CHECK(strcmp(ferry_error_code_name(FERRY_ERROR_constraint), "constraint") == 0);
    CHECK(FERRY_ERROR_connection == 20);

    ferry_error_t error = {0};
    CHECK(ferry_store_open(NULL, "december", &error) == NULL);
    CHECK(error.code == FERRY_ERROR_invalid_argument && strstr(error.message, "path") != NULL);
    ferry_error_clear(&error);
    CHECK(error.message == NULL);
    CHECK(ferry_store_open(a_path, "no-such-app", &error) == NULL);
    CHECK(error.code == FERRY_ERROR_unknown_app);
    ferry_error_clear(&error);

    ferry_store* a = ferry_store_open(a_path, "december", &error);
    REQUIRE(a != NULL);

    /* Typed parameters and results. */
    ferry_value user[] = {ferry_text(k_user), ferry_text("ann@x.org"), ferry_text("Ann")};
    CHECK(ferry_execute(a, "INSERT INTO users(id, email, name) VALUES (?, ?, ?)", user, 3, &error) == 1);
    const unsigned char bytes[] = {0, 1, 2, 255};
    ferry_value probe[] = {ferry_int(42), ferry_real(2.5), ferry_null(), ferry_blob(bytes, sizeof bytes)};
    ferry_rows* rows = ferry_query(a, "SELECT ? AS i, ? AS r, ? AS n, ? AS b, email FROM users", probe, 4, &error);
    REQUIRE(rows != NULL);
    CHECK(ferry_rows_count(rows) == 1);
    CHECK(ferry_rows_columns(rows) == 5);
    CHECK(strcmp(ferry_rows_column_name(rows, 4), "email") == 0);
    CHECK(ferry_rows_column_name(rows, 5) == NULL);
    CHECK(ferry_rows_type(rows, 0, 0) == FERRY_INTEGER && ferry_rows_int(rows, 0, 0) == 42);
    CHECK(ferry_rows_type(rows, 0, 1) == FERRY_REAL && ferry_rows_real(rows, 0, 1) == 2.5);
    CHECK(ferry_rows_type(rows, 0, 2) == FERRY_NULL);
    size_t size = 0;
    const unsigned char* blob = ferry_rows_blob(rows, 0, 3, &size);
    CHECK(size == 4 && blob != NULL && blob[3] == 255);
    CHECK(strcmp(ferry_rows_text(rows, 0, 4), "ann@x.org") == 0);
    CHECK(ferry_rows_text(rows, 0, 0) == NULL);  /* not text */
    CHECK(ferry_rows_type(rows, 7, 0) == FERRY_NULL); /* out of range */
    ferry_rows_free(rows);
    ferry_rows_free(NULL);

    /* Errors say what they are: a bad statement, a constraint. */
    CHECK(!ferry_exec(a, "SELEKT 1", &error));
    CHECK(error.domain == FERRY_DOMAIN_SQLITE && error.code == FERRY_ERROR_sql && strstr(error.message, "SELEKT"));
    ferry_error_clear(&error);
    CHECK(ferry_execute(a, "INSERT INTO users(id, email) VALUES (?, ?)", user, 2, &error) == -1);
    CHECK(error.code == FERRY_ERROR_constraint && error.native_code != 0 && !error.transient);
    ferry_error_clear(&error);

    /* Transactions: committed, and rolled back when the body gives up. */
    CHECK(ferry_transaction(a, insert_two, NULL, &error));
    CHECK(count_of(a, "SELECT count(*) FROM users") == 3);
    CHECK(!ferry_transaction(a, insert_then_fail, NULL, &error));
    CHECK(error.code == FERRY_ERROR_cancelled);
    ferry_error_clear(&error);
    CHECK(count_of(a, "SELECT count(*) FROM users WHERE email = 'gone@x.org'") == 0);

    ferry_status_t status = {0};
    REQUIRE(ferry_store_status(a, &status, &error));
    CHECK(status.pending_changes == 3);
    CHECK(strcmp(status.app, "december") == 0 && strlen(status.site_id) > 0 && strcmp(status.last_sync_at, "") == 0);
    ferry_status_clear(&status);

    /* A direct sync, then a store kept in sync by the service. */
    ferry_sync_report_t report = {0};
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    CHECK(report.pushed == 3 && report.applied == 3 && report.rejected == 0);
    char* rejected = ferry_rejected_json(a, &error);
    CHECK(rejected != NULL && strcmp(rejected, "[]") == 0);
    ferry_free(rejected);

    ferry_store* b = ferry_store_open(b_path, "december", &error);
    REQUIRE(b != NULL);
    ferry_service* service = ferry_service_start_postgres(b_path, conninfo, on_status, &status_calls, &error);
    REQUIRE(service != NULL);
    ferry_value web[] = {ferry_text("55555555-5555-4555-8555-555555555555"), ferry_text("later@x.org")};
    CHECK(ferry_execute(a, "INSERT INTO users(id, email) VALUES (?, ?)", web, 2, &error) == 1);
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    int waited = 0;
    while (count_of(b, "SELECT count(*) FROM users") < 4 && waited < 20000) {
        usleep(10000);
        waited += 10;
    }
    CHECK(count_of(b, "SELECT count(*) FROM users") == 4);
    ferry_service_status_t s;
    ferry_service_status(service, &s);
    CHECK(s.rounds >= 1 && s.failed_rounds == 0 && s.last_error_code == FERRY_ERROR_NONE);
    ferry_service_free(service);
    CHECK(status_calls >= 2);
    ferry_service_free(NULL);

    /* The write-outcome ledger: a forced conflict, restored; a forced rejection, retried and
     * discarded; the change callback names the writes that lost. */
    const char* every_table[] = {"*"};
    REQUIRE(ferry_outcome_watch(a, every_table, 1, 0, 0, &error));
    REQUIRE(ferry_sync_postgres(b, conninfo, &report, &error));
    CHECK(ferry_execute(a, "UPDATE users SET name = 'from a' WHERE id = ?", user, 1, &error) == 1);
    usleep(5000); /* b writes later: b wins */
    CHECK(ferry_execute(b, "UPDATE users SET name = 'from b' WHERE id = ?", user, 1, &error) == 1);
    REQUIRE(ferry_sync_postgres(b, conninfo, &report, &error));
    seen_t seen = {0, 0, 0, 0};
    ferry_store_on_changes(a, on_changes, &seen);
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    CHECK(report.superseded == 1);
    CHECK(seen.superseded == 1 && seen.rows >= 1);
    const int64_t lost_id = int_of(a, "SELECT id FROM ferry_outcomes WHERE outcome = 'superseded'");
    CHECK(lost_id == seen.last_outcome_id);
    char* outcomes = ferry_outcomes_json(a, "superseded", false, &error);
    REQUIRE(outcomes != NULL);
    CHECK(strstr(outcomes, "\"from b\"") != NULL && strstr(outcomes, "\"winner_site\"") != NULL);
    ferry_free(outcomes);
    char* state = ferry_write_status(a, "users", "[\"11111111-1111-4111-8111-111111111111\"]", &error);
    CHECK(state != NULL && strcmp(state, "superseded") == 0);
    ferry_free(state);
    REQUIRE(ferry_outcome_restore(a, lost_id, &error));
    CHECK(!ferry_outcome_restore(a, lost_id, &error)); /* already restored */
    CHECK(error.code == FERRY_ERROR_invalid_argument);
    ferry_error_clear(&error);
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    REQUIRE(ferry_sync_postgres(b, conninfo, &report, &error));
    CHECK(count_of(b, "SELECT count(*) FROM users WHERE name = 'from a'") == 1);

    /* b takes an email first; a, which has not heard of it, uses it too: the server refuses a's. */
    ferry_value taken[] = {ferry_text("88888888-8888-4888-8888-888888888888"), ferry_text("clash@x.org")};
    CHECK(ferry_execute(b, "INSERT INTO users(id, email) VALUES (?, ?)", taken, 2, &error) == 1);
    ferry_value taken2[] = {ferry_text("99999999-9999-4999-8999-999999999999"), ferry_text("clash2@x.org")};
    CHECK(ferry_execute(b, "INSERT INTO users(id, email) VALUES (?, ?)", taken2, 2, &error) == 1);
    REQUIRE(ferry_sync_postgres(b, conninfo, &report, &error));
    ferry_value clash[] = {ferry_text("66666666-6666-4666-8666-666666666666"), ferry_text("clash@x.org")};
    CHECK(ferry_execute(a, "INSERT INTO users(id, email) VALUES (?, ?)", clash, 2, &error) == 1);
    ferry_value clash2[] = {ferry_text("77777777-7777-4777-8777-777777777777"), ferry_text("clash2@x.org")};
    CHECK(ferry_execute(a, "INSERT INTO users(id, email) VALUES (?, ?)", clash2, 2, &error) == 1);
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    CHECK(report.rejected == 2 && seen.rejected == 2);
    const int64_t refused_id = int_of(a, "SELECT min(id) FROM ferry_rejected");
    const int64_t second_id = int_of(a, "SELECT max(id) FROM ferry_rejected");
    CHECK(!ferry_outcome_retry(a, refused_id, "{\"no_such_column\": 1}", &error));
    CHECK(error.code == FERRY_ERROR_invalid_argument && strstr(error.message, "no_such_column"));
    ferry_error_clear(&error);
    REQUIRE(ferry_outcome_retry(a, refused_id, "{\"email\": \"t9@x.org\"}", &error));
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    CHECK(report.rejected == 0);
    REQUIRE(ferry_sync_postgres(b, conninfo, &report, &error));
    CHECK(count_of(b, "SELECT count(*) FROM users WHERE email = 't9@x.org'") == 1);

    REQUIRE(ferry_outcome_discard(a, second_id, &error));
    CHECK(!ferry_outcome_discard(a, second_id, &error));
    CHECK(error.code == FERRY_ERROR_not_found);
    ferry_error_clear(&error);
    CHECK(count_of(a, "SELECT count(*) FROM ferry_rejected") == 0);
    ferry_store_on_changes(a, NULL, NULL);

    /* Through a real gateway, as k_user: a phone's store gets the user's rows and its write
     * reaches the cloud; a forged token is refused and the write is kept. */
    ferry_store* c = ferry_store_open(c_path, "december", &error);
    REQUIRE(c != NULL);
    REQUIRE(ferry_sync_gateway(c, gateway, token, &report, &error));
    CHECK(count_of(c, "SELECT count(*) FROM users WHERE id = '11111111-1111-4111-8111-111111111111'") == 1);
    CHECK(ferry_execute(c, "UPDATE users SET avatar_url = 'https://x.test/c' WHERE id = ?", user, 1, &error) == 1);
    CHECK(!ferry_sync_gateway(c, gateway, "forged.token.value", &report, &error));
    CHECK(error.domain == FERRY_DOMAIN_HTTP && error.code == FERRY_ERROR_unauthenticated && !error.transient);
    ferry_error_clear(&error);
    REQUIRE(ferry_sync_gateway(c, gateway, token, &report, &error));
    CHECK(report.pushed == 1 && report.applied == 1);
    REQUIRE(ferry_sync_postgres(a, conninfo, &report, &error));
    CHECK(count_of(a, "SELECT count(*) FROM users WHERE avatar_url = 'https://x.test/c'") == 1);
    ferry_store_close(c);

    /* A gateway that is not there: a transient connection error, nothing lost. */
    CHECK(ferry_execute(a, "UPDATE users SET name = 'Ann B.' WHERE id = ?", user, 1, &error) == 1);
    CHECK(!ferry_sync_gateway(a, "http://127.0.0.1:1", "token", &report, &error));
    CHECK(error.domain == FERRY_DOMAIN_HTTP && error.code == FERRY_ERROR_connection && error.transient);
    ferry_error_clear(&error);
    REQUIRE(ferry_store_status(a, &status, &error));
    CHECK(status.pending_changes == 1);
    ferry_status_clear(&status);

    ferry_store_close(b);
    ferry_store_close(a);
    ferry_store_close(NULL);
    if (failures) fprintf(stderr, "c_api_test: %d checks failed\n", failures);
    else printf("c_api_test: ok\n");
    return failures ? 1 : 0;
}
