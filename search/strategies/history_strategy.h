// The bookkeeping every strategy shares: the results told so far (in order), the set of
// architectures proposed, and the random generator of each ask.
//
// Replay: the generator of an ask is seeded from (seed, number of architectures proposed
// or told so far), and a strategy's model of the search is a function of the told results
// only. So a strategy rebuilt with the same seed, told the same results in the same order
// (in any grouping of tell calls, with or without the original asks), proposes the same
// next batch as the original.
#pragma once

#include <vector>

#include "search/strategies/proposals.h"
#include "search/strategy.h"

namespace nas::search {

class HistoryStrategy : public Strategy {
 public:
  std::vector<space::Architecture> ask(int n) final;
  void tell(const std::vector<TrialResult>& results) final;

 protected:
  HistoryStrategy(const space::SearchSpace& space, uint64_t seed, int num_objectives);

  // Appends up to n new architectures to `out` (use `take`, which refuses repeats). The
  // caller tops the batch up with random unseen architectures if fewer come back.
  virtual void propose(int n, SplitMix64& rng, std::vector<space::Architecture>& out) = 0;
  // Called once per told result, after it is appended to history().
  virtual void on_told(const TrialResult& result) {}

  // Records `arch` as proposed and appends it to `out` unless it was proposed before.
  bool take(const space::Architecture& arch, std::vector<space::Architecture>& out);
  // Up to n random unseen architectures (fewer when the space runs out).
  void take_random(int n, SplitMix64& rng, std::vector<space::Architecture>& out);
  bool proposed(const space::Architecture& arch) const { return proposals_.contains(arch); }

  const space::SearchSpace& space() const { return space_; }
  uint64_t seed() const { return seed_; }
  int num_objectives() const { return num_objectives_; }
  const std::vector<TrialResult>& history() const { return history_; }

 private:
  const space::SearchSpace& space_;
  uint64_t seed_;
  int num_objectives_;
  ProposalSet proposals_;
  std::vector<TrialResult> history_;
};

}  // namespace nas::search
