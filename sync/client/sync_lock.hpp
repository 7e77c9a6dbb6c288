// sync/client/sync_lock.hpp: one sync at a time per store file, across threads and processes.
#pragma once

#include <string>

namespace ferry::detail {

/// Holds an exclusive lock on "<store path>-sync.lock" (flock) for as long as it lives. Another
/// holder (a second SyncClient in this process, the daemon and the app, two `ferry sync`) makes
/// the constructor wait up to `timeout_ms`, then throw Error(busy) naming the store. The kernel
/// drops the lock when the holder dies, so a crashed sync never leaves it behind. Stores in
/// memory need no lock.
class SyncLock {
public:
    SyncLock(const std::string& store_path, int timeout_ms);
    ~SyncLock();
    SyncLock(const SyncLock&) = delete;
    SyncLock& operator=(const SyncLock&) = delete;

private:
    int m_fd = -1;
};

}  // namespace ferry::detail
