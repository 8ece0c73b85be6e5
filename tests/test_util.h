// Small helpers shared by the unit tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "compiler/support/error.h"

namespace nas::testing {

// Runs f and returns the message of the UserError it throws, or "(no error)".
template <class F>
std::string user_error_message(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// Removes the folders test_temp_dir() made for a test when the test ends, so that runs of
// the suite leave nothing behind in the temporary folder.
class TempDirRemover : public ::testing::EmptyTestEventListener {
 public:
  static TempDirRemover& instance() {
    // gtest owns its listeners: appended once, on first use.
    static TempDirRemover* remover = [] {
      auto* r = new TempDirRemover;
      ::testing::UnitTest::GetInstance()->listeners().Append(r);
      return r;
    }();
    return *remover;
  }
  void remove_at_test_end(const std::filesystem::path& path) { paths_.push_back(path); }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::error_code ignored;
    for (const std::filesystem::path& path : paths_) std::filesystem::remove_all(path, ignored);
    paths_.clear();
  }

 private:
  std::vector<std::filesystem::path> paths_;
};

// A folder of the current test's own (named after the test and the process, so tests run in
// parallel by ctest never share files), created on first use and removed when the test ends.
inline std::filesystem::path test_temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "nas_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
                     std::to_string(::getpid());
  std::ranges::replace(name, '/', '_');  // parameterised tests: "Suite/Test/0"
  const std::filesystem::path path = std::filesystem::temp_directory_path() / name;
  if (std::filesystem::create_directories(path))
    TempDirRemover::instance().remove_at_test_end(path);
  return path;
}

// The current test's own folder, emptied first and removed with its contents at the end.
class TempDir {
 public:
  TempDir() : path_(test_temp_dir()) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace nas::testing
