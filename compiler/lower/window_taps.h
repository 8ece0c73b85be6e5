// The taps of a sliding window (convolution, pooling) in loop IR. Padding taps read a
// clamped index under a Select, so every load stays in bounds.
#pragma once

#include "compiler/graph/ops/window_geometry.h"
#include "compiler/loop/expr.h"

namespace nas::lower {

// Tap k of the window at output position o along one axis: the input index (clamped into
// the input where padding is possible) and whether it lies inside (undefined: always).
struct Tap {
  loop::Expr index, inside;
};
Tap window_tap(const graph::ops::Window2d& w, int axis, const loop::Expr& o, const loop::Expr& k);

// Whether some tap along the axis reads padding.
bool reaches_padding(const graph::ops::Window2d& w, int axis);

// How many taps of the window at output position o lie inside the input along one axis,
// as an f32: the count of most positions, and selects for the positions near the borders.
// (Counted at compile time, so the kernel holds no integer-to-float conversion.)
loop::Expr valid_tap_count(const graph::ops::Window2d& w, int axis, const loop::Expr& o);

// Whether some output position along an axis has a window of padding only.
bool has_empty_window(const graph::ops::Window2d& w, int axis);

// Tap k of a window reaches input index i along an axis from the output position
// o = (i + pad_begin - k * dilation) / stride when that is integral and inside [0, out)
// (valid; undefined: always); otherwise `index` is still clamped into [0, out), so a load
// at it stays in bounds under a Select. The gathers of the gradient ops (ConvGradInput,
// AveragePoolGrad, MaxPoolGrad) use it.
struct GatherTap {
  loop::Expr index, valid;
};
GatherTap gather_tap(const graph::ops::Window2d& w, int axis, const loop::Expr& i,
                     const loop::Expr& k);

// The same gather over only the taps of input index i's stride phase (dilation 1): the
// m-th of them is tap k = (i + pad_begin) % stride + m * stride, from output position
// (i + pad_begin) / stride - m, for m in [0, phase_taps(w, axis)). Valid when k is inside
// the kernel and the position inside [0, out); k and index are clamped into bounds. The
// taps keep their ascending order, so the nonzero terms of a sum over them come in the
// order of a sum over every tap; a strided gather does 1/stride of the work per axis.
struct PhaseTap {
  loop::Expr k, index, valid;
};
int64_t phase_taps(const graph::ops::Window2d& w, int axis);
PhaseTap phase_tap(const graph::ops::Window2d& w, int axis, const loop::Expr& i,
                   const loop::Expr& m);

}  // namespace nas::lower
