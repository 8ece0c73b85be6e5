// "Validate first, write second", command by command: a bad input is refused with a
// one-line error while the output folder -- holding the results of an earlier run --
// stays byte for byte as it was, with no file added.
#include <filesystem>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/npy.h"
#include "compiler/onnx/onnx_export.h"
#include "search/report.h"
#include "tests/cli/cli_util.h"
#include "tests/evaluator/tiny_model.h"

namespace nas::testing {
namespace {

namespace fs = std::filesystem;

// Every file under `folder` (relative path -> bytes), and every folder as "path/".
std::map<std::string, std::string> snapshot(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(folder)) {
    const std::string name = fs::relative(e.path(), folder).string();
    files[e.is_directory() ? name + "/" : name] = e.is_directory() ? "" : slurp(e.path());
  }
  return files;
}

// An earlier run's outputs in `folder`: the files a command writes there, with contents no
// command would write.
fs::path earlier_outputs(const fs::path& folder, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    fs::create_directories((folder / name).parent_path());
    std::ofstream(folder / name, std::ios::binary) << "earlier result: " << name << "\n";
  }
  return folder;
}

class ValidateFirst : public ::testing::Test {
 protected:
  // Runs `nas ARGS`, expects a one-line error containing `what`, and `out` unchanged.
  void expect_refused_leaving(const fs::path& out, const std::string& args,
                              const std::string& what) {
    const auto before = snapshot(out);
    expect_user_error(run_nas(args), what);
    EXPECT_EQ(snapshot(out), before) << "nas " << args;
  }

  std::string tiny_onnx() {
    const std::string path = (dir_ / "tiny.onnx").string();
    onnx_io::export_onnx(evaluator::tiny_model(4, 1), path);
    return path;
  }
  std::string garbage_onnx() {
    std::ofstream(dir_ / "garbage.onnx") << "not a model";
    return (dir_ / "garbage.onnx").string();
  }

  TempDir dir_;
};

TEST_F(ValidateFirst, Search) {
  const fs::path out =
      earlier_outputs(dir_ / "out", {"config.yaml", "experiment.db", "results.csv"});
  expect_refused_leaving(out,
                         fmt::format("search {}/configs/synthetic_smoke.yaml --set "
                                     "strategy.settings.bogus=1 --set output={}",
                                     NAS_SOURCE_DIR, out.string()),
                         "unknown setting 'bogus'");
}

TEST_F(ValidateFirst, Report) {
  const fs::path out =
      earlier_outputs(dir_ / "out", {"results.csv", "pareto.csv", "report.html"});
  std::ofstream(out / "results.json") << "{\"trials\": [";
  expect_refused_leaving(out, "report " + out.string(), "results.json: not valid JSON");
}

TEST_F(ValidateFirst, Export) {
  const fs::path out = earlier_outputs(dir_ / "out", {"winners/1_00000000000000aa.onnx",
                                                      "winners/winners.json"});
  search::write_results(out, {}, space::SearchSpace("toy", {{"w", {"4", "8"}, {4, 8}, true}}),
                        {{"accuracy", true}}, {});
  expect_refused_leaving(out, "export " + out.string() + " --top 0",
                         "--top: the number of winners to export must be at least 1 (got 0)");
  expect_refused_leaving(out, "export " + out.string(),
                         "does not say how to build and train its architectures");
}

TEST_F(ValidateFirst, Train) {
  const fs::path out = earlier_outputs(dir_ / "out", {"trained.onnx", "state.ckpt"});
  const std::string quick = "--data synthetic --epochs 1 --batch 16 --subset 64";
  expect_refused_leaving(out,
                         fmt::format("train {} {} -o {}/trained.onnx --checkpoint {}/state.ckpt",
                                     garbage_onnx(), quick, out.string(), out.string()),
                         "garbage.onnx");
  expect_refused_leaving(out,
                         fmt::format("train {} {} --epochs 0 -o {}/trained.onnx", tiny_onnx(),
                                     quick, out.string()),
                         "--epochs");
}

TEST_F(ValidateFirst, Compile) {
  const fs::path out =
      earlier_outputs(dir_ / "out", {"model.o", "model.json", "model.weights.bin"});
  expect_refused_leaving(out, fmt::format("compile {} -o {}/model", garbage_onnx(), out.string()),
                         "garbage.onnx");
  expect_refused_leaving(out,
                         fmt::format("compile {} --schedule fast -o {}/model", tiny_onnx(),
                                     out.string()),
                         "--schedule");
}

TEST_F(ValidateFirst, Run) {
  const fs::path out = earlier_outputs(dir_ / "out", {"y.npy"});
  const std::string input = (dir_ / "x.npy").string();
  write_npy(input, graph::Tensor(graph::DType::F32, {2, 1, 7, 7}));  // the model takes 8x8
  expect_refused_leaving(out,
                         fmt::format("run {} -i {} -o {}/y.npy", tiny_onnx(), input,
                                     out.string()),
                         "input 'x': expected f32[1,1,8,8], got shape [2,1,7,7]");
}

TEST_F(ValidateFirst, MakeModel) {
  const fs::path out = earlier_outputs(dir_ / "out", {"model.onnx", "x.npy"});
  expect_refused_leaving(out,
                         fmt::format("make-model --space {}/configs/spaces/nb201_28.yaml "
                                     "--arch bogus -o {}/model.onnx",
                                     NAS_SOURCE_DIR, out.string()),
                         "bogus");
  expect_refused_leaving(out,
                         fmt::format("make-model small-cnn --batch 0 -o {}/model.onnx "
                                     "--sample-input {}/x.npy",
                                     out.string(), out.string()),
                         "--batch");
}

}  // namespace
}  // namespace nas::testing
