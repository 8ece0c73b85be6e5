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

// The coefficients are fits at Chebyshev nodes (in double, rounded to float): erf(x) / x - 1
// in x^2 on [0, 0.921875], least squares; log(erfc(a)) in a - 0.921875 on [0.921875,
// 3.9375], minimax in the error it makes in erf (weighted by erfc(a)), so one exp of the
// polynomial gives erfc. From 3.9375 on, erf(a) rounds to 1.
Expr erf(const Expr& x) {
  const Expr a = abs(x);
  const Expr z = x * x;
  const Expr small = fma(x,
                         polynomial(z, {8.43876842e-05, -0.000816078391, 0.00520283589,
                                        -0.0268602408, 0.112837136, -0.376126349,
                                        0.128379166}),
                         x);
  const Expr log_erfc =
      polynomial(a - 0.921875, {0.000194735796, -0.00195448031, 0.0106900567, -0.0447578393,
                                -0.833001256, -2.50801182, -1.64856195});
  const Expr one = constant_like(x, 1.0);
  const Expr large = select(a >= 3.9375, one, one - exp(log_erfc));
  return select(a < 0.921875, small, select(x < 0.0, -large, large));
}

}  // namespace nas::loop
