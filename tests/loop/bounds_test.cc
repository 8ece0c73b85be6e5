// Interval analysis of integer expressions, and its refusal to bound what may wrap.
#include "compiler/loop/bounds.h"

#include <gtest/gtest.h>

namespace nas::loop {
namespace {

TEST(LoopBounds, RangesOfArithmetic) {
  Var x("x"), y("y"), z("z");
  const VarRanges ranges = {{x.node(), {0, 3}}, {y.node(), {-2, 5}}};
  auto b = [&](const Expr& e) { return bounds_of(e, ranges); };
  EXPECT_EQ(b(x * 8 + y), (Interval{-2, 29}));
  EXPECT_EQ(b(x - y), (Interval{-5, 5}));
  EXPECT_EQ(b(x * y), (Interval{-6, 15}));
  EXPECT_EQ(b(y / 2), (Interval{-1, 2}));
  EXPECT_EQ(b(y / -2), (Interval{-3, 1}));
  EXPECT_EQ(b(y % 4), (Interval{0, 3}));
  EXPECT_EQ(b((x + 4) % 4), (Interval{0, 3}));
  EXPECT_EQ(b((x + 8) % 16), (Interval{8, 11}));
  EXPECT_EQ(b(min(x, y)), (Interval{-2, 3}));
  EXPECT_EQ(b(max(x, 10)), (Interval{10, 10}));
  EXPECT_EQ(b(select(x < y, x, y + 10)), (Interval{0, 15}));
  EXPECT_EQ(b(x + z), Interval::everything());
  EXPECT_EQ(b(min(x, z)), (Interval{std::nullopt, 3}));
  EXPECT_EQ(b(max(z, y)), (Interval{-2, std::nullopt}));
  EXPECT_EQ(b(cast(Type::i64(), x)), (Interval{0, 3}));
  EXPECT_EQ(b(x / z), Interval::everything());
}

TEST(LoopBounds, WhatMayWrapIsUnbounded) {
  Var x("x");
  const VarRanges ranges = {{x.node(), {0, 1 << 20}}};
  EXPECT_EQ(bounds_of(x * 1024, ranges), (Interval{0, int64_t{1} << 30}));
  EXPECT_EQ(bounds_of(x * 4096, ranges), Interval::everything());  // past 2^31
  EXPECT_EQ(bounds_of(x * 4096 / 4096, ranges), Interval::everything());
  Var w("w", Type::i64());
  const VarRanges wide = {{w.node(), {0, 1 << 20}}};
  EXPECT_EQ(bounds_of(w * 4096, wide), (Interval{0, int64_t{1} << 32}));
}

}  // namespace
}  // namespace nas::loop
