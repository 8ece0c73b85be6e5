// What a compilation target is: a triple, a CPU, a feature set and a thread count. The host
// is detected; other targets are named (host-avx2, aarch64-cortex-a76, ...) or read from a
// YAML file (configs/targets/*.yaml). A target whose architecture is the host's and whose
// features are a subset of the host's runs here, so its latency is measured here; any other
// target can only be compiled here and measured on a machine of its kind.
//
// A target also carries the facts of its machine that schedules are sized by (vector lanes
// and registers, caches, cores) and the default schedules' constants (schedule_params.h):
// derive_machine_facts fills them from the features when a target is made (parse_target and
// host_target do), so code below reads them from here instead of testing feature names. A
// target file may set any of them.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "compiler/target/schedule_params.h"

namespace nas::target {

struct Target {
  std::string name;                // "host", "host-avx2", "rpi4", ...
  std::string triple;              // "x86_64-pc-linux-gnu", "aarch64-linux-gnu"
  std::string cpu;                 // LLVM CPU name: "znver4", "x86-64-v3", "cortex-a76"
  std::set<std::string> features;  // LLVM feature names, no '+': "avx2", "fma", "neon"
  int threads = 1;                 // threads its code runs with

  // ---- Facts of the machine, from derive_machine_facts (defaults: a generic SSE core) ----
  int vector_lanes = 4;            // f32 lanes of its widest vector: 16 (AVX-512), 8 (AVX, AVX2), 4
  int vector_registers = 16;       // vector registers: 32 (AVX-512, AArch64), else 16
  int64_t l1d_bytes = 32 << 10;    // L1 data cache of one core
  int64_t l2_bytes = 1 << 20;      // L2 of one core (the cluster's where it is shared)
  int64_t l3_bytes = 32 << 20;     // last-level cache, all of it (0: none)
  int cores = 1;                   // cores (hardware threads) of the machine it was built for
  ScheduleParams schedule;         // the default schedules' constants for this machine

  std::string arch() const;        // the triple's architecture: "x86_64", "aarch64"
  // "name (triple, cpu CPU, N features, T threads)"
  std::string str() const;
  bool operator==(const Target&) const = default;
};

// The machine this runs on, with every feature it has, one thread.
const Target& host_target();

// Sets the machine facts of `target` from its triple and features: vector lanes and
// registers from the features; caches and cores detected on the host for a target of the
// host's architecture (a host-* level runs here), else the architecture's documented
// defaults (target.cc); the schedule constants for its vector registers. Call it again after
// changing a target's triple or features by hand.
void derive_machine_facts(Target& target);

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
