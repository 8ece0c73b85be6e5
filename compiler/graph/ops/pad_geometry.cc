#include "compiler/graph/ops/pad_geometry.h"

#include <algorithm>

#include <fmt/format.h>

namespace nas::graph::ops {

namespace {

std::optional<PadMode> mode_of(const std::string& name) {
  if (name == "constant") return PadMode::Constant;
  if (name == "reflect") return PadMode::Reflect;
  if (name == "edge") return PadMode::Edge;
  return std::nullopt;
}

// "4", or "4 (1 after the negative pads)" when negative pads removed some.
std::string size_left(int64_t size, int64_t left) {
  return left == size ? fmt::format("{}", size)
                      : fmt::format("{} ({} after the negative pads)", size, left);
}

}  // namespace

Shape PadGeometry::out_shape() const {
  Shape out;
  for (size_t a = 0; a < in.size(); ++a) out.push_back(in[a] + begin[a] + end[a]);
  return out;
}

std::optional<int64_t> PadGeometry::source(size_t axis, int64_t o) const {
  const int64_t i = o - begin[axis], n = in[axis];
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::Constant: return std::nullopt;
    case PadMode::Edge: return std::clamp<int64_t>(i, 0, n - 1);
    case PadMode::Reflect: return i < 0 ? -i : 2 * (n - 1) - i;
  }
  return std::nullopt;
}

std::variant<PadGeometry, std::string> resolve_pad(const Attrs& attrs, const Shape& in) {
  const auto rank = static_cast<int64_t>(in.size());
  PadGeometry p;
  const std::string& mode = attrs.s("mode");
  const std::optional<PadMode> m = mode_of(mode);
  if (!m)
    return fmt::format("mode \"{}\" is not supported (supported: \"constant\", \"reflect\", "
                       "\"edge\")", mode);
  p.mode = *m;
  p.in = in;
  p.begin.assign(in.size(), 0);
  p.end.assign(in.size(), 0);

  std::vector<int64_t> axes = attrs.ints("axes");
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  std::vector<bool> seen(in.size(), false);
  for (int64_t& axis : axes) {
    const std::optional<int64_t> a = normalize_axis(axis, rank);
    if (!a)
      return fmt::format("axes entry {} is out of range for rank {} (expected {} to {})", axis,
                         rank, -rank, rank - 1);
    if (seen[*a])
      return fmt::format("axes {} names axis {} twice", shape_str(attrs.ints("axes")), *a);
    seen[*a] = true;
    axis = *a;
  }
  const std::vector<int64_t>& pads = attrs.ints("pads");
  if (pads.size() != 2 * axes.size())
    return fmt::format("pads {} has {} entries, expected {} (a begin for each of the {} axes "
                       "padded, then an end for each)",
                       shape_str(pads), pads.size(), 2 * axes.size(), axes.size());

  for (size_t k = 0; k < axes.size(); ++k) {
    const auto a = static_cast<size_t>(axes[k]);
    const int64_t b = pads[k], e = pads[k + axes.size()], n = in[a];
    const int64_t removed = std::max<int64_t>(-b, 0) + std::max<int64_t>(-e, 0);
    if (removed > n)
      return fmt::format("pads {} remove {} elements from axis {}, which has {}",
                         shape_str(pads), removed, a, n);
    const int64_t left = n - removed;
    const int64_t widest = std::max({b, e, int64_t{0}});
    if (p.mode == PadMode::Reflect && widest >= left)
      return fmt::format("reflect mode needs each pad smaller than its axis: pads {} pad axis "
                         "{} of size {} by {}",
                         shape_str(pads), a, size_left(n, left), widest);
    if (p.mode == PadMode::Edge && widest > 0 && left == 0)
      return fmt::format("edge mode cannot pad axis {} of size {}: it has no edge element",
                         a, size_left(n, left));
    p.begin[a] = b;
    p.end[a] = e;
  }
  return p;
}

PadGeometry pad_or_fail(const InferContext& c, const Shape& in) {
  auto result = resolve_pad(c.attrs(), in);
  if (auto* error = std::get_if<std::string>(&result)) c.fail_message(*error);
  return std::get<PadGeometry>(result);
}

PadGeometry pad_of(const Attrs& attrs, const Shape& in) {
  auto result = resolve_pad(attrs, in);
  NAS_CHECK(std::holds_alternative<PadGeometry>(result),
            "Pad attributes passed the shape function but not the kernel: {}",
            std::get<std::string>(result));
  return std::get<PadGeometry>(result);
}

}  // namespace nas::graph::ops
