// Differential checks of lowered groups: each kernel runs in the loop IR interpreter on the
// reference executor's values of its inputs, and what it writes must match the reference's
// values of its outputs.
#pragma once

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/graph/reference_executor.h"
#include "compiler/loop/interpret.h"
#include "compiler/lower/lower_group.h"
#include "compiler/passes/fusion.h"
#include "compiler/support/random.h"
#include "compiler/target/target.h"

namespace nas::lower::testing {

inline target::Target test_target(const std::string& feature = "avx2", int threads = 1) {
  target::Target t;
  t.name = "test-" + feature;
  t.triple = "x86_64-pc-linux-gnu";
  t.cpu = "generic";
  t.features = {feature};
  t.threads = threads;
  target::derive_machine_facts(t);
  return t;
}

// The target's default schedule constants with every stage's parallel loop kept, however
// small (min_parallel_work 0), so small test shapes take the parallel paths.
inline LowerOptions parallel_everywhere(const target::Target& target, LowerOptions options = {}) {
  ScheduleParams params = target.schedule;
  params.min_parallel_work = 0;
  options.schedule_params = params;
  return options;
}

inline graph::Tensor random_tensor(const graph::Shape& shape, SplitMix64& rng, double lo = -1,
                                   double hi = 1) {
  graph::Tensor t(graph::DType::F32, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return t;
}

// A tensor [N, C, H, W] in NCHW[x]c: [N, C/x, H, W, x] (the layout pass's layout).
inline graph::Tensor to_blocked(const graph::Tensor& t, int64_t block) {
  const graph::Shape& s = t.shape();
  graph::Tensor b(graph::DType::F32, {s[0], s[1] / block, s[2], s[3], block});
  const int64_t hw = s[2] * s[3];
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t p = 0; p < hw; ++p)
        b.data<float>()[(((n * (s[1] / block) + c / block) * hw + p) * block) + c % block] =
            t.data<float>()[(n * s[1] + c) * hw + p];
  return b;
}

// The NCHW data of a value of logical shape `shape` stored NCHW[x]c.
inline std::vector<float> from_blocked(const std::vector<float>& data, const graph::Shape& s,
                                       int64_t block) {
  std::vector<float> plain(data.size());
  const int64_t hw = s[2] * s[3];
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t p = 0; p < hw; ++p)
        plain[static_cast<size_t>((n * s[1] + c) * hw + p)] =
            data[static_cast<size_t>(((n * (s[1] / block) + c / block) * hw + p) * block + c % block)];
  return plain;
}

// Runs a kernel in the interpreter; `inputs` holds the data of every input parameter (by
// value id). Returns the data the kernel leaves in its output parameters.
inline std::map<graph::ValueId, std::vector<float>> interpret_kernel(
    const LoweredKernel& kernel, const graph::Graph& g,
    const std::map<graph::ValueId, graph::Tensor>& inputs) {
  std::vector<std::vector<float>> data(kernel.params.size());
  std::vector<std::vector<int64_t>> int_data(kernel.params.size());
  loop::Interpreter interpreter;
  std::map<graph::ValueId, std::vector<float>> outputs;
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const KernelParam& p = kernel.params[i];
    const loop::Buffer& buffer = kernel.func.params[i];
    if (buffer.element_type().is_int()) {  // i64 labels: read only
      const graph::Tensor& t = p.packed ? *p.packed : inputs.at(p.value);
      int_data[i].assign(t.data<int64_t>(), t.data<int64_t>() + t.numel());
      interpreter.bind(buffer, int_data[i]);
      continue;
    }
    if (p.packed) {
      data[i].assign(p.packed->data<float>(), p.packed->data<float>() + p.packed->numel());
    } else if (auto it = inputs.find(p.value); it != inputs.end()) {
      data[i].assign(it->second.data<float>(), it->second.data<float>() + it->second.numel());
    } else {
      data[i].assign(static_cast<size_t>(buffer.numel()), std::nanf(""));  // unwritten shows
    }
    EXPECT_EQ(static_cast<int64_t>(data[i].size()), buffer.numel())
        << "parameter " << i << " (" << g.value(p.value).name << ")";
    data[i].resize(static_cast<size_t>(buffer.numel()));
    interpreter.bind(buffer, data[i]);
  }
  interpreter.run(kernel.func.body);
  for (size_t i = 0; i < kernel.params.size(); ++i)
    if (!inputs.contains(kernel.params[i].value) && !kernel.params[i].packed)
      outputs[kernel.params[i].value] = data[i];
  return outputs;
}

// Whether `actual` matches `expected` to fp32 rounding of a reordered sum.
inline ::testing::AssertionResult close_to(const std::vector<float>& actual,
                                           const graph::Tensor& expected, double rtol = 1e-5) {
  if (static_cast<int64_t>(actual.size()) != expected.numel())
    return ::testing::AssertionFailure()
           << actual.size() << " elements, expected " << expected.numel();
  double scale = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) scale = std::max(scale, std::fabs(expected.at(i)));
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double e = expected.at(i), a = actual[static_cast<size_t>(i)];
    const double tol = rtol * (std::fabs(e) + scale) + 1e-30;
    if (!(std::fabs(a - e) <= tol) && !(a == e))
      return ::testing::AssertionFailure()
             << "element " << i << " of " << expected.numel() << ": got " << a << ", expected "
             << e << " (tolerance " << tol << ")";
  }
  return ::testing::AssertionSuccess();
}

// Lowers every group of `plan` with `options` and checks each against the reference run of
// the graph on `inputs`. Returns the kernels' families, one per group.
inline std::vector<std::string> check_plan_on(const graph::Graph& g, const passes::FusionPlan& plan,
                                              const LowerOptions& options,
                                              const std::vector<graph::Tensor>& inputs,
                                              const target::Target& target = test_target()) {
  graph::ReferenceExecutor reference(g, {.keep_all = true});
  reference.run(inputs);
  std::map<graph::ValueId, graph::Tensor> values = reference.values();
  for (size_t i = 0; i < inputs.size(); ++i) values[g.inputs()[i]] = inputs[i];
  for (const auto& [id, tensor] : g.constants()) values.emplace(id, tensor);

  std::vector<std::string> families;
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const passes::FusedGroup& group = plan.groups[i];
    const LoweredKernel kernel = lower_group(g, group, target, fmt::format("group{}", i), options);
    families.emplace_back(schedule_family_name(kernel.family));
    std::map<graph::ValueId, graph::Tensor> kernel_inputs;
    std::set<int32_t> members(group.nodes.begin(), group.nodes.end());
    std::map<graph::ValueId, int64_t> blocks;  // parameters stored NCHW[x]c
    for (const KernelParam& p : kernel.params) {
      EXPECT_EQ(p.channel_block, options.channel_blocks.contains(p.value)
                                     ? options.channel_blocks.at(p.value)
                                     : 1)
          << "group " << i << " parameter %" << g.value(p.value).name;
      if (p.channel_block > 1) blocks[p.value] = p.channel_block;
      const graph::Value& value = g.value(p.value);
      if (value.kind != graph::ValueKind::NodeOutput || !members.contains(value.producer))
        kernel_inputs.emplace(p.value, p.channel_block > 1
                                           ? to_blocked(values.at(p.value), p.channel_block)
                                           : values.at(p.value));
    }
    const auto outputs = interpret_kernel(kernel, g, kernel_inputs);
    EXPECT_FALSE(outputs.empty()) << "group " << i;
    for (const auto& [v, stored] : outputs) {
      const std::vector<float> data =
          blocks.contains(v) ? from_blocked(stored, g.type(v).shape, blocks.at(v)) : stored;
      EXPECT_TRUE(close_to(data, values.at(v)))
          << "group " << i << " (" << schedule_family_name(kernel.family) << ", anchor '"
          << g.nodes()[static_cast<size_t>(group.anchor)].name << "') output %"
          << g.value(v).name << "\nschedule:\n"
          << kernel.schedule.str();
    }
  }
  return families;
}

// check_plan_on random inputs.
inline std::vector<std::string> check_plan(const graph::Graph& g, const passes::FusionPlan& plan,
                                           const LowerOptions& options, uint64_t seed = 1,
                                           const target::Target& target = test_target()) {
  SplitMix64 rng(seed);
  std::vector<graph::Tensor> inputs;
  for (graph::ValueId v : g.inputs()) inputs.push_back(random_tensor(g.type(v).shape, rng));
  return check_plan_on(g, plan, options, inputs, target);
}

// A way to lower: a schedule choice for a target.
struct ScheduleCase {
  std::string label;
  LowerOptions options;
  target::Target target;
};

// The ways every case is checked: the naive nest, the default schedules for three vector
// widths (one with threads), and random schedules.
inline std::vector<ScheduleCase> schedules_to_check(int random_seeds = 3) {
  std::vector<ScheduleCase> cases = {
      {"naive", {.schedule = ScheduleChoice::Naive}, test_target()},
      {"default avx2", {.schedule = ScheduleChoice::Default}, test_target("avx2")},
      {"default avx512f x4 threads", parallel_everywhere(test_target("avx512f", 4)),
       test_target("avx512f", 4)},
      {"default sse4.2", {.schedule = ScheduleChoice::Default}, test_target("sse4.2")},
  };
  for (int seed = 1; seed <= random_seeds; ++seed)
    cases.push_back({fmt::format("random seed {}", seed),
                     {.schedule = ScheduleChoice::Random, .seed = static_cast<uint64_t>(seed)},
                     test_target()});
  return cases;
}

// check_plan on the default fusion plan of `g`.
inline std::vector<std::string> check_graph(const graph::Graph& g, const ScheduleCase& c,
                                            uint64_t seed = 1) {
  return check_plan(g, passes::plan_fusion(g), c.options, seed, c.target);
}

}  // namespace nas::lower::testing
