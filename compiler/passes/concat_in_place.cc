#include "compiler/passes/concat_in_place.h"

#include <algorithm>
#include <optional>

#include "compiler/graph/op_registry.h"

namespace nas::passes {

using namespace graph;

namespace {

constexpr int64_t kBufferAlignment = 64;  // the kernels' buffer contract (codegen)

// A Concat along an axis that only axes of extent 1 precede: its bytes per index of that
// axis (NCHW[x]c keeps a part of whole blocks contiguous too), or nothing.
std::optional<int64_t> contiguous_stride(const Graph& g, const Node& concat) {
  const Shape& shape = g.type(concat.outputs[0]).shape;
  if (g.type(concat.outputs[0]).dtype != DType::F32) return std::nullopt;
  int64_t axis = concat.attrs.i("axis");
  if (axis < 0) axis += static_cast<int64_t>(shape.size());
  for (int64_t d = 0; d < axis; ++d)
    if (shape[static_cast<size_t>(d)] != 1) return std::nullopt;
  int64_t inner = 4;
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  return inner;
}

int64_t axis_extent(const Graph& g, const Node& concat, ValueId part) {
  const Shape& shape = g.type(part).shape;
  int64_t axis = concat.attrs.i("axis");
  if (axis < 0) axis += static_cast<int64_t>(shape.size());
  return shape[static_cast<size_t>(axis)];
}

// A part's or a whole's conditions: a value a kernel writes, not returned, stored in the
// Concat's channel block.
bool can_live_in_place(const Graph& g, ValueId v, const LayoutPlan& layout, int64_t block) {
  return g.value(v).kind == ValueKind::NodeOutput &&
         std::ranges::count(g.outputs(), v) == 0 && layout.block_of(v) == block;
}

class Planner {
 public:
  Planner(const Graph& g, const LayoutPlan& layout) : g_(g), layout_(layout) {}

  // The Concat as a whole of its own: each part a view of its output.
  bool as_whole(const Node& concat) {
    const std::optional<int64_t> inner = contiguous_stride(g_, concat);
    const ValueId whole = concat.outputs[0];
    const int64_t block = layout_.block_of(whole);
    if (!inner || views_.contains(whole)) return false;
    std::map<ValueId, ConcatView> views;
    int64_t offset = 0;
    for (ValueId part : concat.inputs) {
      const int64_t extent = axis_extent(g_, concat, part);
      if (!can_live_in_place(g_, part, layout_, block) || views_.contains(part) ||
          views.contains(part) || wholes_.contains(part) || extent % block != 0 ||
          offset * *inner % kBufferAlignment != 0)
        return false;
      views[part] = ConcatView{whole, offset * *inner};
      offset += extent;
    }
    views_.merge(views);
    wholes_.insert(whole);
    return true;
  }

  // The Concat as a slice of a whole that already holds its parts, one after the other in
  // its order (DenseNet: each layer concatenates the block's features so far, a prefix of
  // the block's last concatenation): its output a view too.
  bool as_slice(const Node& concat) {
    const std::optional<int64_t> inner = contiguous_stride(g_, concat);
    const ValueId out = concat.outputs[0];
    if (!inner || views_.contains(out) || wholes_.contains(out) ||
        !can_live_in_place(g_, out, layout_, layout_.block_of(out)))
      return false;
    const auto first = views_.find(concat.inputs[0]);
    if (first == views_.end()) return false;
    const ConcatView start = first->second;
    int64_t offset = start.byte_offset;
    for (ValueId part : concat.inputs) {
      const auto view = views_.find(part);
      if (view == views_.end() || view->second.whole != start.whole ||
          view->second.byte_offset != offset || layout_.block_of(part) != layout_.block_of(out))
        return false;
      offset += axis_extent(g_, concat, part) * *inner;
    }
    views_[out] = start;
    return true;
  }

  std::map<ValueId, ConcatView> take_views() { return std::move(views_); }

 private:
  const Graph& g_;
  const LayoutPlan& layout_;
  std::map<ValueId, ConcatView> views_;
  std::set<ValueId> wholes_;
};

}  // namespace

ConcatInPlace plan_concat_in_place(const Graph& g, const FusionPlan& fusion,
                                   const LayoutPlan& layout) {
  // The Concat groups, those of more parts first: a value can be a part of one whole only,
  // and the largest whole lets the smaller Concats over its parts be slices of it.
  std::vector<size_t> concats;
  for (size_t k = 0; k < fusion.groups.size(); ++k) {
    const FusedGroup& group = fusion.groups[k];
    if (group.nodes.size() == 1 &&
        g.nodes()[static_cast<size_t>(group.anchor)].op->id == OpId::Concat)
      concats.push_back(k);
  }
  const auto parts = [&](size_t k) {
    return g.nodes()[static_cast<size_t>(fusion.groups[k].anchor)].inputs.size();
  };
  std::ranges::stable_sort(concats, [&](size_t a, size_t b) { return parts(a) > parts(b); });
  Planner planner(g, layout);
  ConcatInPlace plan;
  for (size_t k : concats) {
    const Node& node = g.nodes()[static_cast<size_t>(fusion.groups[k].anchor)];
    if (planner.as_whole(node) || planner.as_slice(node)) plan.groups.insert(k);
  }
  plan.views = planner.take_views();
  return plan;
}

FusionPlan without_groups(const FusionPlan& fusion, const std::set<size_t>& groups) {
  FusionPlan kept;
  for (size_t k = 0; k < fusion.groups.size(); ++k)
    if (!groups.contains(k)) kept.groups.push_back(fusion.groups[k]);
  return kept;
}

}  // namespace nas::passes
