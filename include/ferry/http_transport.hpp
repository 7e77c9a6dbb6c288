// ferry/http_transport.hpp: a Transport that carries the protocol messages to a `ferry gateway`
// over HTTP(S) (docs/gateway.md), authenticated by the user's bearer token. This is what a phone
// or laptop app uses: it never holds database credentials. Part of the device library.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ferry/sync.hpp"
#include "ferry/sync_service.hpp"

namespace ferry {

/// How connect_gateway() talks to the gateway. The defaults suit an app on a phone.
struct HttpOptions {
    /// The user's token (a JWT), sent as `Authorization: Bearer <token>`. Used when
    /// token_provider is empty.
    std::string bearer_token;
    /// When set, called before every request (each retry too) for the token to send, so an app
    /// can refresh an expiring token. Called on the thread that calls Transport::call(). A
    /// ferry::Error it throws propagates unchanged; any other exception becomes
    /// Error(http, unauthenticated).
    std::function<std::string()> token_provider;

    /// Time allowed to establish the connection (TCP and TLS), per attempt.
    int connect_timeout_ms = 10000;
    /// Time allowed for a whole request, per attempt. Must exceed a long-poll pull's wait_ms.
    int request_timeout_ms = 60000;

    /// Transient failures (connection refused or reset, timeouts, HTTP 502/503/504 and 429) are
    /// retried this many times, then the call fails with the transient error.
    int retries = 4;
    /// Before retry n (0-based) the transport waits a random time in
    /// [0, min(backoff_max_ms, backoff_initial_ms * 2^n)] ("full jitter"), or what the server's
    /// `Retry-After` asks for, capped at backoff_max_ms.
    int backoff_initial_ms = 250;
    int backoff_max_ms = 8000;

    /// Gzip request bodies over 1 KiB and accept gzip answers.
    bool compression = true;
    /// PEM file of the certificate authorities to trust for https, instead of the system's.
    /// Peer and host name are always verified; there is no option to turn that off.
    std::string ca_file;
    /// The User-Agent header.
    std::string user_agent = "ferry/0.1.0";
};

/// A transport to the gateway at `base_url` ("https://sync.example.com" or with a path prefix,
/// "https://example.com/ferry"); it POSTs each message to `{base_url}/v1/{endpoint}` over one
/// kept-alive connection. Plain `http://` sends the token unencrypted: use it on loopback only.
///
/// Does not contact the gateway: the first call() does. Ownership: the caller owns the
/// transport; it borrows nothing. Thread-safety: one call at a time (as every Transport).
/// Failure: connect_gateway() throws Error(http, invalid_argument) for a URL that is not
/// http(s), a missing token and provider, or options out of range. call() throws ferry::Error
/// of domain http: connection or timeout (is_transient(), after the retries; a failed TLS
/// certificate verification is a connection error saying so and is not retried),
/// unauthenticated for HTTP 401 (not retried; get a new token: the local queue is kept), the
/// code the gateway names in its error answer otherwise (not_permitted, site_reused, ...), and
/// protocol for an answer that is neither a Ferry error nor JSON. After any failure the
/// transport can be called again. Messages never contain the token.
std::unique_ptr<Transport> connect_gateway(const std::string& base_url, HttpOptions options);

/// A SyncService feed from the gateway at `base_url`: long polls (pulls with `wait_ms`, at most
/// 30 s each) that return as soon as the database has a change this user may read. `options` as
/// for connect_gateway() (the same token); the feed makes no retries of its own and allows each
/// request 45 s at least. Throws as connect_gateway() does; wait() throws the transport's errors.
std::unique_ptr<RemoteChanges> gateway_changes(const std::string& base_url, HttpOptions options);

}  // namespace ferry
