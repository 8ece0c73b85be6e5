#include "space/search_space.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::space {

SearchSpace::SearchSpace(std::string name, std::vector<Decision> decisions,
                         std::shared_ptr<const NetworkTemplate> network)
    : name_(std::move(name)), decisions_(std::move(decisions)), network_(std::move(network)) {
  for (Decision& d : decisions_) {
    if (d.labels.empty()) user_error("space '{}': decision '{}' has no options", name_, d.name);
    if (d.values.empty())
      for (size_t i = 0; i < d.labels.size(); ++i) d.values.push_back(static_cast<double>(i));
    NAS_CHECK(d.values.size() == d.labels.size(), "decision {}: {} values for {} labels", d.name,
              d.values.size(), d.labels.size());
    for (const std::string& label : d.labels)
      if (label.empty() || label.find(',') != std::string::npos)
        user_error("space '{}': decision '{}' has option '{}'; labels must be non-empty and "
                   "contain no comma",
                   name_, d.name, label);
  }
}

double SearchSpace::size() const { return std::pow(10.0, log10_size()); }

double SearchSpace::log10_size() const {
  double s = 0;
  for (const Decision& d : decisions_) s += std::log10(static_cast<double>(d.labels.size()));
  return s;
}

Architecture SearchSpace::sample(SplitMix64& rng) const {
  Architecture a;
  for (const Decision& d : decisions_) a.choices.push_back(static_cast<int32_t>(rng.below(d.labels.size())));
  return a;
}

Architecture SearchSpace::mutate(const Architecture& arch, SplitMix64& rng, double rate) const {
  check(arch);
  std::vector<size_t> mutable_decisions;
  for (size_t i = 0; i < decisions_.size(); ++i)
    if (decisions_[i].labels.size() > 1) mutable_decisions.push_back(i);
  Architecture out = arch;
  if (mutable_decisions.empty()) return out;
  auto change = [&](size_t i) {
    const uint64_t n = decisions_[i].labels.size();
    // Another option, uniformly.
    const auto other = static_cast<int32_t>(rng.below(n - 1));
    out.choices[i] = other >= arch.choices[i] ? other + 1 : other;
  };
  bool changed = false;
  for (size_t i : mutable_decisions)
    if (rng.uniform() < rate) {
      change(i);
      changed = true;
    }
  if (!changed) change(mutable_decisions[rng.below(mutable_decisions.size())]);
  return out;
}

Architecture SearchSpace::crossover(const Architecture& a, const Architecture& b,
                                    SplitMix64& rng) const {
  check(a);
  check(b);
  Architecture out = a;
  for (size_t i = 0; i < decisions_.size(); ++i)
    if (rng.below(2)) out.choices[i] = b.choices[i];
  return out;
}

std::vector<double> SearchSpace::features(const Architecture& arch) const {
  check(arch);
  std::vector<double> f;
  for (size_t i = 0; i < decisions_.size(); ++i) {
    const Decision& d = decisions_[i];
    if (d.ordered) {
      const auto [lo, hi] = std::minmax_element(d.values.begin(), d.values.end());
      f.push_back(*hi > *lo ? (d.values[arch.choices[i]] - *lo) / (*hi - *lo) : 0.0);
    } else {
      for (size_t k = 0; k < d.labels.size(); ++k) f.push_back(k == static_cast<size_t>(arch.choices[i]));
    }
  }
  return f;
}

int64_t SearchSpace::feature_count() const {
  int64_t n = 0;
  for (const Decision& d : decisions_) n += d.ordered ? 1 : static_cast<int64_t>(d.labels.size());
  return n;
}

std::string SearchSpace::to_string(const Architecture& arch) const {
  check(arch);
  std::vector<std::string> parts;
  for (size_t i = 0; i < decisions_.size(); ++i) parts.push_back(decisions_[i].labels[arch.choices[i]]);
  return fmt::format("{}", fmt::join(parts, ","));
}

Architecture SearchSpace::parse(const std::string& text) const {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.size() != decisions_.size())
    user_error("architecture '{}' has {} choices; space '{}' has {} decisions", text,
               parts.size(), name_, decisions_.size());
  Architecture a;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Decision& d = decisions_[i];
    auto it = std::find(d.labels.begin(), d.labels.end(), parts[i]);
    if (it == d.labels.end())
      user_error("architecture '{}': '{}' is not an option of decision '{}' (expected one of {})",
                 text, parts[i], d.name, fmt::join(d.labels, ", "));
    a.choices.push_back(static_cast<int32_t>(it - d.labels.begin()));
  }
  return a;
}

nlohmann::json SearchSpace::to_json(const Architecture& arch) const {
  check(arch);
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < decisions_.size(); ++i) j[decisions_[i].name] = decisions_[i].labels[arch.choices[i]];
  return j;
}

uint64_t SearchSpace::hash(const Architecture& arch) const {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t c : arch.choices)
    for (int byte = 0; byte < 4; ++byte) {
      h ^= (static_cast<uint32_t>(c) >> (8 * byte)) & 0xff;
      h *= 0x100000001b3ull;
    }
  return h;
}

void SearchSpace::check(const Architecture& arch) const {
  if (arch.choices.size() != decisions_.size())
    user_error("architecture has {} choices; space '{}' has {} decisions", arch.choices.size(),
               name_, decisions_.size());
  for (size_t i = 0; i < decisions_.size(); ++i)
    if (arch.choices[i] < 0 || arch.choices[i] >= static_cast<int32_t>(decisions_[i].labels.size()))
      user_error("architecture: choice {} of decision '{}' is out of range [0, {})",
                 arch.choices[i], decisions_[i].name, decisions_[i].labels.size());
}

graph::Graph SearchSpace::decode(const Architecture& arch, int64_t batch) const {
  check(arch);
  if (!network_) user_error("space '{}' has no network template to decode architectures", name_);
  return network_->build(*this, arch, batch);
}

const std::string& SearchSpace::label(const Architecture& arch, const std::string& decision) const {
  const int64_t i = index_of(decision);
  NAS_CHECK(i >= 0, "space {} has no decision {}", name_, decision);
  return decisions_[i].labels[arch.choices[i]];
}

int64_t SearchSpace::index_of(const std::string& decision) const {
  for (size_t i = 0; i < decisions_.size(); ++i)
    if (decisions_[i].name == decision) return static_cast<int64_t>(i);
  return -1;
}

}  // namespace nas::space
