// A small gradient-boosted tree model (XGBoost's C API): a regressor, the surrogate of one
// metric in the search's predictor-guided strategy, or a ranker, the tuner's cost model
// (objective "rank:pairwise": rows in groups, one per workload, ordered within each).
// Deterministic: one thread, exact tree method and a fixed seed, so the same data gives the
// same predictions everywhere XGBoost is the same version. `fit` replaces any earlier
// model; save and load keep it in XGBoost's JSON model format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nas::tune {

struct XGBoostParams {
  int rounds = 50;     // boosting rounds (trees)
  int max_depth = 4;
  double learning_rate = 0.3;
  double min_child_weight = 1;
  uint64_t seed = 0;
  std::string objective = "reg:squarederror";  // or "rank:pairwise"
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
  // For a ranking objective, `groups` are the sizes of consecutive groups of rows (summing
  // to the rows), each ranked on its own; empty: one group.
  void fit(const std::vector<std::vector<double>>& features, const std::vector<double>& targets,
           const std::vector<unsigned>& groups = {});
  // One prediction per row; the model must be fitted.
  std::vector<double> predict(const std::vector<std::vector<double>>& features) const;
  bool fitted() const { return booster_ != nullptr; }
  // The fitted model to a file, and back (with the feature count it was fitted on). A
  // UserError names a file that cannot be written or read as a model.
  void save(const std::string& path) const;
  void load(const std::string& path, size_t feature_count);

 private:
  void release();

  XGBoostParams params_;
  void* booster_ = nullptr;  // BoosterHandle
  size_t feature_count_ = 0;
};

}  // namespace nas::tune
