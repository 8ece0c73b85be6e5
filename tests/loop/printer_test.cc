// Golden text of the loop IR printer.
#include "compiler/loop/printer.h"

#include <gtest/gtest.h>

namespace nas::loop {
namespace {

Expr i32(int64_t v) { return make_const(Type::i32(), v); }

TEST(LoopPrinter, ParenthesesOnlyWherePrecedenceNeedsThem) {
  Var n("n"), co("co"), oh("oh"), ow("ow"), x("x"), y("y");
  EXPECT_EQ(print(((n * 16 + co) * 28 + oh) * 28 + ow), "((n*16 + co)*28 + oh)*28 + ow");
  EXPECT_EQ(print(x - (y - 1)), "x - (y - 1)");
  EXPECT_EQ(print((x - y) - 1), "x - y - 1");
  EXPECT_EQ(print(x / (y * 2)), "x/(y*2)");
  EXPECT_EQ(print(x * -1), "x*-1");
  EXPECT_EQ(print(x < y + 1 && !(y < 0) || eq(x, 3)), "x < y + 1 && !(y < 0) || x == 3");
  EXPECT_EQ(print((x < 1 || y < 1) && x < 2), "(x < 1 || y < 1) && x < 2");
  EXPECT_EQ(print(min(x, max(y, 0)) % 4), "min(x, max(y, 0))%4");
}

TEST(LoopPrinter, ConstantsCastsVectorsAndCalls) {
  Var x("x"), f("f", Type::f32()), w("w", Type::i64());
  EXPECT_EQ(print(f * 2.0f + 0.5f), "f*2.0f + 0.5f");
  EXPECT_EQ(print(make_const(Type::f32(), 1e-7)), "1e-07f");
  EXPECT_EQ(print(w + 1), "w + i64(1)");
  EXPECT_EQ(print(make_bool(true)), "true");
  EXPECT_EQ(print(cast(Type::f32(), x) + f), "f32(x) + f");
  EXPECT_EQ(print(select(x < 0, exp(f), sqrt(fma(f, f, f)))), "select(x < 0, exp(f), sqrt(fma(f, f, f)))");
  Buffer in("in", Type::f32(), {64});
  const Expr ramp = Ramp::make(x * 8, i32(1), 8);
  EXPECT_EQ(print(Load::make(in, ramp) * Broadcast::make(f, 8)),
            "in[ramp(x*8, 1, 8)]*broadcast(f, 8)");
  EXPECT_EQ(print(cast(Type::f32(8), ramp)), "f32x8(ramp(x*8, 1, 8))");
}

TEST(LoopPrinter, LoopNest) {
  Buffer in("in", Type::f32(), {8, 4}), out("out", Type::f32(), {4, 8});
  Buffer acc("acc", Type::f32(), {1});
  Var i("i"), j("j");
  const Stmt body = Block::make(
      Store::make(acc, Load::make(in, j * 4 + i) * 2.0f, i32(0)),
      IfThenElse::make(j < 7, Store::make(out, Load::make(acc, i32(0)), i * 8 + j),
                       Store::make(out, make_zero(Type::f32()), i * 8 + j)));
  const Stmt nest = For::make(
      i, i32(0), i32(4), ForKind::Parallel,
      Allocate::make(acc, MemoryScope::Register,
                     For::make(j, i32(0), i32(8), ForKind::Serial, body)));
  EXPECT_EQ(print(nest),
            "for (i, 0, 4) parallel {\n"
            "  allocate acc: f32[1] register {\n"
            "    for (j, 0, 8) {\n"
            "      acc[0] = in[j*4 + i]*2.0f\n"
            "      if (j < 7) {\n"
            "        out[i*8 + j] = acc[0]\n"
            "      } else {\n"
            "        out[i*8 + j] = 0.0f\n"
            "      }\n"
            "    }\n"
            "  }\n"
            "}\n");
  EXPECT_EQ(print(no_op()), "no_op\n");
  EXPECT_EQ(print(Evaluate::make(i + 1)), "evaluate(i + 1)\n");
  EXPECT_EQ(print(Prefetch::make(in, j * 4 + 16)), "prefetch in[j*4 + 16]\n");
}

TEST(LoopPrinter, DistinctVariablesWithOneNamePrintDistinctly) {
  Var a("x"), b("x"), c("x");
  EXPECT_EQ(print(a + b * a + c), "x + x.1*x + x.2");
  Buffer out("out", Type::i32(), {4}), out2("out", Type::i32(), {4});
  const Stmt s = Block::make(Store::make(out, a + 0, i32(0)), Store::make(out2, b + 0, i32(0)));
  EXPECT_EQ(print(s), "out[0] = x + 0\nout.1[0] = x.1 + 0\n");
}

}  // namespace
}  // namespace nas::loop
