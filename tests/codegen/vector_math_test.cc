// exp and log as compiled (vector_math.h), sigmoid, tanh and erf as composed (loop/math.h),
// against the double-precision result rounded to float, over a sweep of every 251st float
// (17 million values: every exponent, both signs, the subnormals) and the special values,
// in 16-lane vectors and in scalars.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>

#include <fmt/format.h>

#include "compiler/codegen/codegen.h"
#include "compiler/loop/compute.h"
#include "compiler/loop/math.h"
#include "compiler/target/target.h"
#include "tests/codegen/codegen_test_util.h"

namespace nas::codegen {
namespace {

using namespace loop;

constexpr int64_t kChunk = 1 << 20;

// out[i] = f(in[i]) over kChunk floats, `lanes` at a time.
LoweredFunc map_kernel(const std::string& name, int lanes, Expr (*f)(Expr)) {
  Buffer in("in", Type::f32(), {kChunk}), out("out", Type::f32(), {kChunk});
  const Var i("i");
  const Expr at = lanes == 1 ? Expr(i) : Ramp::make(i * lanes, make_one(Type::i32()), lanes);
  return {name, {in, out},
          For::make(i, make_zero(Type::i32()), make_const(Type::i32(), kChunk / lanes),
                    ForKind::Serial, Store::make(out, f(Load::make(in, at)), at))};
}

// Floats in order of value: adjacent floats differ by 1 (-0 and +0 are both 0).
int64_t ordered(float x) {
  const int32_t bits = std::bit_cast<int32_t>(x);
  return bits >= 0 ? bits : int64_t{std::numeric_limits<int32_t>::min()} - bits;
}

struct Accuracy {
  int64_t max_ulp = 0;
  float worst_input = 0;
  int64_t checked = 0;
};

// Runs the kernel over `inputs` (any count), comparing with `reference`; NaN must give NaN.
void check(KernelEntry kernel, const std::vector<float>& inputs, double (*reference)(double),
           Accuracy& accuracy) {
  for (size_t begin = 0; begin < inputs.size(); begin += kChunk) {
    std::vector<std::vector<float>> data = {std::vector<float>(kChunk, 1.0f),
                                            std::vector<float>(kChunk)};
    const size_t n = std::min<size_t>(kChunk, inputs.size() - begin);
    std::copy_n(inputs.begin() + static_cast<int64_t>(begin), n, data[0].begin());
    testing::run_compiled(kernel, data);
    for (size_t k = 0; k < n; ++k) {
      const float x = data[0][k];
      const float expected = static_cast<float>(reference(x));
      const float actual = data[1][k];
      if (std::isnan(expected)) {
        ASSERT_TRUE(std::isnan(actual)) << fmt::format("at {} ({:a}): got {}", x, x, actual);
        ++accuracy.checked;
        continue;
      }
      ASSERT_FALSE(std::isnan(actual)) << fmt::format("at {} ({:a}): got NaN", x, x);
      const int64_t ulp = std::abs(ordered(actual) - ordered(expected));
      if (ulp > accuracy.max_ulp) accuracy = {ulp, x, accuracy.checked};
      ++accuracy.checked;
    }
  }
}

const std::vector<float>& specials() {
  const float inf = std::numeric_limits<float>::infinity();
  static const std::vector<float> v = {
      0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
      std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
      std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(),
      -std::numeric_limits<float>::denorm_min(), 1.0f, -1.0f, 88.7228394f, 88.7228470f, 89.0f,
      89.5f, -87.3365479f, -103.972076f, -103.972084f, -104.0f, -104.5f, -150.0f, 0.693147182f,
      1e-30f, 1e30f};
  return v;
}

// Every 251st float by bit pattern, in chunks, then the special values;
// NAS_VECTOR_MATH_STRIDE=1 checks every float (minutes, by hand).
void for_each_chunk(const std::function<void(const std::vector<float>&)>& f) {
  const char* stride_env = std::getenv("NAS_VECTOR_MATH_STRIDE");
  const uint64_t stride = stride_env ? std::max(1, std::atoi(stride_env)) : 251;
  std::vector<float> chunk;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += stride) {
    chunk.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
    if (std::ssize(chunk) == kChunk) {
      f(chunk);
      chunk.clear();
    }
  }
  chunk.insert(chunk.end(), specials().begin(), specials().end());
  f(chunk);
}

double exp_d(double x) { return std::exp(x); }
double log_d(double x) { return std::log(x); }
double sigmoid_d(double x) { return 1 / (1 + std::exp(-x)); }
double tanh_d(double x) { return std::tanh(x); }
double erf_d(double x) { return std::erf(x); }

void expect_within(const std::string& name, Expr (*f)(Expr), double (*reference)(double),
                   int64_t max_ulp) {
  // The host in 16, 8 and 1 lanes (on AVX-512, exp's vscalefps in 512 and 256 bits, and
  // the scalar code), and AVX2 in 16 lanes (the portable reconstruction).
  std::vector<std::pair<target::Target, int>> variants = {
      {target::host_target(), 16}, {target::host_target(), 8}, {target::host_target(), 1}};
  if (target::host_target().features.count("avx2") && target::host_target().features.count("fma"))
    variants.emplace_back(target::parse_target("host-avx2"), 16);
  for (const auto& [target, lanes] : variants) {
    SCOPED_TRACE(fmt::format("{} in {} lane(s) on {}", name, lanes, target.cpu));
    const LoweredFunc func = map_kernel(name, lanes, f);
    auto jit = JitModule::compile({func}, target);
    Accuracy accuracy;
    for_each_chunk([&](const std::vector<float>& inputs) {
      check(jit->lookup(name), inputs, reference, accuracy);
    });
    EXPECT_LE(accuracy.max_ulp, max_ulp) << fmt::format(
        "worst at {} ({:a}) of {} values", accuracy.worst_input, accuracy.worst_input,
        accuracy.checked);
    EXPECT_GT(accuracy.checked, 17'000'000);
    std::cout << fmt::format("{} in {} lane(s) on {}: at most {} ulp (at {:a}) over {} values\n",
                             name, lanes, target.cpu, accuracy.max_ulp, accuracy.worst_input,
                             accuracy.checked);
  }
}

Expr exp_of(Expr x) { return exp(std::move(x)); }
Expr log_of(Expr x) { return log(std::move(x)); }
Expr sigmoid_of(Expr x) { return loop::sigmoid(x); }
Expr tanh_of(Expr x) { return loop::tanh(x); }
Expr erf_of(Expr x) { return loop::erf(x); }

TEST(VectorMath, ExpWithinOneUlpOverEveryExponent) { expect_within("vexp", exp_of, exp_d, 1); }

TEST(VectorMath, LogWithinOneUlpOverEveryExponent) { expect_within("vlog", log_of, log_d, 1); }

// Composed in loop/math.h of exp and arithmetic, each rounding once more.
TEST(VectorMath, SigmoidWithinTwoUlp) { expect_within("vsigmoid", sigmoid_of, sigmoid_d, 2); }

TEST(VectorMath, TanhWithinOneUlp) { expect_within("vtanh", tanh_of, tanh_d, 1); }

TEST(VectorMath, ErfWithinOneUlp) { expect_within("verf", erf_of, erf_d, 1); }

// The point of it: a 16-lane exp is vector arithmetic, not 16 calls of libm.
TEST(VectorMath, NoLibmCallsInVectorCode) {
  const std::string ir =
      emit_llvm_ir({map_kernel("vexp", 16, exp_of), map_kernel("vlog", 16, log_of)},
                   target::host_target(), true);
  for (const char* call : {"@expf", "@logf", "@llvm.exp.", "@llvm.log."})
    EXPECT_EQ(ir.find(call), std::string::npos) << call;
}

// AVX-512 scales by 2^n in one instruction; other x86 targets build the powers of two.
TEST(VectorMath, ExpScalesWithScalefOnlyWhereTheTargetHasIt) {
  const std::string scalef = "@llvm.x86.avx512.mask.scalef.ps.512";
  const auto ir = [](const char* target) {
    return emit_llvm_ir({map_kernel("vexp", 16, exp_of)}, target::parse_target(target), true);
  };
  EXPECT_NE(ir("host-avx512").find(scalef), std::string::npos);
  EXPECT_EQ(ir("host-avx2").find("scalef"), std::string::npos);
}

}  // namespace
}  // namespace nas::codegen
