// A training recipe as a person writes it (an experiment config's `training:` and `final:`
// sections, `nas train`'s flags): names and plain numbers, turned into the trainer's config
// in one place so that a search and `nas train` train the same way.
#pragma once

#include <cstdint>
#include <string>

#include "evaluator/train/trainer.h"

namespace nas::evaluator {

struct TrainingRecipe {
  int64_t epochs = 1;
  int64_t batch = 64;
  double lr = 0.05;
  std::string optimizer = "sgd";     // sgd or adam
  double momentum = 0.9;
  double weight_decay = 0;
  std::string schedule = "constant";  // constant, cosine or step
  double warmup_epochs = 0;
  bool augment = false;              // random crop (padding 2) and horizontal flip
  double label_smoothing = 0;        // in [0, 1)
  double time_limit_seconds = 0;     // 0: no limit
  std::string trainer = "compiled";  // compiled (the compiler's step) or reference

  // The trainer's config for this recipe (seed and threads as given). An unknown optimizer
  // or schedule is a UserError.
  TrainConfig train_config(uint64_t seed, int threads) const;
};

}  // namespace nas::evaluator
