// tests/support/temp_dir.hpp: a fresh directory under the system temp dir, removed at scope end.
#pragma once

#include <string>

namespace ferry::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return m_path; }
    /// path() + "/" + name
    std::string file(const std::string& name) const;

private:
    std::string m_path;
};

}  // namespace ferry::test
