// sync/gateway/jwt.hpp: the gateway's authentication (DESIGN.md decision 10): verification of a
// user's JWT with one pinned algorithm and key, and minting of HS256 tokens for `ferry token`.
// Built on libjwt 1.10 (signatures); the header, the claims and the clock are checked here.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::detail {

/// The algorithms a verifier can be pinned to.
enum class JwtAlgorithm { hs256, rs256, es256 };

/// "HS256", "RS256", "ES256".
const char* jwt_algorithm_name(JwtAlgorithm algorithm);
/// The algorithm named "RS256" etc. (exact spelling); throws Error(invalid_argument) for any other.
JwtAlgorithm jwt_algorithm_from_name(const std::string& name);

struct JwtConfig {
    JwtAlgorithm algorithm = JwtAlgorithm::hs256;
    /// HS256: the shared secret (at least 32 bytes). RS256/ES256: the PEM public key.
    std::string key;
    /// The `aud` a token must carry (as its string, or in its array).
    std::string audience = "authenticated";
    /// Clock tolerance for `exp` and `nbf`, 0..60 seconds.
    int leeway_s = 30;
};

/// A token that passed every check.
struct VerifiedToken {
    std::string subject;      ///< `sub`: the user, and the only source of the user's identity
    std::string claims_json;  ///< every claim of the token, as JSON text
};

/// Verifies bearer tokens against one pinned algorithm and key. Immutable after construction:
/// one verifier serves every request thread at once.
class JwtVerifier {
public:
    /// Throws Error(invalid_argument) for a configuration that could not verify safely: an
    /// HS256 secret shorter than 32 bytes, a key that is not a PEM public key of the pinned
    /// algorithm's type, an empty audience, a leeway outside 0..60 s.
    explicit JwtVerifier(JwtConfig config);

    /// Checks `token` at time `now_s` (Unix seconds): its form, that its header names exactly the
    /// pinned algorithm (so `none` and an HS256 token signed with an RS256 public key as the
    /// secret are refused), its signature, and the claims `sub`, `exp` (required, not past),
    /// `nbf` (if present, not in the future) and `aud` (required, holds the audience), each
    /// within the leeway. Throws Error(http, unauthenticated) naming what is wrong; the message
    /// never contains the token.
    VerifiedToken verify(const std::string& token, std::int64_t now_s) const;
    /// verify(token, the system clock's now).
    VerifiedToken verify(const std::string& token) const;

    const JwtConfig& config() const { return m_config; }

private:
    JwtConfig m_config;
};

/// What a minted token says.
struct TokenClaims {
    std::string subject;
    std::string audience = "authenticated";
    std::int64_t ttl_s = 3600;
    std::int64_t now_s = 0;  ///< 0: the system clock
};

/// An HS256 token signed with `secret` carrying sub, aud, iat and exp = iat + ttl_s. For tests,
/// development and trusted back ends (`ferry token`); an app's users get theirs from its identity
/// provider. Throws Error(invalid_argument) for an empty subject, a secret shorter than 32 bytes
/// or a ttl not positive.
std::string mint_hs256_token(const std::string& secret, const TokenClaims& claims);

}  // namespace ferry::detail
