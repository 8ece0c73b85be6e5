// Construction of loop IR expressions: the checking constructors' types and refusals.
#include "compiler/loop/expr.h"

#include <gtest/gtest.h>

#include "compiler/support/error.h"

namespace nas::loop {
namespace {

TEST(LoopExpr, TypesOfArithmeticComparisonsAndLogic) {
  Var x("x"), y("y");
  EXPECT_EQ((x + y).type(), Type::i32());
  EXPECT_EQ((x * 2).type(), Type::i32());
  EXPECT_EQ((x < y).type(), Type::boolean());
  EXPECT_EQ(((x < y) && (y < 3)).type(), Type::boolean());
  Var f("f", Type::f32());
  EXPECT_EQ((f * 0.5).type(), Type::f32());
  EXPECT_EQ(exp(f).type(), Type::f32());
  EXPECT_EQ(fma(f, f, f).type(), Type::f32());
  EXPECT_EQ(cast(Type::f32(), x).type(), Type::f32());
  EXPECT_EQ(select(x < y, f, f + 1).type(), Type::f32());
}

TEST(LoopExpr, NumbersTakeTheTypeOfTheExpressionBesideThem) {
  Var i("i", Type::i64());
  const Expr sum = i + 3;
  EXPECT_EQ(sum.type(), Type::i64());
  ASSERT_NE(sum.as<Add>(), nullptr);
  EXPECT_EQ(as_const_int(sum.as<Add>()->b), 3);
  EXPECT_EQ(sum.as<Add>()->b.type(), Type::i64());
  Var f("f", Type::f32());
  EXPECT_EQ(as_const_float((2 * f).as<Mul>()->a), 2.0);
  EXPECT_THROW(i + 0.5, InternalError);  // not an integer
}

TEST(LoopExpr, ConstantsWrapAndRound) {
  EXPECT_EQ(as_const_int(IntImm::make(Type::i32(), int64_t{1} << 32)), 0);
  EXPECT_EQ(as_const_int(IntImm::make(Type::i32(), 0x80000000ll)), -2147483648ll);
  EXPECT_EQ(as_const_int(IntImm::make(Type::boolean(), 7)), 1);
  EXPECT_EQ(as_const_float(FloatImm::make(Type::f32(), 0.1)), static_cast<double>(0.1f));
  EXPECT_TRUE(is_const(make_const(Type::f32(4), int64_t{1}), 1));
  EXPECT_NE(make_const(Type::f32(4), int64_t{1}).as<Broadcast>(), nullptr);
}

TEST(LoopExpr, VariablesAreComparedByIdentityNotName) {
  Var a("x"), b("x");
  EXPECT_FALSE(a.same_as(b));
  EXPECT_TRUE(a.same_as(Var::from(Expr(a.get()))));
  EXPECT_EQ(a.name(), b.name());
  EXPECT_THROW(Var::from(a + 1), InternalError);
}

TEST(LoopExpr, VectorsNeedMatchingLanes) {
  Var x("x");
  const Expr ramp = Ramp::make(x, make_one(Type::i32()), 8);
  EXPECT_EQ(ramp.type(), Type::i32(8));
  EXPECT_EQ((ramp + 1).type(), Type::i32(8));  // the number becomes a broadcast
  EXPECT_THROW(ramp + x, InternalError);
  Buffer in("in", Type::f32(), {64});
  const Expr load = Load::make(in, ramp);
  EXPECT_EQ(load.type(), Type::f32(8));
  EXPECT_EQ(Broadcast::make(x, 4).type(), Type::i32(4));
  EXPECT_THROW(Broadcast::make(ramp, 2), InternalError);
  EXPECT_EQ(select(ramp < 4, load, load).type(), Type::f32(8));
  EXPECT_THROW(select(Ramp::make(x, x, 4) < 4, load, load), InternalError);
}

TEST(LoopExpr, ConstructorsRefuseIllTypedOperands) {
  Var x("x"), w("w", Type::i64()), f("f", Type::f32());
  EXPECT_THROW(x + w, InternalError);
  EXPECT_THROW(x + f, InternalError);
  EXPECT_THROW(f % f, InternalError);
  EXPECT_THROW((x < 1) + (x < 2), InternalError);
  EXPECT_THROW((x < 1) < (x < 2), InternalError);
  EXPECT_THROW(x && x, InternalError);
  EXPECT_THROW(!x, InternalError);
  EXPECT_THROW(select(x, x, x), InternalError);
  EXPECT_THROW(exp(x), InternalError);
  EXPECT_THROW(Call::make(Intrinsic::Fma, {f, f}), InternalError);
  Buffer in("in", Type::f32(), {4});
  EXPECT_THROW(Load::make(in, f), InternalError);
  EXPECT_THROW(Expr() + x, InternalError);
  EXPECT_THROW(Buffer("v", Type::f32(4), {4}), InternalError);
}

TEST(LoopExpr, CheckMessagesNameTheOperatorAndTypes) {
  Var x("x"), f("f", Type::f32());
  try {
    (void)(x + f);
    FAIL();
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("Add of i32 and f32"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nas::loop
