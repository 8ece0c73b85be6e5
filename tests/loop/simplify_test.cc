// The simplifier: each rule as before -> after text, and property tests against the
// interpreter (random expressions and random loop nests keep their values).
#include "compiler/loop/simplify.h"

#include <gtest/gtest.h>

#include "compiler/loop/interpret.h"
#include "compiler/loop/printer.h"
#include "compiler/loop/structural.h"
#include "tests/loop/random_expr.h"

namespace nas::loop {
namespace {

Expr i32(int64_t v) { return make_const(Type::i32(), v); }
Expr f32(double v) { return make_const(Type::f32(), v); }
std::string simplified(const Expr& e) { return print(simplify(e)); }

TEST(LoopSimplify, FoldsConstantsWithTheInterpretersArithmetic) {
  EXPECT_EQ(simplified(i32(3) + i32(4) * i32(2)), "11");
  EXPECT_EQ(simplified(i32(-7) / i32(2)), "-4");
  EXPECT_EQ(simplified(i32(-7) % i32(2)), "1");
  EXPECT_EQ(simplified(i32(5) / i32(0)), "0");
  EXPECT_EQ(simplified(i32(2147483647) + i32(1)), "-2147483648");
  EXPECT_EQ(simplified(f32(1.5) * f32(2.0) - f32(0.5)), "2.5f");
  EXPECT_EQ(simplified(i32(3) < i32(4) && !eq(i32(1), i32(2) + 0)), "true");
  EXPECT_EQ(simplified(min(i32(3), i32(5)) + max(i32(3), i32(5))), "8");
  EXPECT_EQ(simplified(cast(Type::f32(), i32(3))), "3.0f");
  EXPECT_EQ(simplified(cast(Type::i32(), f32(-2.5))), "-2");
  EXPECT_EQ(simplified(exp(f32(0.0)) + sqrt(f32(4.0))), "3.0f");
  EXPECT_EQ(simplified(select(i32(1) < i32(2), i32(7), i32(8))), "7");
}

TEST(LoopSimplify, AlgebraicIdentities) {
  Var x("x"), y("y"), f("f", Type::f32());
  EXPECT_EQ(simplified(x + 0), "x");
  EXPECT_EQ(simplified(0 + x), "x");
  EXPECT_EQ(simplified(x - 0), "x");
  EXPECT_EQ(simplified(x * 1), "x");
  EXPECT_EQ(simplified(1 * x), "x");
  EXPECT_EQ(simplified(x * 0), "0");
  EXPECT_EQ(simplified(x / 1), "x");
  EXPECT_EQ(simplified(x % 1), "0");
  EXPECT_EQ(simplified(x - x), "0");
  EXPECT_EQ(simplified((x + y) - x), "y");
  EXPECT_EQ(simplified((x - y) + y), "x");
  EXPECT_EQ(simplified(min(x, x)), "x");
  EXPECT_EQ(simplified(min(min(x, 4), 2)), "min(x, 2)");
  EXPECT_EQ(simplified(max(max(x, 4), 2)), "max(x, 4)");
  // Floats keep what NaN and infinities would break.
  EXPECT_EQ(simplified(f * 1.0f), "f");
  EXPECT_EQ(simplified(f * 0.0f), "f*0.0f");
  EXPECT_EQ(simplified(f - f), "f - f");
}

TEST(LoopSimplify, CanonicalOrderGathersConstants) {
  Var x("x"), y("y"), i("i");
  EXPECT_EQ(simplified(3 + x), "x + 3");
  EXPECT_EQ(simplified(x - 3), "x + -3");
  EXPECT_EQ(simplified((x + 1) + 2), "x + 3");
  EXPECT_EQ(simplified((x + 1) + y), "x + y + 1");
  EXPECT_EQ(simplified(x + (y + 1)), "x + y + 1");
  EXPECT_EQ(simplified((x + 2) * 4), "x*4 + 8");
  EXPECT_EQ(simplified((x * 2) * 3), "x*6");
  EXPECT_EQ(simplified(2 * x * 3), "x*6");
  EXPECT_EQ(simplified((i + 1) * 4 - i * 4), "4");
  EXPECT_EQ(simplified((x + 5) - (y + 2)), "x - y + 3");
  EXPECT_EQ(simplified(2 < x), "x > 2");
  EXPECT_EQ(simplified(eq(2, x)), "x == 2");
}

TEST(LoopSimplify, Logic) {
  Var x("x"), y("y");
  const Expr c = x < y;
  EXPECT_EQ(simplified(c && make_bool(true)), "x < y");
  EXPECT_EQ(simplified(make_bool(true) && c), "x < y");
  EXPECT_EQ(simplified(c && make_bool(false)), "false");
  EXPECT_EQ(simplified(c || make_bool(true)), "true");
  EXPECT_EQ(simplified(c || c), "x < y");
  EXPECT_EQ(simplified(!(x < y)), "x >= y");
  EXPECT_EQ(simplified(!!(eq(x, 1) || eq(y, 1))), "x == 1 || y == 1");
  EXPECT_EQ(simplified(x < x), "false");
  EXPECT_EQ(simplified(x <= x), "true");
  EXPECT_EQ(simplified(select(c, x, x)), "x");
  EXPECT_EQ(simplified(cast(Type::i32(), x)), "x");
}

TEST(LoopSimplify, RangesDecideDivisionsRemaindersComparisonsAndMinMax) {
  Var x("x"), y("y"), z("z");
  const VarRanges ranges = {{x.node(), {0, 3}}, {y.node(), {0, 10}}};
  auto with_ranges = [&](const Expr& e) { return print(simplify(e, ranges)); };
  EXPECT_EQ(with_ranges(x / 4), "0");
  EXPECT_EQ(with_ranges(x % 4), "x");
  EXPECT_EQ(with_ranges((x + 4) % 4), "x");
  EXPECT_EQ(with_ranges((y * 8 + x) / 4), "y*2");
  EXPECT_EQ(with_ranges((y * 4 + x) % 4), "x");
  EXPECT_EQ(with_ranges((y * 4 + x) / 4), "y");
  EXPECT_EQ(with_ranges((y * 8) / 4), "y*2");
  // The terms a divisor divides, and the rest within one quotient: a grouped convolution's
  // second vector of 16 channels in groups of 32, (y*32 + x + 16)/32 for lanes x < 16.
  EXPECT_EQ(with_ranges((y * 8 + x + 4) / 8), "y");
  EXPECT_EQ(with_ranges((y * 8 + x + 4) % 8), "x + 4");
  EXPECT_EQ(with_ranges((y * 8 + x + 9) / 8), "y + 1");
  EXPECT_EQ(with_ranges((y * 8 + x + 9) % 8), "x + 1");
  EXPECT_EQ(with_ranges((y * 8 + x + 6) / 8), "(y*8 + x + 6)/8");  // x + 6 crosses 8
  EXPECT_EQ(with_ranges((y * 8 + z + 4) / 8), "(y*8 + z + 4)/8");  // z unbounded
  EXPECT_EQ(with_ranges(x < 4), "true");
  EXPECT_EQ(with_ranges(x + 1 > 4), "false");
  EXPECT_EQ(with_ranges(y * 4 + x < 44), "true");
  EXPECT_EQ(with_ranges(y * 4 + x < 43), "y*4 + x < 43");
  EXPECT_EQ(with_ranges(min(x, 10)), "x");
  EXPECT_EQ(with_ranges(max(x, y + 3)), "y + 3");
  // z unbounded: z + 4 may wrap (z = 2^31 - 4, x = 3 makes it false), so it stays.
  EXPECT_EQ(with_ranges(z + x < z + 4), "z + x < z + 4");
  EXPECT_EQ(with_ranges(y + x < y + 4), "true");
  // Without ranges nothing is known.
  EXPECT_EQ(simplified(x / 4), "x/4");
  EXPECT_EQ(simplified(x < 4), "x < 4");
  EXPECT_EQ(simplified(z + x < z + 4), "z + x < z + 4");
}

TEST(LoopSimplify, ReturnsTheSameNodeWhenNothingChanged) {
  Var x("x"), y("y");
  const Expr e = select(x < y, x * 4 + y, min(x, y));
  EXPECT_TRUE(simplify(e).same_as(e));
  Buffer in("in", Type::f32(), {64}), out("out", Type::f32(), {64});
  Var i("i");
  const Stmt s = For::make(i, i32(0), i32(64), ForKind::Vectorized,
                           Store::make(out, Load::make(in, i + 0) * 2.0f, i + 0));
  const Stmt once = simplify(s);
  EXPECT_FALSE(once.same_as(s));  // i + 0
  EXPECT_TRUE(simplify(once).same_as(once));
}

TEST(LoopSimplify, LoopsOfOneIterationAndEmptyLoopsGo) {
  Buffer out("out", Type::f32(), {4, 8});
  Var n("n"), co("co"), j("j");
  const Stmt body = Store::make(out, cast(Type::f32(), co + j), (n * 4 + co) * 8 + j);
  const Stmt nest = For::make(
      n, i32(0), i32(1), ForKind::Parallel,
      For::make(co, i32(0), i32(4), ForKind::Serial, For::make(j, i32(0), i32(8), ForKind::Serial, body)));
  EXPECT_EQ(print(simplify(nest)),
            "for (co, 0, 4) {\n"
            "  for (j, 0, 8) {\n"
            "    out[co*8 + j] = f32(co + j)\n"
            "  }\n"
            "}\n");
  EXPECT_TRUE(is_no_op(simplify(For::make(j, i32(0), i32(0), ForKind::Serial, body))));
  EXPECT_TRUE(is_no_op(simplify(For::make(j, i32(3), i32(-2), ForKind::Serial, body))));
  EXPECT_TRUE(is_no_op(simplify(For::make(j, i32(0), i32(8), ForKind::Serial,
                                          For::make(co, i32(0), n, ForKind::Serial, no_op())))));
}

TEST(LoopSimplify, ConditionsDecidedByLoopRangesGo) {
  Buffer out("out", Type::f32(), {16});
  Var i("i"), j("j");
  auto store = [&](double v) { return Store::make(out, f32(v), i * 4 + j); };
  const Stmt nest = For::make(
      i, i32(0), i32(4), ForKind::Serial,
      For::make(j, i32(0), i32(4), ForKind::Serial,
                Block::make({IfThenElse::make(i * 4 + j < 16, store(1), store(2)),
                             IfThenElse::make(j + 1 > 4, store(3)),
                             IfThenElse::make(i < 2, store(4), no_op()),
                             Block::make(store(5), IfThenElse::make(j >= 0, no_op(), store(6)))})));
  EXPECT_EQ(print(simplify(nest)),
            "for (i, 0, 4) {\n"
            "  for (j, 0, 4) {\n"
            "    out[i*4 + j] = 1.0f\n"
            "    if (i < 2) {\n"
            "      out[i*4 + j] = 4.0f\n"
            "    }\n"
            "    out[i*4 + j] = 5.0f\n"
            "  }\n"
            "}\n");
}

TEST(LoopSimplify, AnEmptyThenCaseNegatesTheCondition) {
  Buffer out("out", Type::f32(), {4});
  Var x("x");
  const Stmt s = IfThenElse::make(x < 2, no_op(), Store::make(out, f32(1), x + 0));
  EXPECT_EQ(print(simplify(s)), "if (x >= 2) {\n  out[x] = 1.0f\n}\n");
  Buffer acc("acc", Type::f32(), {1});
  EXPECT_TRUE(is_no_op(simplify(Allocate::make(acc, MemoryScope::Register, IfThenElse::make(x < 2, no_op())))));
}

// ---- Property tests against the interpreter ---------------------------------------------

using testing::ExprGenerator;

TEST(LoopSimplify, RandomExpressionsKeepTheirValues) {
  Var x("x"), y("y"), z("z");
  ExprGenerator gen(7, {x, y, z});
  int changed = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    const Expr e = gen.integer(4);
    const Expr s = simplify(e);
    changed += !s.same_as(e);
    for (int k = 0; k < 8; ++k) {
      Interpreter interp;
      const bool extreme = k == 7;
      interp.bind(x, extreme ? 2147483647 : gen.value(-20, 20));
      interp.bind(y, extreme ? -2147483647 - 1 : gen.value(-20, 20));
      interp.bind(z, gen.value(-3, 3));
      ASSERT_EQ(interp.evaluate_int(e), interp.evaluate_int(s))
          << "before: " << e << "\nafter:  " << s;
    }
  }
  EXPECT_GT(changed, 500);  // the generator gives the rules work
}

TEST(LoopSimplify, RandomExpressionsKeepTheirValuesWithinKnownRanges) {
  Var x("x"), y("y"), z("z");
  const VarRanges ranges = {{x.node(), {0, 7}}, {y.node(), {-4, 4}}, {z.node(), {0, 100}}};
  ExprGenerator gen(11, {x, y, z});
  for (int trial = 0; trial < 1500; ++trial) {
    const Expr e = gen.integer(4);
    const Expr s = simplify(e, ranges);
    for (int k = 0; k < 8; ++k) {
      Interpreter interp;
      interp.bind(x, gen.value(0, 7));
      interp.bind(y, gen.value(-4, 4));
      interp.bind(z, gen.value(0, 100));
      ASSERT_EQ(interp.evaluate_int(e), interp.evaluate_int(s))
          << "before: " << e << "\nafter:  " << s;
    }
  }
}

TEST(LoopSimplify, RandomLoopNestsKeepTheirResults) {
  Buffer out("out", Type::f32(), {6, 5});
  Var i("i"), j("j"), free_var("p");
  ExprGenerator gen(3, {i, j, free_var});
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t ei = gen.value(0, 6), ej = gen.value(1, 5);
    std::vector<Stmt> body;
    for (int k = 0; k < 3; ++k) {
      const Stmt store = Store::make(out, cast(Type::f32(), gen.integer(3)), i * 5 + j);
      const Stmt other = Store::make(out, cast(Type::f32(), gen.integer(2)), i * 5 + j);
      const int64_t shape = gen.rng().below(3);
      body.push_back(shape == 0 ? store : IfThenElse::make(gen.condition(2), store, shape == 1 ? Stmt() : other));
    }
    const Stmt nest = For::make(
        i, i32(0), i32(ei), ForKind::Serial,
        For::make(j, i32(0), i32(ej), ForKind::Serial, Block::make(std::move(body))));
    const Stmt s = simplify(nest);
    const int64_t p = gen.value(-5, 5);
    std::vector<float> before(30, -1.0f), after(30, -1.0f);
    Interpreter a, b;
    a.bind(out, before);
    a.bind(free_var, p);
    b.bind(out, after);
    b.bind(free_var, p);
    a.run(nest);
    b.run(s);
    ASSERT_EQ(before, after) << "before:\n" << nest << "after:\n" << s;
  }
}

}  // namespace
}  // namespace nas::loop
