// A finished trial: a frozen record of one evaluation, with everything needed to replay it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "evaluator/metrics.h"
#include "evaluator/train/trainer.h"

namespace nas::search {

struct TrialRecord {
  int64_t id = 0;        // position in the order candidates were asked, from 0
  int64_t batch = 0;     // the ask() batch it came from
  std::string arch;      // the space's string form of the architecture
  int64_t fidelity = 0;  // training epochs it was evaluated with
  uint64_t seed = 0;     // seed of its training run
  evaluator::EvalResult result;
  double seconds = 0;    // wall time of the evaluation
  std::string finished;  // UTC time it was committed, "2026-12-06T11:05:00Z"; empty: unknown

  // Multi-fidelity continuation (not part of the record): training starts from `start`
  // when set (the checkpoint of the same architecture at the fidelity below), and with
  // `keep_checkpoint` the trained state is left in `checkpoint`. The schedule's horizon is
  // the highest fidelity, so continuing gives the same weights as training from scratch:
  // a backend may ignore both.
  std::shared_ptr<const evaluator::TrainState> start;
  bool keep_checkpoint = false;
  std::shared_ptr<const evaluator::TrainState> checkpoint;
  // The latency its architecture measured at the lowest fidelity (not part of the record):
  // a promoted trial is not measured again, so it cannot fail on a noisy measurement.
  std::map<std::string, evaluator::LatencyResult> known_latency;
  // Early stopping (not part of the record; early_stopping.h): why training should stop
  // after an epoch, given the accuracy then and the costs measured before training, or ""
  // to go on. Empty: trained to the end. A backend may ignore it.
  std::function<std::string(int64_t epochs_done, double accuracy,
                            const evaluator::EvalResult& measured)>
      stop_early;
};

}  // namespace nas::search
