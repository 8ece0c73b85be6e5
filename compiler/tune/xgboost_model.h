// A small gradient-boosted tree regressor (XGBoost's C API), used as a surrogate of one
// metric by the predictor-guided strategy. Deterministic: one thread, exact tree method and
// a fixed seed, so the same data gives the same predictions everywhere XGBoost is the same
// version. `fit` replaces any earlier model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nas::search {

struct XGBoostParams {
  int rounds = 50;     // boosting rounds (trees)
  int max_depth = 4;
  double learning_rate = 0.3;
  double min_child_weight = 1;
  uint64_t seed = 0;
};

class XGBoostModel {
 public:
  explicit XGBoostModel(XGBoostParams params = {});
  ~XGBoostModel();
  XGBoostModel(const XGBoostModel&) = delete;
  XGBoostModel& operator=(const XGBoostModel&) = delete;
  XGBoostModel(XGBoostModel&& other) noexcept;
  XGBoostModel& operator=(XGBoostModel&& other) noexcept;

  // Rows of `features` (all the same length) and one target per row; at least one row.
  void fit(const std::vector<std::vector<double>>& features, const std::vector<double>& targets);
  // One prediction per row; the model must be fitted.
  std::vector<double> predict(const std::vector<std::vector<double>>& features) const;
  bool fitted() const { return booster_ != nullptr; }

 private:
  void release();

  XGBoostParams params_;
  void* booster_ = nullptr;  // BoosterHandle
  size_t feature_count_ = 0;
};

}  // namespace nas::search
