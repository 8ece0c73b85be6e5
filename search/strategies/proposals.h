// What a strategy has proposed so far, so that it never proposes an architecture twice, and
// a way to draw an architecture not yet proposed that still works when the space is nearly
// exhausted.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>

#include "space/search_space.h"

namespace nas::search {

class ProposalSet {
 public:
  explicit ProposalSet(const space::SearchSpace& space) : space_(space) {}

  bool contains(const space::Architecture& arch) const;
  // Records `arch`; false when it was already there.
  bool insert(const space::Architecture& arch);
  int64_t size() const { return static_cast<int64_t>(hashes_.size()); }
  bool exhausted() const { return static_cast<double>(size()) >= space_.size(); }

  // A uniformly drawn architecture not yet proposed (not recorded: call insert), or nothing
  // when the space is exhausted (or so nearly exhausted, in a space too large to enumerate,
  // that random draws keep hitting proposed ones).
  std::optional<space::Architecture> sample_unseen(SplitMix64& rng) const;

 private:
  const space::SearchSpace& space_;
  std::unordered_set<uint64_t> hashes_;  // membership only: never iterated
};

}  // namespace nas::search
