#include "search/final_epochs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "compiler/support/error.h"

namespace nas::search {

namespace {
// Enough steps for a median past the first (slower) ones; about 3 s for the slowest
// networks of the shipped spaces at batch 128.
constexpr int64_t kTimedSteps = 16;
}  // namespace

std::vector<int64_t> share_epochs(const std::vector<double>& epoch_seconds,
                                  double budget_seconds, int64_t max_epochs) {
  NAS_CHECK(max_epochs >= 1, "max_epochs {} < 1", max_epochs);
  std::vector<size_t> order(epoch_seconds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return epoch_seconds[a] < epoch_seconds[b]; });
  std::vector<int64_t> epochs(epoch_seconds.size(), 1);
  double left = budget_seconds;
  for (size_t k = 0; k < order.size(); ++k) {
    const double seconds = epoch_seconds[order[k]];
    NAS_CHECK(seconds > 0, "epoch time {} s is not positive", seconds);
    const double share = std::max(0.0, left) / static_cast<double>(order.size() - k);
    const int64_t fit = static_cast<int64_t>(std::floor(share / seconds));
    epochs[order[k]] = std::clamp<int64_t>(fit, 1, max_epochs);
    left -= static_cast<double>(epochs[order[k]]) * seconds;
  }
  return epochs;
}

double time_epoch(const graph::Graph& model, const evaluator::Dataset& train,
                  evaluator::TrainConfig config) {
  const int64_t steps_per_epoch = train.n / config.batch;
  if (steps_per_epoch < 1)
    user_error("the training set has {} samples, fewer than one batch of {}", train.n,
               config.batch);
  std::vector<int64_t> first(std::min(steps_per_epoch, kTimedSteps) * config.batch);
  std::iota(first.begin(), first.end(), int64_t{0});
  config.epochs = 1;
  config.schedule_epochs = 0;
  config.time_limit_seconds = 0;
  const evaluator::TrainReport report =
      evaluator::train(model, evaluator::select(train, first), config,
                       evaluator::initial_state(model));
  return report.median_step_ms * 1e-3 * static_cast<double>(steps_per_epoch);
}

}  // namespace nas::search
