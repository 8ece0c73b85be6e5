// A model lowered for a target, before machine code: the graph after the passes, one loop IR
// kernel per fused group, a static memory plan of the values handed between kernels, and
// the weights laid out in one 64-byte-aligned block. The JIT (compiled_model.h) and the
// object file of `nas compile` are both made from it (compiler/compile.h); its description (describe()) is what
// a program linking the object file needs to call the kernels.
//
// Only values that cross a kernel boundary get memory: the graph inputs and the outputs of
// each kernel that a later kernel or the graph's outputs read (what lower_group makes a
// parameter). Values a group computes and uses itself are inlined or local to its kernel.
// Steps of the plan are kernels: a value lives from the kernel that writes it (step 0 for
// graph inputs) to the last kernel that reads it, graph outputs to the end.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/graph/memory_plan.h"
#include "compiler/lower/lower_group.h"
#include "compiler/passes/concat_in_place.h"
#include "compiler/passes/layout.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/target/target.h"

namespace nas::runtime {

// Where one kernel argument lives: in the activation arena or in the weight block.
struct ArgSlot {
  enum class Where : uint8_t { Arena, Weights };
  Where where = Where::Arena;
  graph::ValueId value = graph::kNoValue;
  int64_t offset = 0;  // bytes into the arena or the weight block
  int64_t bytes = 0;
};

struct LoweredModel {
  graph::Graph graph{""};                     // after the graph passes
  passes::FusionPlan fusion;                  // kernel k is fusion.groups[k]
  passes::LayoutPlan layout;                  // activations stored NCHW[x]c
  std::vector<lower::LoweredKernel> kernels;  // in run order
  std::vector<std::vector<ArgSlot>> args;     // per kernel, one per parameter
  graph::MemoryPlan activations;              // steps = kernels; offsets in the arena
  // Values written into a range of another (the parts of a Concat computed in place):
  // planned as that range of the whole.
  std::map<graph::ValueId, passes::ConcatView> views;
  AlignedBuffer weights;                      // every constant a kernel reads, packed or not
  target::Target target;
  target::ScheduleParams schedule_params;      // the default schedules' constants

  std::vector<loop::LoweredFunc> functions() const;
  int64_t weight_bytes() const { return weights.size(); }
  // {"model", "target": {"name", "triple", "cpu", "features", "threads", "vector_lanes",
  //  "vector_registers", "l1d_bytes", "l2_bytes", "l3_bytes", "cores"}, "schedule_params",
  //  "inputs"/"outputs": [{"name", "type", "offset"|"constant"|"input"}],
  //  "kernels": [{"name", "family", "nodes", "schedule", "params": [{"value", "type",
  //  "layout": "NCHW<x>c"|"as shape", "in": "arena"|"weights", "offset", "bytes"}],
  //  "workload" (hex, where tuning records were looked up)}], "peak_activation_bytes",
  //  "weight_bytes"}
  nlohmann::json describe() const;
};

// The model made of lowered kernels (compiler/compile.h's lower step), whose default
// schedules used `schedule_params`: plans the activations between kernels (each value of
// `views` as its range of the whole) and lays out the weights, each constant once unless a
// kernel takes it packed in its own layout.
LoweredModel assemble_model(graph::Graph graph, passes::FusionPlan fusion,
                            passes::LayoutPlan layout, std::vector<lower::LoweredKernel> kernels,
                            const target::Target& target,
                            const target::ScheduleParams& schedule_params,
                            std::map<graph::ValueId, passes::ConcatView> views = {});

}  // namespace nas::runtime
