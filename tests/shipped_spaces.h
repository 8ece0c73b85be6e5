// The search spaces shipped in configs/spaces/, loaded once per test binary.
#pragma once

#include <map>
#include <string>

#include "space/search_space.h"
#include "space/space_file.h"

namespace nas::testing {

// configs/spaces/<name>.yaml, e.g. shipped_space("mobilenet_28").
inline const space::SearchSpace& shipped_space(const std::string& name) {
  static std::map<std::string, space::SearchSpace> cache;
  auto it = cache.find(name);
  if (it == cache.end())
    it = cache.emplace(name, space::load_space(std::string(NAS_SOURCE_DIR) + "/configs/spaces/" +
                                               name + ".yaml"))
             .first;
  return it->second;
}

}  // namespace nas::testing
