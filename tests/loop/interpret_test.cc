// The loop IR interpreter: the semantics of expr.h, lane by lane, and its refusals.
#include "compiler/loop/interpret.h"

#include <cmath>

#include <gtest/gtest.h>

#include "compiler/support/error.h"

namespace nas::loop {
namespace {

Expr i32(int64_t v) { return make_const(Type::i32(), v); }

TEST(LoopInterpret, IntegerDivisionFloorsAndWraps) {
  Interpreter interp;
  EXPECT_EQ(interp.evaluate_int(i32(7) / i32(2)), 3);
  EXPECT_EQ(interp.evaluate_int(i32(-7) / i32(2)), -4);
  EXPECT_EQ(interp.evaluate_int(i32(-7) % i32(2)), 1);
  EXPECT_EQ(interp.evaluate_int(i32(7) % i32(-2)), -1);
  EXPECT_EQ(interp.evaluate_int(i32(7) / i32(0)), 0);
  EXPECT_EQ(interp.evaluate_int(i32(7) % i32(0)), 0);
  EXPECT_EQ(interp.evaluate_int(i32(2147483647) + i32(1)), -2147483648ll);
  EXPECT_EQ(interp.evaluate_int(i32(-2147483648ll) / i32(-1)), -2147483648ll);
  const Expr big = make_const(Type::i64(), int64_t{1} << 40);
  EXPECT_EQ(interp.evaluate_int(big * 4), int64_t{1} << 42);
  EXPECT_EQ(interp.evaluate_int(cast(Type::i32(), big + 5)), 5);
}

TEST(LoopInterpret, VariablesFloatsAndCalls) {
  Interpreter interp;
  Var x("x");
  interp.bind(x, 5);
  EXPECT_EQ(interp.evaluate_int(select(x < 3, x, x * 10)), 50);
  EXPECT_FLOAT_EQ(interp.evaluate_float(cast(Type::f32(), x) / 2.0f), 2.5f);
  EXPECT_FLOAT_EQ(interp.evaluate_float(exp(make_const(Type::f32(), 0.0))), 1.0f);
  EXPECT_FLOAT_EQ(interp.evaluate_float(fma(make_const(Type::f32(), 2.0), make_const(Type::f32(), 3.0),
                                            make_const(Type::f32(), 1.0))),
                  7.0f);
  EXPECT_EQ(interp.evaluate_int(cast(Type::i32(), make_const(Type::f32(), -2.7))), -2);
  EXPECT_THROW(interp.evaluate_int(Var("y") + 1), InternalError);
}

TEST(LoopInterpret, VectorsWorkLaneByLane) {
  Buffer in("in", Type::f32(), {8});
  std::vector<float> data = {0, 1, 2, 3, 4, 5, 6, 7};
  Interpreter interp;
  interp.bind(in, data);
  const Expr ramp = Ramp::make(i32(1), i32(2), 4);  // 1, 3, 5, 7
  const Value loaded = interp.evaluate(Load::make(in, ramp) * Broadcast::make(make_const(Type::f32(), 2.0), 4));
  EXPECT_EQ(loaded.floats, (std::vector<float>{2, 6, 10, 14}));
  const Value picked = interp.evaluate(select(ramp < 4, ramp, Broadcast::make(i32(0), 4)));
  EXPECT_EQ(picked.ints, (std::vector<int64_t>{1, 3, 0, 0}));
}

TEST(LoopInterpret, RunsALoopNestAndChecksBounds) {
  Buffer out("out", Type::f32(), {3, 4});
  std::vector<float> data(12, -1.0f);
  Interpreter interp;
  interp.bind(out, data);
  Var i("i"), j("j");
  const Stmt nest = For::make(i, i32(0), i32(3), ForKind::Parallel,
                              For::make(j, i32(0), i32(4), ForKind::Unrolled,
                                        Store::make(out, cast(Type::f32(), i * 10 + j), i * 4 + j)));
  interp.run(nest);
  EXPECT_EQ(data, (std::vector<float>{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}));
  const Stmt overflow = For::make(i, i32(0), i32(13), ForKind::Serial,
                                  Store::make(out, make_zero(Type::f32()), i + 0));
  EXPECT_THROW(interp.run(overflow), InternalError);
}

TEST(LoopInterpret, AllocationsStartAsNaNAndEndWithTheirScope) {
  Buffer out("out", Type::f32(), {2});
  Buffer acc("acc", Type::f32(), {1});
  std::vector<float> data(2, 0.0f);
  Interpreter interp;
  interp.bind(out, data);
  const Stmt s = Allocate::make(
      acc, MemoryScope::Register,
      Block::make(Store::make(out, Load::make(acc, i32(0)), i32(0)),
                  Block::make(Store::make(acc, make_const(Type::f32(), 4.0), i32(0)),
                              Store::make(out, Load::make(acc, i32(0)), i32(1)))));
  interp.run(s);
  EXPECT_TRUE(std::isnan(data[0]));
  EXPECT_EQ(data[1], 4.0f);
  EXPECT_THROW(interp.evaluate(Load::make(acc, i32(0))), InternalError);  // out of scope
}

}  // namespace
}  // namespace nas::loop
