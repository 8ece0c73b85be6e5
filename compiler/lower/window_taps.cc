#include "compiler/lower/window_taps.h"

#include <algorithm>
#include <map>
#include <vector>

#include "compiler/lower/compute_util.h"
#include "compiler/support/error.h"

namespace nas::lower {

using graph::ops::Window2d;
using loop::Expr;

namespace {

// The largest input index a tap reaches along an axis (padding when >= the input size).
int64_t highest_tap(const Window2d& w, int axis) {
  return (w.out[axis] - 1) * w.stride[axis] - w.pad_begin[axis] +
         (w.kernel[axis] - 1) * w.dilation[axis];
}

}  // namespace

bool reaches_padding(const Window2d& w, int axis) {
  return w.pad_begin[axis] > 0 || highest_tap(w, axis) >= w.in[axis];
}

Tap window_tap(const Window2d& w, int axis, const Expr& o, const Expr& k) {
  const Expr at = plus(times(o, w.stride[axis]), -w.pad_begin[axis]) + times(k, w.dilation[axis]);
  Tap tap{at, Expr()};
  if (w.pad_begin[axis] > 0) {
    tap.inside = at >= 0;
    tap.index = max(tap.index, 0);
  }
  if (highest_tap(w, axis) >= w.in[axis]) {
    tap.inside = all_of(tap.inside, at < w.in[axis]);
    tap.index = min(tap.index, w.in[axis] - 1);
  }
  return tap;
}

Expr valid_tap_count(const Window2d& w, int axis, const Expr& o) {
  std::map<int64_t, int64_t> frequency;
  std::vector<int64_t> counts(static_cast<size_t>(w.out[axis]), 0);
  for (int64_t p = 0; p < w.out[axis]; ++p) {
    for (int64_t k = 0; k < w.kernel[axis]; ++k)
      counts[static_cast<size_t>(p)] += w.inside(axis, w.input_at(axis, p, k));
    ++frequency[counts[static_cast<size_t>(p)]];
  }
  const int64_t common =
      std::ranges::max_element(frequency, {}, [](const auto& f) { return f.second; })->first;
  Expr count = f32(static_cast<double>(common));
  for (int64_t p = 0; p < w.out[axis]; ++p)
    if (counts[static_cast<size_t>(p)] != common)
      count = select(eq(o, i32(p)), f32(static_cast<double>(counts[static_cast<size_t>(p)])), count);
  return count;
}

bool has_empty_window(const Window2d& w, int axis) {
  for (int64_t o = 0; o < w.out[axis]; ++o) {
    bool any = false;
    for (int64_t k = 0; k < w.kernel[axis] && !any; ++k) any = w.inside(axis, w.input_at(axis, o, k));
    if (!any) return true;
  }
  return false;
}

GatherTap gather_tap(const Window2d& w, int axis, const Expr& i, const Expr& k) {
  const int64_t stride = w.stride[axis], out = w.out[axis];
  const Expr t = plus(i, w.pad_begin[axis]) - times(k, w.dilation[axis]);
  // t over every input index and tap: [pad_begin - (kernel-1)*dilation, in-1 + pad_begin].
  const int64_t lowest = w.pad_begin[axis] - (w.kernel[axis] - 1) * w.dilation[axis];
  const int64_t highest = w.in[axis] - 1 + w.pad_begin[axis];
  GatherTap tap{stride == 1 ? t : t / stride, Expr()};
  if (lowest < 0) {
    tap.valid = t >= 0;
    tap.index = max(tap.index, 0);
  }
  if (stride > 1) tap.valid = all_of(tap.valid, eq(t % stride, i32(0)));
  if (highest > (out - 1) * stride) {
    tap.valid = all_of(tap.valid, t <= (out - 1) * stride);
    tap.index = min(tap.index, out - 1);
  }
  return tap;
}

int64_t phase_taps(const Window2d& w, int axis) {
  return (w.kernel[axis] + w.stride[axis] - 1) / w.stride[axis];
}

PhaseTap phase_tap(const Window2d& w, int axis, const Expr& i, const Expr& m) {
  NAS_CHECK(w.dilation[axis] == 1, "phase taps of a dilated window");
  const int64_t stride = w.stride[axis], kernel = w.kernel[axis], out = w.out[axis];
  const Expr t = plus(i, w.pad_begin[axis]);  // >= 0: pads are not negative
  PhaseTap tap{t % stride + times(m, stride), t / stride - m, Expr()};
  if (kernel % stride != 0) {  // the last phase tap may lie past the kernel
    tap.valid = tap.k < i32(kernel);
    tap.k = min(tap.k, kernel - 1);
  }
  if (phase_taps(w, axis) > 1) {
    tap.valid = all_of(tap.valid, tap.index >= 0);
    tap.index = max(tap.index, 0);
  }
  if ((w.in[axis] - 1 + w.pad_begin[axis]) / stride > out - 1) {
    tap.valid = all_of(tap.valid, tap.index <= out - 1);
    tap.index = min(tap.index, out - 1);
  }
  return tap;
}

}  // namespace nas::lower
