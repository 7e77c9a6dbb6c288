// tests/gateway/gateway_fixture.hpp: what the gateway tests are built from: a real `ferry gateway`
// process on a loopback port, a pgbouncer in transaction mode, a raw HTTP exchange (to see every
// byte of an answer), tokens, and a database with an app installed.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/support/pg.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::test {

/// An HS256 secret for the tests (32+ bytes).
inline const std::string k_secret = "test-secret-of-the-ferry-gateway-0123456789";

/// A child process with its standard output and error in files.
class Process {
public:
    Process(const std::vector<std::string>& argv, const std::map<std::string, std::optional<std::string>>& env);
    ~Process();  ///< SIGKILL if still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return m_pid; }
    std::string out() const;
    std::string err() const;
    bool running();
    /// SIGTERM, then waits up to `timeout_ms`; the exit code, or -1 when it had to be killed.
    int terminate(int timeout_ms = 15000);

private:
    TempDir m_dir;
    pid_t m_pid = -1;
    bool m_done = false;
    int m_status = 0;
};

/// `ferry gateway --listen 127.0.0.1:0 ...` with `env` on top of this process's environment
/// (FERRY_JWT_* unset unless given; a value of nullopt unsets). Waits for its "listening on" line.
class GatewayProcess {
public:
    GatewayProcess(std::vector<std::string> args, std::map<std::string, std::optional<std::string>> env);
    int port() const { return m_port; }
    /// The operator listener's port from its "metrics on" line; 0 when it printed none.
    int metrics_port() const { return m_metrics_port; }
    /// Its standard error so far: the access log and its messages.
    std::string log() const { return m_process.err(); }
    std::string out() const { return m_process.out(); }
    int terminate() { return m_process.terminate(); }
    Process& process() { return m_process; }

private:
    Process m_process;
    int m_port = 0;
    int m_metrics_port = 0;
};

/// The usual gateway for `db`: HS256 with k_secret, DATABASE_URL = db, `config` (JSON) as its
/// --config file when not empty, then `args`.
GatewayProcess start_gateway(const PgDatabase& db, const std::string& config_json = "",
                             std::map<std::string, std::optional<std::string>> env = {},
                             const std::vector<std::string>& args = {});

/// A libpq connection string to `db` as a login role that is nothing but a member of
/// ferry_device (what docs/gateway.md tells an operator to give the gateway).
std::string gateway_login(const PgDatabase& db);

/// Sends `request` (bytes as they go on the wire) to 127.0.0.1:port and returns every byte of
/// the answer, until the server closes the connection.
std::string raw_http(int port, const std::string& request);

/// A minimal HTTP request: METHOD path, Host, Connection: close, the extra header lines, and the body.
std::string http_request(const std::string& method, const std::string& path, const std::vector<std::string>& headers,
                         const std::string& body = "");

/// The status of a raw answer ("HTTP/1.1 401 Unauthorized..." -> 401).
int status_of(const std::string& raw);
/// The body of a raw answer (after the blank line).
std::string body_of(const std::string& raw);
/// The value of header `name` (case-insensitive) in a raw answer; "" when absent.
std::string header_of(const std::string& raw, const std::string& name);

/// An answer read to its end: its status, every byte, its body.
struct HttpAnswer {
    int status = 0;
    std::string raw;
    std::string body;
    /// The value of header `name` (case-insensitive), "" when absent.
    std::string header(const std::string& name) const { return header_of(raw, name); }
    nlohmann::json json_body() const { return nlohmann::json::parse(body); }
};

/// Sends `request` (raw bytes) to 127.0.0.1:port and reads the whole answer.
HttpAnswer http_send(int port, const std::string& request);
HttpAnswer http_get(int port, const std::string& path);
/// A POST with `Authorization: Bearer token` (none when `token` is empty) and the extra headers.
HttpAnswer http_post(int port, const std::string& path, const std::string& token, const std::string& body,
                     std::vector<std::string> headers = {});

/// An HS256 token from `ferry token` (the CLI, as an operator would mint it).
std::string cli_token(const std::string& sub, int ttl_s = 600, const std::string& aud = "authenticated");

/// Installs app `app` into `db` (ferry::server::install_app_schema).
void install_app(const PgDatabase& db, const std::string& app);

/// A pgbouncer 1.18 in transaction pooling mode on 127.0.0.1:`port`, in front of the server
/// named by the PG* variables; stopped at scope end. Run as the postgres user (it refuses root).
class Pgbouncer {
public:
    explicit Pgbouncer(int port);
    ~Pgbouncer();
    /// A libpq connection string to `database` through this pgbouncer.
    std::string conninfo(const std::string& database) const;

private:
    TempDir m_dir;
    int m_port;
    std::unique_ptr<Process> m_process;
};

/// The `ferry` CLI built with the tests.
std::string cli_path();

}  // namespace ferry::test
