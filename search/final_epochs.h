// The final training under a wall-time budget (final.wall_minutes): each winner's epoch is
// timed on a few steps of its compiled training step, then the budget is shared out so that
// the slowest winner does not push the whole run past its hour, and fast winners still
// train their full final.epochs.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/graph/graph.h"
#include "evaluator/data/dataset.h"
#include "evaluator/train/trainer.h"

namespace nas::search {

// Epochs for each winner, given the seconds one epoch of each takes: the cheapest first,
// each gets an equal share of what is left of `budget_seconds` (so what a cheap one leaves
// goes to the slower ones), at least 1 epoch and at most `max_epochs`. Pure.
std::vector<int64_t> share_epochs(const std::vector<double>& epoch_seconds,
                                  double budget_seconds, int64_t max_epochs);

// Seconds one epoch of `config` takes on `train`: the median of a few steps of the compiled
// (or reference) training step, times the steps in an epoch.
double time_epoch(const graph::Graph& model, const evaluator::Dataset& train,
                  evaluator::TrainConfig config);

}  // namespace nas::search
