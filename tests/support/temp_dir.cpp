// tests/support/temp_dir.cpp: TempDir on mkdtemp, removed recursively.
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace ferry::test {

TempDir::TempDir() {
    auto base = std::filesystem::temp_directory_path() / "ferry-test-XXXXXX";
    std::string templ = base.string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
    m_path = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string TempDir::file(const std::string& name) const { return m_path + "/" + name; }

}  // namespace ferry::test
