// Every exportable op case goes through ONNX and back: the export passes the ONNX checker,
// the import gives the same graph text, and both graphs compute the same outputs bit for bit.
#include <gtest/gtest.h>

#include "compiler/graph/printer.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_export.h"
#include "compiler/onnx/onnx_import.h"
#include "tests/graph/op_cases.h"
#include "tests/onnx/onnx_test_models.h"

namespace nas::testing {
namespace {

using namespace graph;

std::vector<const OpCase*> onnx_cases() {
  std::vector<const OpCase*> out;
  for (const OpCase& c : op_cases())
    if (c.onnx) out.push_back(&c);
  return out;
}

std::string case_label(const ::testing::TestParamInfo<const OpCase*>& info) {
  std::string s = info.param->name;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

class OnnxRoundTrip : public ::testing::TestWithParam<const OpCase*> {};

TEST_P(OnnxRoundTrip, ExportImportGivesTheSameGraphAndOutputs) {
  const OpCase& c = *GetParam();
  Rng rng(1);
  Graph g;
  std::vector<Tensor> inputs;
  c.build(rng, g, inputs);
  const std::string bytes = onnx_io::export_onnx_bytes(g);  // runs the ONNX checker
  Graph back = onnx_io::import_onnx_bytes(bytes, c.name + ".onnx");
  if (!import_folds(g)) {
    EXPECT_EQ(print_graph(back), print_graph(g));
  }
  const std::vector<Tensor> expected = run_reference(g, inputs);
  const std::vector<Tensor> got = run_reference(back, inputs);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t o = 0; o < got.size(); ++o) EXPECT_TRUE(got[o] == expected[o]) << "output " << o;
}

INSTANTIATE_TEST_SUITE_P(Cases, OnnxRoundTrip, ::testing::ValuesIn(onnx_cases()), case_label);

}  // namespace
}  // namespace nas::testing
