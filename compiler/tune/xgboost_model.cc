#include "compiler/tune/xgboost_model.h"

#include <string>
#include <utility>

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include "compiler/support/error.h"

namespace nas::tune {
namespace {

void check_call(int status, const char* what) {
  NAS_CHECK(status == 0, "XGBoost {} failed: {}", what, XGBGetLastError());
}

// A DMatrix owned for the duration of a call.
class Matrix {
 public:
  Matrix(const std::vector<std::vector<double>>& rows, size_t columns) {
    std::vector<float> dense;
    dense.reserve(rows.size() * columns);
    for (const auto& row : rows) {
      NAS_CHECK(row.size() == columns, "feature row has {} values, expected {}", row.size(),
                columns);
      for (double v : row) dense.push_back(static_cast<float>(v));
    }
    check_call(XGDMatrixCreateFromMat(dense.data(), rows.size(), columns, kMissing, &handle_),
               "XGDMatrixCreateFromMat");
  }
  ~Matrix() { XGDMatrixFree(handle_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  static constexpr float kMissing = -1e30f;  // never a feature value: no value is missing
  DMatrixHandle handle_ = nullptr;
};

}  // namespace

XGBoostModel::XGBoostModel(XGBoostParams params) : params_(params) {}

XGBoostModel::~XGBoostModel() { release(); }

XGBoostModel::XGBoostModel(XGBoostModel&& other) noexcept
    : params_(other.params_),
      booster_(std::exchange(other.booster_, nullptr)),
      feature_count_(other.feature_count_) {}

XGBoostModel& XGBoostModel::operator=(XGBoostModel&& other) noexcept {
  if (this != &other) {
    release();
    params_ = other.params_;
    booster_ = std::exchange(other.booster_, nullptr);
    feature_count_ = other.feature_count_;
  }
  return *this;
}

void XGBoostModel::release() {
  if (booster_) XGBoosterFree(static_cast<BoosterHandle>(booster_));
  booster_ = nullptr;
}

void XGBoostModel::fit(const std::vector<std::vector<double>>& features,
                       const std::vector<double>& targets, const std::vector<unsigned>& groups) {
  NAS_CHECK(!features.empty() && features.size() == targets.size(),
            "fit needs one target per row and at least one row ({} rows, {} targets)",
            features.size(), targets.size());
  release();
  feature_count_ = features[0].size();
  const Matrix train(features, feature_count_);
  std::vector<float> labels(targets.begin(), targets.end());
  check_call(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), labels.size()),
             "XGDMatrixSetFloatInfo");
  if (!groups.empty())
    check_call(XGDMatrixSetUIntInfo(train.get(), "group", groups.data(), groups.size()),
               "XGDMatrixSetUIntInfo");
  DMatrixHandle matrices[] = {train.get()};
  BoosterHandle booster = nullptr;
  check_call(XGBoosterCreate(matrices, 1, &booster), "XGBoosterCreate");
  booster_ = booster;
  double mean = 0;
  for (double t : targets) mean += t / static_cast<double>(targets.size());
  const std::pair<const char*, std::string> settings[] = {
      {"booster", "gbtree"},
      {"objective", params_.objective},
      {"tree_method", "exact"},
      {"nthread", "1"},
      {"verbosity", "0"},
      {"seed", std::to_string(params_.seed % (uint64_t{1} << 31))},  // XGBoost takes an int
      {"base_score", fmt::format("{}", mean)},  // boost from the mean, not from 0.5
      {"max_depth", std::to_string(params_.max_depth)},
      {"eta", fmt::format("{}", params_.learning_rate)},
      {"min_child_weight", fmt::format("{}", params_.min_child_weight)},
  };
  for (const auto& [key, value] : settings)
    check_call(XGBoosterSetParam(booster, key, value.c_str()), "XGBoosterSetParam");
  for (int round = 0; round < params_.rounds; ++round)
    check_call(XGBoosterUpdateOneIter(booster, round, train.get()), "XGBoosterUpdateOneIter");
}

void XGBoostModel::save(const std::string& path) const {
  NAS_CHECK(fitted(), "save before fit");
  if (XGBoosterSaveModel(static_cast<BoosterHandle>(booster_), path.c_str()) != 0)
    user_error("{}: cannot write the cost model: {}", path, XGBGetLastError());
}

void XGBoostModel::load(const std::string& path, size_t feature_count) {
  release();
  BoosterHandle booster = nullptr;
  check_call(XGBoosterCreate(nullptr, 0, &booster), "XGBoosterCreate");
  booster_ = booster;
  if (XGBoosterLoadModel(booster, path.c_str()) != 0) {
    const std::string why = XGBGetLastError();
    release();
    user_error("{}: not a cost model XGBoost can read: {}", path, why);
  }
  feature_count_ = feature_count;
}

std::vector<double> XGBoostModel::predict(const std::vector<std::vector<double>>& features) const {
  NAS_CHECK(fitted(), "predict before fit");
  if (features.empty()) return {};
  const Matrix data(features, feature_count_);
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* values = nullptr;
  check_call(XGBoosterPredictFromDMatrix(static_cast<BoosterHandle>(booster_), data.get(), config,
                                         &shape, &dims, &values),
             "XGBoosterPredictFromDMatrix");
  return std::vector<double>(values, values + features.size());
}

}  // namespace nas::tune
