#include "evaluator/train/recipe.h"

#include "evaluator/train/lr_schedule.h"
#include "evaluator/train/optimizer.h"

namespace nas::evaluator {

TrainConfig TrainingRecipe::train_config(uint64_t seed, int threads) const {
  TrainConfig t;
  t.epochs = epochs;
  t.batch = batch;
  t.lr = lr;
  t.optimizer.kind = parse_optimizer_kind(optimizer);
  t.optimizer.momentum = momentum;
  t.optimizer.weight_decay = weight_decay;
  t.schedule = parse_lr_schedule_kind(schedule);
  t.warmup_epochs = warmup_epochs;
  t.label_smoothing = label_smoothing;
  if (augment) t.augmentation = {.crop_padding = 2, .horizontal_flip = true};
  t.time_limit_seconds = time_limit_seconds;
  t.backend = parse_train_backend(trainer);
  t.seed = seed;
  t.threads = threads;
  return t;
}

}  // namespace nas::evaluator
