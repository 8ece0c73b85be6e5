#include "search/hardware.h"

#include <sched.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"
#include "compiler/target/target.h"

namespace nas::search {

nlohmann::json HardwareInfo::to_json() const {
  return {{"host", host}, {"triple", triple}, {"cpu", cpu}, {"features", features},
          {"threads", threads}};
}

HardwareInfo HardwareInfo::from_json(const nlohmann::json& j) {
  HardwareInfo h;
  try {
    h.host = j.at("host").get<std::string>();
    h.triple = j.at("triple").get<std::string>();
    h.cpu = j.at("cpu").get<std::string>();
    h.features = j.at("features").get<std::set<std::string>>();
    h.threads = j.at("threads").get<int>();
  } catch (const nlohmann::json::exception& e) {
    user_error("malformed hardware record {}: {}", j.dump(), e.what());
  }
  return h;
}

std::string HardwareInfo::str() const {
  const size_t dash = triple.find('-');
  return fmt::format("{}: {} {}, {} feature{}, {} thread{}", host, triple.substr(0, dash), cpu,
                     features.size(), features.size() == 1 ? "" : "s", threads,
                     threads == 1 ? "" : "s");
}

HardwareInfo this_machine() {
  const target::Target& t = target::host_target();
  HardwareInfo h;
  std::vector<char> name(256, '\0');
  h.host = gethostname(name.data(), name.size() - 1) == 0 ? std::string(name.data()) : "?";
  h.triple = t.triple;
  h.cpu = t.cpu;
  h.features = t.features;
  cpu_set_t set;
  CPU_ZERO(&set);
  h.threads = sched_getaffinity(0, sizeof(set), &set) == 0
                  ? CPU_COUNT(&set)
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return h;
}

std::optional<HardwareRequirement> HardwareRequirement::and_also(
    const HardwareRequirement& other) const {
  if (cpu && other.cpu && *cpu != *other.cpu) return std::nullopt;
  HardwareRequirement r = *this;
  if (other.cpu) r.cpu = other.cpu;
  r.cpu_features.insert(other.cpu_features.begin(), other.cpu_features.end());
  r.min_threads = std::max(min_threads, other.min_threads);
  return r;
}

std::string HardwareRequirement::str() const {
  std::vector<std::string> parts;
  if (cpu) parts.push_back("cpu " + *cpu);
  if (!cpu_features.empty())
    parts.push_back(fmt::format("features [{}]", fmt::join(cpu_features, ", ")));
  if (min_threads > 0) parts.push_back(fmt::format("at least {} threads", min_threads));
  return parts.empty() ? "any machine" : fmt::format("{}", fmt::join(parts, ", "));
}

nlohmann::json HardwareRequirement::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (cpu) j["cpu"] = *cpu;
  if (!cpu_features.empty()) j["cpu_features"] = cpu_features;
  if (min_threads > 0) j["min_threads"] = min_threads;
  return j;
}

std::string why_not_matching(const HardwareRequirement& requirement,
                             const HardwareInfo& machine) {
  std::vector<std::string> reasons;
  if (requirement.cpu && *requirement.cpu != machine.cpu)
    reasons.push_back(fmt::format("its cpu is {}, not {}", machine.cpu, *requirement.cpu));
  std::vector<std::string> missing;
  for (const std::string& f : requirement.cpu_features)
    if (!machine.features.count(f)) missing.push_back(f);
  if (!missing.empty()) reasons.push_back(fmt::format("it lacks {}", fmt::join(missing, ", ")));
  if (machine.threads < requirement.min_threads)
    reasons.push_back(fmt::format("it has {} thread{}, not {}", machine.threads,
                                  machine.threads == 1 ? "" : "s", requirement.min_threads));
  return fmt::format("{}", fmt::join(reasons, "; "));
}

}  // namespace nas::search
