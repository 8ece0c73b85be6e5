// Exact hypervolume against hand-computed cases and inclusion-exclusion.
#include <gtest/gtest.h>

#include "compiler/support/random.h"
#include "search/hypervolume.h"

namespace nas::search {
namespace {

TEST(Hypervolume, TwoObjectives) {
  EXPECT_DOUBLE_EQ(hypervolume({}, {4, 4}), 0);
  EXPECT_DOUBLE_EQ(hypervolume({{1, 1}}, {4, 4}), 9);
  // A staircase: 3 + 2 + 1.
  EXPECT_DOUBLE_EQ(hypervolume({{3, 1}, {1, 3}, {2, 2}}, {4, 4}), 6);
  // A dominated point, a duplicate and points on or beyond the reference add nothing.
  EXPECT_DOUBLE_EQ(hypervolume({{3, 1}, {1, 3}, {2, 2}, {3, 3}, {2, 2}, {0, 4}, {5, 0}},
                               {4, 4}),
                   6);
}

TEST(Hypervolume, ThreeAndFourObjectives) {
  EXPECT_DOUBLE_EQ(hypervolume({{1, 1, 1}}, {2, 3, 4}), 6);
  // Boxes of 4 and 2 overlapping in a unit cube.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 1}, {1, 1, 0}}, {2, 2, 2}), 5);
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0, 1}, {1, 1, 1, 0}}, {2, 2, 2, 2}), 9);
  EXPECT_DOUBLE_EQ(hypervolume({{1}, {0.5}}, {2}), 1.5);
}

// The exact volume of a union of boxes by inclusion-exclusion (small sets only).
double inclusion_exclusion(const std::vector<Point>& points, const Point& reference) {
  double total = 0;
  for (uint32_t subset = 1; subset < (1u << points.size()); ++subset) {
    double volume = 1;
    for (size_t k = 0; k < reference.size(); ++k) {
      double corner = -1e300;
      for (size_t i = 0; i < points.size(); ++i)
        if (subset >> i & 1) corner = std::max(corner, points[i][k]);
      volume *= std::max(0.0, reference[k] - corner);
    }
    total += (__builtin_popcount(subset) % 2 ? 1 : -1) * volume;
  }
  return total;
}

TEST(Hypervolume, AgreesWithInclusionExclusion) {
  SplitMix64 rng(4);
  for (int dims = 2; dims <= 4; ++dims)
    for (int trial = 0; trial < 30; ++trial) {
      std::vector<Point> points(1 + rng.below(7));
      for (Point& p : points)
        for (int k = 0; k < dims; ++k) p.push_back(static_cast<double>(rng.below(5)) / 4);
      const Point reference(dims, 1.0);
      EXPECT_NEAR(hypervolume(points, reference), inclusion_exclusion(points, reference), 1e-12)
          << dims << " objectives, trial " << trial;
    }
}

TEST(Hypervolume, Improvement) {
  const std::vector<Point> front = {{1, 3}, {3, 1}};
  EXPECT_DOUBLE_EQ(hypervolume_improvement(front, {2, 2}, {4, 4}), 1);
  EXPECT_DOUBLE_EQ(hypervolume_improvement(front, {3, 3}, {4, 4}), 0);
  EXPECT_DOUBLE_EQ(hypervolume_improvement({}, {3, 3}, {4, 4}), 1);
}

}  // namespace
}  // namespace nas::search
