// A tool that links the installed server library: a database that cannot be reached is a clear,
// transient error.
#include <ferry/error.hpp>
#include <ferry/postgres_transport.hpp>

#include <cstdio>

int main() {
    try {
        ferry::connect_postgres("host=/nonexistent-ferry-socket-dir connect_timeout=2", "december");
    } catch (const ferry::Error& e) {
        std::printf("%s %s\n", ferry::error_code_name(e.code()), e.is_transient() ? "transient" : "permanent");
        return 0;
    }
    return 1;
}
