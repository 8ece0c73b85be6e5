// Lowering of one fused group (passes/fusion_plan.h) of a graph to one loop IR
// function with its schedule: the step from the graph to the loop IR, like TVM's lowering of
// a fused Relay function with its op strategies.
//
// Each op has a compute definition (lower/op_lowering.h, lower/ops/): injective ops are inlined into
// their readers, a group's anchor (convolution, dense, pooling, reduction) is one reducing
// stage and the elementwise ops after it become its epilogue. The default schedule of each
// op family (lower/default_schedule.*) is what a person would write for the target's vector
// width (AVX-512: 16 lanes, AVX2: 8, SSE4 / NEON: 4): register-blocked direct convolution
// vectorized on output channels or output width, depthwise vectorized on channels, dense
// blocked for the caches, pooling and elementwise vectorized, parallel over an outer axis
// when the target has more than one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/loop/function.h"
#include "compiler/loop/schedule.h"
#include "compiler/lower/default_schedule.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/passes/fusion_plan.h"
#include "compiler/target/target.h"

namespace nas::lower {

// One argument of a kernel: a graph value (graph input, constant, or node output that the
// group reads or produces). A constant may be handed over in another layout, packed at
// compile time; then `packed` holds the data the kernel reads instead of the graph's.
struct KernelParam {
  graph::ValueId value = graph::kNoValue;
  std::optional<graph::Tensor> packed;
  int64_t channel_block = 1;  // > 1: an activation stored NCHW[x]c with this x (passes/layout.h)
};

struct LoweredKernel {
  loop::LoweredFunc func;           // func.params[i] is params[i]
  std::vector<KernelParam> params;  // inputs first, then the group's outputs
  loop::Schedule schedule;          // the schedule that was applied
  ScheduleFamily family = ScheduleFamily::Injective;
  // Its workload_key where tuned schedules were looked up for it (LowerOptions::tuned_params),
  // else 0.
  uint64_t workload = 0;
};

// A group's compute stages before any schedule, with its parameters: what lower_group
// schedules once, and a tuner many ways (compiler/tune/).
struct GroupStages {
  std::vector<KernelParam> params;
  std::vector<loop::Buffer> buffers;  // buffers[i] is params[i]'s
  std::vector<loop::Tensor> stages;
  std::optional<loop::Tensor> anchor;  // the stage of the first reducing op
  ScheduleFamily family = ScheduleFamily::Injective;
};

enum class ScheduleChoice : uint8_t {
  Default,  // the op family's default schedule for the target
  Naive,    // no schedule: the naive loop nest
  Random,   // random_schedule(seed) (differential tests)
};

struct LowerOptions {
  ScheduleChoice schedule = ScheduleChoice::Default;
  uint64_t seed = 0;  // for ScheduleChoice::Random
  // The default schedules' constants (target/schedule_params.h); nullopt: the target's own
  // (Target::schedule). Tests set min_parallel_work 0 in them to run every stage's
  // parallel loop on small shapes.
  std::optional<ScheduleParams> schedule_params;
  // For a whole model (runtime/lowered_model.h): store activations between kernels in
  // NCHW[x]c where the layout pass chooses it (passes/layout.h); false: all NCHW.
  bool blocked_layout = true;
  // For a whole model: compute the 3x3 convolutions the schedule constants' winograd_tile
  // and winograd_min_channels select by Winograd's algorithm (passes/winograd.h); false:
  // every convolution direct.
  bool winograd = true;
  // Of those, the ones kept direct, by passes::winograd_conv_key: the tuning records'
  // choice measured inside a model (TuningRecords::direct_convolutions). Empty: none.
  std::function<bool(const std::string& conv_key)> winograd_direct;
  // For a whole model: move squeeze-and-excitation's per-channel gates into the next
  // convolution's weights where these are fewer than the map's values
  // (passes/scale_into_weights.h); false: multiply the map.
  bool scale_into_weights = true;
  // For a whole model with blocked_layout: pad channel counts that no vector divides to
  // ones the layout stores blocked (passes/pad_channels.h); false: such values stay NCHW.
  bool pad_channels = true;
  // For one group: the values it reads or writes that are stored NCHW[x]c, with their x.
  std::map<graph::ValueId, int64_t> channel_blocks;
  // For the default schedule: the constants tuned for a kernel's workload (workload_key),
  // nullopt where there are none (then schedule_params or the target's).
  std::function<std::optional<ScheduleParams>(uint64_t workload)> tuned_params;
};

// The group's kernel, named `name` (a C identifier). Values the group produces that nobody
// outside it reads are kept in local buffers or inlined; every value it produces that a
// later group or the graph's outputs read is a parameter. Throws UserError naming the node
// for an op the compiler cannot lower.
LoweredKernel lower_group(const graph::Graph& graph, const passes::FusedGroup& group,
                          const target::Target& target, const std::string& name,
                          const LowerOptions& options = {});

// The group's stages as lower_group makes them for `options.schedule` (weights packed for
// the default schedule). A UserError names the node of an op the compiler cannot lower.
GroupStages group_stages(const graph::Graph& graph, const passes::FusedGroup& group,
                         const target::Target& target, const LowerOptions& options = {});
// The kernel of the stages under `schedule` (an empty one: the naive loop nest).
LoweredKernel schedule_stages(const GroupStages& group, const loop::Schedule& schedule,
                              const std::string& name);
// The kernel of the stages under the default schedule with `params`.
LoweredKernel default_kernel(const GroupStages& group, const target::Target& target,
                             const ScheduleParams& params, const std::string& name);
// What the stages compute, on which shapes and layouts, as a hash that names and schedules
// leave unchanged (the naive nest's structural hash with its parameters in order, and the
// op family): the key of a kernel's tuning records, with the target.
uint64_t workload_key(const GroupStages& group);

// The kernel's loop IR as text: "// kernel NAME (FAMILY)", then the function.
std::string print_kernel(const LoweredKernel& kernel);

// A C identifier made of `text` (other characters become '_', a leading digit gets "v_").
std::string c_identifier(const std::string& text);

}  // namespace nas::lower
