// `nas tune` through the binary: it tunes a model into a records file and prints each
// workload's default and tuned time; a second run measures nothing; `nas bench` and `nas
// run` read the records; several models tune into one records file and --fit-target writes
// a target file that `nas bench --target` takes; and the errors of a missing --records, a
// records file that does not exist, --shape with several models and a --fit-target that
// cannot be written.
#include <filesystem>
#include <fstream>
#include <sstream>

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

  // --cold: each thread sweeps its caches before each timed run (the kernel bench's path).
  const Result first = run_nas("tune " + model + " --records " + records +
                               " --trials 4 --batch 2 --threads 2 --cold --json");
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

TEST(TuneCli, TwoModelsIntoOneRecordsAndATargetFileFittedToThem) {
  const std::string a = (test_temp_dir() / "fit_a.onnx").string();
  const std::string b = (test_temp_dir() / "fit_b.onnx").string();
  const std::string records = (test_temp_dir() / "fit.sqlite").string();
  const std::string fitted = (test_temp_dir() / "fitted.yaml").string();
  std::filesystem::remove(records);
  std::filesystem::remove(fitted);
  onnx_io::export_onnx(evaluator::small_cnn(1), a);
  onnx_io::export_onnx(evaluator::small_cnn(2), b);

  const Result tuned = run_nas("tune " + a + " " + b + " --records " + records +
                               " --trials 4 --batch 2 --json --fit-target " + fitted);
  ASSERT_EQ(tuned.code, 0) << tuned.err;
  // One JSON object per model.
  std::istringstream lines(tuned.out);
  std::string line;
  std::vector<std::string> models;
  while (std::getline(lines, line))
    models.push_back(nlohmann::json::parse(line).at("model").get<std::string>());
  EXPECT_EQ(models, (std::vector<std::string>{a, b}));
  EXPECT_THAT(tuned.err, HasSubstr("fitted"));
  ASSERT_TRUE(std::filesystem::exists(fitted));

  const Result bench =
      run_nas("bench " + a + " --target " + fitted + " --min-seconds 0.01 --json");
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
  const std::string records = (test_temp_dir() / "errors.sqlite").string();
  expect_user_error(run_nas("tune " + model + " " + model + " --shape 1x3x28x28 --records " + records),
                    "--shape names the inputs of one model; 2 models were given");
  const std::string nowhere = (test_temp_dir() / "no_such_folder" / "fitted.yaml").string();
  expect_user_error(run_nas("tune " + model + " --records " + records + " --fit-target " + nowhere),
                    "no_such_folder");
}

}  // namespace
}  // namespace nas::testing
