// `nas space` through the binary.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cli/cli_util.h"

namespace nas::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string shipped(const std::string& name) {
  return std::string(NAS_SOURCE_DIR) + "/configs/spaces/" + name;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(NasSpace, PrintsSizeAndSamples) {
  const Result r = run_nas(fmt::format("space {} --sample 3 --seed 4", shipped("nb201_28.yaml")));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 6u) << r.out;
  EXPECT_EQ(out[0], "name: nb201_28");
  EXPECT_EQ(out[1], "decisions: 6 (edge_0_1,edge_0_2,edge_1_2,edge_0_3,edge_1_3,edge_2_3)");
  EXPECT_EQ(out[2], "size: 15625 architectures");
  for (size_t i = 3; i < 6; ++i)
    EXPECT_THAT(out[i], MatchesRegex("([a-z0-9]+,){5}[a-z0-9]+  [0-9]+ parameters  [0-9]+ FLOPs"));
  // The same seed draws the same architectures.
  EXPECT_EQ(run_nas(fmt::format("space {} --sample 3 --seed 4", shipped("nb201_28.yaml"))).out, r.out);
}

TEST(NasSpace, PrintsALargeSizeInScientificForm) {
  const Result r = run_nas(fmt::format("space {}", shipped("mobilenet_28.yaml")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("size: 2.04e+08 architectures\n"));
  EXPECT_EQ(lines(r.out).size(), 3u);
}

TEST(NasSpace, ReportsABadFile) {
  const std::string path = (test_temp_dir() / "bad.yaml").string();
  std::ofstream(path) << "input: [1, 28, 28]\nclasses: 10\nchoices:\n  k: []\nnetwork: {}\n";
  expect_user_error(run_nas("space " + path),
                    path + ":4:6: choice 'k' has an empty list of options");
  expect_user_error(run_nas("space /nonexistent.yaml"), "cannot read space file '/nonexistent.yaml'");
}

}  // namespace
}  // namespace nas::testing
