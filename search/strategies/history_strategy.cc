#include "search/strategies/history_strategy.h"

#include "compiler/support/error.h"

namespace nas::search {

HistoryStrategy::HistoryStrategy(const space::SearchSpace& space, uint64_t seed,
                                 int num_objectives)
    : space_(space), seed_(seed), num_objectives_(num_objectives), proposals_(space) {
  NAS_CHECK(num_objectives >= 1, "a search needs at least one objective, got {}",
            num_objectives);
}

std::vector<space::Architecture> HistoryStrategy::ask(int n) {
  std::vector<space::Architecture> out;
  if (n <= 0 || proposals_.exhausted()) return out;
  SplitMix64 rng(counter_hash({seed_, static_cast<uint64_t>(proposals_.size())}));
  propose(n, rng, out);
  NAS_CHECK(static_cast<int>(out.size()) <= n, "{} proposed {} of {}", name(), out.size(), n);
  take_random(n - static_cast<int>(out.size()), rng, out);
  return out;
}

void HistoryStrategy::tell(const std::vector<TrialResult>& results) {
  for (const TrialResult& result : results) {
    space_.check(result.arch);
    NAS_CHECK(!result.ok || static_cast<int>(result.objectives.size()) == num_objectives_,
              "result has {} objectives, the search {}", result.objectives.size(),
              num_objectives_);
    proposals_.insert(result.arch);
    history_.push_back(result);
    on_told(history_.back());
  }
}

bool HistoryStrategy::take(const space::Architecture& arch,
                           std::vector<space::Architecture>& out) {
  if (!proposals_.insert(arch)) return false;
  out.push_back(arch);
  return true;
}

void HistoryStrategy::take_random(int n, SplitMix64& rng, std::vector<space::Architecture>& out) {
  for (int i = 0; i < n; ++i) {
    const auto arch = proposals_.sample_unseen(rng);
    if (!arch) return;
    take(*arch, out);
  }
}

}  // namespace nas::search
