// Hand-written vector loop IR, compiled against the interpreter: contiguous loads and stores
// (aligned and not), strided gathers, scatters (with repeated indices), gathers at computed
// indices, vector and scalar Select conditions, broadcasts, integer vector arithmetic with
// floor division by every sign, and float intrinsics on vectors.
#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/codegen/codegen.h"
#include "tests/codegen/codegen_test_util.h"

namespace nas::codegen {
namespace {

using namespace loop;

constexpr int kLanes = 8;

struct Buffers {
  Buffer a{"a", Type::f32(), {64}}, b{"b", Type::f32(), {64}}, out{"out", Type::f32(), {64}};
};

// for (i, 0, extent) body(i), over buffers a, b, out.
LoweredFunc vector_loop(const Buffers& bufs, int64_t extent, const std::function<Stmt(const Var&)>& body) {
  const Var i("i");
  return {"vector_loop",
          {bufs.a, bufs.b, bufs.out},
          For::make(i, make_zero(Type::i32()), make_const(Type::i32(), extent), ForKind::Serial, body(i))};
}

Expr dense(const Expr& base) { return Ramp::make(base, make_one(Type::i32()), kLanes); }
Expr splat(float v) { return Broadcast::make(make_const(Type::f32(), static_cast<double>(v)), kLanes); }

TEST(CodegenVector, ContiguousLoadsAndStoresWithBroadcast) {
  Buffers bufs;
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    const Expr at = dense(i * kLanes);
    return Store::make(bufs.out, Load::make(bufs.a, at) * Load::make(bufs.b, at) + splat(2.0f), at);
  }), 1);
  // Bases that are not multiples of the lanes: unaligned vector accesses.
  testing::expect_same_as_interpreter(vector_loop(bufs, 7, [&](const Var& i) {
    return Store::make(bufs.out, Load::make(bufs.a, dense(i * kLanes + 1)) - splat(0.5f),
                       dense(i * kLanes + 3));
  }), 2);
}

TEST(CodegenVector, StridedGathersAndScatters) {
  Buffers bufs;
  // A transpose of 8x8: gather a column, store a row; then the other way round.
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    return Store::make(bufs.out, Load::make(bufs.a, Ramp::make(i, make_const(Type::i32(), int64_t{8}), kLanes)),
                       dense(i * kLanes));
  }), 3);
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    return Store::make(bufs.out, Load::make(bufs.a, dense(i * kLanes)) + splat(1.0f),
                       Ramp::make(i, make_const(Type::i32(), int64_t{8}), kLanes));
  }), 4);
  // Negative stride, and a scatter whose lanes all hit one element (the last lane wins).
  testing::expect_same_as_interpreter(vector_loop(bufs, 4, [&](const Var& i) {
    return Store::make(bufs.out, Load::make(bufs.a, Ramp::make(63 - i, make_const(Type::i32(), int64_t{-3}), kLanes)),
                       Ramp::make(i * 2, make_zero(Type::i32()), kLanes));
  }), 5);
}

TEST(CodegenVector, GatherAtComputedIndices) {
  Buffers bufs;
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    const Expr index = cast(Type::i32(kLanes), abs(Load::make(bufs.b, dense(i * kLanes))) * splat(63.0f));
    return Store::make(bufs.out, Load::make(bufs.a, index), dense(i * kLanes));
  }), 6);
}

TEST(CodegenVector, SelectWithVectorAndScalarConditions) {
  Buffers bufs;
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    const Expr at = dense(i * kLanes);
    const Expr a = Load::make(bufs.a, at), b = Load::make(bufs.b, at);
    const Expr picked = select(a < b && !(a > splat(0.5f)), a, b * splat(2.0f));
    return Store::make(bufs.out, select(i < 3 || eq(i, 6), picked, max(a, b) - min(a, b)), at);
  }), 7);
}

// Integer lanes: floor division and modulo by divisors of every sign (0 and -1 included),
// min / max, and i64 lanes; converted to f32 to be stored.
TEST(CodegenVector, IntegerVectorArithmetic) {
  Buffers bufs;
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    const Expr x = Ramp::make(i * 5 - 20, make_const(Type::i32(), int64_t{3}), kLanes);
    const Expr d = Ramp::make(make_const(Type::i32(), int64_t{-4}), make_one(Type::i32()), kLanes);
    const Expr wide = cast(Type::i64(kLanes), x) * cast(Type::i64(kLanes), d);
    const Expr ints = x / d + x % d * 100 + max(min(x, d), x / Broadcast::make(make_const(Type::i32(), int64_t{4}), kLanes)) +
                      cast(Type::i32(kLanes), wide % Broadcast::make(make_const(Type::i64(), int64_t{-7}), kLanes));
    return Store::make(bufs.out, cast(Type::f32(kLanes), ints), dense(i * kLanes));
  }), 8);
}

TEST(CodegenVector, FloatIntrinsicsOnVectors) {
  Buffers bufs;
  testing::expect_same_as_interpreter(vector_loop(bufs, 8, [&](const Var& i) {
    const Expr at = dense(i * kLanes);
    const Expr a = Load::make(bufs.a, at), b = Load::make(bufs.b, at);
    return Store::make(bufs.out, exp(a) + sqrt(abs(b)) - log(abs(a) + splat(1.0f)) + fma(a, b, splat(0.25f)) +
                                     cast(Type::f32(kLanes), a > b),
                       at);
  }), 9, 1e-5f);
}

// Consecutive stores are emitted with their values interleaved, one operation of each in
// turn (llvm_codegen.cc). A store that reads what an earlier store of the block wrote
// starts a new run: out[0..8) is written first and read back by the next two stores.
TEST(CodegenVector, InterleavedStoresKeepTheirReadAfterWriteOrder) {
  Buffers bufs;
  testing::expect_same_as_interpreter(vector_loop(bufs, 2, [&](const Var& i) {
    const Expr a = Load::make(bufs.a, dense(i * 32)), b = Load::make(bufs.b, dense(i * 32));
    const Expr written = Load::make(bufs.out, dense(i * 32));
    return Block::make({
        Store::make(bufs.out, exp(a) * b + splat(1.0f), dense(i * 32)),
        Store::make(bufs.out, written * written - a, dense(i * 32 + 8)),
        Store::make(bufs.out, sqrt(abs(written)) + b, dense(i * 32 + 16)),
        Store::make(bufs.a, written + splat(2.0f), dense(i * 32 + 24)),
    });
  }), 10);
}

// Independent values, each a chain of exp and polynomial steps, come out of codegen side by
// side: the first operation of each value before the second of any.
TEST(CodegenVector, IndependentStoresAreInterleaved) {
  Buffers bufs;
  const LoweredFunc func = vector_loop(bufs, 2, [&](const Var& i) {
    std::vector<Stmt> stores;
    for (int k = 0; k < 3; ++k) {
      const Expr x = Load::make(bufs.a, dense(i * 24 + k * kLanes));
      stores.push_back(Store::make(bufs.out, sqrt(sqrt(x * x + splat(1.0f))), dense(i * 24 + k * kLanes)));
    }
    return Block::make(stores);
  });
  testing::expect_same_as_interpreter(func, 11);
  // Unoptimized IR, in emission order: the three values' fmuls, then their fadds, then
  // their first sqrts, then their second.
  std::vector<std::string> ops;
  std::istringstream lines(emit_llvm_ir({func}, target::host_target(), /*optimized=*/false));
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" = fmul ") != std::string::npos) ops.push_back("fmul");
    if (line.find(" = fadd ") != std::string::npos) ops.push_back("fadd");
    if (line.find("call ") != std::string::npos && line.find("@llvm.sqrt") != std::string::npos)
      ops.push_back("sqrt");
  }
  EXPECT_EQ(fmt::format("{}", fmt::join(ops, " ")),
            "fmul fmul fmul fadd fadd fadd sqrt sqrt sqrt sqrt sqrt sqrt");
}

}  // namespace
}  // namespace nas::codegen

namespace nas::codegen {
namespace {

using namespace loop;

// Bool buffers hold one byte per element (vector lanes are not packed bits): flags[i] =
// a[i] > 0 stored as vectors, read back one by one and as a gather.
TEST(CodegenVector, BoolBuffersHoldOneBytePerElement) {
  Buffer a("a", Type::f32(), {16}), flags("flags", Type::boolean(), {16}), out("out", Type::f32(), {32});
  const Var i("i"), j("j");
  const Expr at = Ramp::make(i * 8, make_one(Type::i32()), 8);
  const Expr one = make_one(Type::f32()), two = make_const(Type::f32(), 2.0);
  const Stmt body = Block::make(
      {For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{2}), ForKind::Serial,
                 Store::make(flags, Load::make(a, at) > Broadcast::make(make_zero(Type::f32()), 8), at)),
       For::make(j, make_zero(Type::i32()), make_const(Type::i32(), int64_t{16}), ForKind::Serial,
                 Store::make(out, select(Load::make(flags, j), one, two), j)),
       For::make(j, make_zero(Type::i32()), make_const(Type::i32(), int64_t{2}), ForKind::Serial,
                 Store::make(out, cast(Type::f32(8), Load::make(flags, Ramp::make(j, make_const(Type::i32(), int64_t{2}), 8))),
                             Ramp::make(j * 8 + 16, make_one(Type::i32()), 8)))});
  auto jit = JitModule::compile({{"bools", {a, flags, out}, body}}, target::host_target());
  std::vector<float> values = testing::random_floats(16, 12);
  void* args[] = {nullptr, nullptr, nullptr};
  alignas(64) float a_data[16];
  alignas(64) uint8_t flag_data[64];
  alignas(64) float out_data[32];
  std::copy(values.begin(), values.end(), a_data);
  args[0] = a_data;
  args[1] = flag_data;
  args[2] = out_data;
  jit->lookup("bools")(args);
  for (int k = 0; k < 16; ++k) {
    EXPECT_EQ(flag_data[k], values[k] > 0 ? 1 : 0) << k;
    EXPECT_EQ(out_data[k], values[k] > 0 ? 1.0f : 2.0f) << k;
  }
  for (int lane = 0; lane < 16; ++lane) {
    const int index = lane / 8 + 2 * (lane % 8);  // j + 2 * lane
    EXPECT_EQ(out_data[16 + lane], values[index] > 0 ? 1.0f : 0.0f) << lane;
  }
}

}  // namespace
}  // namespace nas::codegen
