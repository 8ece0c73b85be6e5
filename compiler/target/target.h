// What a compilation target is: a triple, a CPU, a feature set and a thread count. The host
// is detected; other targets are named (host-avx2, aarch64-cortex-a76, ...) or read from a
// YAML file (configs/targets/*.yaml). A target whose architecture is the host's and whose
// features are a subset of the host's runs here, so its latency is measured here; any other
// target can only be compiled here and measured on a machine of its kind.
#pragma once

#include <optional>
#include <set>
#include <string>

namespace nas::target {

struct Target {
  std::string name;                // "host", "host-avx2", "rpi4", ...
  std::string triple;              // "x86_64-pc-linux-gnu", "aarch64-linux-gnu"
  std::string cpu;                 // LLVM CPU name: "znver4", "x86-64-v3", "cortex-a76"
  std::set<std::string> features;  // LLVM feature names, no '+': "avx2", "fma", "neon"
  int threads = 1;

  std::string arch() const;        // the triple's architecture: "x86_64", "aarch64"
  // "name (triple, cpu CPU, N features, T threads)"
  std::string str() const;
  bool operator==(const Target&) const = default;
};

// The machine this runs on, with every feature it has, one thread.
const Target& host_target();

// A target from its name or a YAML file (a path ending in .yaml or .yml):
//   host          the detected host
//   host-sse4     x86-64-v2 (SSE4.2, POPCNT) on an x86_64 host
//   host-avx2     x86-64-v3 (AVX2, FMA, BMI2)
//   host-avx512   x86-64-v4 (AVX-512 F/BW/CD/DQ/VL)
//   aarch64       aarch64-linux-gnu, generic CPU; aarch64-<cpu> with an LLVM CPU name
// Throws UserError for an unknown name or CPU, and for a bad file (naming file:line:col).
Target parse_target(const std::string& name_or_yaml_path);

// The features LLVM knows a CPU of this triple's architecture to have (for x86_64 and
// aarch64), with the features they imply; nullopt for a CPU LLVM does not know there, or
// another architecture.
std::optional<std::set<std::string>> cpu_features(const std::string& triple,
                                                  const std::string& cpu);
// Whether LLVM knows `feature` for this triple's architecture (always true for
// architectures other than x86_64 and aarch64, which are not checked).
bool is_known_feature(const std::string& triple, const std::string& feature);
// Whether LLVM knows the triple's architecture.
bool is_known_triple(const std::string& triple);

// Same architecture as `machine` and every feature of `target` among `machine`'s.
bool can_run_on(const Target& target, const Target& machine);
bool can_run_here(const Target& target);
// Why `target` cannot run on `machine` (empty when it can), e.g. "target 'rpi4'
// (aarch64-linux-gnu) cannot run on this x86_64 host; compile it with nas compile and
// measure it on a machine of that kind".
std::string why_not_runnable_on(const Target& target, const Target& machine);
std::string why_not_runnable(const Target& target);

}  // namespace nas::target
