// sync/gateway/jwt.cpp: JWT verification and minting with libjwt 1.10. libjwt checks signatures
// only; it trusts the token's own `alg` and checks no claim, so the header's algorithm is compared
// with the pinned one here before libjwt sees the token, and every claim is checked here too.
#include "sync/gateway/jwt.hpp"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;

constexpr std::size_t k_max_token_bytes = 16 * 1024;
constexpr std::size_t k_min_secret_bytes = 32;
constexpr std::size_t k_max_subject_bytes = 1024;

[[noreturn]] void refuse(const std::string& why) {
    throw Error(ErrorDomain::http, ErrorCode::unauthenticated, "the bearer token was refused: " + why);
}

[[noreturn]] void bad_config(const std::string& why) {
    throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "JWT configuration: " + why);
}

std::string iso_time(std::int64_t unix_s) {
    const std::time_t t = static_cast<std::time_t>(unix_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// Strict base64url without padding (RFC 7515 section 2); nullopt-like empty flag on bad input.
bool base64url_decode(const std::string& in, std::string& out) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (in.size() % 4 == 1) return false;
    out.clear();
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        const int v = value(c);
        if (v < 0) return false;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return true;
}

/// The token's three parts; refuses anything but header.payload.signature.
struct TokenParts {
    std::string header, payload, signature;
};

TokenParts split_token(const std::string& token) {
    if (token.empty()) refuse("it is empty");
    if (token.size() > k_max_token_bytes)
        refuse("it is longer than " + std::to_string(k_max_token_bytes) + " bytes");
    const auto first = token.find('.');
    const auto second = first == std::string::npos ? first : token.find('.', first + 1);
    if (second == std::string::npos || token.find('.', second + 1) != std::string::npos)
        refuse("it is not a JWT (expected three base64url parts separated by dots)");
    return {token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

json decode_part(const std::string& part, const char* what) {
    std::string text;
    if (!base64url_decode(part, text)) refuse(std::string("its ") + what + " is not base64url");
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) refuse(std::string("its ") + what + " is not a JSON object");
    return j;
}

/// The header check that libjwt does not make: the token's `alg` must be the pinned one, spelled
/// exactly. This is what refuses `alg: none` and HS/RS confusion.
void check_header(const json& header, JwtAlgorithm pinned) {
    const auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string()) refuse("its header names no algorithm ('alg')");
    if (alg->get<std::string>() != jwt_algorithm_name(pinned))
        refuse("it is signed with " + alg->dump() + ", but this gateway accepts only " +
               jwt_algorithm_name(pinned));
    if (header.contains("crit")) refuse("its header has critical extensions ('crit'), which are not supported");
}

jwt_alg_t libjwt_alg(JwtAlgorithm a) {
    switch (a) {
    case JwtAlgorithm::hs256: return JWT_ALG_HS256;
    case JwtAlgorithm::rs256: return JWT_ALG_RS256;
    case JwtAlgorithm::es256: return JWT_ALG_ES256;
    }
    return JWT_ALG_INVAL;
}

struct JwtFree {
    void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CFree {
    void operator()(char* p) const { std::free(p); }
};

/// The signature check (libjwt), then libjwt's own view of the algorithm as a second guard.
json verified_claims(const std::string& token, const JwtConfig& config) {
    jwt_t* raw = nullptr;
    const int rc = jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(config.key.data()),
                              static_cast<int>(config.key.size()));
    JwtPtr decoded(raw);
    if (rc != 0 || !decoded) refuse("its signature does not verify with the configured key (forged, tampered, or signed with another key)");
    if (jwt_get_alg(decoded.get()) != libjwt_alg(config.algorithm))
        refuse(std::string("it is not signed with ") + jwt_algorithm_name(config.algorithm));
    std::unique_ptr<char, CFree> grants(jwt_get_grants_json(decoded.get(), nullptr));
    if (!grants) refuse("its payload holds no claims");
    json claims = json::parse(grants.get(), nullptr, false);
    if (claims.is_discarded() || !claims.is_object()) refuse("its payload is not a JSON object");
    return claims;
}

/// A NumericDate claim (seconds, possibly fractional) as whole seconds, or refuses.
std::int64_t numeric_date(const json& claims, const char* name) {
    const auto& v = claims.at(name);
    if (!v.is_number() || !std::isfinite(v.get<double>())) refuse(std::string("its '") + name + "' is not a number of seconds");
    return static_cast<std::int64_t>(std::floor(v.get<double>()));
}

void check_audience(const json& claims, const std::string& audience) {
    const auto aud = claims.find("aud");
    if (aud == claims.end()) refuse("it has no audience ('aud'); this gateway requires '" + audience + "'");
    bool found = false;
    if (aud->is_string()) {
        found = *aud == audience;
    } else if (aud->is_array()) {
        for (const auto& a : *aud) {
            if (!a.is_string()) refuse("its 'aud' array holds a value that is not a string");
            found = found || a == audience;
        }
    } else {
        refuse("its 'aud' is neither a string nor an array of strings");
    }
    if (!found) refuse("it is for audience " + aud->dump() + ", not '" + audience + "'");
}

void check_times(const json& claims, std::int64_t now_s, int leeway_s) {
    if (!claims.contains("exp")) refuse("it has no expiry ('exp'); tokens without one are not accepted");
    const auto exp = numeric_date(claims, "exp");
    if (now_s >= exp + leeway_s) refuse("it has expired (exp " + iso_time(exp) + ", now " + iso_time(now_s) + "); get a new token");
    if (claims.contains("nbf")) {
        const auto nbf = numeric_date(claims, "nbf");
        if (now_s + leeway_s < nbf)
            refuse("it is not valid yet (nbf " + iso_time(nbf) + ", now " + iso_time(now_s) + "); check the clocks");
    }
}

std::string check_subject(const json& claims) {
    const auto sub = claims.find("sub");
    if (sub == claims.end()) refuse("it names no user ('sub')");
    if (!sub->is_string() || sub->get<std::string>().empty()) refuse("its 'sub' is not a non-empty string");
    const auto s = sub->get<std::string>();
    if (s.size() > k_max_subject_bytes) refuse("its 'sub' is longer than " + std::to_string(k_max_subject_bytes) + " bytes");
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F) refuse("its 'sub' holds a control character");
    return s;
}

/// Refuses a PEM that is not a public key of the type `algorithm` needs.
void check_public_key(const std::string& pem, JwtAlgorithm algorithm) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
    const std::string name = jwt_algorithm_name(algorithm);
    if (!key)
        bad_config("the key for " + name + " is not a PEM public key (-----BEGIN PUBLIC KEY-----); give the "
                   "identity provider's public key, not a certificate or a private key");
    if (algorithm == JwtAlgorithm::rs256 && EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
        bad_config("RS256 needs an RSA public key, this is another kind of key");
    if (algorithm == JwtAlgorithm::es256) {
        char group[64] = {0};
        std::size_t len = 0;
        if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_EC ||
            EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len) != 1 || std::string(group) != "prime256v1")
            bad_config("ES256 needs an EC public key on curve P-256 (prime256v1)");
    }
}

std::int64_t system_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

const char* jwt_algorithm_name(JwtAlgorithm algorithm) {
    switch (algorithm) {
    case JwtAlgorithm::hs256: return "HS256";
    case JwtAlgorithm::rs256: return "RS256";
    case JwtAlgorithm::es256: return "ES256";
    }
    return "?";
}

JwtAlgorithm jwt_algorithm_from_name(const std::string& name) {
    for (auto a : {JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256})
        if (name == jwt_algorithm_name(a)) return a;
    bad_config("unsupported algorithm '" + name + "' (HS256, RS256 or ES256)");
}

JwtVerifier::JwtVerifier(JwtConfig config) : m_config(std::move(config)) {
    if (m_config.leeway_s < 0 || m_config.leeway_s > 60)
        bad_config("the leeway must be 0 to 60 seconds, not " + std::to_string(m_config.leeway_s));
    if (m_config.audience.empty()) bad_config("the audience is empty");
    if (m_config.algorithm == JwtAlgorithm::hs256) {
        if (m_config.key.size() < k_min_secret_bytes)
            bad_config("the HS256 secret is " + std::to_string(m_config.key.size()) + " bytes; it must be at least " +
                       std::to_string(k_min_secret_bytes) + " (a random secret, e.g. openssl rand -hex 32)");
    } else {
        check_public_key(m_config.key, m_config.algorithm);
    }
}

VerifiedToken JwtVerifier::verify(const std::string& token, std::int64_t now_s) const {
    const auto parts = split_token(token);
    check_header(decode_part(parts.header, "header"), m_config.algorithm);
    if (parts.signature.empty()) refuse("it has no signature");
    const json claims = verified_claims(token, m_config);
    auto subject = check_subject(claims);
    check_times(claims, now_s, m_config.leeway_s);
    check_audience(claims, m_config.audience);
    return {std::move(subject), claims.dump()};
}

VerifiedToken JwtVerifier::verify(const std::string& token) const { return verify(token, system_now_s()); }

std::string mint_hs256_token(const std::string& secret, const TokenClaims& claims) {
    if (claims.subject.empty()) bad_config("a token needs a subject (--sub)");
    if (secret.size() < k_min_secret_bytes)
        bad_config("the HS256 secret must be at least " + std::to_string(k_min_secret_bytes) + " bytes");
    if (claims.ttl_s <= 0) bad_config("the token's lifetime must be positive");
    const std::int64_t now = claims.now_s ? claims.now_s : system_now_s();
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw Error(ErrorDomain::ferry, ErrorCode::internal, "jwt_new failed");
    JwtPtr token(raw);
    const json grants = {{"sub", claims.subject}, {"aud", claims.audience}, {"iat", now}, {"exp", now + claims.ttl_s}};
    if (jwt_add_grants_json(token.get(), grants.dump().c_str()) != 0 ||
        jwt_set_alg(token.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size())) != 0)
        throw Error(ErrorDomain::ferry, ErrorCode::internal, "could not build the token (libjwt)");
    std::unique_ptr<char, CFree> text(jwt_encode_str(token.get()));
    if (!text) throw Error(ErrorDomain::ferry, ErrorCode::internal, "could not sign the token (libjwt)");
    return text.get();
}

}  // namespace ferry::detail
