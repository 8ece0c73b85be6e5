#include "compiler/loop/math.h"

namespace nas::loop {

Expr sigmoid(const Expr& x) {
  const Expr e = exp(-abs(x));
  return select(x >= 0.0, constant_like(x, 1.0), e) / (e + 1.0);
}

Expr tanh(const Expr& x) {
  const Expr a = abs(x);
  const Expr z = x * x;
  Expr p = constant_like(x, -5.70498872745e-3);
  for (double c : {2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1})
    p = fma(p, z, constant_like(x, c));
  const Expr small = fma(x * z, p, x);
  const Expr large = 1.0 - 2.0 / (exp(a + a) + 1.0);
  return select(a < 0.625, small, select(x < 0.0, -large, large));
}

}  // namespace nas::loop
