// sync/client/sync_lock.cpp: see sync_lock.hpp.
#include "sync/client/sync_lock.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

#include "ferry/error.hpp"

namespace ferry::detail {

SyncLock::SyncLock(const std::string& store_path, int timeout_ms) {
    if (store_path.empty() || store_path == ":memory:" || store_path.rfind("file:", 0) == 0) return;
    const std::string path = store_path + "-sync.lock";
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0)
        throw Error(ErrorDomain::io, ErrorCode::io, "cannot open the sync lock " + path + ": " + std::strerror(errno));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
    while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            const int err = errno;
            ::close(m_fd);
            throw Error(ErrorDomain::io, ErrorCode::io, "cannot lock " + path + ": " + std::strerror(err));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::close(m_fd);
            throw Error(ErrorDomain::ferry, ErrorCode::busy,
                        "another sync of " + store_path + " is running (in this or another process); waited " +
                            std::to_string(timeout_ms / 1000) + " s for it to finish (SyncOptions::lock_timeout_ms)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

SyncLock::~SyncLock() {
    if (m_fd >= 0) ::close(m_fd);  // closing the descriptor releases the flock
}

}  // namespace ferry::detail
