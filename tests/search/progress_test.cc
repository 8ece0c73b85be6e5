// The progress line: its text, the feasible front, and the two ways of printing it.
#include <sstream>

#include <gtest/gtest.h>

#include "search/progress.h"

namespace nas::search {
namespace {

TrialResult result(std::vector<double> objectives, double violation = 0, bool ok = true) {
  return {.arch = {}, .ok = ok, .objectives = std::move(objectives), .violation = violation};
}

TEST(Progress, FormatsDurationsAndTheLine) {
  EXPECT_EQ(format_duration(44.6), "45s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_progress({.done = 12, .total = 16, .best_feasible_accuracy = 0.81234,
                             .front_size = 3, .elapsed_seconds = 72, .eta_seconds = 24}),
            "12/16 | best feasible accuracy 0.8123 | front 3 | 1m12s elapsed | ETA 24s");
  EXPECT_EQ(format_progress({.done = 0, .total = 4}),
            "0/4 | best feasible accuracy - | front 0 | 0s elapsed | ETA -");
}

TEST(Progress, FrontCountsNonDominatedFeasibleResults) {
  EXPECT_EQ(feasible_front_size({result({-0.9, 2}), result({-0.8, 1}), result({-0.7, 3}),
                                 result({-0.95, 0.5}, 0.1), result({0, 0}, 0, false)}),
            2);  // (-0.7, 3) is dominated; the infeasible and the failed do not count
}

TEST(Progress, PrintsPlainLinesOrOneLineInPlace) {
  double now = 100;
  std::ostringstream plain, terminal;
  Progress p(plain, false, 4, [&] { return now; });
  Progress t(terminal, true, 4, [&] { return now; });
  for (Progress* x : {&p, &t}) {
    x->add(result({-0.5, 10}), 0.5, false);  // from the store: no ETA from it
    x->print();
  }
  now = 110;
  for (Progress* x : {&p, &t}) {
    x->add(result({-0.75, 20}), 0.75, true);
    x->add(result({-0.875, 5}, 1.0), 0.875, true);  // infeasible: not the best
    x->print();
    x->finish();
  }
  EXPECT_EQ(plain.str(),
            "search: 1/4 | best feasible accuracy 0.5000 | front 1 | 0s elapsed | ETA -\n"
            "search: 3/4 | best feasible accuracy 0.7500 | front 2 | 10s elapsed | ETA 5s\n");
  EXPECT_EQ(terminal.str(),
            "\r1/4 | best feasible accuracy 0.5000 | front 1 | 0s elapsed | ETA -\x1b[K"
            "\r3/4 | best feasible accuracy 0.7500 | front 2 | 10s elapsed | ETA 5s\x1b[K\n");
}

}  // namespace
}  // namespace nas::search
