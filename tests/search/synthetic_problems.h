// Synthetic search problems for strategy tests: discrete spaces built in code (no network
// template) and objectives evaluated instantly from the choices.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "search/strategy.h"
#include "space/search_space.h"

namespace nas::search::synthetic {

// `decisions` ordered decisions of `options` options each (values 0..options-1).
inline space::SearchSpace grid_space(int decisions, int options) {
  std::vector<space::Decision> list;
  for (int d = 0; d < decisions; ++d) {
    space::Decision decision{fmt::format("d{}", d), {}, {}, true};
    for (int o = 0; o < options; ++o) {
      decision.labels.push_back(fmt::format("{}", o));
      decision.values.push_back(o);
    }
    list.push_back(decision);
  }
  return space::SearchSpace("grid", list);
}

// Choices scaled to [0, 1].
inline std::vector<double> unit_choices(const space::SearchSpace& space,
                                        const space::Architecture& arch) {
  std::vector<double> x;
  for (size_t i = 0; i < arch.choices.size(); ++i)
    x.push_back(arch.choices[i] / double(space.decisions()[i].labels.size() - 1));
  return x;
}

// ZDT1 over the grid: f1 = x0, g = 1 + 9 mean(x1..), f2 = g (1 - sqrt(f1 / g)). The front is
// x1.. = 0 (g = 1, f2 = 1 - sqrt(f1)); every objective lies in [0, 10].
inline TrialResult zdt1(const space::SearchSpace& space, const space::Architecture& arch) {
  const std::vector<double> x = unit_choices(space, arch);
  double rest = 0;
  for (size_t i = 1; i < x.size(); ++i) rest += x[i];
  const double g = 1 + 9 * rest / double(x.size() - 1);
  return TrialResult{arch, true, {x[0], g * (1 - std::sqrt(x[0] / g))}, 0};
}

// zdt1 with a constraint that excludes half the grid (when options are even): the last
// decision must take one of its upper half of options.
inline TrialResult constrained_zdt1(const space::SearchSpace& space,
                                    const space::Architecture& arch) {
  TrialResult r = zdt1(space, arch);
  const double x_last = unit_choices(space, arch).back();
  r.violation = x_last < 0.5 ? 0.5 - x_last : 0.0;
  return r;
}

}  // namespace nas::search::synthetic
