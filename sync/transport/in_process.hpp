// sync/transport/in_process.hpp: a Transport whose server side runs in this process (the direct
// PostgreSQL transport). Requests and answers pass as JSON values: turning each message into
// text and parsing it again on the other side of one function call was a third of a snapshot's
// device CPU. The text interface stays for callers of Transport::call.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ferry/sync.hpp"
#include "sync/protocol/codec.hpp"

namespace ferry::detail {

class InProcessTransport : public Transport {
public:
    /// Handles one request (a protocol message as encoded by the codec) and returns its answer.
    virtual nlohmann::json call_json(const std::string& endpoint, const nlohmann::json& request) = 0;

    std::string call(const std::string& endpoint, const std::string& request_json) final {
        return call_json(endpoint, protocol::parse_request(request_json)).dump();
    }
};

}  // namespace ferry::detail
