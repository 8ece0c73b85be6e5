// Winograd's minimal filtering F(m x m, 3 x 3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): an m x m tile of a 3x3 convolution's output
// from a t x t tile of its input (t = m + 2) with t^2 multiplications per channel pair
// instead of 9 m^2:
//
//   Y = A^T [ (G g G^T) . (B^T d B) ] A      (. elementwise, summed over input channels)
//
// The matrices for m = 2 (points 0, 1, -1) and m = 4 (points 0, 1, -1, 2, -2), as in the
// paper and Lavin's wincnn. The weights' transform U = G g G^T happens once, at compile
// time (passes/winograd.h); the reference kernel (ops/winograd.cc) and the lowering
// (lower/ops/winograd.cc) read these same matrices.
#pragma once

#include <cstdint>

#include "compiler/graph/tensor.h"

namespace nas::graph::winograd {

struct Matrices {
  int64_t m = 0;  // output tile
  int64_t t = 0;  // input tile, m + 2
  const double* bt = nullptr;  // B^T, t x t, row-major
  const double* g = nullptr;   // G, t x 3
  const double* at = nullptr;  // A^T, m x t

  double BT(int64_t row, int64_t col) const { return bt[row * t + col]; }
  double G(int64_t row, int64_t col) const { return g[row * 3 + col]; }
  double AT(int64_t row, int64_t col) const { return at[row * t + col]; }
};

// The output tiles this implementation has matrices for: 2 and 4.
bool has_tile(int64_t m);
// F(m x m, 3 x 3)'s matrices; an internal error for another m.
const Matrices& matrices(int64_t m);

// Tiles of m along an axis of `extent` outputs (the last one partial where m does not
// divide it).
inline int64_t tiles(int64_t extent, int64_t m) { return (extent + m - 1) / m; }

// A convolution's weights W [K, C, 3, 3] (f32) as WinogradConv reads them: U [t*t, C, K],
// U[a*t + b, c, k] = (G W[k, c] G^T)[a, b], computed in double.
Tensor transform_weights(const Tensor& w, int64_t m);

}  // namespace nas::graph::winograd
