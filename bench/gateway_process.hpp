// bench/gateway_process.hpp: a real `ferry gateway` child process on 127.0.0.1 for the
// benchmarks that sync over HTTP, tokens minted by `ferry token`, and `ferry daemon` children for
// the live latency. The gateway serves one database (DATABASE_URL), signs with an HS256 secret,
// and runs without a rate limit.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

namespace bench {

/// HS256 secret of the benchmark's gateways (at least 32 bytes).
inline const char* k_gateway_secret = "ferry-bench-gateway-secret-0123456789abcdef";

/// The text of `path`, "" when it cannot be read.
inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A `ferry gateway --listen 127.0.0.1:0` child; its log (stderr) goes to `log_path`.
/// The constructor waits until it listens; the destructor stops it (SIGTERM, then SIGKILL).
class GatewayProcess {
public:
    GatewayProcess(const std::string& ferry_cli, const std::string& database_url, const std::string& config_path,
                   const std::string& log_path)
        : m_log(log_path) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
        m_pid = ::fork();
        if (m_pid < 0) throw std::runtime_error("fork failed");
        if (m_pid == 0) exec_child(ferry_cli, database_url, config_path, out);
        ::close(out[1]);
        m_out = out[0];
        m_port = wait_listening();
    }
    ~GatewayProcess() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            if (!wait_exit(15000)) {
                ::kill(m_pid, SIGKILL);
                ::waitpid(m_pid, nullptr, 0);
            }
        }
        if (m_out >= 0) ::close(m_out);
    }
    GatewayProcess(const GatewayProcess&) = delete;
    GatewayProcess& operator=(const GatewayProcess&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    std::string log() const { return slurp(m_log); }

private:
    [[noreturn]] void exec_child(const std::string& cli, const std::string& url, const std::string& config, int out[2]) {
        ::dup2(out[1], 1);
        ::close(out[0]);
        ::close(out[1]);
        const int err = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) ::dup2(err, 2);
        ::setenv("DATABASE_URL", url.c_str(), 1);
        ::setenv("FERRY_JWT_SECRET", k_gateway_secret, 1);
        ::unsetenv("FERRY_JWT_PUBLIC_KEY_FILE");
        ::unsetenv("FERRY_LISTEN_DATABASE_URL");
        ::execl(cli.c_str(), cli.c_str(), "gateway", "--listen", "127.0.0.1:0", "--config", config.c_str(),
                static_cast<char*>(nullptr));
        std::fprintf(stderr, "cannot run %s\n", cli.c_str());
        ::_exit(127);
    }

    /// Reads the child's stdout until "listening on 127.0.0.1:PORT" (30 s at most).
    int wait_listening() {
        static const std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
        std::string seen;
        for (int waited = 0; waited < 30000; waited += 100) {
            pollfd p{m_out, POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) {
                char buf[512];
                const ssize_t n = ::read(m_out, buf, sizeof buf);
                if (n <= 0) break;  // the child closed its stdout: it exited
                seen.append(buf, static_cast<std::size_t>(n));
                std::smatch m;
                if (std::regex_search(seen, m, listening)) return std::stoi(m[1]);
            }
        }
        throw std::runtime_error("ferry gateway did not start listening; its log (" + m_log + "):\n" + log());
    }

    bool wait_exit(int timeout_ms) {
        for (int waited = 0; waited < timeout_ms; waited += 10) {
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) return true;
            ::usleep(10000);
        }
        return false;
    }

    std::string m_log;
    pid_t m_pid = -1;
    int m_out = -1;
    int m_port = 0;
};

/// A `ferry daemon --db STORE` child, directly (DATABASE_URL = `database_url`) or through the
/// gateway at `gateway_url` with the token in `token_file`; its log goes to `log_path`. The
/// destructor stops it with SIGTERM (SIGKILL after 15 s).
class DaemonProcess {
public:
    DaemonProcess(const std::string& ferry_cli, const std::string& store, const std::string& database_url,
                  const std::string& gateway_url, const std::string& token_file, const std::string& log_path)
        : m_log(log_path) {
        m_pid = ::fork();
        if (m_pid < 0) throw std::runtime_error("fork failed");
        if (m_pid > 0) return;
        const int err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) ::dup2(err, 2);
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) ::dup2(null, 1);
        ::setenv("DATABASE_URL", database_url.c_str(), 1);
        ::unsetenv("FERRY_LISTEN_DATABASE_URL");
        if (gateway_url.empty())
            ::execl(ferry_cli.c_str(), ferry_cli.c_str(), "daemon", "--db", store.c_str(), static_cast<char*>(nullptr));
        else
            ::execl(ferry_cli.c_str(), ferry_cli.c_str(), "daemon", "--db", store.c_str(), "--gateway", gateway_url.c_str(),
                    "--token-file", token_file.c_str(), static_cast<char*>(nullptr));
        std::fprintf(stderr, "cannot run %s\n", ferry_cli.c_str());
        ::_exit(127);
    }
    ~DaemonProcess() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGTERM);
        for (int waited = 0; waited < 15000; waited += 10) {
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) return;
            ::usleep(10000);
        }
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;
    std::string log() const { return slurp(m_log); }

private:
    std::string m_log;
    pid_t m_pid = -1;
};

/// An HS256 token for `sub` from `ferry token` (a day long), signed with k_gateway_secret.
inline std::string gateway_token(const std::string& ferry_cli, const std::string& sub) {
    const std::string cmd = "FERRY_JWT_SECRET='" + std::string(k_gateway_secret) + "' '" + ferry_cli +
                            "' token --sub '" + sub + "' --ttl 86400";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[1024];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (status != 0 || out.empty()) throw std::runtime_error("`ferry token` failed (" + cmd + ")");
    return out;
}

}  // namespace bench
