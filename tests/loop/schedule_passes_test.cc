// The passes that lower(stages, schedule) runs after emitting the nest: partitioning,
// unrolling, vectorizing, each on a small hand-built nest.
#include <gtest/gtest.h>

#include "compiler/loop/partition.h"
#include "compiler/loop/printer.h"
#include "compiler/loop/simplify.h"
#include "compiler/loop/unroll.h"
#include "compiler/loop/vectorize.h"

namespace nas::loop {
namespace {

Expr i32(int64_t v) { return make_const(Type::i32(), v); }

TEST(LoopSchedulePasses, PartitionSplitsOffTheTailOfAGuardedLoop) {
  Buffer out("out", Type::f32(), {10});
  Var o("o"), i("i");
  const Expr x = o * i32(4) + i;
  const Stmt nest = For::make(o, i32(0), i32(3), ForKind::Serial,
                              For::make(i, i32(0), i32(4), ForKind::Serial,
                                        IfThenElse::make(x < i32(10), Store::make(out, make_const(Type::f32(), 1.0), x))));
  EXPECT_EQ(print(simplify(partition_loops(nest))),
            "for (o, 0, 2) {\n"
            "  for (i, 0, 4) {\n"
            "    out[o*4 + i] = 1.0f\n"
            "  }\n"
            "}\n"
            "for (i, 0, 2) {\n"
            "  out[i + 8] = 1.0f\n"
            "}\n");
}

TEST(LoopSchedulePasses, PartitionLeavesGuardsItCannotDecide) {
  Buffer out("out", Type::f32(), {10});
  Var o("o"), n("n");  // n: a free variable of unknown range
  const Stmt nest = For::make(o, i32(0), i32(12), ForKind::Serial,
                              IfThenElse::make(o + n < i32(10),
                                               Store::make(out, make_const(Type::f32(), 1.0), o % i32(10))));
  EXPECT_TRUE(partition_loops(nest).same_as(nest));
}

// A 3-tap window over 8 inputs with padding 1: the Select of the padding cuts the output
// loop before its interior and after it; the interior reads without clamp or select. An
// equality (a count at one position) cuts nothing, and neither does a vectorized loop.
TEST(LoopSchedulePasses, PartitionCutsAtTheBordersOfAPaddingSelect) {
  Buffer in("in", Type::f32(), {8}), out("out", Type::f32(), {8});
  Var o("o"), k("k");
  const Expr at = o + k - i32(1);
  const Expr tap = select(at >= i32(0) && at < i32(8), Load::make(in, min(max(at, i32(0)), i32(7))),
                          make_const(Type::f32(), 0.0));
  auto nest = [&](ForKind kind, const Expr& value) {
    return For::make(o, i32(0), i32(8), kind,
                     For::make(k, i32(0), i32(3), ForKind::Serial, Store::make(out, value, o)));
  };
  const std::string text = print(simplify(partition_loops(nest(ForKind::Serial, tap))));
  EXPECT_NE(text.find("for (o, 1, 6) {\n  for (k, 0, 3) {\n    out[o] = in[o + k + -1]\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("for (o,"), text.rfind("for (o,")) << text;  // borders: o = 0, o = 7
  const std::string vector = print(partition_loops(nest(ForKind::Vectorized, tap)));
  EXPECT_EQ(vector.find("for (o,"), vector.rfind("for (o,")) << vector;  // only k is cut
  const Stmt count = nest(ForKind::Serial, select(eq(o, i32(0)), make_const(Type::f32(), 2.0),
                                                  make_const(Type::f32(), 3.0)));
  EXPECT_TRUE(partition_loops(count).same_as(count));
}

TEST(LoopSchedulePasses, UnrollReplicatesTheBody) {
  Buffer out("out", Type::f32(), {3});
  Var i("i");
  const Stmt nest = For::make(i, i32(0), i32(3), ForKind::Unrolled,
                              Store::make(out, cast(Type::f32(), i * i32(2)), i));
  EXPECT_EQ(print(simplify(unroll_loops(nest))),
            "out[0] = 0.0f\n"
            "out[1] = 2.0f\n"
            "out[2] = 4.0f\n");
}

TEST(LoopSchedulePasses, VectorizeWidensContiguousAccessesAndBroadcastsInvariants) {
  Buffer in("in", Type::f32(), {32}), out("out", Type::f32(), {32});
  Var j("j"), i("i");
  const Stmt nest = For::make(
      j, i32(0), i32(4), ForKind::Serial,
      For::make(i, i32(0), i32(8), ForKind::Vectorized,
                Store::make(out, Load::make(in, j * i32(8) + i) * Load::make(in, j), j * i32(8) + i)));
  EXPECT_EQ(print(simplify(vectorize_loops(nest))),
            "for (j, 0, 4) {\n"
            "  out[ramp(j*8, 1, 8)] = in[ramp(j*8, 1, 8)]*broadcast(in[j], 8)\n"
            "}\n");
}

TEST(LoopSchedulePasses, VectorizeKeepsAHintForAnInvariantStore) {
  Buffer out("out", Type::f32(), {1});
  Var i("i");
  const Stmt nest = For::make(i, i32(0), i32(4), ForKind::Vectorized,
                              Store::make(out, Load::make(out, i32(0)) + make_const(Type::f32(), 1.0), i32(0)));
  EXPECT_TRUE(vectorize_loops(nest).same_as(nest));
}

}  // namespace
}  // namespace nas::loop
