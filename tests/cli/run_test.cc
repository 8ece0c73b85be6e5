// `nas run` through the binary: one test per user-facing error (exit code 2 and one line
// naming the problem) and a run whose output file is compared with the reference executor.
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/npy.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_import.h"
#include "tests/onnx/onnx_test_models.h"
#include "tests/cli/cli_util.h"
#include "tests/test_util.h"

namespace nas::testing {
namespace {

using namespace graph;
using ::testing::HasSubstr;

using nas::testing::Result;
using nas::testing::slurp;

std::string temp(const std::string& name) { return (nas::testing::test_temp_dir() / name).string(); }

Result nas(const std::string& args) { return nas::testing::run_nas(args); }

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// y = relu(x + b), x: f32[N,3] (symbolic batch), b an initializer.
OnnxModel relu_add_model() {
  OnnxModel m;
  m.input("x", {-1, 3}).initializer("b", Tensor::f32({3}, {0.5f, -1, 2})).output("y");
  m.node("Add", {"x", "b"}, {"s"}, "add");
  m.node("Relu", {"s"}, {"y"}, "relu");
  return m;
}

std::string model_file() { return relu_add_model().save(temp("model.onnx")); }

std::string npy_file(const std::string& name, const Tensor& t) {
  write_npy(temp(name), t);
  return temp(name);
}

using nas::testing::expect_user_error;

TEST(NasRun, RunsAndWritesOutputs) {
  const Tensor x = Tensor::f32({2, 3}, {1, 2, 3, -4, 5, -6});
  const std::string model = model_file();
  const Result r = nas(fmt::format("run {} --input {} --output {}", model, npy_file("x.npy", x),
                                   temp("y.npy")));
  ASSERT_EQ(r.code, 0) << r.err;
  onnx_io::ImportOptions options;
  options.input_shapes["x"] = {2, 3};
  const Tensor expected = run_reference(onnx_io::import_onnx(model, options), {x})[0];
  EXPECT_EQ(read_npy(temp("y.npy")), expected);
  EXPECT_EQ(expected, Tensor::f32({2, 3}, {1.5f, 1, 5, 0, 4, 0}));
}

TEST(NasRun, NamedInputsAndOutputsAndPrinting) {
  const std::string x = npy_file("x1.npy", Tensor::f32({1, 3}, {1, 1, 1}));
  Result r = nas(fmt::format("run {} --input x={} --output y={} --reference", model_file(), x,
                             temp("y1.npy")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_npy(temp("y1.npy")), Tensor::f32({1, 3}, {1.5f, 0, 3}));
  r = nas(fmt::format("run {} -i {} --print-graph", model_file(), x));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "y: f32[1,3] = 1.5 0 3\n");
  EXPECT_THAT(r.err, HasSubstr("%y: f32[1,3] = Relu(%s)  # relu"));
}

TEST(NasRunErrors, MissingModel) {
  expect_user_error(nas("run " + temp("nope.onnx") + " --input x.npy"),
                    "nope.onnx: cannot open ONNX model");
}

TEST(NasRunErrors, GarbageModel) {
  write_file(temp("garbage.onnx"), std::string("\xff\xfe\x00garbage bytes\xff", 17));
  expect_user_error(nas("run " + temp("garbage.onnx")),
                    "garbage.onnx: not a valid ONNX model (protobuf parse failed)");
}

TEST(NasRunErrors, TruncatedModel) {
  const std::string bytes = relu_add_model().bytes();
  write_file(temp("half.onnx"), bytes.substr(0, bytes.size() / 2));
  expect_user_error(nas("run " + temp("half.onnx")), "half.onnx: not a valid ONNX model");
}

TEST(NasRunErrors, UnsupportedOp) {
  OnnxModel m;
  m.input("boxes", {1, 4, 4}).input("scores", {1, 1, 4}).output("sel", {}, onnx::TensorProto::INT64);
  m.node("NonMaxSuppression", {"boxes", "scores"}, {"sel"}, "nms");
  const std::string x = npy_file("boxes.npy", Tensor(DType::F32, {1, 4, 4}));
  const std::string s = npy_file("scores.npy", Tensor(DType::F32, {1, 1, 4}));
  const Result r = nas(fmt::format("run {} --input {} --input {}", m.save(temp("nms.onnx")), x, s));
  expect_user_error(r, "node 'nms' (NonMaxSuppression, opset 17): unsupported op; supported: ");
  EXPECT_THAT(r.err, HasSubstr("Relu"));
}

TEST(NasRunErrors, UnsupportedAttribute) {
  OnnxModel m;
  m.input("x", {2}).output("y");
  add_attr(m.node("Relu", {"x"}, {"y"}, "r"), "alpha", 0.5f);
  expect_user_error(nas(fmt::format("run {} --input {}", m.save(temp("attr.onnx")),
                                    npy_file("x2.npy", Tensor(DType::F32, {2})))),
                    "node 'r' (Relu, opset 17): unsupported attribute 'alpha'");
}

TEST(NasRunErrors, UnsupportedOpset) {
  for (int opset : {10, 18}) {
    OnnxModel m(opset);
    m.input("x", {2}).output("y");
    m.node("Relu", {"x"}, {"y"});
    expect_user_error(nas(fmt::format("run {} --input {}", m.save(temp("opset.onnx")),
                                      npy_file("x2.npy", Tensor(DType::F32, {2})))),
                      fmt::format("opset {} of the default ONNX domain is not supported", opset));
  }
}

TEST(NasRunErrors, WrongInputShapeAndDtype) {
  expect_user_error(nas(fmt::format("run {} --input {}", model_file(),
                                    npy_file("x4.npy", Tensor(DType::F32, {2, 4})))),
                    "input 'x': expected f32[N,3], got shape [2,4] (dim 1 must be 3)");
  expect_user_error(nas(fmt::format("run {} --input {}", model_file(),
                                    npy_file("xi.npy", Tensor(DType::I64, {2, 3})))),
                    "input 'x': expected f32[2,3], got i64[2,3]");
}

TEST(NasRunErrors, InputNamesAndCounts) {
  const std::string x = npy_file("x5.npy", Tensor(DType::F32, {1, 3}));
  expect_user_error(nas(fmt::format("run {} --input z={}", model_file(), x)),
                    "the model has no input 'z' (inputs: x)");
  expect_user_error(nas(fmt::format("run {}", model_file())),
                    "input 'x' (f32[N,3]) is missing");
  expect_user_error(nas(fmt::format("run {} --input {} --input {}", model_file(), x, x)),
                    "the model takes 1 input (x)");
  expect_user_error(nas(fmt::format("run {} --input {} --output w={}", model_file(), x, temp("w.npy"))),
                    "the model has no output 'w' (outputs: y)");
}

TEST(NasRunErrors, MalformedNpy) {
  const std::string good = encode_npy(Tensor(DType::F32, {1, 3}));
  auto run_with = [&](const std::string& bytes) {
    write_file(temp("bad.npy"), bytes);
    return nas(fmt::format("run {} --input {}", model_file(), temp("bad.npy")));
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  expect_user_error(nas(fmt::format("run {} --input {}", model_file(), temp("absent.npy"))),
                    "absent.npy: cannot open .npy file");
  expect_user_error(run_with("not numpy at all"), "bad.npy: not an .npy file (bad magic");
  expect_user_error(run_with(replaced("'shape': (1, 3)", "'shape': [1, 3]")),
                    "bad.npy: malformed .npy header");
  expect_user_error(run_with(replaced("False", "True ")), "bad.npy: fortran_order is True");
  expect_user_error(run_with(replaced("<f4", "<f2")),
                    "bad.npy: unsupported dtype '<f2' (supported: '<f4' (float32)");
  expect_user_error(run_with(good.substr(0, good.size() - 2)),
                    "bad.npy: truncated data (expected 12 bytes for f32[1,3], found 10)");
}

}  // namespace
}  // namespace nas::testing
