// How each op lowers to the loop IR: the compiler's half of an op's definition, next to the
// graph's half (compiler/graph/op_registry.h), as TVM attaches FTVMCompute and FTVMStrategy
// to an op.
//
// Every op of compiler/graph/op_list.def has `OpLowering lower_op_Name(const OpDef&)` in
// compiler/lower/ops/*.cc (one file per file of compiler/graph/ops/): a name without its
// definition fails to link, and an incomplete definition (check_op_lowering) stops the
// first lowering with an internal error naming the op. lower_group dispatches on the node's
// op through op_lowering(), never on its name. Adding an op: its OpDef in graph/ops/, its
// cases in tests/graph/cases/, its OpLowering in lower/ops/.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/graph/op_registry.h"
#include "compiler/loop/compute.h"

namespace nas::lower {

// The default schedule a kernel gets (lower/default_schedule.h), by the first op of its
// group that is not injective.
enum class ScheduleFamily : uint8_t {
  Injective,        // elementwise, broadcast and injective ops, inlined into one stage
  Conv2d,           // direct convolution, channels in vectors
  Conv2dGradInput,  // ConvGradInput: as Conv2d, the input's channels in vectors
  Conv2dGradWeight, // ConvGradWeight: output channels in vectors, taps in registers
  DepthwiseConv2d,  // a window per channel
  Dense,            // Gemm, MatMul
  Pool,             // max, average and global average pooling
  Reduce,           // ReduceMean, ReduceMax, ReduceSumTo
  Softmax,          // two reductions along an axis, then the quotient
  WinogradConv2d,   // WinogradConv: input transform, batched products, output transform
};

// The first axis of a WinogradConv's input-transform stage (lower/ops/winograd.cc), the
// place of each element in its tile: how the default schedule finds that stage.
inline constexpr std::string_view kWinogradTapAxis = "winograd_tap";
// "injective", "conv2d", "depthwise_conv2d", "dense", "pool", "reduce", "softmax".
std::string_view schedule_family_name(ScheduleFamily family);

// Indices of an element, one i32 expression per dimension.
using Indices = std::vector<loop::Expr>;

// A value's element at the given (logical) indices.
using Accessor = std::function<loop::Expr(const Indices& indices)>;

// Names for the stages an op creates (unique within one kernel).
using StageNamer = std::function<std::string(const std::string& hint)>;

// A reducing op's definition, before lower_group adds the epilogue of the ops after it.
struct ReducingCompute {
  std::vector<int64_t> shape;           // the op's output shape
  std::vector<std::string> axis_names;  // one per output dimension
  // The reduction at an output element (given by expressions of the stage's loops: a
  // stage stored NCHW[x]c passes channel c_block * x + c_lane).
  std::function<loop::Reduction(const Indices&)> body;
  // The op's own epilogue at the same element; empty: none.
  std::function<loop::Expr(const loop::Expr& reduced, const Indices&)> finish;
};

// What computing one node takes: either a reduction (reducing), or accessors of its outputs
// (inline), possibly reading stages the op needs first (Softmax's max and sum).
struct NodeCompute {
  std::optional<ReducingCompute> reducing;
  std::vector<Accessor> outputs;     // inline: one per node output
  std::vector<loop::Tensor> stages;  // computed before the outputs are read
};

// What a compute definition sees of its node.
struct ComputeContext {
  const graph::Graph& graph;
  const graph::Node& node;
  const std::vector<Accessor>& inputs;  // empty functions for absent optional inputs
  const StageNamer& namer;
  // inputs[i]'s channel block x when it is stored NCHW[x]c (1 or absent: as its shape
  // says); a convolution then sums its input channels block by block.
  const std::vector<int64_t>& channel_blocks;

  const graph::Attrs& attrs() const { return node.attrs; }
  const graph::Shape& input_shape(size_t i) const { return graph.type(node.inputs.at(i)).shape; }
  const graph::Shape& output_shape(size_t i = 0) const {
    return graph.type(node.outputs.at(i)).shape;
  }
  const Accessor& in(size_t i) const { return inputs.at(i); }
  bool has_input(size_t i) const { return i < inputs.size() && static_cast<bool>(inputs[i]); }
  int64_t channel_block(size_t i) const {
    return i < channel_blocks.size() ? channel_blocks[i] : 1;
  }
};

using ComputeFn = std::function<NodeCompute(const ComputeContext&)>;

// An input of a node packed along `axis` (see OpLowering::packed_input).
struct PackedInput {
  size_t input = 0;
  int axis = 0;  // negative: from the end (-1: the last)
};

struct OpLowering {
  // The compute definition, following the reference kernel exactly; empty when the op is
  // never lowered, and then `not_lowered` says why.
  ComputeFn compute;
  std::string not_lowered;
  // Nodes of a lowered op that it cannot lower all the same (a training-mode attribute, an
  // optional output), and why; empty or nullopt: every node lowers.
  std::function<std::optional<std::string>(const graph::Graph&, const graph::Node&)> refuses;
  // The op's schedule family. Anything but Injective makes the op reducing: computed as a
  // reduction or with stages of its own, it opens a kernel's epilogue and never joins one.
  std::function<ScheduleFamily(const graph::Graph&, const graph::Node&)> family;
  // The input that the default schedule reads a vector at a time along one axis (a
  // convolution's weights and a transposed B of a Gemm along their rows, a MatMul's B along
  // its columns), which a constant then gets packed in: that axis in blocks of a vector,
  // moved first, so each block's vectors are adjacent; nullopt: none.
  std::function<std::optional<PackedInput>(const graph::Node&)> packed_input;
  // Inputs read as i64 (labels); every other value a kernel reads or writes is f32.
  std::vector<size_t> i64_inputs;

  bool lowered() const { return static_cast<bool>(compute); }
};

// The lowering of `op` (checked once, on first use, for every op of the registry).
const OpLowering& op_lowering(const graph::OpDef& op);

// What a lowering lacks or contradicts, one line each; empty when complete: a compute or
// a reason why not (not both), and a family for an op that is lowered.
std::vector<std::string> check_op_lowering(const graph::OpDef& op, const OpLowering& lowering);

// Whether `node` is lowered, and if not, why (from its op's lowering).
std::optional<std::string> unsupported_reason(const graph::Graph& graph, const graph::Node& node);

// The schedule family of a lowered node.
ScheduleFamily schedule_family(const graph::Graph& graph, const graph::Node& node);

// The definition of an op the compiler never lowers, with the reason.
OpLowering not_lowered(std::string why);

}  // namespace nas::lower
