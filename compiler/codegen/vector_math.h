// exp and log of f32 scalars and vectors as straight-line arithmetic: a range reduction and
// a polynomial (the Cephes expf and logf approximations, Moshier 1984-1992), with the special
// values selected explicitly. Without a vector math library LLVM scalarizes llvm.exp.v16f32
// into 16 calls of libm's expf; this is a handful of vector FMAs instead. exp's last step,
// the scaling by 2^n, is one vscalefps where the target has AVX-512, and two products of
// powers of two built in the exponent bits elsewhere.
//
// Accuracy over every float (tests/codegen/vector_math_test.cc, against the double-precision
// result rounded to float): exp within 1 ulp, log within 1 ulp, subnormal inputs and
// results included. Specials as C's expf and logf: exp(NaN) = NaN, exp(+inf) = +inf,
// exp(-inf) = +0, overflow to +inf above 88.72, underflow through the subnormals to +0 below
// -103.97; log(NaN) = NaN, log(x < 0) = NaN, log(+-0) = -inf, log(+inf) = +inf.
#pragma once

#include <string>

#include <llvm/IR/IRBuilder.h>

namespace nas::codegen {

// What of the target the emitters may use beyond portable LLVM IR.
struct VectorMathFeatures {
  bool avx512f = false;   // vscalefps on 16 lanes
  bool avx512vl = false;  // ... and on 4 and 8
  // From a TargetMachine's feature string ("+avx512f,+avx512vl,-sse4a,...").
  static VectorMathFeatures of(const std::string& llvm_features);
};

// `x` is a float or a vector of floats; the result has its type.
llvm::Value* emit_exp_f32(llvm::IRBuilderBase& b, llvm::Value* x,
                          const VectorMathFeatures& features);
llvm::Value* emit_log_f32(llvm::IRBuilderBase& b, llvm::Value* x);

}  // namespace nas::codegen
