// A strategy's settings (its section of the experiment config), read with defaults and
// checked: unknown keys and values of the wrong kind or out of range are UserErrors naming
// the strategy and the setting.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nas::search {

class StrategySettings {
 public:
  // `known` lists every key the strategy reads, in the order error messages show them.
  // A null `settings` means all defaults.
  StrategySettings(std::string strategy, const nlohmann::json& settings,
                   std::vector<std::string> known);

  int64_t integer(const std::string& key, int64_t fallback, int64_t min) const;
  // A number in [min, max].
  double number(const std::string& key, double fallback, double min, double max) const;

 private:
  std::string strategy_;
  nlohmann::json settings_;
};

}  // namespace nas::search
