#include "search/strategies/predictor.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_set>

#include "search/hypervolume.h"
#include "search/pareto.h"
#include "search/strategies/history_strategy.h"
#include "search/strategies/settings.h"
#include "compiler/tune/xgboost_model.h"

namespace nas::search {
namespace {

constexpr int kMutationsPerFrontMember = 8;
constexpr double kReference = 1.1;  // in objectives normalised to [0, 1] over the results

struct PredictorSettings {
  int64_t initial = 20;
  int64_t pool = 1000;
  double epsilon = 0.1;
  int64_t rounds = 50;
  int64_t max_depth = 4;
};

// What the surrogates expect of one pool member.
struct Prediction {
  Point objectives;          // normalised
  double infeasibility = 0;  // predicted probability-like score that a constraint fails
};

class PredictorStrategy final : public HistoryStrategy {
 public:
  PredictorStrategy(const space::SearchSpace& space, uint64_t seed, int num_objectives,
                    PredictorSettings settings)
      : HistoryStrategy(space, seed, num_objectives), settings_(settings) {}
  std::string name() const override { return "predictor"; }

 private:
  void propose(int n, SplitMix64& rng, std::vector<space::Architecture>& out) override {
    std::vector<size_t> usable;  // ok results: the feasibility model's training set
    size_t trained = 0;          // of which trained: those with every objective measured
    for (size_t i = 0; i < history().size(); ++i)
      if (history()[i].ok) {
        usable.push_back(i);
        trained += history()[i].trained;
      }
    if (static_cast<int64_t>(history().size()) < settings_.initial || trained < 2) return;

    std::vector<space::Architecture> pool = build_pool(rng);
    std::vector<Prediction> predictions = predict(usable, pool);
    std::vector<Point> front;
    for (size_t i : pareto_front(history())) front.push_back(normalise(history()[i].objectives));
    const Point reference(num_objectives(), kReference);

    std::vector<bool> used(pool.size(), false);
    size_t remaining = pool.size();
    while (static_cast<int>(out.size()) < n && remaining > 0) {
      size_t pick = pool.size();
      if (rng.uniform() < settings_.epsilon) {
        size_t skip = rng.below(remaining);
        for (pick = 0; used[pick] || skip-- > 0; ++pick) {}
      } else {
        pick = best_candidate(predictions, used, front, reference);
      }
      used[pick] = true;
      --remaining;
      if (predictions[pick].infeasibility < 0.5) front.push_back(predictions[pick].objectives);
      take(pool[pick], out);
    }
  }

  // Random unseen architectures and mutations of the front, each once.
  std::vector<space::Architecture> build_pool(SplitMix64& rng) const {
    std::vector<space::Architecture> pool;
    std::unordered_set<uint64_t> in_pool;  // membership only
    auto add = [&](const space::Architecture& arch) {
      if (!proposed(arch) && in_pool.insert(space().hash(arch)).second) pool.push_back(arch);
    };
    std::vector<size_t> parents = pareto_front(history());
    if (parents.empty()) {  // nothing feasible yet: the best few by constraint-domination
      parents = crowded_order(history());
      parents.resize(std::min<size_t>(parents.size(), 5));
    }
    const double rate = 1.0 / std::max<size_t>(space().decisions().size(), 1);
    for (size_t parent : parents)
      for (int m = 0; m < kMutationsPerFrontMember; ++m)
        add(space().mutate(history()[parent].arch, rng, rate));
    const auto target = pool.size() + static_cast<size_t>(settings_.pool);
    for (int64_t attempt = 0; attempt < 2 * settings_.pool && pool.size() < target; ++attempt)
      add(space().sample(rng));
    return pool;
  }

  std::vector<Prediction> predict(const std::vector<size_t>& usable,
                                  const std::vector<space::Architecture>& pool) {
    std::vector<std::vector<double>> train_features, pool_features;
    for (size_t i : usable) train_features.push_back(space().features(history()[i].arch));
    for (const auto& arch : pool) pool_features.push_back(space().features(arch));

    std::vector<Prediction> predictions(pool.size());
    auto fit_and_predict = [&](const std::vector<std::vector<double>>& features,
                               uint64_t stream, const std::vector<double>& targets) {
      tune::XGBoostModel model({.rounds = static_cast<int>(settings_.rounds),
                          .max_depth = static_cast<int>(settings_.max_depth),
                          .seed = counter_hash({seed(), stream})});
      model.fit(features, targets);
      return model.predict(pool_features);
    };
    // The objectives are learned from trained results only: one ruled out before training
    // has no accuracy. Feasibility is learned from all.
    std::vector<std::vector<double>> trained_features;
    std::vector<size_t> trained;
    for (size_t u = 0; u < usable.size(); ++u)
      if (history()[usable[u]].trained) {
        trained.push_back(usable[u]);
        trained_features.push_back(train_features[u]);
      }
    update_normalisation(trained);
    for (int k = 0; k < num_objectives(); ++k) {
      std::vector<double> targets;
      for (size_t i : trained) targets.push_back(normalise(history()[i].objectives)[k]);
      const std::vector<double> predicted = fit_and_predict(trained_features, k, targets);
      for (size_t p = 0; p < pool.size(); ++p) predictions[p].objectives.push_back(predicted[p]);
    }
    std::vector<double> infeasible;
    for (size_t i : usable) infeasible.push_back(history()[i].violation > 0 ? 1.0 : 0.0);
    if (std::any_of(infeasible.begin(), infeasible.end(), [](double v) { return v > 0; })) {
      const std::vector<double> predicted =
          fit_and_predict(train_features, num_objectives(), infeasible);
      for (size_t p = 0; p < pool.size(); ++p) predictions[p].infeasibility = predicted[p];
    }
    return predictions;
  }

  size_t best_candidate(const std::vector<Prediction>& predictions, const std::vector<bool>& used,
                        const std::vector<Point>& front, const Point& reference) const {
    const double front_volume = hypervolume(front, reference);
    // Smaller is better: (predicted infeasible, infeasibility if so, -improvement, distance).
    using Key = std::tuple<bool, double, double, double>;
    size_t best = predictions.size();
    Key best_key;
    std::vector<Point> with = front;  // the front plus one candidate
    with.emplace_back();
    for (size_t p = 0; p < predictions.size(); ++p) {
      if (used[p]) continue;
      const Prediction& candidate = predictions[p];
      const bool infeasible = candidate.infeasibility >= 0.5;
      Key key{infeasible, infeasible ? candidate.infeasibility : 0.0, 0.0, 0.0};
      if (!infeasible) {
        with.back() = candidate.objectives;
        std::get<2>(key) = front_volume - hypervolume(with, reference);
        std::get<3>(key) = distance_to_front(candidate.objectives, front);
      }
      if (best == predictions.size() || key < best_key) {
        best = p;
        best_key = key;
      }
    }
    return best;
  }

  // How far the point must move (the same amount in every objective) to leave the region
  // the front dominates: the additive epsilon indicator; <= 0 when nothing dominates it.
  static double distance_to_front(const Point& point, const std::vector<Point>& front) {
    double distance = front.empty() ? 0.0 : std::numeric_limits<double>::infinity();
    for (const Point& member : front) {
      double gap = -std::numeric_limits<double>::infinity();
      for (size_t k = 0; k < point.size(); ++k) gap = std::max(gap, point[k] - member[k]);
      distance = std::min(distance, gap);
    }
    return distance;
  }

  void update_normalisation(const std::vector<size_t>& usable) {
    low_.assign(num_objectives(), std::numeric_limits<double>::infinity());
    high_.assign(num_objectives(), -std::numeric_limits<double>::infinity());
    for (size_t i : usable)
      for (int k = 0; k < num_objectives(); ++k) {
        low_[k] = std::min(low_[k], history()[i].objectives[k]);
        high_[k] = std::max(high_[k], history()[i].objectives[k]);
      }
  }

  Point normalise(const std::vector<double>& objectives) const {
    Point out;
    for (int k = 0; k < num_objectives(); ++k) {
      const double span = high_[k] > low_[k] ? high_[k] - low_[k] : 1.0;
      out.push_back((objectives[k] - low_[k]) / span);
    }
    return out;
  }

  PredictorSettings settings_;
  std::vector<double> low_, high_;  // objective ranges over the ok results, set per ask
};

}  // namespace

std::unique_ptr<Strategy> make_predictor_strategy(const space::SearchSpace& space,
                                                  uint64_t seed, const nlohmann::json& settings,
                                                  int num_objectives) {
  const StrategySettings read("predictor", settings,
                              {"initial", "pool", "epsilon", "rounds", "max_depth"});
  PredictorSettings s;
  s.initial = read.integer("initial", s.initial, 0);
  s.pool = read.integer("pool", s.pool, 1);
  s.epsilon = read.number("epsilon", s.epsilon, 0, 1);
  s.rounds = read.integer("rounds", s.rounds, 1);
  s.max_depth = read.integer("max_depth", s.max_depth, 1);
  return std::make_unique<PredictorStrategy>(space, seed, num_objectives, s);
}

}  // namespace nas::search
