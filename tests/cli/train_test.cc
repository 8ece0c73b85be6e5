// `nas train` and `nas make-model` through the binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/onnx/onnx_export.h"
#include "compiler/onnx/onnx_import.h"
#include "tests/cli/cli_util.h"
#include "tests/evaluator/tiny_model.h"

namespace nas::testing {
namespace {

using ::testing::HasSubstr;

std::string tiny_onnx() {
  const std::string path = (test_temp_dir() / "tiny.onnx").string();
  onnx_io::export_onnx(evaluator::tiny_model(4, 1), path);
  return path;
}

const char* kQuick = "--data synthetic --epochs 2 --batch 16 --subset 320 --val-subset 100";

TEST(NasTrain, TrainsReportsAndWritesTheTrainedModel) {
  const std::string model = tiny_onnx();
  const std::string trained = (test_temp_dir() / "trained.onnx").string();
  const Result r = run_nas(fmt::format("train {} {} -o {}", model, kQuick, trained));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("epoch 1/2  loss "));
  EXPECT_THAT(r.out, HasSubstr("epoch 2/2  loss "));
  EXPECT_THAT(r.out, HasSubstr("parameters        628\n"));
  EXPECT_THAT(r.out, HasSubstr("val accuracy      "));
  EXPECT_THAT(r.out, HasSubstr("median step "));
  const graph::Graph before = onnx_io::import_onnx(model), after = onnx_io::import_onnx(trained);
  EXPECT_EQ(after.parameter_count(), before.parameter_count());
  EXPECT_FALSE(after.constant(*after.find("fc.w")) == before.constant(*before.find("fc.w")));
}

TEST(NasTrain, PrintsTheRecordAsJson) {
  const Result r = run_nas(fmt::format("train {} {} --json --seed 3", tiny_onnx(), kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("status"), "ok");
  EXPECT_EQ(j.at("loss_curve").size(), 2u);
  EXPECT_GT(j.at("accuracy").get<double>(), 0.5);
  // The same seed gives the same result.
  const Result again = run_nas(fmt::format("train {} {} --json --seed 3", tiny_onnx(), kQuick));
  EXPECT_EQ(nlohmann::json::parse(again.out).at("loss_curve"), j.at("loss_curve"));
}

// The compiled step by default (its memory and compile time in the record), the reference
// trainer with --reference: the same training up to fp32 rounding.
TEST(NasTrain, TrainsOnTheCompiledStepOrWithReferenceOnTheReference) {
  const std::string model = tiny_onnx();
  const Result compiled = run_nas(fmt::format("train {} {} --json --seed 3", model, kQuick));
  const Result reference =
      run_nas(fmt::format("train {} {} --json --seed 3 --reference", model, kQuick));
  ASSERT_EQ(compiled.code, 0) << compiled.err;
  ASSERT_EQ(reference.code, 0) << reference.err;
  const nlohmann::json c = nlohmann::json::parse(compiled.out);
  const nlohmann::json r = nlohmann::json::parse(reference.out);
  EXPECT_GT(c.at("peak_training_bytes").get<int64_t>(), 0);
  EXPECT_GT(c.at("training_compile_seconds").get<double>(), 0);
  EXPECT_EQ(r.at("peak_training_bytes").get<int64_t>(), 0);
  EXPECT_NEAR(c.at("loss_curve")[1].get<double>(), r.at("loss_curve")[1].get<double>(), 1e-3);
  const Result text = run_nas(fmt::format("train {} {}", model, kQuick));
  EXPECT_THAT(text.out, HasSubstr("compiled step ("));
}

TEST(NasTrain, RefusesATargetThatCannotRunHere) {
  const Result r = run_nas(fmt::format("train {} {} --target aarch64", tiny_onnx(), kQuick));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("target 'aarch64' (aarch64-linux-gnu) cannot run on this"));
}

// Where the results go is checked before training, not after it (nothing is trained).
TEST(NasTrain, RefusesAnUnwritableOutputBeforeTraining) {
  const std::string missing = (test_temp_dir() / "missing" / "trained.onnx").string();
  const Result r = run_nas(fmt::format("train {} {} -o {}", tiny_onnx(), kQuick, missing));
  expect_user_error(r, missing + ": cannot write: folder '" +
                           (test_temp_dir() / "missing").string() + "' does not exist");
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("epoch 1/2")));
}

TEST(NasTrain, ResumesFromACheckpointToALargerBudget) {
  const std::string model = tiny_onnx();
  const std::string ckpt = (test_temp_dir() / "one.ckpt").string();
  const char* data = "--data synthetic --batch 16 --subset 160 --val-subset 50 --json";
  const Result straight = run_nas(fmt::format("train {} {} --epochs 3", model, data));
  const Result first = run_nas(fmt::format("train {} {} --epochs 1 --checkpoint {}", model, data, ckpt));
  const Result resumed = run_nas(fmt::format("train {} {} --epochs 3 --resume {}", model, data, ckpt));
  ASSERT_EQ(straight.code, 0) << straight.err;
  ASSERT_EQ(first.code, 0) << first.err;
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const nlohmann::json a = nlohmann::json::parse(straight.out), b = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(b.at("loss_curve"), a.at("loss_curve"));
  EXPECT_EQ(b.at("accuracy"), a.at("accuracy"));
}

TEST(NasTrain, ReportsBadInputs) {
  const std::string model = tiny_onnx();
  expect_user_error(run_nas(fmt::format("train {} --data imagenet", model)),
                    "unknown data set 'imagenet' (expected fashion-mnist or synthetic)");
  expect_user_error(run_nas(fmt::format("train {} --data-dir /nonexistent/fmnist", model)),
                    "Fashion-MNIST folder /nonexistent/fmnist does not exist");
  expect_user_error(run_nas(fmt::format("train {} {} --optimizer lbfgs", model, kQuick)),
                    "unknown optimizer 'lbfgs' (expected sgd or adam)");
  expect_user_error(run_nas(fmt::format("train {} {} --lr 1e30", model, kQuick)),
                    "loss became");
  expect_user_error(run_nas("train /nonexistent.onnx"), "/nonexistent.onnx");
}

TEST(NasTrain, TrainsAnArchitectureOfASpace) {
  const std::string space = std::string(NAS_SOURCE_DIR) + "/configs/spaces/nb201_28.yaml";
  const Result sample = run_nas("space " + space + " --sample 1 --seed 4");
  ASSERT_EQ(sample.code, 0) << sample.err;
  // The sample line starts with the architecture's string form.
  const std::string last = sample.out.substr(sample.out.rfind('\n', sample.out.size() - 2) + 1);
  const std::string arch = last.substr(0, last.find_first_of(" \t"));
  const Result r = run_nas(fmt::format(
      "train --space {} --arch {} --data synthetic --epochs 1 --batch 8 --subset 16 "
      "--val-subset 8", space, arch));
  ASSERT_EQ(r.code, 0) << r.err << "\narch: " << arch;
  EXPECT_THAT(r.out, HasSubstr("val accuracy"));
  expect_user_error(run_nas("train --space " + space), "--space needs --arch STRING");
  expect_user_error(run_nas("train"), "give either MODEL.onnx or --space FILE with --arch STRING");
  expect_user_error(run_nas("train --space " + space + " --arch bogus --data synthetic"),
                    "architecture 'bogus' has 1 choices");
}

TEST(NasMakeModel, WritesTheSmallCnn) {
  const std::string path = (test_temp_dir() / "cnn.onnx").string();
  const Result r = run_nas(fmt::format("make-model small-cnn -o {} --seed 2 --batch 4", path));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("24394 parameters"));
  const graph::Graph g = onnx_io::import_onnx(path);
  EXPECT_EQ(g.type(g.inputs()[0]).shape, (graph::Shape{4, 1, 28, 28}));
  expect_user_error(run_nas(fmt::format("make-model resnet-1000 -o {}", path)),
                    "unknown model 'resnet-1000' (expected small-cnn)");
}

}  // namespace
}  // namespace nas::testing
