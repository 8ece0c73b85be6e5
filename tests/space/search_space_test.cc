// SearchSpace's decisions and Architecture values (no template: see the space file tests).
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "space/search_space.h"
#include "tests/test_util.h"

namespace nas::space {
namespace {

using nas::testing::user_error_message;

SearchSpace toy() {
  return SearchSpace("toy", {{"depth", {"1", "2", "3"}, {1, 2, 3}, true},
                             {"act", {"relu", "hswish"}, {}, false},
                             {"kernel", {"3", "5", "7"}, {3, 5, 7}, true},
                             {"fixed", {"x"}, {}, false}});
}

TEST(SearchSpace, SizeAndSamplingAreDeterministic) {
  const SearchSpace s = toy();
  EXPECT_DOUBLE_EQ(s.size(), 18.0);
  SplitMix64 a(7), b(7);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const Architecture x = s.sample(a);
    EXPECT_EQ(x, s.sample(b));
    seen.insert(s.to_string(x));
  }
  EXPECT_EQ(seen.size(), 18u);  // 200 draws cover the 18 architectures
}

TEST(SearchSpace, MutationChangesAtLeastOneDecision) {
  const SearchSpace s = toy();
  SplitMix64 rng(1);
  for (int i = 0; i < 100; ++i) {
    const Architecture x = s.sample(rng);
    const Architecture y = s.mutate(x, rng, 0.0);
    int changed = 0;
    for (size_t k = 0; k < x.choices.size(); ++k) changed += x.choices[k] != y.choices[k];
    EXPECT_EQ(changed, 1);
    EXPECT_EQ(y.choices[3], 0);  // a single-option decision never changes
  }
}

TEST(SearchSpace, CrossoverTakesEachDecisionFromAParent) {
  const SearchSpace s = toy();
  SplitMix64 rng(3);
  const Architecture a{{0, 0, 0, 0}}, b{{2, 1, 2, 0}};
  for (int i = 0; i < 50; ++i) {
    const Architecture c = s.crossover(a, b, rng);
    for (size_t k = 0; k < c.choices.size(); ++k)
      EXPECT_TRUE(c.choices[k] == a.choices[k] || c.choices[k] == b.choices[k]);
  }
}

TEST(SearchSpace, StringJsonHashAndFeatures) {
  const SearchSpace s = toy();
  const Architecture a{{1, 1, 2, 0}};
  EXPECT_EQ(s.to_string(a), "2,hswish,7,x");
  EXPECT_EQ(s.parse("2,hswish,7,x"), a);
  EXPECT_EQ(s.to_json(a).dump(), R"({"act":"hswish","depth":"2","fixed":"x","kernel":"7"})");
  EXPECT_EQ(s.hash(a), s.hash(Architecture{{1, 1, 2, 0}}));
  EXPECT_NE(s.hash(a), s.hash(Architecture{{1, 1, 1, 0}}));
  // depth scaled to [0,1], act one-hot, kernel scaled, fixed one-hot.
  EXPECT_EQ(s.features(a), (std::vector<double>{0.5, 0, 1, 1, 1}));
  EXPECT_EQ(s.feature_count(), 5);
}

TEST(SearchSpace, ReportsBadArchitectures) {
  const SearchSpace s = toy();
  EXPECT_EQ(user_error_message([&] { s.parse("2,hswish,9,x"); }),
            "architecture '2,hswish,9,x': '9' is not an option of decision 'kernel' (expected "
            "one of 3, 5, 7)");
  EXPECT_EQ(user_error_message([&] { s.parse("2,hswish"); }),
            "architecture '2,hswish' has 2 choices; space 'toy' has 4 decisions");
  EXPECT_EQ(user_error_message([&] { s.check(Architecture{{0, 2, 0, 0}}); }),
            "architecture: choice 2 of decision 'act' is out of range [0, 2)");
  EXPECT_EQ(user_error_message([&] { s.decode(Architecture{{0, 0, 0, 0}}); }),
            "space 'toy' has no network template to decode architectures");
}

}  // namespace
}  // namespace nas::space
