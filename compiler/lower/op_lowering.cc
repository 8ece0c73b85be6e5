#include "compiler/lower/op_lowering.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::lower {

#define NAS_OP(Name) OpLowering lower_op_##Name(const graph::OpDef& op);
#include "compiler/graph/op_list.def"
#undef NAS_OP

namespace {

std::vector<OpLowering> make_table() {
  const graph::OpRegistry& registry = graph::OpRegistry::instance();
  std::vector<OpLowering> table;
#define NAS_OP(Name) table.push_back(lower_op_##Name(registry.get(graph::OpId::Name)));
#include "compiler/graph/op_list.def"
#undef NAS_OP
  for (const graph::OpDef* op : registry.ops()) {
    const std::vector<std::string> problems =
        check_op_lowering(*op, table[static_cast<size_t>(op->id)]);
    NAS_CHECK(problems.empty(), "{}", fmt::join(problems, "; "));
  }
  return table;
}

}  // namespace

std::string_view schedule_family_name(ScheduleFamily family) {
  switch (family) {
    case ScheduleFamily::Injective: return "injective";
    case ScheduleFamily::Conv2d: return "conv2d";
    case ScheduleFamily::Conv2dGradInput: return "conv2d_grad_input";
    case ScheduleFamily::Conv2dGradWeight: return "conv2d_grad_weight";
    case ScheduleFamily::DepthwiseConv2d: return "depthwise_conv2d";
    case ScheduleFamily::Dense: return "dense";
    case ScheduleFamily::Pool: return "pool";
    case ScheduleFamily::Reduce: return "reduce";
    case ScheduleFamily::Softmax: return "softmax";
    case ScheduleFamily::WinogradConv2d: return "winograd_conv2d";
  }
  return "?";
}

const OpLowering& op_lowering(const graph::OpDef& op) {
  static const std::vector<OpLowering> table = make_table();
  return table.at(static_cast<size_t>(op.id));
}

std::vector<std::string> check_op_lowering(const graph::OpDef& op, const OpLowering& lowering) {
  std::vector<std::string> problems;
  auto problem = [&](std::string_view what) {
    problems.push_back(fmt::format("op {}'s lowering {}", op.name, what));
  };
  if (!lowering.lowered() && lowering.not_lowered.empty())
    problem("has neither a compute definition nor a reason why not");
  if (lowering.lowered() && !lowering.not_lowered.empty())
    problem("has both a compute definition and a reason why it is not lowered");
  if (lowering.lowered() && !lowering.family) problem("has no schedule family");
  return problems;
}

std::optional<std::string> unsupported_reason(const graph::Graph& graph, const graph::Node& node) {
  const OpLowering& lowering = op_lowering(*node.op);
  if (!lowering.lowered()) return lowering.not_lowered;
  if (lowering.refuses) return lowering.refuses(graph, node);
  return std::nullopt;
}

ScheduleFamily schedule_family(const graph::Graph& graph, const graph::Node& node) {
  return op_lowering(*node.op).family(graph, node);
}

OpLowering not_lowered(std::string why) { return OpLowering{.not_lowered = std::move(why)}; }

}  // namespace nas::lower
