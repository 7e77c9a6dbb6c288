// An app that embeds the installed device library: a store used offline.
#include <ferry/store.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    auto store = ferry::Store::open(argv[1], "december");
    store.execute("INSERT INTO users(id, email) VALUES (?, 'packaged@example.com')", {ferry::Store::new_id()});
    const auto rows = store.query_value("SELECT count(*) FROM users WHERE email = 'packaged@example.com'")->as_int();
    std::printf("rows %lld pending %lld\n", static_cast<long long>(rows),
                static_cast<long long>(store.status().pending_changes));
    return 0;
}
