// The progress of a search on the terminal: done / total, the best feasible accuracy so far,
// the size of the Pareto front of feasible candidates, elapsed time and an ETA. On a
// terminal it is one line rewritten in place; otherwise (a log file, a pipe) a plain line
// per finished candidate.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "search/strategy.h"

namespace nas::search {

struct ProgressSnapshot {
  int64_t done = 0;
  int64_t total = 0;
  std::optional<double> best_feasible_accuracy;
  int64_t front_size = 0;
  double elapsed_seconds = 0;
  std::optional<double> eta_seconds;  // unknown until something was evaluated in this run
};

// "12/16 | best feasible accuracy 0.8123 | front 3 | 1m12s elapsed | ETA 24s".
std::string format_progress(const ProgressSnapshot& s);
// "45s", "3m05s", "1h02m".
std::string format_duration(double seconds);

// Non-dominated results among those ok and feasible (objectives in minimisation form).
int64_t feasible_front_size(const std::vector<TrialResult>& results);

class Progress {
 public:
  // `terminal`: rewrite one line in place. `clock` returns seconds (monotonic).
  Progress(std::ostream& out, bool terminal, int64_t total, std::function<double()> clock);

  // A finished trial: `accuracy` its accuracy if it has one; `now` true when it was evaluated
  // in this run (false for results read back from the store).
  void add(const TrialResult& result, std::optional<double> accuracy, bool now);
  void set_total(int64_t total) { total_ = total; }
  ProgressSnapshot snapshot() const;
  void print();
  // Ends the line in place (terminal only).
  void finish();

 private:
  std::ostream& out_;
  bool terminal_;
  int64_t total_;
  std::function<double()> clock_;
  double start_;
  std::vector<TrialResult> results_;
  std::optional<double> best_;
  int64_t done_now_ = 0;
  bool printed_ = false;
};

}  // namespace nas::search
