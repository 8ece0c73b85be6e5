// IRVisitor, IRMutator (sharing of unchanged subtrees) and substitution.
#include "compiler/loop/mutator.h"

#include <gtest/gtest.h>

#include "compiler/loop/printer.h"
#include "compiler/loop/substitute.h"
#include "compiler/support/error.h"

namespace nas::loop {
namespace {

Expr i32(int64_t v) { return make_const(Type::i32(), v); }

// Counts loads, to show a visitor reaching every expression of a nest.
class LoadCounter : public IRVisitor {
 public:
  int loads = 0;
  using IRVisitor::visit;

 protected:
  void visit(const Load* op) override {
    ++loads;
    IRVisitor::visit(op);
  }
};

// Replaces every constant 2 by 3.
class TwoToThree : public IRMutator {
 public:
  using IRMutator::visit;

 protected:
  Expr visit(const IntImm* op) override { return op->value == 2 ? i32(3) : Expr(op); }
};

TEST(LoopMutator, VisitorReachesEveryNode) {
  Buffer in("in", Type::f32(), {16}), out("out", Type::f32(), {16});
  Var i("i");
  const Stmt s = For::make(i, i32(0), i32(16), ForKind::Serial,
                           IfThenElse::make(Load::make(in, i + 0) < 0.0f,
                                            Store::make(out, Load::make(in, i + 0) + Load::make(in, i + 1), i + 0)));
  LoadCounter counter;
  counter.include(s);
  EXPECT_EQ(counter.loads, 3);
}

TEST(LoopMutator, SharesUnchangedSubtrees) {
  Var x("x"), y("y");
  const Expr left = x * 5 + y, right = x * 2;
  const Expr e = min(left, right);
  TwoToThree mutator;
  const Expr out = mutator.mutate(e);
  EXPECT_EQ(print(out), "min(x*5 + y, x*3)");
  EXPECT_TRUE(out.as<Min>()->a.same_as(left));  // untouched operand is the same node
  EXPECT_TRUE(mutator.mutate(left).same_as(left));

  Buffer buf("buf", Type::f32(), {8});
  const Stmt s = Block::make(Store::make(buf, make_zero(Type::f32()), x + 1),
                             Store::make(buf, make_zero(Type::f32()), x + 2));
  const Stmt changed = mutator.mutate(s);
  EXPECT_EQ(changed.as<Block>()->stmts[0].get(), s.as<Block>()->stmts[0].get());
  EXPECT_FALSE(changed.as<Block>()->stmts[1].same_as(s.as<Block>()->stmts[1]));
}

TEST(LoopSubstitute, ReplacesFreeOccurrencesOnly) {
  Buffer out("out", Type::f32(), {64});
  Var i("i"), j("j"), n("n");
  EXPECT_EQ(print(substitute(i * 4 + j, i, n + 1)), "(n + 1)*4 + j");
  const Stmt inner = For::make(i, i32(0), i32(4), ForKind::Serial,
                               Store::make(out, make_zero(Type::f32()), i * 4 + j));
  const Stmt s = Block::make(Store::make(out, make_zero(Type::f32()), i + 0), inner);
  // The loop rebinds i: only the first store's i is free.
  EXPECT_EQ(print(substitute(s, i, n)),
            "out[n + 0] = 0.0f\n"
            "for (i, 0, 4) {\n"
            "  out[i*4 + j] = 0.0f\n"
            "}\n");
  const Stmt unchanged = substitute(inner, n, i32(0));
  EXPECT_TRUE(unchanged.same_as(inner));
  EXPECT_THROW(substitute(i + 1, i, Var("w", Type::i64())), InternalError);
}

}  // namespace
}  // namespace nas::loop
