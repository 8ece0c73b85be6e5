// Search spaces and architectures.
//
// A space is a list of decisions (each a finite list of options) plus a network template
// that turns one choice per decision into a compiler graph. An Architecture is a value:
// the index of the chosen option of each decision, with a compact string form
// ("2,5,relu,..." - each decision's option label, in decision order), JSON, a stable hash
// for de-duplication, mutation, crossover and a numeric feature vector for predictors.
// Everything random takes a portable generator, so the same seed gives the same
// architectures on every platform.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/graph/graph.h"
#include "compiler/support/random.h"

namespace nas::space {

struct Decision {
  std::string name;                 // e.g. "stage1.kernel"
  std::vector<std::string> labels;  // one per option, as written in the space file
  std::vector<double> values;       // numeric value of each option (its index if categorical)
  bool ordered = false;             // numeric options (integer ranges, kernel sizes)
};

struct Architecture {
  std::vector<int32_t> choices;  // option index per decision
  auto operator<=>(const Architecture&) const = default;
};

class SearchSpace;

// Builds the network of an architecture; implemented by the space file's template kinds.
class NetworkTemplate {
 public:
  virtual ~NetworkTemplate() = default;
  // A verified graph at the given batch; UserError when the choices make no valid network.
  virtual graph::Graph build(const SearchSpace& space, const Architecture& arch,
                             int64_t batch) const = 0;
};

class SearchSpace {
 public:
  SearchSpace(std::string name, std::vector<Decision> decisions,
              std::shared_ptr<const NetworkTemplate> network = nullptr);

  const std::string& name() const { return name_; }
  const std::vector<Decision>& decisions() const { return decisions_; }
  // Number of architectures (a double: spaces easily exceed 2^64) and its log10.
  double size() const;
  double log10_size() const;

  Architecture sample(SplitMix64& rng) const;
  // Changes each decision with probability `rate` to another option; at least one decision
  // changes when any has two options or more.
  Architecture mutate(const Architecture& arch, SplitMix64& rng, double rate) const;
  // Uniform crossover: each decision from either parent with probability 1/2.
  Architecture crossover(const Architecture& a, const Architecture& b, SplitMix64& rng) const;
  // Ordered decisions scaled to [0, 1]; categorical ones one-hot.
  std::vector<double> features(const Architecture& arch) const;
  int64_t feature_count() const;

  std::string to_string(const Architecture& arch) const;
  // The inverse of to_string; UserError naming the decision and the expected labels.
  Architecture parse(const std::string& text) const;
  nlohmann::json to_json(const Architecture& arch) const;  // {"decision": "label", ...}
  // FNV-1a over the choices: stable across runs and platforms.
  uint64_t hash(const Architecture& arch) const;
  // UserError unless the architecture has one valid choice per decision.
  void check(const Architecture& arch) const;

  // The architecture's network (UserError without a template or for an invalid network).
  graph::Graph decode(const Architecture& arch, int64_t batch = 1) const;
  const NetworkTemplate* network() const { return network_.get(); }
  // The option label chosen for a decision, by decision name (templates read choices so).
  const std::string& label(const Architecture& arch, const std::string& decision) const;
  int64_t index_of(const std::string& decision) const;  // -1 when absent

 private:
  std::string name_;
  std::vector<Decision> decisions_;
  std::shared_ptr<const NetworkTemplate> network_;
};

}  // namespace nas::space
