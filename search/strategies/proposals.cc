#include "search/strategies/proposals.h"

#include <vector>

namespace nas::search {
namespace {

constexpr int kRandomAttempts = 64;
constexpr double kMaxEnumeratedSpace = 1e6;

}  // namespace

bool ProposalSet::contains(const space::Architecture& arch) const {
  return hashes_.count(space_.hash(arch)) > 0;
}

bool ProposalSet::insert(const space::Architecture& arch) {
  return hashes_.insert(space_.hash(arch)).second;
}

std::optional<space::Architecture> ProposalSet::sample_unseen(SplitMix64& rng) const {
  if (exhausted()) return std::nullopt;
  for (int attempt = 0; attempt < kRandomAttempts; ++attempt) {
    space::Architecture arch = space_.sample(rng);
    if (!contains(arch)) return arch;
  }
  if (space_.size() > kMaxEnumeratedSpace) return std::nullopt;
  // Nearly exhausted: list what is left (in lexicographic order of choices) and pick one.
  std::vector<space::Architecture> unseen;
  const auto& decisions = space_.decisions();
  space::Architecture arch{std::vector<int32_t>(decisions.size(), 0)};
  while (true) {
    if (!contains(arch)) unseen.push_back(arch);
    size_t i = decisions.size();
    while (i > 0 && ++arch.choices[i - 1] == static_cast<int32_t>(decisions[i - 1].labels.size()))
      arch.choices[--i] = 0;
    if (i == 0) break;
  }
  if (unseen.empty()) return std::nullopt;
  return unseen[rng.below(unseen.size())];
}

}  // namespace nas::search
