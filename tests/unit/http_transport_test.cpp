// tests/unit/http_transport_test.cpp: the gateway transport (connect_gateway) against a scripted
// HTTP(S) server on a loopback port in this process (cpp-httplib): the request it sends, retries
// and backoff, and how each kind of failure becomes a ferry::Error.
#include "ferry/http_transport.hpp"

#include <curl/curl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "ferry/error.hpp"
#include "sync/transport/gzip.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::HttpOptions;

namespace {

/// One scripted answer.
struct Reply {
    int status = 200;
    std::string body = R"({"ok":true})";
    httplib::Headers headers = {};
    int delay_ms = 0;  ///< wait this long before answering (cut short when the server stops)
};

/// A request the server received.
struct Seen {
    std::string path;
    httplib::Headers headers;
    std::string body;  ///< after httplib undid any Content-Encoding
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

/// An HTTP server on 127.0.0.1 (any free port) that answers each POST with the next scripted
/// reply (the last one repeats) and records what it received.
class ScriptedServer {
public:
    explicit ScriptedServer(std::vector<Reply> script, std::unique_ptr<httplib::Server> server = nullptr)
        : m_server(server ? std::move(server) : std::make_unique<httplib::Server>()), m_script(std::move(script)) {
        m_server->set_keep_alive_timeout(1);
        m_server->Post(".*", [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
        m_port = m_server->bind_to_any_port("127.0.0.1");  // listening from here on
        REQUIRE(m_port > 0);
        m_thread = std::thread([this] { m_server->listen_after_bind(); });
        // stop() is a no-op until the accept loop runs: a short test would otherwise hang in join().
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!m_server->is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        REQUIRE(m_server->is_running());
    }
    ~ScriptedServer() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_server->stop();
        m_thread.join();
    }

    std::string url(const std::string& scheme = "http") const {
        return scheme + "://127.0.0.1:" + std::to_string(m_port);
    }
    std::vector<Seen> seen() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_seen;
    }

private:
    void answer(const httplib::Request& req, httplib::Response& res) {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_seen.push_back({req.path, req.headers, req.body});
        const Reply reply = m_script[std::min(m_seen.size(), m_script.size()) - 1];
        m_wake.wait_for(lock, std::chrono::milliseconds(reply.delay_ms), [this] { return m_stopping; });
        res.status = reply.status;
        for (const auto& h : reply.headers) res.set_header(h.first.c_str(), h.second);
        res.set_content(reply.body, "application/json");
    }

    std::unique_ptr<httplib::Server> m_server;
    std::vector<Reply> m_script;
    std::vector<Seen> m_seen;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    int m_port = 0;
    std::thread m_thread;
};

const std::string token = "tok.en-7f3a9c";

/// Options with short delays, so that retries cost milliseconds.
HttpOptions quick_options() {
    HttpOptions o;
    o.bearer_token = token;
    o.backoff_initial_ms = 1;
    o.backoff_max_ms = 20;
    o.connect_timeout_ms = 2000;
    o.request_timeout_ms = 5000;
    return o;
}

std::string error_body(const std::string& code, const std::string& message) {
    return R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
}

/// The ferry::Error that f throws (the test fails when it throws none).
ferry::Error error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ferry::Error& e) {
        return e;
    }
    FAIL("no ferry::Error was thrown");
    throw std::logic_error("unreachable");
}

/// A port on loopback where nothing listens: bound then closed at once.
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

/// A self-signed certificate for 127.0.0.1 (its own CA), its key, and the certificate's PEM file.
struct SelfSigned {
    X509* cert = nullptr;
    EVP_PKEY* key = nullptr;
    std::string pem_path;
    ~SelfSigned() {
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

void make_self_signed(SelfSigned& s, const std::string& pem_path) {
    s.key = EVP_EC_gen("P-256");
    REQUIRE(s.key);
    s.cert = X509_new();
    X509_set_version(s.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(s.cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(s.cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(s.cert), 3600);
    X509_set_pubkey(s.cert, s.key);
    X509_NAME* name = X509_get_subject_name(s.cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                               0);
    X509_set_issuer_name(s.cert, name);
    add_extension(s.cert, NID_subject_alt_name, "IP:127.0.0.1");
    add_extension(s.cert, NID_basic_constraints, "critical,CA:TRUE");
    REQUIRE(X509_sign(s.cert, s.key, EVP_sha256()) > 0);
    FILE* f = std::fopen(pem_path.c_str(), "w");
    REQUIRE(f);
    PEM_write_X509(f, s.cert);
    std::fclose(f);
    s.pem_path = pem_path;
}

}  // namespace

TEST_CASE("a call POSTs the message to /v1/{endpoint} with the token, gzip both ways", "[unit][http]") {
    const std::string answer = R"({"seq":17,"results":[)" + std::string(3000, ' ') + "]}";
    ScriptedServer server({Reply{200, ferry::detail::gzip(answer), {{"Content-Encoding", "gzip"}}}});
    auto transport = ferry::connect_gateway(server.url() + "/", quick_options());
    const std::string request = R"({"app":"december","changes":[")" + std::string(5000, 'x') + R"("]})";

    REQUIRE(transport->call("push", request) == answer);

    const auto seen = server.seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].path == "/v1/push");
    CHECK(seen[0].header("Authorization") == "Bearer " + token);
    CHECK(seen[0].header("Content-Type") == "application/json");
    CHECK(seen[0].header("Content-Encoding") == "gzip");
    // zstd first where this libcurl decodes it (the gateway then answers with it).
    const bool zstd = (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ZSTD) != 0;
    CHECK(seen[0].header("Accept-Encoding") == (zstd ? "zstd, gzip" : "gzip"));
    CHECK(seen[0].body == request);  // httplib gunzipped it
}

TEST_CASE("small bodies and compression off travel uncompressed", "[unit][http]") {
    ScriptedServer server({Reply{}});
    auto options = quick_options();
    auto transport = ferry::connect_gateway(server.url(), options);
    REQUIRE(transport->call("lease", R"({"small":1})") == R"({"ok":true})");
    options.compression = false;
    auto plain = ferry::connect_gateway(server.url(), options);
    const std::string big = R"({"big":")" + std::string(4000, 'y') + R"("})";
    REQUIRE(plain->call("pull", big) == R"({"ok":true})");

    const auto seen = server.seen();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].path == "/v1/lease");
    CHECK(seen[0].header("Content-Encoding").empty());
    CHECK(seen[0].body == R"({"small":1})");
    CHECK(seen[1].path == "/v1/pull");
    CHECK(seen[1].header("Content-Encoding").empty());
    CHECK(seen[1].header("Accept-Encoding").empty());
    CHECK(seen[1].body == big);
}

TEST_CASE("503 twice then 200 is one successful call after three requests", "[unit][http]") {
    const std::string busy = error_body("busy", "the database is busy");
    ScriptedServer server({Reply{503, busy}, Reply{503, busy}, Reply{200, R"({"done":1})"}});
    auto transport = ferry::connect_gateway(server.url(), quick_options());
    REQUIRE(transport->call("pull", "{}") == R"({"done":1})");
    REQUIRE(server.seen().size() == 3);
}

TEST_CASE("transient answers are retried `retries` times, then fail as transient", "[unit][http]") {
    ScriptedServer server({Reply{504, "<html>gateway timeout</html>"}});
    auto options = quick_options();
    options.retries = 2;
    auto transport = ferry::connect_gateway(server.url(), options);
    const auto e = error_of([&] { transport->call("push", "{}"); });
    CHECK(e.code() == ErrorCode::timeout);  // a proxy's 504 without a Ferry body: the status decides
    CHECK(e.domain() == ferry::ErrorDomain::http);
    CHECK(e.is_transient());
    CHECK(e.native_code() == 504);
    CHECK_THAT(e.what(), Catch::Contains("after 3 attempts"));
    REQUIRE(server.seen().size() == 3);
}

TEST_CASE("429 waits as long as Retry-After says, capped at backoff_max_ms", "[unit][http]") {
    const std::string limited = error_body("busy", "rate limit");
    SECTION("Retry-After: 1 is honoured") {
        ScriptedServer server({Reply{429, limited, {{"Retry-After", "1"}}}, Reply{}});
        auto options = quick_options();
        options.backoff_max_ms = 5000;
        auto transport = ferry::connect_gateway(server.url(), options);
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(transport->call("push", "{}") == R"({"ok":true})");
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(950));
        REQUIRE(server.seen().size() == 2);
    }
    SECTION("Retry-After: 60 waits only backoff_max_ms") {
        ScriptedServer server({Reply{429, limited, {{"Retry-After", "60"}}}, Reply{}});
        auto options = quick_options();
        options.backoff_max_ms = 100;
        auto transport = ferry::connect_gateway(server.url(), options);
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(transport->call("push", "{}") == R"({"ok":true})");
        const auto waited = std::chrono::steady_clock::now() - start;
        CHECK(waited >= std::chrono::milliseconds(90));
        CHECK(waited < std::chrono::seconds(5));
    }
}

TEST_CASE("401 is unauthenticated at once, and the message never shows the token", "[unit][http]") {
    // A (misbehaving) gateway that echoes the token: the transport still keeps it out of the message.
    ScriptedServer server({Reply{401, error_body("unauthenticated", "the token has expired: " + token)}});
    auto transport = ferry::connect_gateway(server.url(), quick_options());
    const auto e = error_of([&] { transport->call("push", "{}"); });
    CHECK(e.code() == ErrorCode::unauthenticated);
    CHECK_FALSE(e.is_transient());
    CHECK_THAT(e.what(), Catch::Contains("the token has expired"));
    CHECK_THAT(e.what(), !Catch::Contains(token));
    REQUIRE(server.seen().size() == 1);
}

TEST_CASE("the gateway's error code decides the ferry::ErrorCode", "[unit][http]") {
    const auto code_for = [](int status, const std::string& body) {
        ScriptedServer server({Reply{status, body}});
        auto transport = ferry::connect_gateway(server.url(), quick_options());
        const auto e = error_of([&] { transport->call("push", "{}"); });
        REQUIRE(server.seen().size() == 1);  // none of these is retried
        return e;
    };
    CHECK(code_for(403, error_body("not_permitted", "site belongs to another user")).code() ==
          ErrorCode::not_permitted);
    // The SyncClient rotates its site on exactly this code.
    CHECK(code_for(409, error_body("site_reused", "site used by another copy")).code() == ErrorCode::site_reused);
    CHECK(code_for(409, error_body("resync_required", "behind the log")).code() == ErrorCode::resync_required);
    CHECK(code_for(400, error_body("invalid_argument", "bad batch")).code() == ErrorCode::invalid_argument);

    const auto garbage = code_for(500, "<html>Internal Server Error</html>");
    CHECK(garbage.code() == ErrorCode::protocol);
    CHECK_THAT(garbage.what(), Catch::Contains("HTTP 500") && Catch::Contains("Internal Server Error"));
    // A code name this build does not know: the status decides, the name is kept in the message.
    const auto unknown = code_for(400, error_body("from_the_future", "new"));
    CHECK(unknown.code() == ErrorCode::protocol);
    CHECK_THAT(unknown.what(), Catch::Contains("from_the_future"));
}

TEST_CASE("a 2xx answer that is not JSON is a protocol error", "[unit][http]") {
    ScriptedServer server({Reply{200, "<html>captive portal</html>"}});
    auto transport = ferry::connect_gateway(server.url(), quick_options());
    const auto e = error_of([&] { transport->call("pull", "{}"); });
    CHECK(e.code() == ErrorCode::protocol);
    CHECK_THAT(e.what(), Catch::Contains("not JSON") && Catch::Contains("captive portal"));
}

TEST_CASE("a refused connection is a transient connection error after the retries", "[unit][http]") {
    auto options = quick_options();
    options.retries = 2;
    auto transport = ferry::connect_gateway("http://127.0.0.1:" + std::to_string(closed_port()), options);
    const auto e = error_of([&] { transport->call("push", "{}"); });
    CHECK(e.code() == ErrorCode::connection);
    CHECK(e.domain() == ferry::ErrorDomain::http);
    CHECK(e.is_transient());
    CHECK_THAT(e.what(), Catch::Contains("after 3 attempts"));
}

TEST_CASE("a slow answer times out, and the same transport works afterwards", "[unit][http]") {
    ScriptedServer server({Reply{200, R"({"late":1})", {}, 3000}, Reply{}});
    auto options = quick_options();
    options.retries = 0;
    options.request_timeout_ms = 300;
    auto transport = ferry::connect_gateway(server.url(), options);
    const auto start = std::chrono::steady_clock::now();
    const auto e = error_of([&] { transport->call("pull", "{}"); });
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500));
    CHECK(e.code() == ErrorCode::timeout);
    CHECK(e.is_transient());
    REQUIRE(transport->call("pull", "{}") == R"({"ok":true})");
}

TEST_CASE("a token provider is asked before every request, retries included", "[unit][http]") {
    ScriptedServer server({Reply{503, error_body("busy", "busy")}, Reply{}});
    auto options = quick_options();
    options.bearer_token.clear();
    int calls = 0;
    options.token_provider = [&] { return "fresh-" + std::to_string(++calls); };
    auto transport = ferry::connect_gateway(server.url(), options);
    REQUIRE(transport->call("push", "{}") == R"({"ok":true})");
    const auto seen = server.seen();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].header("Authorization") == "Bearer fresh-1");
    CHECK(seen[1].header("Authorization") == "Bearer fresh-2");

    options.token_provider = []() -> std::string { throw std::runtime_error("refresh token revoked"); };
    auto failing = ferry::connect_gateway(server.url(), options);
    const auto e = error_of([&] { failing->call("push", "{}"); });
    CHECK(e.code() == ErrorCode::unauthenticated);
    CHECK_THAT(e.what(), Catch::Contains("refresh token revoked"));
}

TEST_CASE("connect_gateway refuses bad URLs, missing and malformed tokens", "[unit][http]") {
    const auto code_of = [](const std::string& url, HttpOptions o) {
        return error_of([&] { ferry::connect_gateway(url, std::move(o)); }).code();
    };
    CHECK(code_of("ftp://example.com", quick_options()) == ErrorCode::invalid_argument);
    CHECK(code_of("https://", quick_options()) == ErrorCode::invalid_argument);
    auto none = quick_options();
    none.bearer_token.clear();
    CHECK(code_of("https://example.com", none) == ErrorCode::invalid_argument);
    auto newline = quick_options();
    newline.bearer_token = token + "\n";
    const auto e = error_of([&] { ferry::connect_gateway("https://example.com", newline); });
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK_THAT(e.what(), !Catch::Contains(token));
    auto backwards = quick_options();
    backwards.backoff_initial_ms = 100;
    backwards.backoff_max_ms = 10;
    CHECK(code_of("https://example.com", backwards) == ErrorCode::invalid_argument);
}

TEST_CASE("https verifies the server's certificate", "[unit][http][tls]") {
    ferry::test::TempDir dir;
    SelfSigned cert;
    make_self_signed(cert, dir.file("gateway.pem"));
    ScriptedServer server({Reply{}}, std::make_unique<httplib::SSLServer>(cert.cert, cert.key));
    auto options = quick_options();
    options.retries = 3;

    SECTION("a self-signed certificate is refused, without retries") {
        auto transport = ferry::connect_gateway(server.url("https"), options);
        const auto e = error_of([&] { transport->call("push", "{}"); });
        CHECK(e.code() == ErrorCode::connection);
        CHECK_THAT(e.what(), Catch::Contains("certificate verification failed"));
        CHECK_THAT(e.what(), !Catch::Contains("after"));
        CHECK(server.seen().empty());
    }
    SECTION("... and accepted when ca_file names it") {
        options.ca_file = cert.pem_path;
        auto transport = ferry::connect_gateway(server.url("https"), options);
        REQUIRE(transport->call("push", "{}") == R"({"ok":true})");
        REQUIRE(server.seen().size() == 1);
    }
    SECTION("a CA file that cannot be read is a usage error") {
        options.ca_file = dir.file("missing.pem");
        auto transport = ferry::connect_gateway(server.url("https"), options);
        const auto e = error_of([&] { transport->call("push", "{}"); });
        CHECK(e.code() == ErrorCode::invalid_argument);
        CHECK_THAT(e.what(), Catch::Contains("ca_file"));
    }
}

TEST_CASE("https to a plain-HTTP port fails the TLS handshake with a clear message", "[unit][http][tls]") {
    ScriptedServer server({Reply{}});
    auto transport = ferry::connect_gateway(server.url("https"), quick_options());
    const auto e = error_of([&] { transport->call("push", "{}"); });
    CHECK(e.code() == ErrorCode::connection);
    CHECK_THAT(e.what(), Catch::Contains("TLS handshake failed") && Catch::Contains("https"));
}
