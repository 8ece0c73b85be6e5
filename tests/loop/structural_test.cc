// Structural equality (identity, alpha-equivalence, free-variable matching) and hashing.
#include "compiler/loop/structural.h"

#include <cmath>
#include <unordered_set>

#include <gtest/gtest.h>

#include "tests/loop/random_expr.h"

namespace nas::loop {
namespace {

Expr i32(int64_t v) { return make_const(Type::i32(), v); }

// out[i*8 + j] = in[j*4 + i] * 2, over fresh loop variables each call.
Stmt transpose_nest(const Buffer& in, const Buffer& out, ForKind inner = ForKind::Serial) {
  Var i("i"), j("j");
  const Stmt store = Store::make(out, Load::make(in, j * 4 + i) * 2.0f, i * 8 + j);
  return For::make(i, i32(0), i32(4), ForKind::Parallel, For::make(j, i32(0), i32(8), inner, store));
}

TEST(LoopStructural, IndependentlyBuiltNestsAreAlphaEquivalent) {
  Buffer in("in", Type::f32(), {8, 4}), out("out", Type::f32(), {4, 8});
  const Stmt a = transpose_nest(in, out), b = transpose_nest(in, out);
  EXPECT_FALSE(structural_equal(a, b));  // different loop variables
  EXPECT_TRUE(structural_equal(a, b, VarMatching::BoundVars));
  EXPECT_TRUE(structural_equal(a, a));
  EXPECT_EQ(structural_hash(a), structural_hash(b));
  EXPECT_FALSE(structural_equal(a, transpose_nest(in, out, ForKind::Vectorized),
                                VarMatching::BoundVars));
}

TEST(LoopStructural, FreeBuffersAndVariablesMatchOnlyInAllVarsMode) {
  Buffer in("in", Type::f32(), {8, 4}), out("out", Type::f32(), {4, 8});
  Buffer in2("in", Type::f32(), {8, 4}), out2("out", Type::f32(), {4, 8});
  const Stmt a = transpose_nest(in, out), b = transpose_nest(in2, out2);
  EXPECT_FALSE(structural_equal(a, b, VarMatching::BoundVars));
  EXPECT_TRUE(structural_equal(a, b, VarMatching::AllVars));
  EXPECT_EQ(structural_hash(a), structural_hash(b));
  // The same buffer on both sides cannot correspond to two different ones.
  const Stmt swapped = transpose_nest(out2, out2);
  EXPECT_FALSE(structural_equal(a, swapped, VarMatching::AllVars));
  Buffer bigger("in", Type::f32(), {16, 4});
  EXPECT_FALSE(structural_equal(a, transpose_nest(bigger, out2), VarMatching::AllVars));

  Var x("x"), y("y"), z("x");
  EXPECT_FALSE(structural_equal(x + 1, z + 1));  // same name, other variable
  EXPECT_TRUE(structural_equal(x + 1, z + 1, VarMatching::AllVars));
  EXPECT_TRUE(structural_equal(x + y, y + x, VarMatching::AllVars));
  EXPECT_FALSE(structural_equal(x + x, x + y, VarMatching::AllVars));
  EXPECT_FALSE(structural_equal(x + y, x + x, VarMatching::AllVars));
}

TEST(LoopStructural, BoundVariablesMustCorrespondInBindingOrder) {
  Buffer out("out", Type::f32(), {16});
  auto nest = [&](bool swap_uses) {
    Var i("i"), j("j");
    const Expr index = swap_uses ? j * 4 + i : i * 4 + j;
    return For::make(i, i32(0), i32(4), ForKind::Serial,
                     For::make(j, i32(0), i32(4), ForKind::Serial,
                               Store::make(out, make_zero(Type::f32()), index)));
  };
  EXPECT_TRUE(structural_equal(nest(false), nest(false), VarMatching::BoundVars));
  EXPECT_FALSE(structural_equal(nest(false), nest(true), VarMatching::BoundVars));
  EXPECT_FALSE(structural_equal(nest(false), nest(true), VarMatching::AllVars));
}

TEST(LoopStructural, ABoundVariableIsNotTheFreeOneOfTheSameName) {
  Buffer out("out", Type::i32(), {4});
  Var i("i"), k("i");
  // for (i) out[i] = i   versus   for (i') out[i'] = i   (i free in the body)
  const Stmt a = For::make(i, i32(0), i32(4), ForKind::Serial, Store::make(out, i + 0, i));
  const Stmt b = For::make(k, i32(0), i32(4), ForKind::Serial, Store::make(out, i + 0, k));
  EXPECT_FALSE(structural_equal(a, b, VarMatching::BoundVars));
  EXPECT_FALSE(structural_equal(a, b, VarMatching::AllVars));
}

TEST(LoopStructural, ReusingALoopVariableInSiblingLoopsEqualsFreshOnes) {
  Buffer out("out", Type::i32(), {4});
  auto loop = [&](const Var& v) {
    return For::make(v, i32(0), i32(4), ForKind::Serial, Store::make(out, v + 1, v));
  };
  Var i("i"), a("a"), b("b");
  const Stmt reused = Block::make(loop(i), loop(i));
  const Stmt fresh = Block::make(loop(a), loop(b));
  EXPECT_TRUE(structural_equal(reused, fresh, VarMatching::BoundVars));
  EXPECT_EQ(structural_hash(reused), structural_hash(fresh));
}

TEST(LoopStructural, AllocatedBuffersCorrespondInAlphaMode) {
  auto kernel = [] {
    Buffer acc("acc", Type::f32(), {4});
    return Allocate::make(acc, MemoryScope::Register,
                          Store::make(acc, make_zero(Type::f32()), i32(0)));
  };
  EXPECT_FALSE(structural_equal(kernel(), kernel()));
  EXPECT_TRUE(structural_equal(kernel(), kernel(), VarMatching::BoundVars));
  EXPECT_EQ(structural_hash(kernel()), structural_hash(kernel()));
}

TEST(LoopStructural, ConstantsTypesAndOperatorsDistinguish) {
  Var x("x"), w("w", Type::i64());
  EXPECT_TRUE(structural_equal(x + 1, x + 1));
  EXPECT_FALSE(structural_equal(x + 1, x + 2));
  EXPECT_FALSE(structural_equal(x + 1, x - 1));
  EXPECT_FALSE(structural_equal(x + 1, 1 + x));
  EXPECT_FALSE(structural_equal(w + 1, x + 1, VarMatching::AllVars));
  EXPECT_NE(structural_hash(x + 1), structural_hash(x + 2));
  EXPECT_NE(structural_hash(x + 1), structural_hash(x - 1));
  const Expr nan = make_const(Type::f32(), std::nan(""));
  EXPECT_TRUE(structural_equal(nan, make_const(Type::f32(), std::nan(""))));
  EXPECT_FALSE(structural_equal(make_const(Type::f32(), 0.0), make_const(Type::f32(), -0.0)));
  Buffer a("a", Type::f32(), {64}), b("b", Type::f32(), {64});
  EXPECT_TRUE(structural_equal(Prefetch::make(a, x + 16), Prefetch::make(a, x + 16)));
  EXPECT_FALSE(structural_equal(Prefetch::make(a, x + 16), Prefetch::make(a, x + 32)));
  EXPECT_FALSE(structural_equal(Prefetch::make(a, x + 16), Prefetch::make(b, x + 16)));
  EXPECT_NE(structural_hash(Prefetch::make(a, x + 16)), structural_hash(Prefetch::make(a, x + 32)));
}

TEST(LoopStructural, HashIsIndependentOfNamesAndStableAcrossBuilds) {
  Var x("x"), y("something_else");
  EXPECT_EQ(structural_hash(x * 3 + 1), structural_hash(y * 3 + 1));
  // A fixed value: a change to the hash function invalidates stored records, on purpose.
  Buffer in("in", Type::f32(), {8, 4}), out("out", Type::f32(), {4, 8});
  const uint64_t h = structural_hash(transpose_nest(in, out));
  EXPECT_EQ(h, structural_hash(transpose_nest(in, out)));
  EXPECT_EQ(h, 0xd63ff247b9fcdc97u) << std::hex << h;
}

TEST(LoopStructural, WorksAsAnUnorderedSetKey) {
  Buffer in("in", Type::f32(), {8, 4}), out("out", Type::f32(), {4, 8});
  std::unordered_set<Stmt, StructuralHash, StructuralEqual> seen(
      8, StructuralHash{}, StructuralEqual{VarMatching::BoundVars});
  seen.insert(transpose_nest(in, out));
  seen.insert(transpose_nest(in, out));
  seen.insert(transpose_nest(in, out, ForKind::Unrolled));
  EXPECT_EQ(seen.size(), 2u);
}

TEST(LoopStructural, RandomExpressionsRebuiltOverOtherVariablesMatchAndHashAlike) {
  Var x("x"), y("y"), u("x"), v("y");
  Expr previous;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    testing::ExprGenerator first(seed, {x, y}), second(seed, {u, v}), again(seed, {x, y});
    const Expr a = first.integer(4), b = second.integer(4), c = again.integer(4);
    EXPECT_TRUE(structural_equal(a, c));
    EXPECT_TRUE(structural_equal(a, b, VarMatching::AllVars));
    EXPECT_EQ(structural_hash(a), structural_hash(b));
    // Different expressions (almost always) hash differently.
    if (previous.defined() && !structural_equal(a, previous, VarMatching::AllVars))
      EXPECT_NE(structural_hash(a), structural_hash(previous));
    previous = a;
  }
}

}  // namespace
}  // namespace nas::loop
