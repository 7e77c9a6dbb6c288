// sync/transport/in_process.hpp: a Transport whose server side runs in this process (the direct
// PostgreSQL transport). Requests and answers pass as the protocol's messages themselves:
// encoding each into JSON and decoding it again on the other side of one function call copied
// every value twice (and, as text, was a third of a snapshot's device CPU). The text interface
// stays for callers of Transport::call; it goes through the codec like any other transport.
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
    /// Handle one message of Ferry's own client, as it is.
    virtual protocol::PushAnswer call(const protocol::PushRequest& request) = 0;
    virtual protocol::PullAnswer call(const protocol::PullRequest& request) = 0;
    virtual protocol::LeaseAnswer call(const protocol::LeaseRequest& request) = 0;

    std::string call(const std::string& endpoint, const std::string& request_json) final {
        return call_json(endpoint, protocol::parse_request(request_json)).dump();
    }
};

}  // namespace ferry::detail
