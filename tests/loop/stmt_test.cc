// Construction of loop IR statements: the checking constructors and the no-op.
#include "compiler/loop/stmt.h"

#include <gtest/gtest.h>

#include "compiler/support/error.h"

namespace nas::loop {
namespace {

TEST(LoopStmt, BuildsALoopNest) {
  Buffer out("out", Type::f32(), {4, 8});
  Var i("i"), j("j");
  const Stmt store = Store::make(out, cast(Type::f32(), i + j), i * 8 + j);
  const Stmt nest = For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{4}),
                              ForKind::Parallel,
                              For::make(j, make_zero(Type::i32()), make_const(Type::i32(), int64_t{8}),
                                        ForKind::Vectorized, store));
  const auto* outer = nest.as<For>();
  ASSERT_NE(outer, nullptr);
  EXPECT_TRUE(outer->var.same_as(i));
  EXPECT_EQ(outer->for_kind, ForKind::Parallel);
  EXPECT_NE(outer->body.as<For>(), nullptr);
  EXPECT_EQ(outer->body.as<For>()->body.as<Store>(), store.get());
}

TEST(LoopStmt, ConstructorsRefuseIllTypedParts) {
  Buffer out("out", Type::f32(), {8});
  Var i("i"), n("n"), f("f", Type::f32());
  const Expr zero = make_zero(Type::i32());
  const Stmt store = Store::make(out, f, i);
  EXPECT_THROW(Store::make(out, i + 0, i), InternalError);      // i32 into f32
  EXPECT_THROW(Store::make(out, f, f), InternalError);          // float index
  EXPECT_THROW(For::make(i, zero, make_const(Type::i64(), int64_t{8}), ForKind::Serial, store),
               InternalError);
  EXPECT_THROW(For::make(Var("g", Type::f32()), make_zero(Type::f32()), make_one(Type::f32()),
                         ForKind::Serial, store),
               InternalError);
  EXPECT_THROW(For::make(i, zero, n, ForKind::Vectorized, store), InternalError);
  EXPECT_NO_THROW(For::make(i, zero, n, ForKind::Parallel, store));
  EXPECT_THROW(IfThenElse::make(i, store), InternalError);
  EXPECT_THROW(Block::make({store, Stmt()}), InternalError);
}

TEST(LoopStmt, ABlockOfOneIsThatStatementAndTheEmptyBlockIsTheNoOp) {
  Buffer out("out", Type::f32(), {8});
  const Stmt store = Store::make(out, make_zero(Type::f32()), make_zero(Type::i32()));
  EXPECT_TRUE(Block::make({store}).same_as(store));
  EXPECT_TRUE(is_no_op(no_op()));
  EXPECT_TRUE(is_no_op(Block::make({})));
  EXPECT_FALSE(is_no_op(store));
  EXPECT_EQ(Block::make(store, store).as<Block>()->stmts.size(), 2u);
}

}  // namespace
}  // namespace nas::loop
