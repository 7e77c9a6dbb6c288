// lib/store/store_impl.hpp: the state behind ferry::Store, shared with the sync engine.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>
#include <vector>

#include "ferry/store.hpp"
#include "lib/core/hlc.hpp"

struct sqlite3;

namespace ferry {

struct Store::Impl {
    Impl(const std::string& path, int flags);

    std::string path;
    std::string app;
    SQLite::Database db;
    detail::HybridClock clock{SystemClock::instance()};
    std::string site_id;
    int schema_version = 0;
    /// Set while Ferry applies remote changes: ferry_capturing() returns 0, so neither capture
    /// nor the apps' maintenance triggers fire for synced values.
    bool applying_remote = false;
    int transaction_depth = 0;

    sqlite3* handle() const { return db.getHandle(); }

    void exec(const std::string& sql);
    std::int64_t execute(const std::string& sql, const std::vector<Value>& params);
    QueryResult query(const std::string& sql, const std::vector<Value>& params);
    void transaction(const std::function<void()>& body);

    std::optional<std::string> meta(const std::string& key);
    void set_meta(const std::string& key, const std::string& value);

    /// Persists the clock's high-water mark (called in sync transactions and on close).
    void save_clock();
};

namespace detail {
/// Runs `body` with capture suppressed (ferry_capturing() = 0), restoring the flag afterwards.
void with_remote_apply(Store::Impl& impl, const std::function<void()>& body);
}  // namespace detail

}  // namespace ferry
