// `nas tune` through the binary: it tunes a model into a records file and prints each
// workload's default and tuned time; a second run measures nothing; `nas bench` and `nas
// run` read the records; and the errors of a missing --records or a records file that does
// not exist.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/onnx/onnx_export.h"
#include "evaluator/models/small_cnn.h"
#include "tests/cli/cli_util.h"
#include "tests/test_util.h"

namespace nas::testing {
namespace {

using ::testing::HasSubstr;

TEST(TuneCli, TunesIntoRecordsThatBenchReads) {
  const std::string model = (test_temp_dir() / "cnn.onnx").string();
  const std::string records = (test_temp_dir() / "records.sqlite").string();
  std::filesystem::remove(records);
  onnx_io::export_onnx(evaluator::small_cnn(1), model);

  const Result first = run_nas("tune " + model + " --records " + records +
                               " --trials 4 --batch 2 --threads 2 --json");
  ASSERT_EQ(first.code, 0) << first.err;
  const nlohmann::json j = nlohmann::json::parse(first.out);
  ASSERT_GE(j.at("workloads").size(), 3u);
  int measured = 0;
  for (const nlohmann::json& w : j.at("workloads")) {
    EXPECT_GT(w.at("default_ms").get<double>(), 0) << w;
    EXPECT_LE(w.at("tuned_ms").get<double>(), w.at("default_ms").get<double>()) << w;
    EXPECT_EQ(w.at("failed"), 0) << w;
    measured += w.at("measured").get<int>();
  }
  EXPECT_GT(measured, 0);
  EXPECT_THAT(first.err, HasSubstr("trial"));  // the progress lines

  const Result second = run_nas("tune " + model + " --records " + records +
                                " --trials 4 --batch 2 --threads 2 --json");
  ASSERT_EQ(second.code, 0) << second.err;
  for (const nlohmann::json& w : nlohmann::json::parse(second.out).at("workloads"))
    EXPECT_EQ(w.at("measured"), 0) << w;

  const Result table = run_nas("tune " + model + " --records " + records + " --trials 4 --threads 2");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("tuned ms"));
  EXPECT_THAT(table.out, HasSubstr("sum of kernel times"));

  const Result bench = run_nas("bench " + model + " --records " + records +
                               " --threads 2 --min-seconds 0.01 --json");
  ASSERT_EQ(bench.code, 0) << bench.err;
  EXPECT_GT(nlohmann::json::parse(bench.out).at("median_ms").get<double>(), 0);
}

TEST(TuneCli, ErrorsNameWhatIsMissing) {
  const std::string model = (test_temp_dir() / "cnn.onnx").string();
  onnx_io::export_onnx(evaluator::small_cnn(1), model);
  expect_user_error(run_nas("tune " + model), "--records FILE is required");
  const std::string missing = (test_temp_dir() / "missing.sqlite").string();
  expect_user_error(run_nas("bench " + model + " --records " + missing),
                    "--records " + missing + ": no such tuning records file");
  const std::string text = (test_temp_dir() / "text.sqlite").string();
  std::ofstream(text) << "CREATE TABLE; this is no database, and a long line to pass its header";
  expect_user_error(run_nas("tune " + model + " --records " + text), "text.sqlite");
}

}  // namespace
}  // namespace nas::testing
