// sync/server/server_capture.cpp: placeholder until the sync engine lands.
#include "sync/server/server_capture.hpp"

namespace ferry::detail {

void install_server_capture(pqxx::connection&, const std::string&) {}

}  // namespace ferry::detail
