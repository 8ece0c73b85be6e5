// The static memory plan: hand-computed chains and diamonds, and the no-overlap guarantee
// on random graphs.
#include "compiler/graph/memory_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace nas::graph {
namespace {

// f32[16] = 64 bytes = one alignment unit.
const TensorType kVec16{DType::F32, {16}};

TEST(MemoryPlan, ChainReusesTwoBuffers) {
  // x -> r1 -> r2 -> r3, 64 bytes each. Live steps: x [0,0], r1 [0,1], r2 [1,2], r3 [2,3]
  // (r3 is the output, live to the end = step 3). At most two values are live at once.
  Graph g;
  ValueId x = g.add_input("x", kVec16);
  ValueId r1 = g.add("Relu", {x});
  ValueId r2 = g.add("Relu", {r1});
  ValueId r3 = g.add("Relu", {r2});
  g.add_output(r3);
  MemoryPlan plan = plan_memory(g);
  ASSERT_EQ(plan.values.size(), 4u);
  EXPECT_EQ(plan.steps, 3);
  EXPECT_EQ(plan.find(x)->first, 0);
  EXPECT_EQ(plan.find(x)->last, 0);
  EXPECT_EQ(plan.find(r1)->first, 0);
  EXPECT_EQ(plan.find(r1)->last, 1);
  EXPECT_EQ(plan.find(r3)->first, 2);
  EXPECT_EQ(plan.find(r3)->last, 3);
  EXPECT_EQ(plan.lower_bound_bytes, 128);
  EXPECT_EQ(plan.arena_bytes, 128);
  // Ping-pong: x 0, r1 64, r2 0, r3 64.
  EXPECT_EQ(plan.find(x)->offset, 0);
  EXPECT_EQ(plan.find(r1)->offset, 64);
  EXPECT_EQ(plan.find(r2)->offset, 0);
  EXPECT_EQ(plan.find(r3)->offset, 64);
}

TEST(MemoryPlan, DiamondKeepsTheEarlierValueAlive) {
  // x -> a = relu(x) -> b = relu(a) -> c = add(b, a). Live: x [0,0], a [0,2], b [1,2],
  // c [2,3]; at step 2 a, b and c are live: 3 * 64 bytes.
  Graph g;
  ValueId x = g.add_input("x", kVec16);
  ValueId a = g.add("Relu", {x});
  ValueId b = g.add("Relu", {a});
  ValueId c = g.add("Add", {b, a});
  g.add_output(c);
  MemoryPlan plan = plan_memory(g);
  EXPECT_EQ(plan.find(a)->last, 2);
  EXPECT_EQ(plan.lower_bound_bytes, 192);
  EXPECT_EQ(plan.arena_bytes, 192);
  // x 0, a 64, b reuses x's bytes at 0, c goes above: 128.
  EXPECT_EQ(plan.find(x)->offset, 0);
  EXPECT_EQ(plan.find(a)->offset, 64);
  EXPECT_EQ(plan.find(b)->offset, 0);
  EXPECT_EQ(plan.find(c)->offset, 128);
}

TEST(MemoryPlan, AlignsSmallValuesAndSkipsConstants) {
  // x f32[2,16] (128 B) -> s = ReduceSumTo(x, [1,16]) (64 B) -> t = ReduceSumTo(s, []) (4 B,
  // aligned to 64) -> y = Mul(t, w) with w a constant f32[3] (not planned): f32[3], 12 B -> 64.
  // Live: x [0,0], s [0,1], t [1,2], y [2,3]. Peak: step 0: 128 + 64 = 192.
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 16}});
  ValueId w = g.add_constant("w", Tensor::f32({3}, {1, 2, 3}));
  ValueId s = g.add("ReduceSumTo", {x}, {{"shape", Shape{1, 16}}});
  ValueId t = g.add("ReduceSumTo", {s}, {{"shape", Shape{}}});
  ValueId y = g.add("Mul", {t, w});
  g.add_output(y);
  MemoryPlan plan = plan_memory(g);
  EXPECT_EQ(plan.find(w), nullptr);
  EXPECT_EQ(plan.values.size(), 4u);
  EXPECT_EQ(plan.find(t)->bytes, 4);
  EXPECT_EQ(plan.find(t)->aligned_bytes, 64);
  EXPECT_EQ(plan.find(y)->bytes, 12);
  EXPECT_EQ(plan.lower_bound_bytes, 192);
  // Largest first: x 0; s overlaps x: 128; t overlaps s only: the gap [0,128) -> 0;
  // y overlaps t only: above it, 64.
  EXPECT_EQ(plan.find(x)->offset, 0);
  EXPECT_EQ(plan.find(s)->offset, 128);
  EXPECT_EQ(plan.find(t)->offset, 0);
  EXPECT_EQ(plan.find(y)->offset, 64);
  EXPECT_EQ(plan.arena_bytes, 192);
}

TEST(MemoryPlan, BestFitPicksTheSmallestGap) {
  // Inputs A f32[64] (256 B), K1, B, K2 f32[32] (128 B each); the reductions are f32[1]
  // (4 B, aligned to 64).
  Graph g;
  ValueId A = g.add_input("A", {DType::F32, {64}});
  ValueId K1 = g.add_input("K1", {DType::F32, {32}});
  ValueId B = g.add_input("B", {DType::F32, {32}});
  ValueId K2 = g.add_input("K2", {DType::F32, {32}});
  ValueId ra = g.add("ReduceSumTo", {A}, {{"shape", Shape{1}}});  // step 0, live [0,2]
  ValueId rb = g.add("ReduceSumTo", {B}, {{"shape", Shape{1}}});  // step 1, live [1,2]
  ValueId s = g.add("Add", {ra, rb});                             // step 2, live [2,3]
  ValueId t = g.add("Add", {s, K1});                              // step 3, live [3,4]
  ValueId out = g.add("Add", {t, K2});                            // step 4, live [4,5]
  g.add_output(out);
  MemoryPlan plan = plan_memory(g);
  // Largest first, then earliest: A 0; K1 256; B 384; K2 512 (all live at step 0).
  // t (128 B, [3,4]) overlaps only K1 and K2: gaps [0,256) and [384,512); best fit takes
  // the 128-byte gap at 384 (first fit would take 0). out ([4,5]) overlaps t and K2: 0.
  // ra overlaps A, K1, B, K2: above them at 640. rb overlaps K1, B, K2, ra: 0. s overlaps
  // rb, K1, t, K2, ra: the gap [64,256) -> 64.
  EXPECT_EQ(plan.find(A)->offset, 0);
  EXPECT_EQ(plan.find(K1)->offset, 256);
  EXPECT_EQ(plan.find(B)->offset, 384);
  EXPECT_EQ(plan.find(K2)->offset, 512);
  EXPECT_EQ(plan.find(t)->offset, 384);
  EXPECT_EQ(plan.find(out)->offset, 0);
  EXPECT_EQ(plan.find(ra)->offset, 640);
  EXPECT_EQ(plan.find(rb)->offset, 0);
  EXPECT_EQ(plan.find(s)->offset, 64);
  // Step 0: A + K1 + B + K2 + ra = 256 + 3 * 128 + 64 = 704.
  EXPECT_EQ(plan.lower_bound_bytes, 704);
  EXPECT_EQ(plan.arena_bytes, 704);
}

TEST(MemoryPlan, UnreadValuesAndInputOutputs) {
  // An unread node output occupies its defining step only; an input that is also an output
  // lives to the end.
  Graph g;
  ValueId x = g.add_input("x", kVec16);
  ValueId dead = g.add("Relu", {x});
  ValueId y = g.add("Mul", {x, x});
  g.add_output(x);
  g.add_output(y);
  MemoryPlan plan = plan_memory(g);
  EXPECT_EQ(plan.find(dead)->first, 0);
  EXPECT_EQ(plan.find(dead)->last, 0);
  EXPECT_EQ(plan.find(x)->last, 2);
  EXPECT_EQ(plan.find(y)->last, 2);
  EXPECT_EQ(plan.lower_bound_bytes, 128);
  EXPECT_EQ(plan.arena_bytes, 128);
}

TEST(MemoryPlan, EmptyGraph) {
  Graph g;
  MemoryPlan plan = plan_memory(g);
  EXPECT_EQ(plan.arena_bytes, 0);
  EXPECT_EQ(plan.lower_bound_bytes, 0);
}

// A random graph over Add, Mul, Relu and ReduceSumTo on shapes [a|1, b|1] (broadcasting
// grows them, ReduceSumTo shrinks them), with constants, unread values and several outputs.
Graph random_graph(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int64_t a = pick(1, 40), b = pick(1, 40);
  auto random_shape = [&]() { return Shape{pick(0, 1) ? a : 1, pick(0, 1) ? b : 1}; };
  Graph g;
  std::vector<ValueId> pool;
  const int n_inputs = pick(1, 3);
  for (int i = 0; i < n_inputs; ++i) pool.push_back(g.add_input("", {DType::F32, random_shape()}));
  if (pick(0, 1)) {
    Shape s = random_shape();
    pool.push_back(g.add_constant("", Tensor(DType::F32, s)));
  }
  const int n_nodes = pick(1, 25);
  for (int n = 0; n < n_nodes; ++n) {
    // Prefer recent values so that chains form, but reach back sometimes.
    auto operand = [&]() {
      const int size = static_cast<int>(pool.size());
      return pool[pick(0, 2) ? std::max(0, size - pick(1, 3)) : pick(0, size - 1)];
    };
    switch (pick(0, 3)) {
      case 0:
        pool.push_back(g.add("Add", {operand(), operand()}));
        break;
      case 1:
        pool.push_back(g.add("Mul", {operand(), operand()}));
        break;
      case 2:
        pool.push_back(g.add("Relu", {operand()}));
        break;
      default: {
        ValueId x = operand();
        Shape target = g.type(x).shape;
        for (int64_t& d : target)
          if (pick(0, 1)) d = 1;
        pool.push_back(g.add("ReduceSumTo", {x}, {{"shape", target}}));
      }
    }
  }
  g.add_output(pool.back());
  for (ValueId v : pool)
    if (v != pool.back() && !g.is_constant(v) && pick(0, 5) == 0) g.add_output(v);
  return g;
}

TEST(MemoryPlan, RandomGraphsNeverOverlapLiveValues) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE(trial);
    Graph g = random_graph(rng);
    MemoryPlan plan = plan_memory(g);
    const auto users = g.users();
    ASSERT_EQ(plan.values.size(), g.values().size() - g.constants().size());

    for (const PlannedValue& p : plan.values) {
      EXPECT_EQ(p.offset % kArenaAlignment, 0);
      EXPECT_LE(p.offset + p.aligned_bytes, plan.arena_bytes);
      for (int32_t n : users[p.value]) {
        EXPECT_LE(p.first, n);
        EXPECT_GE(p.last, n);
      }
    }
    for (ValueId out : g.outputs()) EXPECT_EQ(plan.find(out)->last, plan.steps);

    for (size_t i = 0; i < plan.values.size(); ++i)
      for (size_t j = i + 1; j < plan.values.size(); ++j) {
        const PlannedValue& p = plan.values[i];
        const PlannedValue& q = plan.values[j];
        if (!p.overlaps_in_time(q)) continue;
        const bool disjoint =
            p.offset + p.aligned_bytes <= q.offset || q.offset + q.aligned_bytes <= p.offset;
        EXPECT_TRUE(disjoint) << "values " << p.value << " and " << q.value;
      }

    // The lower bound, recomputed step by step.
    int64_t peak = 0;
    for (int64_t t = 0; t <= plan.steps; ++t) {
      int64_t live = 0;
      for (const PlannedValue& p : plan.values)
        if (p.first <= t && t <= p.last) live += p.aligned_bytes;
      peak = std::max(peak, live);
    }
    EXPECT_EQ(plan.lower_bound_bytes, peak);
    EXPECT_GE(plan.arena_bytes, plan.lower_bound_bytes);
  }
}

}  // namespace
}  // namespace nas::graph
