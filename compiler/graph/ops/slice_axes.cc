#include "compiler/graph/ops/slice_axes.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "compiler/graph/ops/op_helpers.h"
#include "compiler/support/error.h"

namespace nas::graph::ops {

std::variant<std::vector<SliceAxis>, std::string> slice_axes(const Shape& shape,
                                                              const Attrs& attrs) {
  const std::vector<int64_t>& starts = attrs.ints("starts");
  const std::vector<int64_t>& ends = attrs.ints("ends");
  std::vector<int64_t> axes = attrs.ints("axes");
  std::vector<int64_t> steps = attrs.ints("steps");
  const auto rank = static_cast<int64_t>(shape.size());
  if (starts.size() != ends.size())
    return fmt::format("starts {} and ends {} differ in length", shape_str(starts),
                       shape_str(ends));
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size())
    return fmt::format("axes {} has {} entries but starts has {}", shape_str(axes), axes.size(),
                       starts.size());
  if (steps.size() != starts.size())
    return fmt::format("steps {} has {} entries but starts has {}", shape_str(steps),
                       steps.size(), starts.size());
  std::vector<SliceAxis> out(shape.size());
  for (size_t a = 0; a < shape.size(); ++a) out[a] = {0, 1, shape[a]};
  std::vector<bool> seen(shape.size(), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    std::optional<int64_t> axis = normalize_axis(axes[i], rank);
    if (!axis)
      return fmt::format("axis {} is out of range for rank {} (expected {} to {})", axes[i], rank,
                         -rank, rank - 1);
    if (seen[*axis]) return fmt::format("axes {} names axis {} twice", shape_str(axes), *axis);
    seen[*axis] = true;
    const int64_t dim = shape[*axis];
    const int64_t step = steps[i];
    if (step == 0) return fmt::format("steps {} has a zero step", shape_str(steps));
    // Negative indices count from the end; then clamp (ONNX: [0, dim] for positive steps,
    // [-1, dim - 1] for negative ones, so a negative step can run down through index 0).
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    const int64_t span = end - start;
    int64_t len = 0;
    if (step > 0 && span > 0) len = (span + step - 1) / step;
    if (step < 0 && span < 0) len = (-span + (-step) - 1) / (-step);
    out[*axis] = {start, step, len};
  }
  return out;
}

std::vector<SliceAxis> slice_axes_checked(const Node& node, const Shape& shape) {
  auto result = slice_axes(shape, node.attrs);
  NAS_CHECK(std::holds_alternative<std::vector<SliceAxis>>(result), "{}: {}", node.name,
            std::get<std::string>(result));
  return std::get<std::vector<SliceAxis>>(result);
}

}  // namespace nas::graph::ops
