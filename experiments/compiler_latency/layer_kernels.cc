// One convolution layer (batch 1, fp32, with bias) as our compiler's kernel for it, in the
// layout it runs in inside a network: a single-layer ONNX model has NCHW graph input and
// output, so `nas bench` measures the NCHW kernels; here the layer is lowered with its input
// and output stored NCHW16c (lower_group's channel_blocks, as the layout pass stores the
// activations between convolutions) or NCHW, with the default schedule, JIT-compiled and
// timed with runtime/timing.h's protocol. Only the kernel is timed: no copies in or out.
// The result is checked once against the reference executor.
//
//   cmake --build build --target layer_kernels
//   ./build/layer_kernels --c 64 --k 64 --h 56 --w 56 --kernel 3 --stride 1 --pad 1
//                         --groups 1 --threads 1 --layout blocked|nchw      (one line)
//
// Prints one JSON object (median_ms, gflops, ...), like onednn_conv.cc.
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/codegen/codegen.h"
#include "compiler/graph/graph.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/lower/default_schedule.h"
#include "compiler/lower/lower_group.h"
#include "compiler/passes/fusion.h"
#include "compiler/passes/layout.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/runtime/timing.h"
#include "compiler/support/random.h"
#include "compiler/target/target.h"

#include "layer_args.h"

namespace {

using namespace nas;

graph::Tensor random_tensor(const graph::Shape& shape, SplitMix64& rng) {
  graph::Tensor t(graph::DType::F32, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(2 * rng.uniform() - 1);
  return t;
}

// Element [n, c, h, w] of an NCHW tensor at its place in NCHW[x]c.
void to_layout(const float* from, float* to, const graph::Shape& s, int64_t block, bool blocked) {
  const int64_t c = s[1], hw = s[2] * s[3];
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < hw; ++i) {
      const int64_t at = blocked ? ((ch / block) * hw + i) * block + ch % block : ch * hw + i;
      to[at] = from[ch * hw + i];
    }
}

}  // namespace

int main(int argc, char** argv) {
  const LayerArgs l = parse_layer_args(argc, argv, {{"--layout", {"blocked", "nchw"}}});
  target::Target target = target::host_target();
  target.threads = l.threads;
  const int lanes = target.vector_lanes;

  graph::Graph g("layer");
  SplitMix64 rng(0);
  const graph::Shape x_shape{1, l.c, l.h, l.w};
  const graph::ValueId x = g.add_input("x", {graph::DType::F32, x_shape});
  const graph::ValueId wt =
      g.add_constant("w", random_tensor({l.k, l.c / l.groups, l.kernel, l.kernel}, rng));
  const graph::ValueId b = g.add_constant("b", random_tensor({l.k}, rng));
  const graph::ValueId y = g.add(
      "Conv", {x, wt, b},
      {{"group", l.groups},
       {"pads", graph::Shape{l.pad, l.pad, l.pad, l.pad}},
       {"strides", graph::Shape{l.stride, l.stride}}},
      "conv");
  g.add_output(y);
  const graph::Shape y_shape = g.type(y).shape;

  // The layout pass's block: the largest power of two up to the lanes dividing C.
  const bool blocked = l.words.at("--layout") == "blocked";
  const int64_t x_block = blocked ? lower::lanes_dividing(l.c, lanes) : 1;
  const int64_t y_block = blocked ? lower::lanes_dividing(l.k, lanes) : 1;
  lower::LowerOptions options;
  if (x_block > 1) options.channel_blocks[x] = x_block;
  if (y_block > 1) options.channel_blocks[y] = y_block;
  const passes::FusionPlan plan = passes::plan_fusion(g);
  if (plan.groups.size() != 1) {
    std::fprintf(stderr, "expected one fused group, got %zu\n", plan.groups.size());
    return 1;
  }
  const lower::LoweredKernel kernel = lower::lower_group(g, plan.groups[0], target, "layer", options);
  const auto jit = codegen::JitModule::compile({kernel.func}, target);
  const codegen::KernelEntry entry = jit->lookup("layer");

  const graph::Tensor input = random_tensor(x_shape, rng);
  std::vector<runtime::AlignedBuffer> buffers;
  std::vector<void*> args;
  float* out = nullptr;
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const lower::KernelParam& p = kernel.params[i];
    buffers.emplace_back(kernel.func.params[i].numel() * static_cast<int64_t>(sizeof(float)));
    auto* data = reinterpret_cast<float*>(buffers.back().data());
    if (p.packed) {
      std::memcpy(data, p.packed->data<float>(), static_cast<size_t>(p.packed->numel()) * 4);
    } else if (p.value == x) {
      to_layout(input.data<float>(), data, x_shape, x_block, x_block > 1);
    } else if (p.value == y) {
      out = data;
    } else {
      const graph::Tensor& t = g.constant(p.value);
      std::memcpy(data, t.data<float>(), static_cast<size_t>(t.numel()) * 4);
    }
    args.push_back(data);
  }

  tbb::task_arena arena(l.threads);
  const runtime::TimingStats stats =
      runtime::measure([&] { arena.execute([&] { entry(args.data()); }); });

  // The kernel's output against the reference executor's, in the kernel's layout.
  const graph::Tensor expected = graph::run_reference(g, {input}).at(0);
  std::vector<float> want(static_cast<size_t>(expected.numel()));
  to_layout(expected.data<float>(), want.data(), y_shape, y_block, y_block > 1);
  double max_error = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    max_error = std::max(max_error, std::fabs(static_cast<double>(out[i]) - want[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
  }

  const double flops = 2.0 * static_cast<double>(l.k * (l.c / l.groups) * l.kernel * l.kernel *
                                                 y_shape[2] * y_shape[3]);
  nlohmann::json j = stats.to_json();
  j["threads"] = l.threads;
  j["layout"] = blocked ? "NCHW" + std::to_string(y_block) + "c" : "NCHW";
  j["flops"] = flops;
  j["gflops"] = flops / (stats.median_ms * 1e-3) * 1e-9;
  j["compile_seconds"] = jit->compile_seconds();
  j["max_abs_error"] = max_error;
  j["family"] = lower::schedule_family_name(kernel.family);
  j["schedule"] = kernel.schedule.str();
  j["protocol"] = runtime::TimingProtocol{}.describe();
  std::cout << j.dump() << "\n";
  if (!(max_error <= 1e-4 * (scale + 1))) {
    std::fprintf(stderr, "wrong result: max abs error %g (scale %g)\n", max_error, scale);
    return 1;
  }
  return 0;
}
