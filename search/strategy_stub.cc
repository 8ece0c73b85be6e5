// TEMPORARY (branch searchrun only; drop at merge): stand-ins for make_strategy and
// space::load_space, which other branches implement, so that the orchestrator builds and its
// tests run here. Only "random" is known; no space file can be loaded.
#include <set>

#include "compiler/support/error.h"
#include "search/space_file_stub.h"
#include "search/strategy.h"

namespace nas {

namespace space {
SearchSpace load_space(const std::string& path) {
  user_error("space file '{}': space files are not supported by this build", path);
}
}  // namespace space

namespace search {
namespace {

class RandomStub : public Strategy {
 public:
  RandomStub(const space::SearchSpace& space, uint64_t seed) : space_(space), rng_(seed) {}
  std::string name() const override { return "random"; }
  std::vector<space::Architecture> ask(int n) override {
    std::vector<space::Architecture> out;
    for (int tries = 0; static_cast<int>(out.size()) < n && tries < 1000 * n; ++tries) {
      space::Architecture a = space_.sample(rng_);
      if (seen_.insert(space_.hash(a)).second) out.push_back(std::move(a));
    }
    return out;
  }
  void tell(const std::vector<TrialResult>&) override {}

 private:
  const space::SearchSpace& space_;
  SplitMix64 rng_;
  std::set<uint64_t> seen_;
};

}  // namespace

std::unique_ptr<Strategy> make_strategy(const std::string& name, const space::SearchSpace& space,
                                        uint64_t seed, const nlohmann::json& settings,
                                        int num_objectives) {
  if (name != "random") user_error("unknown strategy '{}' (expected random)", name);
  return std::make_unique<RandomStub>(space, seed);
}

}  // namespace search
}  // namespace nas
