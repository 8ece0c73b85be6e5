// nas_export_cases DIR: writes every exportable op case (seed 1) for the outside ONNX
// Runtime checker: DIR/<case>/model.onnx, input_<i>.npy in graph-input order, and
// expected_<o>.npy, our reference executor's outputs. A case the ONNX checker rejects is
// still written (ONNX Runtime may judge it), listed on stderr, and makes the exit code 1.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/npy.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_export.h"
#include "compiler/support/error.h"
#include "tests/graph/op_cases.h"

int main(int argc, char** argv) {
  using namespace nas;
  if (argc != 2) {
    std::cerr << "usage: nas_export_cases DIR\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  int written = 0;
  std::vector<std::string> rejected;
  try {
    for (const testing::OpCase& c : testing::op_cases()) {
      if (!c.onnx) continue;
      testing::Rng rng(1);
      graph::Graph g;
      std::vector<graph::Tensor> inputs;
      c.build(rng, g, inputs);
      const std::filesystem::path dir = root / c.name;
      std::filesystem::create_directories(dir);
      try {
        onnx_io::export_onnx(g, (dir / "model.onnx").string());
      } catch (const InternalError& e) {
        // export_onnx writes the model before checking it: keep the case for ONNX Runtime
        // to judge, and report the checker's objection.
        std::cerr << fmt::format("{}: {}\n", c.name, e.what());
        rejected.push_back(c.name);
      }
      for (size_t i = 0; i < inputs.size(); ++i)
        write_npy((dir / fmt::format("input_{}.npy", i)).string(), inputs[i]);
      const std::vector<graph::Tensor> outputs = graph::run_reference(g, inputs);
      for (size_t o = 0; o < outputs.size(); ++o)
        write_npy((dir / fmt::format("expected_{}.npy", o)).string(), outputs[o]);
      ++written;
    }
  } catch (const std::exception& e) {
    std::cerr << "nas_export_cases: " << e.what() << "\n";
    return dynamic_cast<const UserError*>(&e) ? 2 : 1;
  }
  std::cout << fmt::format("wrote {} cases to {}\n", written, root.string());
  if (!rejected.empty()) {
    std::cerr << fmt::format("nas_export_cases: the ONNX checker rejected {} case(s): {}\n",
                             rejected.size(), fmt::join(rejected, ", "));
    return 1;
  }
  return 0;
}
