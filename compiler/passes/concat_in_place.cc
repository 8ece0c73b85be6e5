#include "compiler/passes/concat_in_place.h"

#include <algorithm>

#include "compiler/graph/op_registry.h"

namespace nas::passes {

using namespace graph;

namespace {

constexpr int64_t kBufferAlignment = 64;  // the kernels' buffer contract (codegen)

// The parts' views of a Concat node that can compute in place, or nothing.
std::map<ValueId, ConcatView> views_of(const Graph& g, const Node& concat,
                                       const LayoutPlan& layout,
                                       const std::set<ValueId>& taken) {
  const ValueId whole = concat.outputs[0];
  const Shape& shape = g.type(whole).shape;
  if (g.type(whole).dtype != DType::F32) return {};
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = concat.attrs.i("axis");
  if (axis < 0) axis += rank;
  for (int64_t d = 0; d < axis; ++d)
    if (shape[static_cast<size_t>(d)] != 1) return {};
  // Bytes per index of the axis (NCHW[x]c keeps a part of whole blocks contiguous too).
  int64_t inner = 4;
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t block = layout.block_of(whole);
  const std::set<ValueId> returned(g.outputs().begin(), g.outputs().end());
  std::map<ValueId, ConcatView> views;
  int64_t offset = 0;
  for (ValueId part : concat.inputs) {
    const Value& value = g.value(part);
    const int64_t extent = g.type(part).shape[static_cast<size_t>(axis)];
    if (value.kind != ValueKind::NodeOutput || returned.contains(part) || taken.contains(part) ||
        views.contains(part) || layout.block_of(part) != block || extent % block != 0 ||
        offset * inner % kBufferAlignment != 0)
      return {};
    views[part] = ConcatView{whole, offset * inner};
    offset += extent;
  }
  return views;
}

}  // namespace

ConcatInPlace plan_concat_in_place(const Graph& g, const FusionPlan& fusion,
                                   const LayoutPlan& layout) {
  ConcatInPlace plan;
  std::set<ValueId> taken, wholes;
  for (size_t k = 0; k < fusion.groups.size(); ++k) {
    const FusedGroup& group = fusion.groups[k];
    if (group.nodes.size() != 1) continue;
    const Node& node = g.nodes()[static_cast<size_t>(group.anchor)];
    if (node.op->id != OpId::Concat) continue;
    std::map<ValueId, ConcatView> views = views_of(g, node, layout, taken);
    // A part that is the output of an in-place Concat would be a view of a view.
    if (views.empty() ||
        std::ranges::any_of(views, [&](const auto& v) { return wholes.contains(v.first); }))
      continue;
    for (const auto& [part, view] : views) {
      taken.insert(part);
      plan.views.emplace(part, view);
    }
    wholes.insert(node.outputs[0]);
    plan.groups.insert(k);
  }
  return plan;
}

FusionPlan without_groups(const FusionPlan& fusion, const std::set<size_t>& groups) {
  FusionPlan kept;
  for (size_t k = 0; k < fusion.groups.size(); ++k)
    if (!groups.contains(k)) kept.groups.push_back(fusion.groups[k]);
  return kept;
}

}  // namespace nas::passes
