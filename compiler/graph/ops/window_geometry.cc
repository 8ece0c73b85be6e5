#include "compiler/graph/ops/window_geometry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nas::graph::ops {

namespace {

constexpr const char* kAxisName[2] = {"H", "W"};

// An "empty list = default" ONNX attribute of 2 entries per spatial axis, each >= min.
std::string read_pair(const Attrs& attrs, const std::string& name, int64_t fallback, int64_t min,
                      std::array<int64_t, 2>& out) {
  const std::vector<int64_t>& v = attrs.ints(name);
  if (v.empty()) {
    out = {fallback, fallback};
    return "";
  }
  if (v.size() != 2)
    return fmt::format("{} must have 2 entries (H, W), got [{}]", name, fmt::join(v, ","));
  for (int64_t x : v)
    if (x < min) return fmt::format("{} must be >= {}, got [{}]", name, min, fmt::join(v, ","));
  out = {v[0], v[1]};
  return "";
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::string resolve_window(const Attrs& attrs, std::array<int64_t, 2> in,
                           std::array<int64_t, 2> kernel, Window2d& w) {
  w.in = in;
  w.kernel = kernel;
  for (int a = 0; a < 2; ++a)
    if (kernel[a] < 1) return fmt::format("kernel_shape must be >= 1, got {}", kernel[a]);
  if (std::string e = read_pair(attrs, "strides", 1, 1, w.stride); !e.empty()) return e;
  w.dilation = {1, 1};
  if (attrs.has("dilations"))
    if (std::string e = read_pair(attrs, "dilations", 1, 1, w.dilation); !e.empty()) return e;

  const std::vector<int64_t>& pads = attrs.ints("pads");
  bool any_pad = false;
  if (!pads.empty()) {
    if (pads.size() != 4)
      return fmt::format("pads must have 4 entries (top, left, bottom, right), got [{}]",
                         fmt::join(pads, ","));
    for (int64_t p : pads) {
      if (p < 0) return fmt::format("pads must be >= 0, got [{}]", fmt::join(pads, ","));
      any_pad = any_pad || p != 0;
    }
    w.pad_begin = {pads[0], pads[1]};
    w.pad_end = {pads[2], pads[3]};
  } else {
    w.pad_begin = w.pad_end = {0, 0};
  }

  const std::string& auto_pad = attrs.s("auto_pad");
  const bool same_upper = auto_pad == "SAME_UPPER", same_lower = auto_pad == "SAME_LOWER";
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && !same_upper && !same_lower)
    return fmt::format("auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got \"{}\"",
                       auto_pad);
  if (auto_pad != "NOTSET" && any_pad)
    return fmt::format("pads [{}] cannot be combined with auto_pad {}", fmt::join(pads, ","),
                       auto_pad);
  if (same_upper || same_lower) {
    for (int a = 0; a < 2; ++a) {
      const int64_t total = std::max<int64_t>(
          0, (ceil_div(in[a], w.stride[a]) - 1) * w.stride[a] +
                 w.dilation[a] * (kernel[a] - 1) + 1 - in[a]);
      const int64_t small = total / 2, large = total - small;
      w.pad_begin[a] = same_upper ? small : large;
      w.pad_end[a] = same_upper ? large : small;
    }
  }

  int64_t ceil_mode = 0;
  if (attrs.has("ceil_mode")) {
    ceil_mode = attrs.i("ceil_mode");
    if (ceil_mode != 0 && ceil_mode != 1)
      return fmt::format("ceil_mode must be 0 or 1, got {}", ceil_mode);
  }
  for (int a = 0; a < 2; ++a) {
    const int64_t extent = w.dilation[a] * (kernel[a] - 1) + 1;
    const int64_t padded = in[a] + w.pad_begin[a] + w.pad_end[a];
    if (extent > padded)
      return fmt::format("kernel extent {} (kernel {}, dilation {}) is larger than the padded "
                         "input {} along {}",
                         extent, kernel[a], w.dilation[a], padded, kAxisName[a]);
    const int64_t span = padded - extent;
    w.out[a] = (ceil_mode ? ceil_div(span, w.stride[a]) : span / w.stride[a]) + 1;
    // ONNX counts a last window that starts in the end padding, PyTorch drops it, and
    // ONNX Runtime's kernels fill it with arbitrary values: no answer agrees with all, so
    // such a configuration is refused rather than guessed.
    if (ceil_mode && (w.out[a] - 1) * w.stride[a] >= in[a] + w.pad_begin[a])
      return fmt::format("ceil_mode makes the last window along {} start in the end padding "
                         "(input {}, pads {}+{}, kernel {}, stride {}), where ONNX, PyTorch and "
                         "ONNX Runtime disagree; use ceil_mode 0 or smaller pads",
                         kAxisName[a], in[a], w.pad_begin[a], w.pad_end[a], kernel[a],
                         w.stride[a]);
  }
  return "";
}

Window2d window_or_fail(const InferContext& c, std::array<int64_t, 2> in,
                        std::array<int64_t, 2> kernel) {
  Window2d w;
  if (std::string e = resolve_window(c.attrs(), in, kernel, w); !e.empty()) c.fail_message(e);
  return w;
}

Window2d window_of(const Attrs& attrs, std::array<int64_t, 2> in, std::array<int64_t, 2> kernel) {
  Window2d w;
  const std::string e = resolve_window(attrs, in, kernel, w);
  NAS_CHECK(e.empty(), "window attributes passed the shape function but not the kernel: {}", e);
  return w;
}

void expect_nchw(const InferContext& c, size_t i, std::string_view what) {
  const TensorType& t = c.input(i);
  if (!is_float(t.dtype)) c.fail("{} must be a float tensor, got {}", what, t.str());
  if (t.rank() != 4)
    c.fail("{} must have rank 4 (N, C, H, W; only 2-D is supported), got {}", what, t.str());
}

std::vector<int64_t> ints_of_size(const InferContext& c, const std::string& name, size_t n,
                                  int64_t min) {
  const std::vector<int64_t>& v = c.attrs().ints(name);
  if (v.size() != n) c.fail("{} must have {} entries, got [{}]", name, n, fmt::join(v, ","));
  for (int64_t x : v)
    if (x < min) c.fail("{} must be >= {}, got [{}]", name, min, fmt::join(v, ","));
  return v;
}

AttrSpec auto_pad_attr() { return {"auto_pad", AttrKind::String, std::string("NOTSET")}; }
AttrSpec dilations_attr() { return {"dilations", AttrKind::Ints, std::vector<int64_t>{}}; }
AttrSpec pads_attr() { return {"pads", AttrKind::Ints, std::vector<int64_t>{}}; }
AttrSpec strides_attr() { return {"strides", AttrKind::Ints, std::vector<int64_t>{}}; }
AttrSpec ceil_mode_attr() { return {"ceil_mode", AttrKind::Int, int64_t{0}}; }

}  // namespace nas::graph::ops
