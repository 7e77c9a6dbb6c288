// sync/gateway/gateway_config.cpp: how `ferry gateway` is configured: keys from the environment
// (never from the command line, where `ps` would show them), limits from a JSON file, the app
// from the database.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "ferry/error.hpp"
#include "sync/gateway/gateway.hpp"
#include "sync/server/pg_error.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& what) {
    throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, what);
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string read_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorDomain::io, ErrorCode::io, "cannot read " + what + " " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A number field of the config file into `out`, within [lo, hi].
template <typename T>
std::function<void(const json&)> number_into(T& out, const char* name, double lo, double hi) {
    return [&out, name, lo, hi](const json& v) {
        if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi)
            bad(std::string("gateway config: '") + name + "' must be a number from " + json(lo).dump() + " to " +
                json(hi).dump());
        out = v.get<T>();
    };
}

/// A string field of the config file into `out`.
std::function<void(const json&)> string_into(std::string& out, const char* name) {
    return [&out, name](const json& v) {
        if (!v.is_string()) bad(std::string("gateway config: '") + name + "' must be a string");
        out = v.get<std::string>();
    };
}

}  // namespace

void load_gateway_config(const std::string& path, GatewayLimits& l, int& leeway_s, std::string& metrics_listen) {
    json config = json::parse(read_file(path, "the gateway config file"), nullptr, false);
    if (config.is_discarded() || !config.is_object()) bad("gateway config " + path + ": not a JSON object");
    const std::map<std::string, std::function<void(const json&)>> fields = {
        {"body_limit_bytes", number_into(l.body_limit_bytes, "body_limit_bytes", 1024, 1024.0 * 1024 * 1024)},
        {"pool_size", number_into(l.pool_size, "pool_size", 1, 1000)},
        {"threads", number_into(l.threads, "threads", 2, 10000)},
        {"acquire_timeout_ms", number_into(l.acquire_timeout_ms, "acquire_timeout_ms", 1, 600000)},
        {"rate_per_second", number_into(l.rate_per_second, "rate_per_second", 0, 1e6)},
        {"rate_burst", number_into(l.rate_burst, "rate_burst", 1, 1e6)},
        {"read_timeout_s", number_into(l.read_timeout_s, "read_timeout_s", 1, 3600)},
        {"write_timeout_s", number_into(l.write_timeout_s, "write_timeout_s", 1, 3600)},
        {"keep_alive_timeout_s", number_into(l.keep_alive_timeout_s, "keep_alive_timeout_s", 0, 3600)},
        {"max_wait_ms", number_into(l.max_wait_ms, "max_wait_ms", 0, 30000)},
        {"leeway_s", number_into(leeway_s, "leeway_s", 0, 60)},
        {"metrics_listen", string_into(metrics_listen, "metrics_listen")},
    };
    for (const auto& [key, value] : config.items()) {
        const auto field = fields.find(key);
        if (field == fields.end()) {
            std::string known;
            for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f.first;
            bad("gateway config " + path + ": unknown setting '" + key + "' (known: " + known + ")");
        }
        field->second(value);
    }
}

JwtConfig jwt_config_from_environment() {
    JwtConfig c;
    const std::string secret = env("FERRY_JWT_SECRET");
    const std::string key_file = env("FERRY_JWT_PUBLIC_KEY_FILE");
    if (secret.empty() && key_file.empty())
        bad("no JWT key configured: set FERRY_JWT_SECRET (HS256, the identity provider's shared secret) or "
            "FERRY_JWT_PUBLIC_KEY_FILE (a PEM public key; FERRY_JWT_ALGORITHM=RS256 (default) or ES256)");
    if (!secret.empty() && !key_file.empty())
        bad("both FERRY_JWT_SECRET and FERRY_JWT_PUBLIC_KEY_FILE are set: a gateway accepts one algorithm and one key; "
            "unset one of them");
    if (!secret.empty()) {
        const auto alg = env("FERRY_JWT_ALGORITHM");
        if (!alg.empty() && alg != "HS256")
            bad("FERRY_JWT_SECRET is an HS256 secret, but FERRY_JWT_ALGORITHM is '" + alg + "'");
        c.algorithm = JwtAlgorithm::hs256;
        c.key = secret;
    } else {
        const auto alg = env("FERRY_JWT_ALGORITHM");
        c.algorithm = jwt_algorithm_from_name(alg.empty() ? "RS256" : alg);
        if (c.algorithm == JwtAlgorithm::hs256)
            bad("FERRY_JWT_ALGORITHM=HS256 takes its secret from FERRY_JWT_SECRET, not from a key file");
        c.key = read_file(key_file, "the JWT public key file (FERRY_JWT_PUBLIC_KEY_FILE)");
    }
    const auto audience = env("FERRY_JWT_AUDIENCE");
    if (!audience.empty()) c.audience = audience;
    return c;
}

std::string app_of_database(const std::string& conninfo) {
    std::string app;
    translate_pg("reading the app from " + redact_conninfo(conninfo), [&] {
        pqxx::connection c(conninfo);
        pqxx::nontransaction tx(c);
        const bool installed = tx.exec("SELECT to_regclass('ferry.meta') IS NOT NULL")[0][0].as<bool>();
        auto r = installed ? tx.exec("SELECT value FROM ferry.meta WHERE key = 'app'") : pqxx::result();
        if (r.empty())
            throw Error(ErrorDomain::ferry, ErrorCode::not_found,
                        "the database holds no Ferry app: install one first (ferry server init --app APP), or pass --app");
        app = r[0][0].c_str();
    });
    return app;
}

}  // namespace ferry::detail
