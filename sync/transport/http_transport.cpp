// sync/transport/http_transport.cpp: Transport to the HTTP gateway with libcurl (docs/gateway.md):
// one kept-alive easy handle, gzip both ways, bearer token, retries of transient failures with
// exponential backoff and full jitter, and the gateway's error answers mapped to ErrorCode by name.
#include "ferry/http_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "ferry/error.hpp"
#include "sync/protocol/codec.hpp"
#include "sync/transport/curl_error.hpp"
#include "sync/transport/gzip.hpp"

namespace ferry {
namespace {

bool libcurl_decodes_zstd() { return (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ZSTD) != 0; }

// Smaller bodies are sent as they are: gzip's header and the CPU cost outweigh the saving.
constexpr std::size_t gzip_threshold = 1024;

[[noreturn]] void invalid(const std::string& message) {
    throw Error(ErrorDomain::http, ErrorCode::invalid_argument, message);
}

void init_curl_once() {
    // curl_global_init is not thread-safe in every build: run it exactly once, before any handle.
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        throw Error(ErrorDomain::http, ErrorCode::internal,
                    std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc), static_cast<int>(rc));
}

/// `base_url` without trailing slashes, checked to be http(s) with a host.
std::string checked_base_url(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    std::string lower = url;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool https = lower.rfind("https://", 0) == 0, http = lower.rfind("http://", 0) == 0;
    const std::size_t host_at = https ? 8 : 7;
    if ((!https && !http) || url.size() <= host_at)
        invalid("gateway URL '" + url +
                "' is not an http:// or https:// URL with a host (e.g. https://sync.example.com)");
    return url;
}

/// A token goes into a header line: it must be non-empty and hold no space or control character.
void check_token(const std::string& token) {
    if (token.empty())
        throw Error(ErrorDomain::http, ErrorCode::unauthenticated,
                    "no bearer token to send: set HttpOptions::bearer_token or a token_provider that returns one");
    for (unsigned char c : token)
        if (c <= 0x20 || c == 0x7f)
            invalid("the bearer token contains a space, line break or control character (a token file with a "
                    "stray newline?); the token itself is not shown");
}

void check_options(const HttpOptions& o) {
    if (!o.token_provider && o.bearer_token.empty())
        invalid("HttpOptions: neither a bearer_token nor a token_provider: the gateway needs the user's token");
    if (!o.token_provider) check_token(o.bearer_token);
    if (o.connect_timeout_ms <= 0 || o.request_timeout_ms <= 0)
        invalid("HttpOptions: connect_timeout_ms and request_timeout_ms must be positive");
    if (o.retries < 0 || o.retries > 100) invalid("HttpOptions: retries must be between 0 and 100");
    if (o.backoff_initial_ms < 0 || o.backoff_max_ms < o.backoff_initial_ms)
        invalid("HttpOptions: need 0 <= backoff_initial_ms <= backoff_max_ms");
}

/// `message` with every occurrence of the token replaced, whatever produced the message.
std::string without_token(std::string message, const std::string& token) {
    if (token.empty()) return message;
    for (auto at = message.find(token); at != std::string::npos; at = message.find(token, at))
        message.replace(at, token.size(), "<token>");
    return message;
}

/// The first characters of a body that is not what was expected, printable, for a message.
std::string excerpt(const std::string& body) {
    std::string out;
    for (unsigned char c : body.substr(0, 120)) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
    return out + (body.size() > 120 ? "..." : "");
}

bool is_retry_status(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

/// The code for a status when the body does not name a known one (docs/gateway.md's table).
ErrorCode code_for_status(long status) {
    switch (status) {
    case 401: return ErrorCode::unauthenticated;
    case 429:
    case 503: return ErrorCode::busy;
    case 502: return ErrorCode::connection;
    case 504: return ErrorCode::timeout;
    default: return ErrorCode::protocol;
    }
}

struct GatewayError {
    std::string code;
    std::string message;
};

/// The gateway's `{"error": {"code": ..., "message": ...}}`, if that is what `body` is.
std::optional<GatewayError> parse_error_body(const std::string& body) {
    const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return std::nullopt;
    const auto& e = j["error"];
    if (!e.contains("code") || !e["code"].is_string()) return std::nullopt;
    return GatewayError{e["code"].get<std::string>(),
                        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : ""};
}

/// What to do about an error, for the end of its message.
std::string advice(ErrorCode code) {
    switch (code) {
    case ErrorCode::unauthenticated: return "; get a new token and sync again (the local changes stay queued)";
    case ErrorCode::busy:
    case ErrorCode::connection:
    case ErrorCode::timeout: return "; retry later: nothing was lost, the changes stay queued";
    default: return "";
    }
}

/// The error for a non-2xx answer: the code the body names, else the one the status implies.
Error status_error(long status, const std::string& body, const std::string& url) {
    const std::string at = "POST " + url + ": the gateway answered HTTP " + std::to_string(status);
    const auto reported = parse_error_body(body);
    if (!reported)
        return Error(ErrorDomain::http, code_for_status(status),
                     at + " with a body that is not a Ferry error ('" + excerpt(body) + "')", static_cast<int>(status));
    ErrorCode code = error_code_from_name(reported->code).value_or(code_for_status(status));
    if (status == 401) code = ErrorCode::unauthenticated;  // whatever the body says: the token was refused
    return Error(ErrorDomain::http, code, at + " " + reported->code + ": " + reported->message,
                 static_cast<int>(status));
}

/// One attempt's outcome: a curl failure, or an HTTP answer.
struct Outcome {
    CURLcode curl = CURLE_OK;
    std::string curl_detail;
    long status = 0;
    std::string body;
    std::int64_t retry_after_s = 0;  ///< the answer's Retry-After, 0 when absent
};

using Headers = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

class HttpTransport final : public Transport {
public:
    HttpTransport(std::string base_url, HttpOptions options)
        : m_base_url(std::move(base_url)), m_options(std::move(options)), m_random(std::random_device{}()) {
        init_curl_once();
        m_curl = curl_easy_init();
        if (!m_curl) throw Error(ErrorDomain::http, ErrorCode::internal, "cannot create a libcurl handle");
        configure();
    }
    ~HttpTransport() override { curl_easy_cleanup(m_curl); }
    HttpTransport(const HttpTransport&) = delete;
    HttpTransport& operator=(const HttpTransport&) = delete;

    /// Ends a call in progress on another thread (it fails) and every later one. Thread-safe.
    void abort() { m_aborted = true; }
    bool aborted() const { return m_aborted; }

    std::string call(const std::string& endpoint, const std::string& request_json) override {
        if (endpoint.empty() || endpoint.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
            invalid("unknown sync endpoint '" + endpoint + "'");
        const std::string url = m_base_url + "/v1/" + endpoint;
        const bool compress = m_options.compression && request_json.size() > gzip_threshold;
        const std::string body = compress ? detail::gzip(request_json) : request_json;
        for (int attempt = 0;; ++attempt) {
            Outcome o = perform(url, body, compress);
            if (o.curl == CURLE_OK && o.status >= 200 && o.status < 300) return checked_json(std::move(o), url);
            const bool retry = o.curl != CURLE_OK ? detail::is_retry_curl(o.curl) : is_retry_status(o.status);
            if (!retry || attempt >= m_options.retries) throw failure(o, url, attempt + 1);
            std::this_thread::sleep_for(delay_before_retry(o, attempt));
        }
    }

private:
    // Options that stay the same for every request; call() sets the URL, headers and body.
    void configure() {
        set(CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe on any thread
        set(CURLOPT_ERRORBUFFER, m_error_buffer);
        set(CURLOPT_WRITEFUNCTION, &HttpTransport::append);
        set(CURLOPT_WRITEDATA, &m_response);
        set(CURLOPT_POST, 1L);
        set(CURLOPT_PROTOCOLS_STR, "http,https");
        set(CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would resend the token elsewhere
        set(CURLOPT_TCP_KEEPALIVE, 1L);
        set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_options.connect_timeout_ms));
        set(CURLOPT_TIMEOUT_MS, static_cast<long>(m_options.request_timeout_ms));
        // Verification is libcurl's default; set explicitly so that no build or environment can weaken it.
        set(CURLOPT_SSL_VERIFYPEER, 1L);
        set(CURLOPT_SSL_VERIFYHOST, 2L);
        if (!m_options.ca_file.empty()) set(CURLOPT_CAINFO, m_options.ca_file.c_str());
        // zstd where this libcurl decodes it (the gateway compresses with it in a third of gzip's time).
        if (m_options.compression) set(CURLOPT_ACCEPT_ENCODING, libcurl_decodes_zstd() ? "zstd, gzip" : "gzip");
        set(CURLOPT_USERAGENT, m_options.user_agent.c_str());
        // Called often during a transfer (a long poll too): a non-zero answer ends it.
        set(CURLOPT_NOPROGRESS, 0L);
        set(CURLOPT_XFERINFOFUNCTION, &HttpTransport::keep_going);
        set(CURLOPT_XFERINFODATA, this);
    }

    static int keep_going(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        return static_cast<HttpTransport*>(self)->m_aborted ? 1 : 0;
    }

    template <class T>
    void set(CURLoption option, T value) {
        const CURLcode rc = curl_easy_setopt(m_curl, option, value);
        if (rc != CURLE_OK)
            throw Error(ErrorDomain::http, ErrorCode::internal,
                        std::string("libcurl refused an option: ") + curl_easy_strerror(rc), static_cast<int>(rc));
    }

    static size_t append(char* data, size_t size, size_t count, void* response) {
        static_cast<std::string*>(response)->append(data, size * count);
        return size * count;
    }

    std::string token() {
        if (!m_options.token_provider) return m_options.bearer_token;
        try {
            m_token = m_options.token_provider();
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {
            throw Error(ErrorDomain::http, ErrorCode::unauthenticated,
                        std::string("the token provider failed: ") + e.what());
        }
        return m_token;
    }

    Headers headers(bool gzipped) {
        const std::string auth = token();
        check_token(auth);
        std::vector<std::string> lines = {"Content-Type: application/json", "Accept: application/json",
                                          "Expect:",  // no 100-continue round trip before large bodies
                                          "Authorization: Bearer " + auth};
        if (gzipped) lines.push_back("Content-Encoding: gzip");
        Headers h(nullptr, &curl_slist_free_all);
        for (const auto& line : lines) {
            curl_slist* head = curl_slist_append(h.get(), line.c_str());
            if (!head) throw Error(ErrorDomain::http, ErrorCode::internal, "out of memory building request headers");
            h.release();  // the same list, now one longer
            h.reset(head);
        }
        return h;
    }

    Outcome perform(const std::string& url, const std::string& body, bool gzipped) {
        Headers h = headers(gzipped);
        set(CURLOPT_URL, url.c_str());
        set(CURLOPT_HTTPHEADER, h.get());
        set(CURLOPT_POSTFIELDS, body.data());
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        m_response.clear();
        m_error_buffer[0] = '\0';
        Outcome o;
        o.curl = curl_easy_perform(m_curl);
        set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));  // h is freed on return
        if (o.curl != CURLE_OK) {
            o.curl_detail = m_error_buffer;
            return o;
        }
        curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &o.status);
        curl_off_t retry_after = 0;
        if (curl_easy_getinfo(m_curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
            o.retry_after_s = retry_after;
        o.body = std::move(m_response);
        return o;
    }

    std::string checked_json(Outcome o, const std::string& url) {
        if (!nlohmann::json::accept(o.body))
            throw Error(ErrorDomain::http, ErrorCode::protocol,
                        without_token("POST " + url + ": the gateway answered HTTP " + std::to_string(o.status) +
                                          " with a body that is not JSON ('" + excerpt(o.body) + "')",
                                      current_token()),
                        static_cast<int>(o.status));
        return std::move(o.body);
    }

    Error failure(const Outcome& o, const std::string& url, int attempts) {
        const Error e =
            o.curl != CURLE_OK ? detail::curl_error(o.curl, o.curl_detail, url) : status_error(o.status, o.body, url);
        const std::string tries = attempts > 1 ? " (after " + std::to_string(attempts) + " attempts)" : "";
        return Error(e.domain(), e.code(), without_token(e.what() + tries + advice(e.code()), current_token()),
                     e.native_code());
    }

    /// Retry-After when the server gave one, else full jitter; both capped at backoff_max_ms.
    std::chrono::milliseconds delay_before_retry(const Outcome& o, int attempt) {
        const std::int64_t cap = m_options.backoff_max_ms;
        if (o.retry_after_s > 0)
            return std::chrono::milliseconds(o.retry_after_s > cap / 1000 ? cap : o.retry_after_s * 1000);
        const std::int64_t ceiling =
            std::min<std::int64_t>(cap, std::int64_t(m_options.backoff_initial_ms) << std::min(attempt, 30));
        return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, ceiling)(m_random));
    }

    const std::string& current_token() const { return m_options.token_provider ? m_token : m_options.bearer_token; }

    std::string m_base_url;
    HttpOptions m_options;
    std::mt19937_64 m_random;
    CURL* m_curl = nullptr;
    char m_error_buffer[CURL_ERROR_SIZE] = {};
    std::string m_response;
    std::string m_token;  // the provider's latest token, to keep it out of messages
    std::atomic<bool> m_aborted{false};
};

/// The gateway's long poll as a SyncService feed: a pull of one row with wait_ms, whose answer
/// only tells whether something is new (the service's next round pulls it).
class GatewayChanges final : public RemoteChanges {
public:
    GatewayChanges(std::string base_url, HttpOptions options) : m_http(std::move(base_url), for_long_polls(std::move(options))) {}

    bool wait(const Position& at, int timeout_ms) override {
        if (m_http.aborted()) return false;
        protocol::PullRequest request;
        request.app = at.app;
        request.site = at.site;
        request.cursor = at.cursor;
        request.limit = 1;
        request.wait_ms = std::clamp<std::int64_t>(timeout_ms, 0, protocol::k_max_wait_ms);
        try {
            const std::string answer = m_http.call("pull", protocol::encode(request).dump());
            return !protocol::is_empty_page(nlohmann::json::parse(answer));
        } catch (const Error&) {
            if (m_http.aborted()) return false;
            throw;
        }
    }
    void interrupt() override { m_http.abort(); }

private:
    /// No retries of its own (the service waits and calls again), and time for the longest wait.
    static HttpOptions for_long_polls(HttpOptions o) {
        o.retries = 0;
        o.request_timeout_ms = std::max<int>(o.request_timeout_ms, protocol::k_max_wait_ms + 15000);
        return o;
    }
    HttpTransport m_http;
};

}  // namespace

std::unique_ptr<Transport> connect_gateway(const std::string& base_url, HttpOptions options) {
    check_options(options);
    return std::make_unique<HttpTransport>(checked_base_url(base_url), std::move(options));
}

std::unique_ptr<RemoteChanges> gateway_changes(const std::string& base_url, HttpOptions options) {
    check_options(options);
    return std::make_unique<GatewayChanges>(checked_base_url(base_url), std::move(options));
}

}  // namespace ferry
