// Where a compiled training step's time goes: the step (forward in training mode, loss,
// backward) compiled as the trainer compiles it, run on a random batch, each kernel timed
// as it runs in order (CompiledModel::run_timed: caches as a real step leaves them); the
// median over the runs after a warm-up counts.
//
//   ./build/train_step_profile MODEL.onnx [--threads N] [--batch B] [--runs R] [--top K]
//
// NAS_DUMP_IR prints the step's IR as `nas compile` does (stderr).
// Prints the time by anchor op (the kernel's first node), then the K slowest kernels: ms,
// share of the sum, GFLOP/s (the registry's FLOPs of its nodes), family, the graph nodes it
// computes and the shape of its first node's first input.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/target/target.h"
#include "evaluator/train/training_step.h"

int main(int argc, char** argv) {
  using namespace nas;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [--threads N] [--batch B] [--runs R] [--top K]\n",
                 argv[0]);
    return 2;
  }
  int threads = 1, runs = 10;
  int64_t batch = 64;
  size_t top = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--threads") threads = std::stoi(value);
    if (key == "--batch") batch = std::stoll(value);
    if (key == "--runs") runs = std::stoi(value);
    if (key == "--top") top = static_cast<size_t>(std::stoll(value));
  }
  compiler::CompileOptions options;
  options.target = target::host_target();
  options.target.threads = threads;
  if (const char* dump = std::getenv("NAS_DUMP_IR")) options.dump = compiler::parse_ir_dump(dump);
  const graph::Graph model = onnx_io::import_onnx(argv[1]);
  const graph::Graph step =
      evaluator::compiled_step_graph(evaluator::build_training_graph(model, batch));
  const auto compiled = compiler::compile_model(step, options);

  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal;
  std::vector<graph::Tensor> inputs, outputs;
  for (graph::ValueId v : step.inputs()) {
    graph::Tensor t(step.type(v));
    if (t.dtype() == graph::DType::F32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.1f * normal(rng);
    inputs.push_back(std::move(t));  // labels: class 0
  }
  for (graph::ValueId v : step.outputs()) outputs.emplace_back(step.type(v));
  std::vector<const graph::Tensor*> in;
  std::vector<graph::Tensor*> out;
  for (const graph::Tensor& t : inputs) in.push_back(&t);
  for (graph::Tensor& t : outputs) out.push_back(&t);

  std::vector<std::vector<double>> samples;  // per kernel
  for (int r = 0; r < runs + 2; ++r) {
    const std::vector<double> ms = compiled->run_timed(in, out);
    samples.resize(ms.size());
    if (r >= 2)
      for (size_t k = 0; k < ms.size(); ++k) samples[k].push_back(ms[k]);
  }
  std::vector<double> ms;
  for (std::vector<double>& s : samples) {
    std::ranges::sort(s);
    ms.push_back(s[s.size() / 2]);
  }
  const double total = std::accumulate(ms.begin(), ms.end(), 0.0);

  std::map<std::string, std::string> op_of;  // node name -> op
  std::map<std::string, int64_t> flops_of;   // node name -> FLOPs
  std::map<std::string, std::string> shape_of;  // node name -> its first input's shape
  for (const graph::Node& node : step.nodes()) {
    op_of[node.name] = node.op_name();
    std::vector<const graph::TensorType*> types;
    for (graph::ValueId v : node.inputs) types.push_back(v == graph::kNoValue ? nullptr : &step.type(v));
    flops_of[node.name] = node.op->flops ? node.op->flops(graph::InferContext{node, types}) : 0;
    if (!types.empty() && types[0]) shape_of[node.name] = fmt::format("{}", fmt::join(types[0]->shape, "x"));
  }
  const nlohmann::json kernels = compiled->describe().at("kernels");
  auto nodes_of = [&](size_t k) {
    std::vector<std::string> names;
    for (const auto& n : kernels[k].at("nodes")) names.push_back(n.get<std::string>());
    return names;
  };
  std::map<std::string, std::pair<double, int>> by_op;
  for (size_t k = 0; k < ms.size(); ++k) {
    const std::string first = nodes_of(k).front();
    auto& [sum, count] = by_op[op_of.contains(first) ? op_of[first] : first];
    sum += ms[k];
    ++count;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> ops(by_op.begin(), by_op.end());
  std::ranges::sort(ops, [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::printf("%s: %zu kernels, batch %lld, %d thread(s), %.3f ms in kernels\n", argv[1],
              ms.size(), static_cast<long long>(batch), threads, total);
  std::string line = "by op:";
  for (const auto& [op, entry] : ops)
    line += fmt::format(" {} {:.1f}% ({}),", op, 100 * entry.first / total, entry.second);
  line.pop_back();
  std::printf("%s\n", line.c_str());
  std::vector<size_t> order(ms.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::ranges::sort(order, [&](size_t a, size_t b) { return ms[a] > ms[b]; });
  for (size_t k : order) {
    if (top-- == 0) break;
    std::string nodes;
    int64_t flops = 0;
    for (const std::string& n : nodes_of(k)) {
      nodes += " " + (op_of.contains(n) ? op_of[n] : n);
      flops += flops_of[n];
    }
    std::printf("%3zu %8.3f ms %5.1f%% %6.1f GFLOP/s %-18s%s [%s]\n", k, ms[k],
                100 * ms[k] / total, flops / (ms[k] * 1e6),
                kernels[k].at("family").get<std::string>().c_str(), nodes.c_str(),
                shape_of[nodes_of(k).front()].c_str());
  }
  return 0;
}
