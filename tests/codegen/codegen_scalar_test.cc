// Compiled scalar expressions against the interpreter: random integer expressions (wrapping,
// floor division and modulo, division by zero), a table of divisions, random float
// expressions, Min/Max and comparisons on NaN, -0 and infinities, and casts.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "compiler/codegen/codegen.h"
#include "compiler/loop/arith.h"
#include "compiler/loop/interpret.h"
#include "compiler/loop/substitute.h"
#include "tests/codegen/codegen_test_util.h"
#include "tests/loop/random_expr.h"

namespace nas::codegen {
namespace {

using namespace loop;
using testing::AlignedArrays;

// A function computing out[k] = exprs[k] with the variables replaced by loads of in[j], so
// that LLVM cannot fold them.
LoweredFunc int_function(const std::string& name, const std::vector<Var>& vars,
                         const std::vector<Expr>& exprs, Type type) {
  Buffer in("in", type, {static_cast<int64_t>(vars.size())});
  Buffer out("out", type, {static_cast<int64_t>(exprs.size())});
  Substitutions loads;
  for (size_t j = 0; j < vars.size(); ++j)
    loads[vars[j].node()] = Load::make(in, make_const(Type::i32(), static_cast<int64_t>(j)));
  std::vector<Stmt> stores;
  for (size_t k = 0; k < exprs.size(); ++k)
    stores.push_back(Store::make(out, substitute(exprs[k], loads),
                                 make_const(Type::i32(), static_cast<int64_t>(k))));
  return {name, {in, out}, Block::make(stores)};
}

template <class T>
std::vector<T> run_int_function(KernelEntry entry, const std::vector<T>& inputs, size_t outputs) {
  std::vector<std::vector<T>> data{inputs, std::vector<T>(outputs)};
  AlignedArrays arrays(data);
  entry(arrays.args());
  arrays.copy_back(data);
  return data[1];
}

TEST(CodegenScalar, RandomIntegerExpressionsMatchTheInterpreter) {
  const std::vector<Var> vars{Var("x"), Var("y"), Var("z")};
  for (uint64_t seed = 0; seed < 6; ++seed) {
    loop::testing::ExprGenerator gen(seed, vars);
    std::vector<Expr> exprs;
    for (int k = 0; k < 40; ++k) exprs.push_back(gen.integer(4));
    const LoweredFunc func = int_function("random_ints", vars, exprs, Type::i32());
    auto jit = JitModule::compile({func}, target::host_target());
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<int32_t> values;
      Interpreter interp;
      for (const Var& v : vars) {
        const int64_t value = gen.rng().below(8) == 0 ? gen.value(INT32_MIN, INT32_MAX)
                                                      : gen.value(-12, 12);
        values.push_back(static_cast<int32_t>(value));
        interp.bind(v, value);
      }
      const std::vector<int32_t> actual = run_int_function(jit->lookup("random_ints"), values, exprs.size());
      for (size_t k = 0; k < exprs.size(); ++k)
        ASSERT_EQ(actual[k], interp.evaluate_int(exprs[k]))
            << "seed " << seed << " expr " << k << " x=" << values[0] << " y=" << values[1]
            << " z=" << values[2];
    }
  }
}

// Floor division and modulo by every sign, zero, -1 and powers of two, as variables and as
// constants (which take other code paths), in i32 and i64.
TEST(CodegenScalar, DivisionAndModuloFollowFloorSemantics) {
  const std::vector<int64_t> dividends{-7, 7, 0, -8, 8, -1, INT32_MIN, INT32_MAX};
  const std::vector<int64_t> divisors{-3, 3, 0, -1, 1, 2, 4, -4, 8, 7, INT32_MIN};
  for (Type type : {Type::i32(), Type::i64()}) {
    SCOPED_TRACE(type.str());
    const Var a("a", type), b("b", type);
    std::vector<Expr> exprs{a / b, a % b};
    for (int64_t d : divisors) {
      exprs.push_back(a / make_const(type, d));
      exprs.push_back(a % make_const(type, d));
    }
    const LoweredFunc func = int_function("divmod", {a, b}, exprs, type);
    auto jit = JitModule::compile({func}, target::host_target());
    for (int64_t x : dividends)
      for (int64_t y : divisors) {
        Interpreter interp;
        interp.bind(a, x);
        interp.bind(b, y);
        std::vector<int64_t> actual;
        if (type == Type::i32()) {
          for (int32_t v : run_int_function<int32_t>(jit->lookup("divmod"), {static_cast<int32_t>(x), static_cast<int32_t>(y)}, exprs.size()))
            actual.push_back(v);
        } else {
          actual = run_int_function<int64_t>(jit->lookup("divmod"), {x, y}, exprs.size());
        }
        for (size_t k = 0; k < exprs.size(); ++k)
          ASSERT_EQ(actual[k], interp.evaluate_int(exprs[k])) << x << " op " << y << " expr " << k;
      }
  }
  // Spot checks of the semantics themselves.
  EXPECT_EQ(arith::floor_div(-7, 2), -4);
  EXPECT_EQ(arith::floor_mod(-7, 2), 1);
  EXPECT_EQ(arith::floor_mod(7, -2), -1);
}

// Random float expressions over loads of an input buffer.
class FloatGenerator {
 public:
  FloatGenerator(uint64_t seed, Buffer in) : rng_(seed), in_(std::move(in)) {}
  Expr value(int depth) {
    if (depth == 0 || rng_.below(6) == 0) return leaf();
    switch (rng_.below(12)) {
      case 0: return value(depth - 1) + value(depth - 1);
      case 1: return value(depth - 1) - value(depth - 1);
      case 2: return value(depth - 1) * value(depth - 1);
      case 3: return value(depth - 1) / (abs(value(depth - 1)) + 1.0f);
      case 4: return min(value(depth - 1), value(depth - 1));
      case 5: return max(value(depth - 1), value(depth - 1));
      case 6: return select(value(depth - 1) < value(depth - 1), value(depth - 1), value(depth - 1));
      case 7: return exp(min(value(depth - 1), 4.0f));
      case 8: return sqrt(abs(value(depth - 1)));
      case 9: return log(abs(value(depth - 1)) + 0.5f);
      case 10: return fma(value(depth - 1), value(depth - 1), value(depth - 1));
      default: return cast(Type::f32(), cast(Type::i32(), value(depth - 1) * 8.0f));
    }
  }

 private:
  Expr leaf() {
    if (rng_.below(3) == 0) return make_const(Type::f32(), static_cast<double>(rng_.below(9)) - 4.0);
    return Load::make(in_, make_const(Type::i32(), static_cast<int64_t>(rng_.below(in_.numel()))));
  }
  SplitMix64 rng_;
  Buffer in_;
};

TEST(CodegenScalar, RandomFloatExpressionsMatchTheInterpreter) {
  for (uint64_t seed = 0; seed < 4; ++seed) {
    Buffer in("in", Type::f32(), {8}), out("out", Type::f32(), {40});
    FloatGenerator gen(seed, in);
    std::vector<Stmt> stores;
    for (int k = 0; k < 40; ++k)
      stores.push_back(Store::make(out, gen.value(4), make_const(Type::i32(), int64_t{k})));
    testing::expect_same_as_interpreter({"random_floats", {in, out}, Block::make(stores)}, seed, 1e-4f);
  }
}

bool same_float(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

// Min and Max are the interpreter's std::min / std::max, bit for bit: which operand a NaN
// or a signed zero comes from matters (max-pooling of -inf, NaN propagation).
TEST(CodegenScalar, MinMaxAndComparisonsOnSpecialValuesMatchBitForBit) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  const std::vector<float> values{nan, -0.0f, 0.0f, -inf, inf, 1.5f, -2.0f};
  const int64_t n = values.size();
  Buffer in("in", Type::f32(), {n}), out("out", Type::f32(), {n * n * 8});
  const Var i("i"), j("j");
  const Expr a = Load::make(in, i), b = Load::make(in, j);
  auto as_float = [](const Expr& condition) {
    return select(condition, make_one(Type::f32()), make_zero(Type::f32()));
  };
  const std::vector<Expr> results{min(a, b),          max(a, b),          as_float(a < b),
                                  as_float(a <= b),   as_float(eq(a, b)), as_float(ne(a, b)),
                                  as_float(a > b),    as_float(a >= b)};
  std::vector<Stmt> stores;
  for (size_t k = 0; k < results.size(); ++k)
    stores.push_back(Store::make(out, results[k], (i * static_cast<int>(n) + j) * 8 + static_cast<int>(k)));
  const Stmt body = For::make(i, make_zero(Type::i32()), make_const(Type::i32(), n), ForKind::Serial,
                              For::make(j, make_zero(Type::i32()), make_const(Type::i32(), n),
                                        ForKind::Serial, Block::make(stores)));
  const LoweredFunc func{"special", {in, out}, body};
  std::vector<std::vector<float>> expected{values, std::vector<float>(n * n * 8)}, actual = expected;
  testing::run_interpreted(func, expected);
  auto jit = JitModule::compile({func}, target::host_target());
  testing::run_compiled(jit->lookup("special"), actual);
  for (size_t k = 0; k < expected[1].size(); ++k)
    EXPECT_TRUE(same_float(actual[1][k], expected[1][k]))
        << "a=" << values[k / 8 / n] << " b=" << values[k / 8 % n] << " result " << k % 8 << ": "
        << actual[1][k] << " vs " << expected[1][k];
}

// Float to int truncates (through i64, then wraps), int to float rounds, bools are 0 / 1.
TEST(CodegenScalar, CastsMatchTheInterpreter) {
  const std::vector<float> values{-2.7f, 2.7f, -0.5f, 0.99f, -1.0f, 3e9f, -3e9f, 1e12f, 16777217.0f};
  const int64_t n = values.size();
  Buffer in("in", Type::f32(), {n}), out("out", Type::f32(), {n * 6});
  const Var i("i");
  const Expr x = Load::make(in, i);
  const std::vector<Expr> results{
      cast(Type::f32(), cast(Type::i32(), x)), cast(Type::f32(), cast(Type::i64(), x)),
      cast(Type::f32(), cast(Type::boolean(), x)),
      cast(Type::f32(), cast(Type::i32(), cast(Type::i64(), x) * 3)),
      cast(Type::f32(), cast(Type::boolean(), cast(Type::i32(), x))),
      cast(Type::f32(), cast(Type::i64(), cast(Type::i32(), x)) + make_const(Type::i64(), int64_t{1} << 40))};
  std::vector<Stmt> stores;
  for (size_t k = 0; k < results.size(); ++k)
    stores.push_back(Store::make(out, results[k], i * 6 + static_cast<int>(k)));
  const LoweredFunc func{"casts", {in, out},
                         For::make(i, make_zero(Type::i32()), make_const(Type::i32(), n),
                                   ForKind::Serial, Block::make(stores))};
  std::vector<std::vector<float>> expected{values, std::vector<float>(n * 6)}, actual = expected;
  testing::run_interpreted(func, expected);
  auto jit = JitModule::compile({func}, target::host_target());
  testing::run_compiled(jit->lookup("casts"), actual);
  for (size_t k = 0; k < expected[1].size(); ++k)
    EXPECT_EQ(actual[1][k], expected[1][k]) << "value " << values[k / 6] << " cast " << k % 6;
}

}  // namespace
}  // namespace nas::codegen
