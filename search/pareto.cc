#include "search/pareto.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "compiler/support/error.h"

namespace nas::search {
namespace {

// 0: ok and feasible, 1: ok and infeasible, 2: failed.
int feasibility_class(const TrialResult& r) {
  if (!r.ok) return 2;
  return r.violation > 0 ? 1 : 0;
}

bool pareto_dominates(const std::vector<double>& a, const std::vector<double>& b) {
  NAS_CHECK(a.size() == b.size(), "objective counts differ: {} vs {}", a.size(), b.size());
  bool strictly_better = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) strictly_better = true;
  }
  return strictly_better;
}

}  // namespace

bool constraint_dominates(const TrialResult& a, const TrialResult& b) {
  const int ca = feasibility_class(a), cb = feasibility_class(b);
  if (ca != cb) return ca < cb;
  if (ca == 2) return false;
  if (ca == 1) return a.violation < b.violation;
  return pareto_dominates(a.objectives, b.objectives);
}

std::vector<std::vector<size_t>> non_dominated_fronts(const std::vector<TrialResult>& results) {
  const size_t n = results.size();
  std::vector<std::vector<size_t>> dominated(n);  // indices each result dominates
  std::vector<size_t> domination_count(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (constraint_dominates(results[i], results[j])) {
        dominated[i].push_back(j);
        ++domination_count[j];
      } else if (constraint_dominates(results[j], results[i])) {
        dominated[j].push_back(i);
        ++domination_count[i];
      }
    }
  std::vector<std::vector<size_t>> fronts;
  std::vector<size_t> current;
  for (size_t i = 0; i < n; ++i)
    if (domination_count[i] == 0) current.push_back(i);
  while (!current.empty()) {
    std::vector<size_t> next;
    for (size_t i : current)
      for (size_t j : dominated[i])
        if (--domination_count[j] == 0) next.push_back(j);
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(current));
    current = std::move(next);
  }
  return fronts;
}

std::vector<double> crowding_distances(const std::vector<TrialResult>& results,
                                       const std::vector<size_t>& front) {
  std::vector<double> distance(front.size(), 0.0);
  std::vector<size_t> members;  // positions in `front` of results with objectives
  for (size_t p = 0; p < front.size(); ++p)
    if (results[front[p]].ok && !results[front[p]].objectives.empty()) members.push_back(p);
  if (members.empty()) return distance;
  const size_t objectives = results[front[members[0]]].objectives.size();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < objectives; ++k) {
    auto value = [&](size_t p) { return results[front[p]].objectives.at(k); };
    std::vector<size_t> order = members;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return value(a) < value(b); });
    const double span = value(order.back()) - value(order.front());
    distance[order.front()] = kInf;
    distance[order.back()] = kInf;
    if (span <= 0) continue;
    for (size_t q = 1; q + 1 < order.size(); ++q)
      distance[order[q]] += (value(order[q + 1]) - value(order[q - 1])) / span;
  }
  return distance;
}

bool ParetoRanking::better(size_t a, size_t b) const {
  if (rank[a] != rank[b]) return rank[a] < rank[b];
  if (crowding[a] != crowding[b]) return crowding[a] > crowding[b];
  return a < b;
}

ParetoRanking pareto_ranking(const std::vector<TrialResult>& results) {
  ParetoRanking ranking;
  ranking.rank.assign(results.size(), 0);
  ranking.crowding.assign(results.size(), 0.0);
  const auto fronts = non_dominated_fronts(results);
  for (size_t f = 0; f < fronts.size(); ++f) {
    const std::vector<double> crowding = crowding_distances(results, fronts[f]);
    for (size_t p = 0; p < fronts[f].size(); ++p) {
      ranking.rank[fronts[f][p]] = static_cast<int>(f);
      ranking.crowding[fronts[f][p]] = crowding[p];
    }
  }
  return ranking;
}

std::vector<size_t> crowded_order(const std::vector<TrialResult>& results) {
  const ParetoRanking ranking = pareto_ranking(results);
  std::vector<size_t> order(results.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranking.better(a, b); });
  return order;
}

std::vector<size_t> pareto_front(const std::vector<TrialResult>& results) {
  std::vector<size_t> front;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok || results[i].violation > 0) continue;
    bool dominated = false;
    for (size_t j = 0; j < results.size() && !dominated; ++j)
      dominated = j != i && results[j].ok && results[j].violation <= 0 &&
                  pareto_dominates(results[j].objectives, results[i].objectives);
    if (!dominated) front.push_back(i);
  }
  return front;
}

}  // namespace nas::search
