#include "compiler/codegen/vector_math.h"

#include <limits>

#include <llvm/IR/Constants.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>

namespace nas::codegen {

namespace {

// Emits arithmetic on one float type (scalar or vector) and its i32 counterpart.
struct Math {
  Math(llvm::IRBuilderBase& b, llvm::Type* type)
      : b_(b), float_type(type), int_type(type->getWithNewType(b.getInt32Ty())) {}

  llvm::Value* f(double v) const { return llvm::ConstantFP::get(float_type, v); }
  llvm::Value* i(int32_t v) const { return llvm::ConstantInt::get(int_type, v, /*signed=*/true); }

  // a * b + c, one FMA where the target has it.
  llvm::Value* mul_add(llvm::Value* a, llvm::Value* m, llvm::Value* c) const {
    return b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {float_type}, {a, m, c});
  }
  // Horner's rule: ((c[0] * x + c[1]) * x + ...) + c[n-1].
  llvm::Value* polynomial(llvm::Value* x, std::initializer_list<double> c) const {
    auto it = c.begin();
    llvm::Value* p = f(*it++);
    for (; it != c.end(); ++it) p = mul_add(p, x, f(*it));
    return p;
  }
  llvm::Value* is_nan(llvm::Value* x) const { return b_.CreateFCmpUNO(x, x); }
  // 2^n for integer n in [-126, 127], built in the exponent bits.
  llvm::Value* pow2(llvm::Value* n) const {
    return b_.CreateBitCast(b_.CreateShl(b_.CreateAdd(n, i(127)), i(23)), float_type);
  }

  llvm::IRBuilderBase& b_;
  llvm::Type* float_type;
  llvm::Type* int_type;  // i32 lanes of the same count
};

// AVX-512's vscalefps: p * 2^n for float n, rounded once, overflowing to +inf and
// underflowing through the subnormals to +0 as the exact product would, NaN propagated: the
// whole of exp's reconstruction in one instruction. nullptr where the target lacks it for
// this type.
llvm::Value* scale_by_power_of_two(llvm::IRBuilderBase& b, const VectorMathFeatures& features,
                                   llvm::Value* p, llvm::Value* n) {
  auto* type = llvm::dyn_cast<llvm::FixedVectorType>(p->getType());
  if (!features.avx512f || type == nullptr) return nullptr;
  const unsigned lanes = type->getNumElements();
  llvm::Value* passthrough = llvm::UndefValue::get(type);
  if (lanes == 16)
    return b.CreateIntrinsic(llvm::Intrinsic::x86_avx512_mask_scalef_ps_512, {},
                             {p, n, passthrough, b.getInt16(0xffff),
                              b.getInt32(4) /* the current rounding mode */});
  if (!features.avx512vl) return nullptr;
  if (lanes == 8)
    return b.CreateIntrinsic(llvm::Intrinsic::x86_avx512_mask_scalef_ps_256, {},
                             {p, n, passthrough, b.getInt8(0xff)});
  if (lanes == 4)
    return b.CreateIntrinsic(llvm::Intrinsic::x86_avx512_mask_scalef_ps_128, {},
                             {p, n, passthrough, b.getInt8(0xff)});
  return nullptr;
}

}  // namespace

VectorMathFeatures VectorMathFeatures::of(const std::string& llvm_features) {
  auto has = [&](const std::string& name) {
    const std::string flag = "+" + name;
    for (size_t at = llvm_features.find(flag); at != std::string::npos;
         at = llvm_features.find(flag, at + 1)) {
      const size_t end = at + flag.size();
      if (end == llvm_features.size() || llvm_features[end] == ',') return true;
    }
    return false;
  };
  return {has("avx512f"), has("avx512vl")};
}

llvm::Value* emit_exp_f32(llvm::IRBuilderBase& b, llvm::Value* x,
                          const VectorMathFeatures& features) {
  const Math m(b, x->getType());
  // Clamp where the result is already +inf (above 89) or +0 (below -104); NaN passes both
  // comparisons unchanged.
  llvm::Value* xc = b.CreateSelect(b.CreateFCmpOLT(x, m.f(-104.0)), m.f(-104.0), x);
  xc = b.CreateSelect(b.CreateFCmpOGT(xc, m.f(89.0)), m.f(89.0), xc);
  // x = n ln2 + r with |r| <= ln2 / 2. n is rounded to an integer by adding 1.5 * 2^23,
  // where a float's ulp is 1: t's low mantissa bits are then n + 2^22, and t - 1.5 * 2^23 is
  // n exactly (one FMA and a subtraction, cheaper than a rounding instruction and a
  // conversion). ln2 in two parts (Cody-Waite) so n * C1 is exact.
  const double shifter = 12582912.0;
  llvm::Value* t = m.mul_add(xc, m.f(1.44269504088896341), m.f(shifter));
  llvm::Value* n = b.CreateFSub(t, m.f(shifter));
  llvm::Value* r = m.mul_add(n, m.f(-0.693359375), xc);
  r = m.mul_add(n, m.f(2.12194440e-4), r);
  // exp(r) = 1 + r + r^2 P(r).
  llvm::Value* p = m.polynomial(r, {1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                    4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1});
  p = b.CreateFAdd(m.mul_add(p, b.CreateFMul(r, r), r), m.f(1.0));
  if (llvm::Value* y = scale_by_power_of_two(b, features, p, n)) return y;
  // p * 2^n for n in [-150, 128] as two factors each within the normal exponents: the
  // first product is exact, the second rounds once (into the subnormals where it must).
  // n as an integer from t's bits (for NaN some integer, its result selected away below).
  llvm::Value* ni = b.CreateSub(b.CreateBitCast(t, m.int_type), m.i(0x4B400000));
  llvm::Value* n1 = b.CreateAShr(ni, m.i(1));
  llvm::Value* n2 = b.CreateSub(ni, n1);
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, m.pow2(n1)), m.pow2(n2));
  return b.CreateSelect(m.is_nan(x), x, y);
}

llvm::Value* emit_log_f32(llvm::IRBuilderBase& b, llvm::Value* x) {
  const Math m(b, x->getType());
  // Subnormal inputs are scaled by 2^23 into the normals first.
  llvm::Value* subnormal = b.CreateFCmpOLT(x, m.f(std::numeric_limits<float>::min()));
  llvm::Value* xs = b.CreateSelect(subnormal, b.CreateFMul(x, m.f(8388608.0)), x);
  llvm::Value* bits = b.CreateBitCast(xs, m.int_type);
  // x = mant * 2^e with mant in [0.5, 1).
  llvm::Value* e = b.CreateSub(b.CreateAnd(b.CreateLShr(bits, m.i(23)), m.i(0xff)), m.i(126));
  e = b.CreateSub(e, b.CreateSelect(subnormal, m.i(23), m.i(0)));
  llvm::Value* mant =
      b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, m.i(0x7fffff)), m.i(0x3f000000)), m.float_type);
  // mant below sqrt(1/2) is doubled, so f = mant - 1 is in [sqrt(1/2) - 1, sqrt(2) - 1).
  llvm::Value* low = b.CreateFCmpOLT(mant, m.f(0.707106781186547524));
  e = b.CreateSub(e, b.CreateZExt(low, m.int_type));
  llvm::Value* f = b.CreateFSub(b.CreateSelect(low, b.CreateFAdd(mant, mant), mant), m.f(1.0));
  // log(1 + f) = f - f^2 / 2 + f^3 P(f); log(2) in two parts, as in exp.
  llvm::Value* z = b.CreateFMul(f, f);
  llvm::Value* p = m.polynomial(f, {7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                                    -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                                    2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1});
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, f), z);
  llvm::Value* fe = b.CreateSIToFP(e, m.float_type);
  y = m.mul_add(fe, m.f(-2.12194440e-4), y);
  y = m.mul_add(z, m.f(-0.5), y);
  llvm::Value* result = m.mul_add(fe, m.f(0.693359375), b.CreateFAdd(f, y));
  // Specials, last to first: +inf, +-0, negative, NaN.
  const double inf = std::numeric_limits<double>::infinity();
  result = b.CreateSelect(b.CreateFCmpOEQ(x, m.f(inf)), m.f(inf), result);
  result = b.CreateSelect(b.CreateFCmpOEQ(x, m.f(0.0)), m.f(-inf), result);
  result = b.CreateSelect(b.CreateFCmpOLT(x, m.f(0.0)),
                          m.f(std::numeric_limits<double>::quiet_NaN()), result);
  return b.CreateSelect(m.is_nan(x), x, result);
}

}  // namespace nas::codegen
