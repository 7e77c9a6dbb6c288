// tests/support/losing_transport.hpp: a transport that loses the answer of the first push after
// the server committed it, as a connection cut at the worst moment does.
#pragma once

#include <string>

#include "ferry/error.hpp"
#include "ferry/sync.hpp"

namespace ferry::test {

class LosingTransport : public Transport {
public:
    explicit LosingTransport(Transport& inner) : m_inner(inner) {}
    std::string call(const std::string& endpoint, const std::string& request) override {
        auto response = m_inner.call(endpoint, request);
        if (endpoint == "push" && !m_lost) {
            m_lost = true;
            throw Error(ErrorDomain::postgres, ErrorCode::connection, "connection lost (simulated)");
        }
        return response;
    }

private:
    Transport& m_inner;
    bool m_lost = false;
};

}  // namespace ferry::test
