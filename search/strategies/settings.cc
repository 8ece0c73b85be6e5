#include "search/strategies/settings.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::search {

StrategySettings::StrategySettings(std::string strategy, const nlohmann::json& settings,
                                   std::vector<std::string> known)
    : strategy_(std::move(strategy)), settings_(settings) {
  if (settings_.is_null()) settings_ = nlohmann::json::object();
  if (!settings_.is_object())
    user_error("strategy '{}': settings must be a mapping of name to value (got {})", strategy_,
               settings_.dump());
  for (const auto& [key, value] : settings_.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      if (known.empty())
        user_error("strategy '{}': unknown setting '{}' (it takes no settings)", strategy_, key);
      user_error("strategy '{}': unknown setting '{}' (expected {})", strategy_, key,
                 fmt::join(known, ", "));
    }
}

int64_t StrategySettings::integer(const std::string& key, int64_t fallback, int64_t min) const {
  if (!settings_.contains(key)) return fallback;
  const nlohmann::json& value = settings_[key];
  if (!value.is_number_integer() || value.get<int64_t>() < min)
    user_error("strategy '{}': setting '{}' must be an integer >= {} (got {})", strategy_, key,
               min, value.dump());
  return value.get<int64_t>();
}

double StrategySettings::number(const std::string& key, double fallback, double min,
                                double max) const {
  if (!settings_.contains(key)) return fallback;
  const nlohmann::json& value = settings_[key];
  if (!value.is_number() || !(value.get<double>() >= min && value.get<double>() <= max))
    user_error("strategy '{}': setting '{}' must be a number in [{}, {}] (got {})", strategy_,
               key, min, max, value.dump());
  return value.get<double>();
}

}  // namespace nas::search
