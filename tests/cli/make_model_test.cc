// `nas make-model --space FILE --arch STRING` through the binary: the ONNX file holds the
// architecture's network (same shapes and weights as decoding it here), and each misuse of
// the options is one clear error.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_import.h"
#include "tests/cli/cli_util.h"
#include "space/space_file.h"

namespace nas::testing {
namespace {

using ::testing::HasSubstr;

std::string shipped_space(const std::string& name) {
  return std::string(NAS_SOURCE_DIR) + "/configs/spaces/" + name;
}

// The architecture of the last line that `nas space FILE --sample 1 --seed S` prints.
std::string sampled_arch(const std::string& space, int seed) {
  const Result r = run_nas(fmt::format("space {} --sample 1 --seed {}", space, seed));
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  return last.substr(0, last.find_first_of(" \t"));
}

// Ones, then a ramp: any input that reaches every weight will do.
graph::Tensor some_input(const graph::Shape& shape) {
  graph::Tensor t(graph::DType::F32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.01f * static_cast<float>(i % 97);
  return t;
}

TEST(NasMakeModel, WritesAnArchitectureOfEachShippedSpace) {
  for (const char* name : {"mobilenet_28.yaml", "nb201_28.yaml"}) {
    const std::string space_file = shipped_space(name);
    const std::string arch = sampled_arch(space_file, 7);
    const std::string path = (test_temp_dir() / "arch.onnx").string();
    const Result r = run_nas(
        fmt::format("make-model --space {} --arch {} --batch 2 -o {}", space_file, arch, path));
    ASSERT_EQ(r.code, 0) << r.err << "\narch: " << arch;

    const space::SearchSpace space = space::load_space(space_file);
    const graph::Graph expected = space.decode(space.parse(arch), 2);
    EXPECT_THAT(r.out, HasSubstr(fmt::format("{} parameters", expected.parameter_count())));
    const graph::Graph written = onnx_io::import_onnx(path);
    ASSERT_EQ(written.type(written.inputs()[0]).shape, (graph::Shape{2, 1, 28, 28})) << name;
    const graph::Tensor x = some_input({2, 1, 28, 28});
    EXPECT_EQ(graph::run_reference(written, {x})[0], graph::run_reference(expected, {x})[0])
        << name << " " << arch;
  }
}

TEST(NasMakeModelErrors, SpaceAndArchGoTogether) {
  const std::string space = shipped_space("nb201_28.yaml");
  const std::string out = "-o " + (test_temp_dir() / "x.onnx").string();
  expect_user_error(run_nas("make-model " + out),
                    "give either a model name (small-cnn) or --space FILE with --arch STRING");
  expect_user_error(run_nas("make-model small-cnn --space " + space + " " + out),
                    "give either a model name (small-cnn) or --space FILE with --arch STRING");
  expect_user_error(run_nas("make-model --space " + space + " " + out),
                    "--space needs --arch STRING");
  expect_user_error(run_nas("make-model small-cnn --arch skip " + out),
                    "--arch needs --space FILE");
  expect_user_error(run_nas("make-model --space " + space + " --arch bogus " + out),
                    "architecture 'bogus' has 1 choices");
}

TEST(NasMakeModelErrors, SampleInputNeedsFashionMnistShapedInput) {
  // The shipped cell space, but for 3-channel 32x32 images.
  std::string text = slurp(shipped_space("nb201_28.yaml"));
  text.replace(text.find("input: [1, 28, 28]"), 18, "input: [3, 32, 32]");
  const std::string space = (test_temp_dir() / "rgb32.yaml").string();
  std::ofstream(space) << text;
  const std::string out = (test_temp_dir() / "x.onnx").string();
  const std::string npy = (test_temp_dir() / "x.npy").string();
  const std::string arch = "--arch conv1x1,conv3x3,avgpool3x3,conv1x1,conv1x1,conv3x3";
  ASSERT_EQ(run_nas(fmt::format("make-model --space {} {} -o {}", space, arch, out)).code, 0);
  expect_user_error(
      run_nas(
          fmt::format("make-model --space {} {} -o {} --sample-input {}", space, arch, out, npy)),
      "--sample-input writes Fashion-MNIST images, but the model's input is not [1,1,28,28]");
}

}  // namespace
}  // namespace nas::testing
