// Where a search's candidates are evaluated: the seam between the orchestrator (which asks
// the strategy, owns the store and tells results in ask order) and the machines that train
// and measure. The local backend runs them on this process's oneTBB workers; the MPI backend
// (search/mpi/) sends them to worker ranks. Either way one trial is evaluated by
// evaluate_trial(), so a candidate's record does not depend on where it ran.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "evaluator/data/dataset.h"
#include "evaluator/evaluate.h"
#include "search/config.h"
#include "search/trial.h"
#include "space/search_space.h"

namespace nas::search {

class EvaluationBackend {
 public:
  virtual ~EvaluationBackend() = default;
  // Evaluates every trial (fills its result and seconds), in any order, and calls `done`
  // with each as soon as it is complete, one call at a time. Returns when all are done. An
  // exception thrown by `done` stops the evaluation and propagates.
  virtual void evaluate(const std::vector<TrialRecord*>& trials,
                        const std::function<void(const TrialRecord&)>& done) = 0;
};

// The evaluator's settings for a search's candidates: the recipe (seeded by the config,
// `threads_per_worker` threads), the targets and the timing protocol. `gate`: shared by the
// evaluations running at once in this process, or null.
evaluator::EvaluationConfig evaluation_config(const ExperimentConfig& config,
                                              evaluator::MeasurementGate* gate);

// Evaluates one trial (its arch at its fidelity and seed) into its result and wall time; any
// failure, exceptions included, becomes a failed result with its reason.
void evaluate_trial(TrialRecord& trial, const space::SearchSpace& space,
                    const evaluator::DataSplits& data, const evaluator::EvaluationConfig& base);

// This process: `config.workers` candidates at once on oneTBB, each with
// `threads_per_worker` threads; latency measured while no other worker trains.
std::unique_ptr<EvaluationBackend> make_local_backend(const ExperimentConfig& config,
                                                      const space::SearchSpace& space,
                                                      const evaluator::DataSplits& data);

}  // namespace nas::search
