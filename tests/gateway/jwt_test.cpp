// tests/gateway/jwt_test.cpp: the gateway's token verification (DESIGN.md decision 10). Tokens are
// signed here with OpenSSL directly, not with libjwt, so the verifier is checked against an
// independent signer (as a real identity provider would be).
#include <catch2/catch.hpp>

#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ferry/error.hpp"
#include "sync/gateway/jwt.hpp"

using ferry::detail::JwtAlgorithm;
using ferry::detail::JwtConfig;
using ferry::detail::JwtVerifier;
using nlohmann::json;

namespace {

const std::string k_secret = "a-long-enough-shared-secret-for-hs256-tests!";
const std::int64_t k_now = 1'800'000'000;  // a fixed clock: 2027-01-15

std::string b64url(const std::string& in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char c : in) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(abc[(buffer >> bits) & 63]);
        }
    }
    if (bits > 0) out.push_back(abc[(buffer << (6 - bits)) & 63]);
    return out;
}

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PKey rsa_key() { return PKey(EVP_RSA_gen(2048), EVP_PKEY_free); }
PKey ec_key() { return PKey(EVP_EC_gen("P-256"), EVP_PKEY_free); }

std::string public_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string digest_sign(EVP_PKEY* key, const std::string& data) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
    std::size_t len = 0;
    EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(data.data()), data.size());
    sig.resize(len);
    return sig;
}

/// ES256 signatures in a JWS are R || S, 32 bytes each, not OpenSSL's DER.
std::string es256_sign(EVP_PKEY* key, const std::string& data) {
    const std::string der = digest_sign(key, data);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())),
                                                               ECDSA_SIG_free);
    unsigned char rs[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), rs + 32, 32);
    return std::string(reinterpret_cast<char*>(rs), 64);
}

std::string signing_input(const json& header, const json& payload) {
    return b64url(header.dump()) + "." + b64url(payload.dump());
}

std::string hs256(const json& payload, const std::string& secret = k_secret, const json& header = {{"alg", "HS256"}, {"typ", "JWT"}}) {
    const auto input = signing_input(header, payload);
    return input + "." + b64url(hmac_sha256(secret, input));
}

std::string rs256(EVP_PKEY* key, const json& payload) {
    const auto input = signing_input({{"alg", "RS256"}, {"typ", "JWT"}}, payload);
    return input + "." + b64url(digest_sign(key, input));
}

std::string es256(EVP_PKEY* key, const json& payload) {
    const auto input = signing_input({{"alg", "ES256"}, {"typ", "JWT"}}, payload);
    return input + "." + b64url(es256_sign(key, input));
}

json claims(const std::string& sub = "alice") {
    return {{"sub", sub}, {"aud", "authenticated"}, {"iat", k_now - 10}, {"exp", k_now + 600}, {"role", "authenticated"}};
}

JwtVerifier hs_verifier(int leeway = 30) {
    JwtConfig c;
    c.algorithm = JwtAlgorithm::hs256;
    c.key = k_secret;
    c.leeway_s = leeway;
    return JwtVerifier(c);
}

JwtVerifier pem_verifier(JwtAlgorithm a, const std::string& pem) {
    JwtConfig c;
    c.algorithm = a;
    c.key = pem;
    return JwtVerifier(c);
}

/// The refusal's message; fails the test when the token is accepted or refused otherwise.
std::string refusal(const JwtVerifier& v, const std::string& token, std::int64_t now = k_now) {
    try {
        v.verify(token, now);
    } catch (const ferry::Error& e) {
        CHECK(e.code() == ferry::ErrorCode::unauthenticated);
        CHECK(e.domain() == ferry::ErrorDomain::http);
        const std::string message = e.what();
        if (token.size() > 8) CHECK(message.find(token) == std::string::npos);  // never the token itself
        return message;
    }
    FAIL("accepted: " << token);
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("valid HS256, RS256 and ES256 tokens verify and give the user and the claims", "[jwt]") {
    SECTION("HS256") {
        auto t = hs_verifier().verify(hs256(claims("alice")), k_now);
        REQUIRE(t.subject == "alice");
        REQUIRE(json::parse(t.claims_json)["role"] == "authenticated");
    }
    SECTION("RS256") {
        auto key = rsa_key();
        auto t = pem_verifier(JwtAlgorithm::rs256, public_pem(key.get())).verify(rs256(key.get(), claims("bob")), k_now);
        REQUIRE(t.subject == "bob");
        REQUIRE(json::parse(t.claims_json)["sub"] == "bob");
    }
    SECTION("ES256") {
        auto key = ec_key();
        auto t = pem_verifier(JwtAlgorithm::es256, public_pem(key.get())).verify(es256(key.get(), claims("carol")), k_now);
        REQUIRE(t.subject == "carol");
    }
    SECTION("minted by mint_hs256_token (ferry token)") {
        ferry::detail::TokenClaims c;
        c.subject = "dave";
        c.ttl_s = 60;
        c.now_s = k_now;
        const auto token = ferry::detail::mint_hs256_token(k_secret, c);
        REQUIRE(hs_verifier().verify(token, k_now + 59).subject == "dave");
        REQUIRE(contains(refusal(hs_verifier(0), token, k_now + 60), "expired"));
    }
}

TEST_CASE("expiry, not-before and the leeway", "[jwt]") {
    auto c = claims();
    c["exp"] = k_now - 10;
    REQUIRE(hs_verifier(30).verify(hs256(c), k_now).subject == "alice");  // within the leeway
    REQUIRE(contains(refusal(hs_verifier(5), hs256(c)), "expired"));
    c["exp"] = k_now - 31;
    const auto message = refusal(hs_verifier(30), hs256(c));
    REQUIRE(contains(message, "expired"));
    REQUIRE(contains(message, "2027-01-15T"));  // says when

    auto n = claims();
    n["nbf"] = k_now + 20;
    REQUIRE(hs_verifier(30).verify(hs256(n), k_now).subject == "alice");
    n["nbf"] = k_now + 120;
    REQUIRE(contains(refusal(hs_verifier(30), hs256(n)), "not valid yet"));

    JwtConfig too_lenient;
    too_lenient.key = k_secret;
    too_lenient.leeway_s = 61;
    REQUIRE_THROWS_MATCHES(JwtVerifier(too_lenient), ferry::Error,
                           Catch::Matchers::Predicate<ferry::Error>(
                               [](const ferry::Error& e) { return e.code() == ferry::ErrorCode::invalid_argument; }));
}

TEST_CASE("the audience must be the configured one, as a string or in an array", "[jwt]") {
    auto c = claims();
    c["aud"] = "other-app";
    REQUIRE(contains(refusal(hs_verifier(), hs256(c)), "audience"));
    c["aud"] = json::array({"other-app", "authenticated"});
    REQUIRE(hs_verifier().verify(hs256(c), k_now).subject == "alice");
    c["aud"] = json::array({"other-app"});
    REQUIRE(contains(refusal(hs_verifier(), hs256(c)), "audience"));
    c["aud"] = 7;
    REQUIRE(contains(refusal(hs_verifier(), hs256(c)), "'aud'"));
}

TEST_CASE("sub, exp and aud are required", "[jwt]") {
    for (const char* claim : {"sub", "exp", "aud"}) {
        auto c = claims();
        c.erase(claim);
        INFO(claim);
        REQUIRE(contains(refusal(hs_verifier(), hs256(c)), std::string("'") + claim + "'"));
    }
    auto c = claims();
    c["sub"] = "";
    REQUIRE(contains(refusal(hs_verifier(), hs256(c)), "'sub'"));
    c["sub"] = 42;
    REQUIRE(contains(refusal(hs_verifier(), hs256(c)), "'sub'"));
    c = claims();
    c["exp"] = "tomorrow";
    REQUIRE(contains(refusal(hs_verifier(), hs256(c)), "'exp'"));
}

TEST_CASE("alg none and other algorithms than the pinned one are refused", "[jwt]") {
    const auto payload = b64url(claims().dump());
    const auto none = b64url(json({{"alg", "none"}, {"typ", "JWT"}}).dump()) + "." + payload + ".";
    REQUIRE(contains(refusal(hs_verifier(), none), "accepts only HS256"));
    const auto none_signed = b64url(json({{"alg", "none"}}).dump()) + "." + payload + ".c2lnbmF0dXJl";
    REQUIRE(contains(refusal(hs_verifier(), none_signed), "accepts only HS256"));
    const auto lower = hs256(claims(), k_secret, {{"alg", "hs256"}});
    REQUIRE(contains(refusal(hs_verifier(), lower), "accepts only HS256"));
    const auto no_alg = hs256(claims(), k_secret, {{"typ", "JWT"}});
    REQUIRE(contains(refusal(hs_verifier(), no_alg), "no algorithm"));
    const auto hs512_header = hs256(claims(), k_secret, {{"alg", "HS512"}});
    REQUIRE(contains(refusal(hs_verifier(), hs512_header), "accepts only HS256"));

    auto key = rsa_key();
    const auto rs = rs256(key.get(), claims());
    REQUIRE(contains(refusal(hs_verifier(), rs), "accepts only HS256"));
}

TEST_CASE("an HS256 token signed with the RS256 public key as its secret is refused (algorithm confusion)", "[jwt]") {
    auto key = rsa_key();
    const std::string pem = public_pem(key.get());
    const auto forged = hs256(claims("mallory"), pem);
    // libjwt alone, trusting the token's own header, would take it: the pinned algorithm is what stops it.
    jwt_t* raw = nullptr;
    const int libjwt_rc = jwt_decode(&raw, forged.c_str(), reinterpret_cast<const unsigned char*>(pem.data()),
                                     static_cast<int>(pem.size()));
    jwt_free(raw);
    CHECK(libjwt_rc == 0);
    REQUIRE(contains(refusal(pem_verifier(JwtAlgorithm::rs256, pem), forged), "accepts only RS256"));
}

TEST_CASE("tampered, wrongly signed and malformed tokens are refused", "[jwt]") {
    const auto token = hs256(claims("alice"));
    const auto dot1 = token.find('.'), dot2 = token.rfind('.');
    const auto tampered = token.substr(0, dot1 + 1) + b64url(claims("admin").dump()) + token.substr(dot2);
    REQUIRE(contains(refusal(hs_verifier(), tampered), "signature"));
    auto flipped = token;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    REQUIRE(contains(refusal(hs_verifier(), flipped), "signature"));
    REQUIRE(contains(refusal(hs_verifier(), hs256(claims(), "another-secret-that-is-long-enough-to-use")), "signature"));
    REQUIRE(contains(refusal(hs_verifier(), token.substr(0, dot2 + 1)), "no signature"));

    auto key = rsa_key(), other = rsa_key();
    REQUIRE(contains(refusal(pem_verifier(JwtAlgorithm::rs256, public_pem(key.get())), rs256(other.get(), claims())),
                     "signature"));
    auto ec = ec_key(), ec_other = ec_key();
    REQUIRE(contains(refusal(pem_verifier(JwtAlgorithm::es256, public_pem(ec.get())), es256(ec_other.get(), claims())),
                     "signature"));

    for (const std::string& garbage : std::vector<std::string>{"", "garbage", "a.b", "a.b.c", "....", "e30.e30.e30",
                                                               "!!!.###.$$$", std::string(20000, 'x')}) {
        INFO(garbage.substr(0, 40));
        refusal(hs_verifier(), garbage);
    }
}

TEST_CASE("a verifier refuses a configuration it could not verify safely with", "[jwt]") {
    auto expect_config_error = [](JwtConfig c, const std::string& part) {
        try {
            JwtVerifier v(c);
        } catch (const ferry::Error& e) {
            CHECK(e.code() == ferry::ErrorCode::invalid_argument);
            CHECK(contains(e.what(), part));
            return;
        }
        FAIL("accepted a configuration expected to fail with: " << part);
    };
    JwtConfig c;
    c.key = "short";
    expect_config_error(c, "at least 32");
    auto rsa = rsa_key();
    auto ec = ec_key();
    c.algorithm = JwtAlgorithm::es256;
    c.key = public_pem(rsa.get());
    expect_config_error(c, "P-256");
    c.algorithm = JwtAlgorithm::rs256;
    c.key = public_pem(ec.get());
    expect_config_error(c, "RSA");
    c.key = "not a pem";
    expect_config_error(c, "PEM public key");
    REQUIRE(ferry::detail::jwt_algorithm_from_name("ES256") == JwtAlgorithm::es256);
    REQUIRE_THROWS_AS(ferry::detail::jwt_algorithm_from_name("none"), ferry::Error);
}
