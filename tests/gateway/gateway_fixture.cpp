// tests/gateway/gateway_fixture.cpp: processes, raw HTTP and pgbouncer for the gateway tests.
#include "tests/gateway/gateway_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "ferry/server.hpp"

extern char** environ;

namespace ferry::test {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::string run_capture(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed: " + cmd);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}

}  // namespace

std::string cli_path() { return FERRY_CLI_PATH; }

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::optional<std::string>>& env) {
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        const std::string key = kv.substr(0, kv.find('='));
        if (env.count(key) || key.rfind("FERRY_JWT_", 0) == 0 || key == "FERRY_LISTEN_DATABASE_URL") continue;
        envs.push_back(kv);
    }
    for (const auto& [k, v] : env)
        if (v) envs.push_back(k + "=" + *v);
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    ::chmod(m_dir.path().c_str(), 0755);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string out = m_dir.file("out"), err = m_dir.file("err");
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = ::posix_spawnp(&m_pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

Process::~Process() {
    if (!m_done && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &m_status, 0);
    }
}

std::string Process::out() const { return slurp(m_dir.file("out")); }
std::string Process::err() const { return slurp(m_dir.file("err")); }

bool Process::running() {
    if (m_done) return false;
    if (::waitpid(m_pid, &m_status, WNOHANG) == m_pid) m_done = true;
    return !m_done;
}

int Process::terminate(int timeout_ms) {
    if (running()) ::kill(m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &m_status, 0);
            m_done = true;
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
}

GatewayProcess::GatewayProcess(std::vector<std::string> args, std::map<std::string, std::optional<std::string>> env)
    : m_process(
          [&] {
              std::vector<std::string> argv = {cli_path(), "gateway", "--listen", "127.0.0.1:0"};
              argv.insert(argv.end(), args.begin(), args.end());
              return argv;
          }(),
          env) {
    static const std::regex listening(R"(ferry gateway: listening on 127\.0\.0\.1:(\d+))");
    static const std::regex metrics(R"(ferry gateway: metrics on 127\.0\.0\.1:(\d+))");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        std::smatch m;
        const std::string out = m_process.out();
        if (std::regex_search(out, m, listening)) {
            m_port = std::stoi(m[1]);
            // Printed before the "listening on" line.
            if (std::regex_search(out, m, metrics)) m_metrics_port = std::stoi(m[1]);
            return;
        }
        if (!m_process.running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("ferry gateway did not start; stdout: " + out + "; stderr: " + m_process.err());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

GatewayProcess start_gateway(const PgDatabase& db, const std::string& config_json,
                             std::map<std::string, std::optional<std::string>> env,
                             const std::vector<std::string>& extra_args) {
    std::vector<std::string> args;
    static TempDir configs;  // outlives every gateway of the test run
    static int n = 0;
    if (!config_json.empty()) {
        const auto path = configs.file("config-" + std::to_string(++n) + ".json");
        write_file(path, config_json);
        args = {"--config", path};
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    env.emplace("DATABASE_URL", db.conninfo());
    if (!env.count("FERRY_JWT_PUBLIC_KEY_FILE")) env.emplace("FERRY_JWT_SECRET", k_secret);
    return GatewayProcess(args, env);
}

std::string raw_http(int port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{40, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to the gateway on port " + std::to_string(port));
    }
    std::size_t sent = 0;
    while (sent < request.size()) {
        const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may answer (413) and close before reading everything
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buf[8192];
    for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        answer.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

std::string http_request(const std::string& method, const std::string& path, const std::vector<std::string>& headers,
                         const std::string& body) {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& h : headers) r += h + "\r\n";
    if (method == "POST") r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    return r + "\r\n" + body;
}

int status_of(const std::string& raw) {
    if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return 0;
    return std::stoi(raw.substr(9, 3));
}

std::string body_of(const std::string& raw) {
    const auto end = raw.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : raw.substr(end + 4);
}

std::string header_of(const std::string& raw, const std::string& name) {
    auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    std::istringstream lines(raw.substr(0, raw.find("\r\n\r\n")));
    for (std::string line; std::getline(lines, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos || lower(line.substr(0, colon)) != lower(name)) continue;
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
        return value;
    }
    return "";
}

HttpAnswer http_send(int port, const std::string& request) {
    HttpAnswer a;
    a.raw = raw_http(port, request);
    a.status = status_of(a.raw);
    a.body = body_of(a.raw);
    return a;
}

HttpAnswer http_get(int port, const std::string& path) { return http_send(port, http_request("GET", path, {})); }

HttpAnswer http_post(int port, const std::string& path, const std::string& token, const std::string& body,
                     std::vector<std::string> headers) {
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return http_send(port, http_request("POST", path, headers, body));
}

std::string gateway_login(const PgDatabase& db) {
    db.exec("DO $$ BEGIN CREATE ROLE ferry_gateway_test LOGIN PASSWORD 'gateway-pw' NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
    // Granted at the same moment by a test running in parallel: as good as granting it.
    db.exec("DO $$ BEGIN GRANT ferry_device TO ferry_gateway_test; EXCEPTION WHEN unique_violation THEN NULL; END $$");
    db.exec("GRANT CONNECT ON DATABASE " + db.name() + " TO ferry_gateway_test");
    return db.conninfo() + " user=ferry_gateway_test password=gateway-pw";
}

std::string cli_token(const std::string& sub, int ttl_s, const std::string& aud) {
    const std::string cmd = "FERRY_JWT_SECRET='" + k_secret + "' '" + cli_path() + "' token --sub '" + sub +
                            "' --ttl " + std::to_string(ttl_s) + " --aud '" + aud + "'";
    std::string out = run_capture(cmd);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (std::count(out.begin(), out.end(), '.') != 2) throw std::runtime_error("ferry token printed no token: " + out);
    return out;
}

void install_app(const PgDatabase& db, const std::string& app) { ferry::server::install_app_schema(db.conninfo(), app); }

Pgbouncer::Pgbouncer(int port) : m_port(port) {
    ::chmod(m_dir.path().c_str(), 0777);  // pgbouncer, as user postgres, writes its log and pid file here
    const auto env = [](const char* name, const char* fallback) {
        const char* v = std::getenv(name);
        return std::string(v && *v ? v : fallback);
    };
    // auth_type any: clients are not authenticated by pgbouncer (it listens on loopback only, for
    // this test); it logs in to PostgreSQL as the pg_virtualenv user with its password.
    std::string ini = "[databases]\n* = host=" + env("PGHOST", "localhost") + " port=" + env("PGPORT", "5432") +
                      " user=" + env("PGUSER", "postgres") + " password=" + env("PGPASSWORD", "") +
                      "\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " + std::to_string(port) +
                      "\nunix_socket_dir =\nauth_type = any\npool_mode = transaction\nmax_client_conn = 200\n"
                      "default_pool_size = 4\nignore_startup_parameters = extra_float_digits\n"
                      "logfile = " +
                      m_dir.file("pgbouncer.log") + "\npidfile = " + m_dir.file("pgbouncer.pid") + "\n";
    write_file(m_dir.file("pgbouncer.ini"), ini);
    ::chmod(m_dir.file("pgbouncer.ini").c_str(), 0644);
    std::vector<std::string> argv = {"pgbouncer"};
    if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "postgres"});  // pgbouncer refuses to run as root
    argv.push_back(m_dir.file("pgbouncer.ini"));
    m_process = std::make_unique<Process>(argv, std::map<std::string, std::optional<std::string>>{});
    // Ready when it accepts a connection.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (up) return;
        if (!m_process->running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("pgbouncer did not start: " + m_process->err() + slurp(m_dir.file("pgbouncer.log")));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

Pgbouncer::~Pgbouncer() { m_process->terminate(); }

std::string Pgbouncer::conninfo(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(m_port) + " dbname=" + database;
}

}  // namespace ferry::test
