/* A plain C program built against the installed C API with pkg-config (test_install.sh). */
#include <stdio.h>

#include <ferry/ferry.h>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    ferry_error_t error = {0};
    ferry_store* store = ferry_store_open(argv[1], "december", &error);
    if (!store) {
        fprintf(stderr, "open: %s\n", error.message);
        ferry_error_clear(&error);
        return 1;
    }
    ferry_value params[] = {ferry_text("11111111-1111-4111-8111-111111111111"), ferry_text("c@example.com")};
    const int64_t changed = ferry_execute(store, "INSERT INTO users(id, email) VALUES (?, ?)", params, 2, &error);
    ferry_rows* rows = ferry_query(store, "SELECT email FROM users", NULL, 0, &error);
    printf("changed %lld email %s version %s\n", (long long)changed, rows ? ferry_rows_text(rows, 0, 0) : "-",
           ferry_version());
    ferry_rows_free(rows);
    ferry_store_close(store);
    return 0;
}
