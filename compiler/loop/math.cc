#include "compiler/loop/math.h"

#include <initializer_list>

namespace nas::loop {

namespace {
// Horner's rule with FMAs, highest coefficient first.
Expr polynomial(const Expr& x, std::initializer_list<double> coefficients) {
  auto c = coefficients.begin();
  Expr p = constant_like(x, *c);
  for (++c; c != coefficients.end(); ++c) p = fma(p, x, constant_like(x, *c));
  return p;
}
}  // namespace

Expr sigmoid(const Expr& x) {
  const Expr e = exp(-abs(x));
  return select(x >= 0.0, constant_like(x, 1.0), e) / (e + 1.0);
}

Expr tanh(const Expr& x) {
  const Expr a = abs(x);
  const Expr z = x * x;
  const Expr p = polynomial(z, {-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2,
                                1.33314422036e-1, -3.33332819422e-1});
  const Expr small = fma(x * z, p, x);
  const Expr large = 1.0 - 2.0 / (exp(a + a) + 1.0);
  return select(a < 0.625, small, select(x < 0.0, -large, large));
}

// The coefficients are least-squares fits at Chebyshev nodes (in double, rounded to float):
// erf(x) / x - 1 in x^2 on [0, 0.921875]; erfc(a) * exp(a^2) in a - 2.4296875 on
// [0.921875, 3.9375]. From 3.9375 on, erf(a) rounds to 1.
Expr erf(const Expr& x) {
  const Expr a = abs(x);
  const Expr z = x * x;
  const Expr small = fma(x,
                         polynomial(z, {8.43876842e-05, -0.000816078391, 0.00520283589,
                                        -0.0268602408, 0.112837136, -0.376126349,
                                        0.128379166}),
                         x);
  // exp(-a^2) as exp(-hi) * (1 - lo), hi + lo = a^2 exactly: hi's rounding would cost
  // up to 4 ulp near 1.
  const Expr hi = a * a;
  const Expr lo = fma(a, a, -hi);
  const Expr e = exp(-hi);
  const Expr scaled_erfc =
      polynomial(a - 2.4296875, {1.35134258e-07, -5.34807498e-07, 1.14504201e-06,
                                 -4.44342322e-06, 1.91695908e-05, -6.95179042e-05,
                                 0.0002421018, -0.000828457414, 0.00274142227, -0.00873338152,
                                 0.0267016254, -0.0779764354, 0.216160044});
  const Expr one = constant_like(x, 1.0);
  const Expr large = select(a >= 3.9375, one, fma(-fma(-e, lo, e), scaled_erfc, one));
  return select(a < 0.921875, small, select(x < 0.0, -large, large));
}

}  // namespace nas::loop
