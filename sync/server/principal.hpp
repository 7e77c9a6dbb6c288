// sync/server/principal.hpp: who a sync request is for. The direct PostgreSQL transport acts as a
// trusted process (no per-user rules: it sees and writes every row, like any database client with
// its role); the gateway acts for the user named by a verified token's `sub`, and nothing else.
#pragma once

#include <string>

namespace ferry::detail {

struct Principal {
    /// The user id (the token's `sub`); empty for a trusted process.
    std::string user;
    /// The verified token's claims as JSON text, set as `request.jwt.claims` for the database's
    /// row-level security (Supabase's auth.uid() reads `sub` from it). Empty for a trusted process.
    std::string claims_json;
    bool trusted = false;

    static Principal trusted_process() {
        Principal p;
        p.trusted = true;
        return p;
    }
    static Principal for_user(std::string user, std::string claims_json) {
        Principal p;
        p.user = std::move(user);
        p.claims_json = std::move(claims_json);
        return p;
    }
};

}  // namespace ferry::detail
