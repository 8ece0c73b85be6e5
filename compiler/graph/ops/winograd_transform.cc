#include "compiler/graph/ops/winograd_transform.h"

#include "compiler/support/error.h"

namespace nas::graph::winograd {

namespace {

// F(2x2, 3x3).
constexpr double kBt2[] = {
    1, 0, -1, 0,  //
    0, 1, 1,  0,  //
    0, -1, 1, 0,  //
    0, 1, 0,  -1,
};
constexpr double kG2[] = {
    1,   0,    0,    //
    0.5, 0.5,  0.5,  //
    0.5, -0.5, 0.5,  //
    0,   0,    1,
};
constexpr double kAt2[] = {
    1, 1, 1,  0,  //
    0, 1, -1, -1,
};

// F(4x4, 3x3).
constexpr double kBt4[] = {
    4, 0,  -5, 0,  1, 0,  //
    0, -4, -4, 1,  1, 0,  //
    0, 4,  -4, -1, 1, 0,  //
    0, -2, -1, 2,  1, 0,  //
    0, 2,  -1, -2, 1, 0,  //
    0, 4,  0,  -5, 0, 1,
};
constexpr double kG4[] = {
    1.0 / 4,   0,          0,          //
    -1.0 / 6,  -1.0 / 6,   -1.0 / 6,   //
    -1.0 / 6,  1.0 / 6,    -1.0 / 6,   //
    1.0 / 24,  1.0 / 12,   1.0 / 6,    //
    1.0 / 24,  -1.0 / 12,  1.0 / 6,    //
    0,         0,          1,
};
constexpr double kAt4[] = {
    1, 1, 1,  1, 1,  0,  //
    0, 1, -1, 2, -2, 0,  //
    0, 1, 1,  4, 4,  0,  //
    0, 1, -1, 8, -8, 1,
};

const Matrices kF2{2, 4, kBt2, kG2, kAt2};
const Matrices kF4{4, 6, kBt4, kG4, kAt4};

}  // namespace

bool has_tile(int64_t m) { return m == 2 || m == 4; }

const Matrices& matrices(int64_t m) {
  NAS_CHECK(has_tile(m), "no Winograd matrices for F({0}x{0}, 3x3)", m);
  return m == 2 ? kF2 : kF4;
}

Tensor transform_weights(const Tensor& w, int64_t m) {
  const Matrices& f = matrices(m);
  const int64_t t = f.t, k_out = w.dim(0), c_in = w.dim(1);
  NAS_CHECK(w.rank() == 4 && w.dim(2) == 3 && w.dim(3) == 3, "Winograd weights must be 3x3");
  Tensor u(DType::F32, {t * t, c_in, k_out});
  const float* pw = w.data<float>();
  float* pu = u.data<float>();
  for (int64_t k = 0; k < k_out; ++k)
    for (int64_t c = 0; c < c_in; ++c) {
      const float* g = pw + (k * c_in + c) * 9;
      double gg[6][3] = {};  // G g, t x 3
      for (int64_t a = 0; a < t; ++a)
        for (int64_t j = 0; j < 3; ++j)
          for (int64_t i = 0; i < 3; ++i) gg[a][j] += f.G(a, i) * g[i * 3 + j];
      for (int64_t a = 0; a < t; ++a)
        for (int64_t b = 0; b < t; ++b) {
          double v = 0;
          for (int64_t j = 0; j < 3; ++j) v += gg[a][j] * f.G(b, j);
          pu[((a * t + b) * c_in + c) * k_out + k] = static_cast<float>(v);
        }
    }
  return u;
}

}  // namespace nas::graph::winograd
