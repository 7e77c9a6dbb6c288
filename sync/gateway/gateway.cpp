// sync/gateway/gateway.cpp: the HTTP side of the gateway on cpp-httplib 0.11 (Debian's shared
// build, compiled with the flags of its .pc). Each request: read the body (bounded), verify the
// bearer token, rate-limit its user, run the protocol on a pooled connection, answer JSON. Errors
// become the status and body of docs/gateway.md in reply_error(), the one place that maps codes.
// The access log counts each request for the operator listener (/metrics and a status page on a
// port of its own, never the public one).
#include "sync/gateway/gateway.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "ferry/error.hpp"
#include "sync/server/change_notifier.hpp"
#include "sync/gateway/connection_pool.hpp"
#include "sync/gateway/exclusive_port.hpp"
#include "sync/gateway/operator_views.hpp"
#include "sync/gateway/rate_limiter.hpp"
#include "sync/gateway/request_metrics.hpp"
#include "sync/gateway/site_figures.hpp"
#include "sync/gateway/zstd.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/server/pg_error.hpp"
#include "sync/server/principal.hpp"
#include "sync/transport/gzip.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

/// What the access log says about the request this thread is handling. httplib runs the
/// pre-routing handler, the handler and the logger of one request on one worker thread.
struct RequestContext {
    bool active = false;
    std::string id;
    std::string user;
    std::string code;  ///< the error code name of a failed request
    SteadyClock::time_point started;
    bool accepts_gzip = false;  ///< the request's Accept-Encoding names gzip
    bool accepts_zstd = false;  ///< ... and zstd
};
thread_local RequestContext t_request;

/// JSON text that never throws on bad UTF-8 (a path or a message may hold any bytes).
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string dump(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string iso_now() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

std::mutex g_log_mutex;
/// One line on stderr, whole, even with many request threads.
void write_log_line(const nlohmann::ordered_json& line) {
    const std::string text = dump(line) + "\n";
    std::lock_guard<std::mutex> lock(g_log_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

void log_event(const std::string& level, const std::string& message) {
    write_log_line({{"time", iso_now()}, {"level", level}, {"message", message}});
}

std::string new_request_id() {
    thread_local std::mt19937_64 rng(std::random_device{}() ^ std::hash<std::thread::id>{}(std::this_thread::get_id()));
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return buf;
}

/// The client's X-Request-Id when it is a plain identifier (it goes into the log), else a new one.
std::string request_id_for(const httplib::Request& req) {
    const auto given = req.get_header_value("X-Request-Id");
    if (given.empty() || given.size() > 64) return new_request_id();
    for (char c : given)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return new_request_id();
    return given;
}

int status_for(ErrorCode code) {
    switch (code) {
    case ErrorCode::protocol:
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::not_permitted: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::site_reused:
    case ErrorCode::wrong_app:
    case ErrorCode::resync_required: return 409;
    case ErrorCode::busy: return 503;
    case ErrorCode::connection: return 502;
    case ErrorCode::timeout: return 504;
    default: return 500;
    }
}

void reply_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    // Compressed here: httplib's own gzip (its default level) took three quarters of the
    // gateway's CPU on a snapshot, and zlib's fastest level still 35%; zstd's level 1 takes a
    // third of that and its answers are smaller. httplib compresses only content types it
    // knows, by equality, so it leaves this one alone.
    constexpr const char* type = "application/json; charset=utf-8";
    std::string text = dump(body);
    res.set_header("Vary", "Accept-Encoding");
    if (t_request.accepts_zstd) {
        res.set_header("Content-Encoding", "zstd");
        res.set_content(zstd(text, k_zstd_fast), type);
    } else if (t_request.accepts_gzip) {
        res.set_header("Content-Encoding", "gzip");
        res.set_content(gzip(text, k_gzip_fast), type);
    } else {
        res.set_content(std::move(text), type);
    }
}

/// The error answer of docs/gateway.md. `status` 0: decided by the code. Internal failures say
/// only that they happened (their detail, which may name tables, goes to the log).
void reply_error(httplib::Response& res, const Error& e, int status = 0) {
    if (status == 0) status = status_for(e.code());
    std::string message = e.what();
    if (status == 500 || e.code() == ErrorCode::connection) {
        write_log_line({{"time", iso_now()},
                        {"level", "error"},
                        {"request_id", t_request.id},
                        {"code", error_code_name(e.code())},
                        {"message", message}});
        message = std::string(status == 500 ? "the gateway failed to handle this request"
                                            : "the gateway cannot reach its database") +
                  " (request id " + t_request.id + "); the gateway's log has the details";
    }
    t_request.code = error_code_name(e.code());
    if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"ferry\", error=\"invalid_token\"");
    if (e.code() == ErrorCode::busy && !res.has_header("Retry-After")) res.set_header("Retry-After", "1");
    reply_json(res, status, {{"error", {{"code", error_code_name(e.code())}, {"message", message}}}});
}

Error http_error(ErrorCode code, const std::string& message) { return Error(ErrorDomain::http, code, message); }

/// The token of "Authorization: Bearer <token>"; throws Error(unauthenticated) without one.
std::string bearer_token(const httplib::Request& req) {
    const auto header = req.get_header_value("Authorization");
    if (header.empty())
        throw http_error(ErrorCode::unauthenticated, "no bearer token: send the header 'Authorization: Bearer <JWT>'");
    const std::string scheme = "bearer ";
    bool is_bearer = header.size() > scheme.size();
    for (std::size_t i = 0; is_bearer && i < scheme.size(); ++i)
        is_bearer = std::tolower(static_cast<unsigned char>(header[i])) == scheme[i];
    if (!is_bearer)
        throw http_error(ErrorCode::unauthenticated,
                         "the Authorization header is not a bearer token: send 'Authorization: Bearer <JWT>'");
    const auto start = header.find_first_not_of(' ', scheme.size());
    return start == std::string::npos ? std::string() : header.substr(start);
}

json parse_request(const std::string& body) {
    json request = json::parse(body, nullptr, false);
    if (request.is_discarded())
        throw http_error(ErrorCode::protocol, "bad request: the body is not valid JSON (a protocol message, docs/protocol.md)");
    if (!request.is_object()) throw http_error(ErrorCode::protocol, "bad request: the body must be a JSON object");
    return request;
}

/// Removes "wait_ms" from a pull request (the gateway's own field) and returns it, shortened to
/// this gateway's max_wait_ms (a client need not know the gateway's configuration).
int take_wait_ms(json& request, int max_wait_ms) {
    const auto it = request.find("wait_ms");
    if (it == request.end()) return 0;
    const bool ok = it->is_number_integer() && it->get<std::int64_t>() >= 0 &&
                    it->get<std::int64_t>() <= protocol::k_max_wait_ms;
    if (!ok)
        throw http_error(ErrorCode::protocol, "bad request: 'wait_ms' must be an integer from 0 to " +
                                                  std::to_string(protocol::k_max_wait_ms));
    const int wait = std::min(it->get<int>(), max_wait_ms);
    request.erase(it);
    return wait;
}

/// A pull answer that the device would learn nothing from: worth waiting for a change.
bool nothing_new(const json& answer) { return protocol::is_empty_page(answer); }

/// A place among the long polls allowed to wait at once (held() false when there was none).
class WaitSlot {
public:
    WaitSlot(std::atomic<int>& waiting, int max) : m_waiting(waiting), m_held(++waiting <= max) {
        if (!m_held) --m_waiting;
    }
    ~WaitSlot() {
        if (m_held) --m_waiting;
    }
    WaitSlot(const WaitSlot&) = delete;
    WaitSlot& operator=(const WaitSlot&) = delete;
    bool held() const { return m_held; }

private:
    std::atomic<int>& m_waiting;
    bool m_held;
};

}  // namespace

struct Gateway::Impl {
    Impl(GatewayOptions o, JwtConfig jwt)
        : options(std::move(o)),
          verifier(std::move(jwt)),
          pool(options.database_url, options.app, options.server, options.limits.pool_size,
               std::chrono::milliseconds(options.limits.acquire_timeout_ms)),
          rate(options.limits.rate_per_second, options.limits.rate_burst) {}

    GatewayOptions options;
    JwtVerifier verifier;
    ConnectionPool pool;
    RateLimiter rate;
    std::unique_ptr<ChangeNotifier> notifier;
    httplib::Server http;
    std::atomic<bool> stopping{false};
    std::atomic<int> waiting{0};  ///< long polls waiting now
    RequestMetrics metrics;
    httplib::Server operator_http;  ///< /metrics and the status page, on its own port
    std::thread operator_thread;
    std::atomic<bool> operator_done{false};  ///< its listen_after_bind() returned
    int operator_port = -1;

    void configure();
    void route();
    void handle_sync(const std::string& endpoint, const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader);
    /// The body, decompressed, or an error answer already set on `res` (nullopt).
    std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader);
    json call(const std::string& endpoint, const Principal& who, const json& request);
    json pull_with_wait(const Principal& who, json request);
    void readyz(httplib::Response& res);
    void access_log(const httplib::Request& req, const httplib::Response& res);
    void count_request(const httplib::Request& req, const httplib::Response& res, SteadyClock::time_point now);

    void route_operator();
    void bind_operator();
    void stop_operator();
    OperatorSnapshot operator_snapshot();
};

void Gateway::Impl::configure() {
    const auto& l = options.limits;
    const int threads = l.threads;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    http.set_payload_max_length(l.body_limit_bytes);
    http.set_read_timeout(l.read_timeout_s, 0);
    http.set_write_timeout(l.write_timeout_s, 0);
    http.set_keep_alive_timeout(l.keep_alive_timeout_s);
    http.set_keep_alive_max_count(1000);
    // An answer goes out as two writes (headers, then body). With Nagle's algorithm on, the body
    // waited for the client's delayed ACK of the headers: 40 ms per request on loopback, most of
    // a 100-page snapshot's time.
    http.set_tcp_nodelay(true);
    http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        const std::string accepts = req.get_header_value("Accept-Encoding");
        t_request = RequestContext{true, request_id_for(req), "", "", SteadyClock::now(),
                                   accepts.find("gzip") != std::string::npos, accepts.find("zstd") != std::string::npos};
        res.set_header("X-Request-Id", t_request.id);
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // our own error answer
        if (res.status == 404)
            reply_error(res, http_error(ErrorCode::not_found,
                                        "no such endpoint: " + req.method + " " + req.path +
                                            " (the gateway serves POST /v1/push, /v1/pull, /v1/lease and GET "
                                            "/healthz, /readyz)"));
        else if (res.status == 413)
            reply_error(res, http_error(ErrorCode::invalid_argument, "the request body is over the gateway's limit"), 413);
        else if (res.status >= 400 && res.status < 500)
            reply_error(res, http_error(ErrorCode::protocol, "bad HTTP request"), res.status);
        else
            reply_error(res, http_error(ErrorCode::internal, "HTTP failure " + std::to_string(res.status)), res.status);
        return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        reply_error(res, http_error(ErrorCode::internal, "unexpected exception in the HTTP layer"));
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { access_log(req, res); });
}

void Gateway::Impl::route() {
    for (const char* endpoint : {"push", "pull", "lease"}) {
        const std::string name = endpoint;
        http.Post("/v1/" + name, [this, name](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
            handle_sync(name, req, res, reader);
        });
    }
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { reply_json(res, 200, {{"status", "ok"}}); });
    http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) { readyz(res); });
}

std::optional<std::string> Gateway::Impl::read_body(const httplib::Request& req, httplib::Response& res,
                                                    const httplib::ContentReader& reader) {
    const std::size_t limit = options.limits.body_limit_bytes;
    std::string body;
    bool too_large = false;
    // httplib bounds the bytes on the wire (set_payload_max_length, 413) and decompresses a gzip
    // body as it arrives; the bound on the decompressed size is this receiver's.
    const bool read = reader([&](const char* data, std::size_t n) {
        if (body.size() + n > limit) {
            too_large = true;
            return false;
        }
        body.append(data, n);
        return true;
    });
    if (too_large || res.status == 413) {
        res.set_header("Connection", "close");  // the rest of the body was not read
        reply_error(res,
                    http_error(ErrorCode::invalid_argument,
                               "the request body is over the gateway's limit of " + std::to_string(limit) +
                                   " bytes (decompressed); send smaller batches"),
                    413);
        return std::nullopt;
    }
    if (!read) {
        res.set_header("Connection", "close");
        const bool encoding = res.status == 415;
        reply_error(res,
                    http_error(ErrorCode::protocol, encoding ? "unsupported Content-Encoding (send gzip, or none)"
                                                             : "the request body could not be read"),
                    encoding ? 415 : 400);
        return std::nullopt;
    }
    (void)req;
    return body;
}

json Gateway::Impl::call(const std::string& endpoint, const Principal& who, const json& request) {
    for (int attempt = 1;; ++attempt) {
        auto lease = pool.acquire();
        try {
            json answer;
            translate_pg("sync " + endpoint,
                         [&] { answer = lease.server().handle(lease.connection(), who, endpoint, request); });
            return answer;
        } catch (const Error& e) {
            if (e.code() != ErrorCode::connection) throw;
            lease.discard();
            // A connection idle in the pool may have been closed meanwhile (a server restart, an
            // idle timeout, pgbouncer): once more on a new one. Sending a push again is safe: the
            // ledger answers a batch that was applied as a duplicate.
            if (!lease.reused() || attempt > 1) throw;
        }
    }
}

json Gateway::Impl::pull_with_wait(const Principal& who, json request) {
    const int wait_ms = take_wait_ms(request, options.limits.max_wait_ms);
    // Snapshot pages and fetches by key answer at once; only an incremental pull waits.
    const bool may_wait = wait_ms > 0 && notifier && !request.contains("snapshot") && !request.contains("fetch");
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(wait_ms);
    // Each waiting poll holds an HTTP thread; past this many the others are told to come back
    // (503 busy, Retry-After), so pushes, short calls and /readyz always find a thread.
    const int max_waiting = options.limits.threads - std::max(2, options.limits.threads / 4);
    std::optional<WaitSlot> slot;
    for (;;) {
        // The generation is read before the pull: a change committed after the pull's snapshot
        // moves it, so the wait below returns at once instead of missing that change.
        const auto seen = may_wait ? notifier->generation() : 0;
        json answer = call("pull", who, request);
        if (!may_wait || !nothing_new(answer) || SteadyClock::now() >= deadline || stopping) return answer;
        if (!slot) {
            slot.emplace(waiting, max_waiting);
            if (slot->held()) metrics.long_poll_started();
        }
        if (!slot->held())
            throw http_error(ErrorCode::busy, "too many long polls are waiting on this gateway (" +
                                                  std::to_string(max_waiting) + "); retry after 1 s");
        notifier->wait_for_change(seen, deadline);
        if (stopping) return answer;
        // Woken by a change (or at the deadline: pull once more, in case a notification was lost).
    }
}

void Gateway::Impl::handle_sync(const std::string& endpoint, const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) {
    try {
        const auto body = read_body(req, res, reader);
        if (!body) return;
        const auto token = verifier.verify(bearer_token(req));
        t_request.user = token.subject;
        if (const auto retry_after = rate.take(token.subject)) {
            res.set_header("Retry-After", std::to_string(*retry_after));
            reply_error(res,
                        http_error(ErrorCode::busy, "too many requests for this user; retry after " +
                                                        std::to_string(*retry_after) + " s"),
                        429);
            return;
        }
        json request = parse_request(*body);
        const auto who = Principal::for_user(token.subject, token.claims_json);
        reply_json(res, 200, endpoint == "pull" ? pull_with_wait(who, std::move(request)) : call(endpoint, who, request));
    } catch (const Error& e) {
        reply_error(res, e);
    } catch (const std::exception& e) {
        reply_error(res, http_error(ErrorCode::internal, std::string("unexpected failure: ") + e.what()));
    }
}

void Gateway::Impl::readyz(httplib::Response& res) {
    try {
        auto lease = pool.acquire();
        try {
            translate_pg("checking the database", [&] {
                pqxx::nontransaction tx(lease.connection());
                tx.exec("SELECT 1");
            });
        } catch (const Error& e) {
            lease.discard();
            throw;
        }
        reply_json(res, 200, {{"status", "ready"}});
    } catch (const Error& e) {
        reply_error(res, e, 503);
    }
}

void Gateway::Impl::access_log(const httplib::Request& req, const httplib::Response& res) {
    const auto now = SteadyClock::now();
    const bool known = t_request.active;
    nlohmann::ordered_json line = {{"time", iso_now()},
                 {"request_id", known ? t_request.id : new_request_id()},
                 {"method", req.method},
                 {"path", req.path},
                 {"status", res.status},
                 {"user", known && !t_request.user.empty() ? nlohmann::ordered_json(t_request.user) : nlohmann::ordered_json()},
                 {"bytes_in", req.has_header("Content-Length") ? req.get_header_value<std::uint64_t>("Content-Length")
                                                               : static_cast<std::uint64_t>(req.body.size())},
                 {"bytes_out", res.body.size()},
                 {"duration_ms", known ? std::chrono::duration_cast<std::chrono::milliseconds>(now - t_request.started).count()
                                       : 0}};
    if (known && !t_request.code.empty()) line["code"] = t_request.code;
    write_log_line(line);
    count_request(req, res, now);
    t_request = RequestContext{};
}

void Gateway::Impl::count_request(const httplib::Request& req, const httplib::Response& res,
                                  SteadyClock::time_point now) {
    // A request httplib refused before routing (a malformed request line) never started a context.
    std::optional<double> seconds;
    if (t_request.active) seconds = std::chrono::duration<double>(now - t_request.started).count();
    metrics.record(endpoint_of(req.method, req.path), res.status, t_request.active ? t_request.code : "", seconds);
}

void Gateway::Impl::route_operator() {
    operator_http.new_task_queue = [] { return new httplib::ThreadPool(2); };
    operator_http.set_read_timeout(5, 0);
    operator_http.set_write_timeout(5, 0);
    use_exclusive_port(operator_http);
    operator_http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(metrics_text(operator_snapshot()), "text/plain; version=0.0.4; charset=utf-8");
    });
    operator_http.Get("/", [this](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(status_page(operator_snapshot()), "text/html; charset=utf-8");
    });
}

void Gateway::Impl::bind_operator() {
    const auto& host = options.metrics_host;
    const int wanted = options.metrics_port;
    operator_port = wanted == 0 ? operator_http.bind_to_any_port(host)
                                : (operator_http.bind_to_port(host, wanted) ? wanted : -1);
    if (operator_port <= 0)
        throw Error(ErrorDomain::io, ErrorCode::io,
                    "cannot listen on " + host + ":" + std::to_string(wanted) +
                        " for metrics (address in use, or not an address of this machine)");
    operator_thread = std::thread([this] {
        operator_http.listen_after_bind();
        operator_done = true;
    });
}

void Gateway::Impl::stop_operator() {
    if (!operator_thread.joinable()) return;
    // httplib's stop() does nothing before the server runs: a stop right after bind() would
    // leave the thread listening for ever.
    while (!operator_http.is_running() && !operator_done) std::this_thread::yield();
    operator_http.stop();
    // Joined here, before the pool and the notifier that a scrape reads are destroyed.
    operator_thread.join();
}

OperatorSnapshot Gateway::Impl::operator_snapshot() {
    OperatorSnapshot s;
    s.app = options.app;
    s.requests = metrics.snapshot();
    s.long_polls_active = waiting.load();
    s.listening = notifier && notifier->listening();
    s.pool = pool.figures();
    s.now_unix_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    try {
        // A scrape waits little for a connection: while the pool is exhausted the site figures
        // are missing (ferry_gateway_site_query_success 0), the rest is still answered.
        auto lease = pool.acquire(std::chrono::milliseconds(1000));
        try {
            translate_pg("reading the sites", [&] { s.database = read_database_figures(lease.connection()); });
        } catch (const Error& e) {
            if (e.code() == ErrorCode::connection) lease.discard();
            throw;
        }
    } catch (const Error& e) {
        s.database_error = std::string(error_code_name(e.code())) + ": " + e.what();
    }
    return s;
}

Gateway::Gateway(GatewayOptions options, JwtConfig jwt) : m(std::make_unique<Impl>(std::move(options), std::move(jwt))) {
    const auto& l = m->options.limits;
    auto check = [](bool ok, const std::string& what) {
        if (!ok) throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "gateway configuration: " + what);
    };
    check(!m->options.app.empty(), "no app given");
    check(l.body_limit_bytes >= 1024, "body_limit_bytes must be at least 1024");
    check(l.pool_size >= 1 && l.pool_size <= 1000, "pool_size must be 1 to 1000");
    check(l.threads >= 2 && l.threads <= 10000, "threads must be 2 to 10000");
    check(l.max_wait_ms >= 0 && l.max_wait_ms <= 30000, "max_wait_ms must be 0 to 30000");
    check(l.rate_per_second >= 0 && l.rate_burst >= 1, "rate_per_second must be >= 0 and rate_burst >= 1");
    check(l.read_timeout_s >= 1 && l.write_timeout_s >= 1 && l.acquire_timeout_ms >= 1, "timeouts must be positive");
    m->configure();
    m->route();
    m->route_operator();
}

Gateway::~Gateway() { stop(); }

int Gateway::bind() {
    const auto& o = m->options;
    use_exclusive_port(m->http);
    const int port = o.port == 0 ? m->http.bind_to_any_port(o.host) : (m->http.bind_to_port(o.host, o.port) ? o.port : -1);
    if (port <= 0)
        throw Error(ErrorDomain::io, ErrorCode::io,
                    "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                        " (address in use, or not an address of this machine)");
    m->notifier = std::make_unique<ChangeNotifier>(o.listen_database_url.empty() ? o.database_url : o.listen_database_url,
                                                   [](const std::string& line) { log_event("info", line); });
    if (o.metrics_port >= 0) m->bind_operator();
    return port;
}

int Gateway::metrics_port() const { return m->operator_port; }

void Gateway::run() { m->http.listen_after_bind(); }

void Gateway::stop() {
    if (m->stopping.exchange(true)) return;
    if (m->notifier) m->notifier->stop();  // wakes the waiting long polls, which answer at once
    m->http.stop();
    m->stop_operator();
}

}  // namespace ferry::detail
