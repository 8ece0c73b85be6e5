// What a machine (or an MPI rank) offers to the evaluations it runs, and what a target of a
// config may require of it. A target that requires hardware has its latency measured only
// where the requirement holds: the single-process search checks its own machine at start;
// an MPI search sends those candidates only to ranks that match (search/mpi/).
#pragma once

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace nas::search {

// The hardware of one process: the host's name, CPU (LLVM's name), features and threads.
struct HardwareInfo {
  std::string host;                // the machine's host name
  std::string triple;              // "x86_64-pc-linux-gnu"
  std::string cpu;                 // "znver4", "skylake-avx512", ...
  std::set<std::string> features;  // LLVM feature names: "avx2", "avx512f", "neon"
  int threads = 1;                 // hardware threads this process may use

  nlohmann::json to_json() const;
  // A malformed record is a UserError naming the field.
  static HardwareInfo from_json(const nlohmann::json& j);
  // "vm: x86_64 znver4, 2 threads"
  std::string str() const;
};

// The machine this process runs on (threads: those its CPU affinity allows).
HardwareInfo this_machine();

// A target's `requires:` (configs/README.md). Empty: any machine.
struct HardwareRequirement {
  std::optional<std::string> cpu;      // exactly this CPU name
  std::set<std::string> cpu_features;  // all of these features
  int min_threads = 0;                 // at least this many threads

  bool empty() const { return !cpu && cpu_features.empty() && min_threads == 0; }
  bool operator==(const HardwareRequirement&) const = default;
  // Both requirements at once; nullopt when they ask for two different CPUs.
  std::optional<HardwareRequirement> and_also(const HardwareRequirement& other) const;
  // "cpu znver4, features [avx512f], at least 4 threads"
  std::string str() const;
  nlohmann::json to_json() const;
};

// Why `machine` does not meet `requirement` ("lacks avx512f; has 2 threads, not 4"); empty
// when it does.
std::string why_not_matching(const HardwareRequirement& requirement, const HardwareInfo& machine);
inline bool matches(const HardwareRequirement& requirement, const HardwareInfo& machine) {
  return why_not_matching(requirement, machine).empty();
}

}  // namespace nas::search
