// sync/transport/curl_error.cpp: libcurl result codes to ferry::Error (see curl_error.hpp).
#include "sync/transport/curl_error.hpp"

namespace ferry::detail {
namespace {

enum class Kind { network, timeout, tls_verification, tls_handshake, ca_file, bad_url, bad_answer, memory, other };

Kind kind_of(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_PROXY:
    case CURLE_AGAIN:
    case CURLE_NO_CONNECTION_AVAILABLE: return Kind::network;
    case CURLE_OPERATION_TIMEDOUT: return Kind::timeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return Kind::tls_verification;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED: return Kind::tls_handshake;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE: return Kind::ca_file;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return Kind::bad_url;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING: return Kind::bad_answer;
    case CURLE_OUT_OF_MEMORY: return Kind::memory;
    default: return Kind::other;
    }
}

}  // namespace

bool is_retry_curl(CURLcode code) {
    const Kind k = kind_of(code);
    return k == Kind::network || k == Kind::timeout;
}

Error curl_error(CURLcode code, const std::string& detail, const std::string& url) {
    const std::string what = detail.empty() ? curl_easy_strerror(code) : detail;
    const std::string at = "POST " + url + ": ";
    auto err = [&](ErrorCode c, const std::string& message) {
        return Error(ErrorDomain::http, c, at + message, static_cast<int>(code));
    };
    switch (kind_of(code)) {
    case Kind::network:
        return err(ErrorCode::connection, "cannot reach the gateway (" + what + ")");
    case Kind::timeout:
        return err(ErrorCode::timeout, "the gateway did not answer in time (" + what + ")");
    case Kind::tls_verification:
        return err(ErrorCode::connection,
                   "certificate verification failed: the server's TLS certificate is not trusted or does not match "
                   "its name (" + what + "); check the gateway's certificate, the device's clock, or "
                   "HttpOptions::ca_file");
    case Kind::tls_handshake:
        return err(ErrorCode::connection, "the TLS handshake failed, so the server's certificate could not be "
                                          "verified (" + what + "); is the gateway serving https on that port?");
    case Kind::ca_file:
        return err(ErrorCode::invalid_argument,
                   "cannot load the CA bundle (" + what + "); check HttpOptions::ca_file names a readable PEM file");
    case Kind::bad_url: return err(ErrorCode::invalid_argument, "not a usable gateway URL (" + what + ")");
    case Kind::bad_answer:
        return err(ErrorCode::protocol, "the answer is not valid HTTP from a Ferry gateway (" + what + ")");
    case Kind::memory: return err(ErrorCode::internal, "out of memory (" + what + ")");
    case Kind::other: break;
    }
    return err(ErrorCode::connection, "the request failed (" + what + ")");
}

}  // namespace ferry::detail
