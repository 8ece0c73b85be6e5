// Where a compiled training step's time goes: each kernel of the step (forward in training
// mode, loss, backward; compiler::lower_model on the graph the trainer compiles) timed alone
// with runtime/timing.h's protocol on buffers of its own (zeros), warm in the caches.
//
//   ./build/train_step_profile MODEL.onnx [--threads N] [--batch B] [--top K]
//
// Prints the time by anchor op (the group's first node), then the kernels by time: ms,
// share of the sum, family, the graph nodes it computes.
#include <tbb/task_arena.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/compile.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/runtime/timing.h"
#include "compiler/target/target.h"
#include "evaluator/train/training_step.h"

int main(int argc, char** argv) {
  using namespace nas;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [--threads N] [--batch B] [--top K]\n", argv[0]);
    return 2;
  }
  int threads = 1;
  int64_t batch = 64;
  size_t top = 1000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--threads") threads = std::atoi(value.c_str());
    if (key == "--batch") batch = std::atoll(value.c_str());
    if (key == "--top") top = static_cast<size_t>(std::atoll(value.c_str()));
  }
  target::Target target = target::host_target();
  target.threads = threads;
  const graph::Graph model = onnx_io::import_onnx(argv[1]);
  const graph::Graph step =
      evaluator::compiled_step_graph(evaluator::build_training_graph(model, batch));
  const runtime::LoweredModel m = compiler::lower_model(step, {.target = target});
  const auto jit = codegen::JitModule::compile(m.functions(), target);
  tbb::task_arena arena(threads);
  std::vector<double> ms;
  for (const lower::LoweredKernel& k : m.kernels) {
    std::vector<runtime::AlignedBuffer> buffers;
    std::vector<void*> args;
    for (const loop::Buffer& b : k.func.params) {
      buffers.emplace_back(b.numel() * b.element_type().bits() / 8);  // zeros
      args.push_back(buffers.back().data());
    }
    const codegen::KernelEntry entry = jit->lookup(k.func.name);
    runtime::TimingProtocol protocol;
    protocol.min_seconds = 0.05;
    ms.push_back(runtime::measure([&] { arena.execute([&] { entry(args.data()); }); }, protocol)
                     .median_ms);
  }
  const double total = std::accumulate(ms.begin(), ms.end(), 0.0);
  std::vector<size_t> order(ms.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::ranges::sort(order, [&](size_t a, size_t b) { return ms[a] > ms[b]; });
  std::printf("%s: %zu kernels, batch %lld, %d thread(s), sum %.3f ms\n", argv[1], ms.size(),
              static_cast<long long>(batch), threads, total);
  std::map<std::string, std::pair<double, int>> by_op;
  for (size_t i = 0; i < ms.size(); ++i) {
    const int32_t anchor = m.fusion.groups[i].nodes.front();
    auto& [sum, count] = by_op[m.graph.nodes()[static_cast<size_t>(anchor)].op_name()];
    sum += ms[i];
    ++count;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> ops(by_op.begin(), by_op.end());
  std::ranges::sort(ops, [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::string line = "by op:";
  for (const auto& [op, entry] : ops)
    line += fmt::format(" {} {:.1f}% ({}),", op, 100 * entry.first / total, entry.second);
  line.pop_back();
  std::printf("%s\n", line.c_str());
  for (size_t i : order) {
    if (top-- == 0) break;
    const lower::LoweredKernel& k = m.kernels[i];
    std::string nodes;
    for (int32_t n : m.fusion.groups[i].nodes)
      nodes += " " + m.graph.nodes()[static_cast<size_t>(n)].op_name();
    std::printf("%3zu %8.3f ms %5.1f%% %-17s%s\n", i, ms[i], 100 * ms[i] / total,
                std::string(lower::schedule_family_name(k.family)).c_str(), nodes.c_str());
  }
  return 0;
}
