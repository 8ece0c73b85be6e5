// The search strategy interface.
//
// Lifecycle (Optuna's sampler, made explicit): a strategy is built from the space, a seed
// and its settings; the orchestrator then repeats `ask(n)` -> evaluate -> `tell(results)`,
// telling each batch's results in the order the batch was asked. A strategy never proposes
// an architecture it proposed before. Everything it does is a pure function of the seed and
// the sequence of calls, so replaying the told results of a stored search in order rebuilds
// it exactly (that is how a killed search resumes).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/search_space.h"

namespace nas::search {

// The outcome of one evaluated candidate, as strategies see it.
struct TrialResult {
  space::Architecture arch;
  bool ok = true;                  // false: failed, diverged or timed out (worse than any ok)
  std::vector<double> objectives;  // every objective in minimisation form (e.g. -accuracy)
  double violation = 0;            // 0 when every constraint holds; larger is worse
  // false: ruled out by its costs before training (violation > 0), so the objectives that
  // training measures (accuracy) are placeholders that no model should learn from.
  bool trained = true;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // Up to n new architectures; fewer only when the space is exhausted.
  virtual std::vector<space::Architecture> ask(int n) = 0;
  virtual void tell(const std::vector<TrialResult>& results) = 0;
};

// "random", "evolution" (regularized/aging), "nsga2", "predictor"; settings are the
// strategy's section of the config (unknown keys are errors). UserError for an unknown name.
std::unique_ptr<Strategy> make_strategy(const std::string& name, const space::SearchSpace& space,
                                        uint64_t seed, const nlohmann::json& settings,
                                        int num_objectives);
// The names make_strategy knows, in the order messages list them.
const std::vector<std::string>& strategy_names();

struct ExperimentConfig;
// Builds the config's strategy over `space` and drops it: a UserError in its settings is
// raised before a search writes anything, located where the config gives them.
void check_strategy(const ExperimentConfig& config, const space::SearchSpace& space);

}  // namespace nas::search
