// Per-kernel times of a model as the compiler lowers it (a profile for tuning the default
// schedules): each kernel of compiler::lower_model timed alone with runtime/timing.h's protocol, on
// buffers of its own (zeros; the weights as lowered), warm in the caches; with --in-context,
// each kernel as it runs inside the whole compiled model instead (CompiledModel::run_timed,
// on its thread pool; the median of 30 runs after 3), caches as the kernels before it leave
// them. --records FILE: the kernels as `nas bench --records` compiles them (the tuned
// schedules, the fitted constants).
//
//   ./build/kernel_profile MODEL.onnx [--threads N] [--layout blocked|nchw] [--winograd on|off] [--param NAME=VALUE]... [--in-context 1] [--records FILE]
//
// Prints one line per kernel: ms, share of the sum, family, schedule's first step.
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/codegen/codegen.h"
#include "compiler/compile.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/runtime/lowered_model.h"
#include "compiler/runtime/timing.h"
#include "compiler/target/target.h"
#include "compiler/tune/records.h"

int main(int argc, char** argv) {
  using namespace nas;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [--threads N] [--layout blocked|nchw] [--winograd on|off] [--param NAME=VALUE]... [--in-context 1] [--records FILE]\n", argv[0]);
    return 2;
  }
  int threads = 1;
  bool blocked = true, winograd = true, in_context = false;
  std::string records;
  nlohmann::json overrides = nlohmann::json::object();
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--threads") threads = std::atoi(value.c_str());
    if (key == "--layout") blocked = value == "blocked";
    if (key == "--winograd") winograd = value == "on";
    if (key == "--in-context") in_context = value == "1";
    if (key == "--records") records = value;
    if (key == "--param") {  // NAME=VALUE, a field of target::ScheduleParams
      const size_t eq = value.find('=');
      overrides[value.substr(0, eq)] = nlohmann::json::parse(value.substr(eq + 1));
    }
  }
  target::Target target = target::host_target();
  target.threads = threads;
  const graph::Graph g = onnx_io::import_onnx(argv[1]);
  lower::LowerOptions options;
  options.blocked_layout = blocked;
  options.winograd = winograd;
  if (!records.empty()) {
    const tune::TuningRecords file(records);
    target.schedule = file.fitted_schedule(target);
    options.tuned_params = file.best_params(target);
    options.winograd_direct = file.direct_convolutions(target);
  }
  options.schedule_params = target.schedule.with_json(overrides);
  const runtime::LoweredModel m = compiler::lower_model(g, {.target = target, .lowering = options});
  const auto jit = codegen::JitModule::compile(m.functions(), target);
  tbb::task_arena arena(threads);
  std::vector<double> ms;
  double total = 0;
  if (in_context) {
    const auto model = compiler::compile_model(g, {.target = target, .lowering = options});
    std::vector<graph::Tensor> inputs, outputs;
    for (graph::ValueId v : g.inputs()) inputs.emplace_back(g.type(v));
    for (graph::ValueId v : g.outputs()) outputs.emplace_back(g.type(v));
    std::vector<const graph::Tensor*> in;
    std::vector<graph::Tensor*> out;
    for (const graph::Tensor& t : inputs) in.push_back(&t);
    for (graph::Tensor& t : outputs) out.push_back(&t);
    std::vector<std::vector<double>> runs;
    for (int r = 0; r < 33; ++r) {
      std::vector<double> times = model->run_timed(in, out);
      if (r >= 3) runs.push_back(std::move(times));
    }
    for (size_t k = 0; k < m.kernels.size(); ++k) {
      std::vector<double> times;
      for (const std::vector<double>& run : runs) times.push_back(run.at(k));
      std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
      ms.push_back(times[times.size() / 2]);
      total += ms.back();
    }
  }
  for (const lower::LoweredKernel& k : m.kernels) {
    if (in_context) break;
    std::vector<runtime::AlignedBuffer> buffers;
    std::vector<void*> args;
    for (size_t i = 0; i < k.params.size(); ++i) {
      // f32, or i64 (a Gather's constant indices)
      buffers.emplace_back(k.func.params[i].numel() * k.func.params[i].element_type().bits() / 8);
      if (k.params[i].packed)
        std::memcpy(buffers.back().data(), k.params[i].packed->raw(),
                    static_cast<size_t>(k.params[i].packed->nbytes()));
      else if (m.graph.is_constant(k.params[i].value))
        std::memcpy(buffers.back().data(), m.graph.constant(k.params[i].value).raw(),
                    static_cast<size_t>(m.graph.constant(k.params[i].value).nbytes()));
      args.push_back(buffers.back().data());
    }
    const codegen::KernelEntry entry = jit->lookup(k.func.name);
    runtime::TimingProtocol protocol;
    protocol.min_seconds = 0.05;
    const runtime::TimingStats s =
        runtime::measure([&] { arena.execute([&] { entry(args.data()); }); }, protocol);
    ms.push_back(s.median_ms);
    total += s.median_ms;
  }
  for (size_t i = 0; i < m.kernels.size(); ++i) {
    const lower::LoweredKernel& k = m.kernels[i];
    std::string shape;
    for (const loop::Buffer& b : k.func.params) {
      shape += " [";
      for (int64_t d : b.shape()) shape += std::to_string(d) + ",";
      shape.back() = ']';
    }
    std::printf("%3zu %8.4f ms %5.1f%% %-18s %s\n", i, ms[i], 100 * ms[i] / total,
                std::string(lower::schedule_family_name(k.family)).c_str(), shape.c_str());
  }
  std::printf("sum %.3f ms\n", total);
  return 0;
}
