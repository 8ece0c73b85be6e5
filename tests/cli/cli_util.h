// Running the `nas` binary from tests: exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace nas::testing {

struct Result {
  int code;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `nas ARGS` (NAS_BINARY), capturing its output in the test's own folder.
inline Result run_nas(const std::string& args) {
  const std::string out = (test_temp_dir() / "stdout.txt").string();
  const std::string err = (test_temp_dir() / "stderr.txt").string();
  const int status =
      std::system((std::string(NAS_BINARY) + " " + args + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// Exit code 2 and a one-line message containing `what`.
inline void expect_user_error(const Result& r, const std::string& what) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr(what));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// The trials of a search's results.json as a rerun must reproduce them: no timings, no
// commit times, no latencies.
inline nlohmann::json deterministic_trials(const std::string& results_file) {
  std::ifstream in(results_file);
  nlohmann::json trials = nlohmann::json::parse(in).at("trials");
  for (nlohmann::json& t : trials) {
    t.erase("seconds");
    t.erase("finished");
    t["result"].erase("latency");
    t["result"].erase("training_seconds");
    t["result"].erase("step_ms");
    t["result"].erase("training_compile_seconds");
  }
  return trials;
}

}  // namespace nas::testing
