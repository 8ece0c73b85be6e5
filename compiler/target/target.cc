#include "compiler/target/target.h"

#include <algorithm>
#include <vector>

#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/AArch64TargetParser.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>
#include <llvm/TargetParser/X86TargetParser.h>

#include "compiler/support/error.h"
#include "compiler/target/target_file.h"

namespace nas::target {

namespace {

constexpr const char* kAArch64Triple = "aarch64-linux-gnu";

llvm::Triple::ArchType arch_of(const std::string& triple) {
  return llvm::Triple(llvm::Triple::normalize(triple)).getArch();
}

// Every x86 feature name LLVM's host detection can report; the host map lists them all,
// present or not. Empty on other hosts.
const std::set<std::string>& x86_feature_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    for (const auto& entry : llvm::sys::getHostCPUFeatures()) out.insert(entry.getKey().str());
    return out;
  }();
  return names;
}

std::optional<std::set<std::string>> x86_cpu_features(const std::string& cpu) {
  if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) == llvm::X86::CK_None) return std::nullopt;
  llvm::SmallVector<llvm::StringRef> direct;
  llvm::X86::getFeaturesForCPU(cpu, direct);
  llvm::StringMap<bool> implied;
  for (llvm::StringRef feature : direct) {
    implied[feature] = true;
    llvm::X86::updateImpliedFeatures(feature, true, implied);
  }
  std::set<std::string> out;
  // x87 comes with every x86_64 CPU and host detection does not report it.
  for (const auto& entry : implied)
    if (entry.getValue() && entry.getKey() != "x87") out.insert(entry.getKey().str());
  return out;
}

std::optional<std::set<std::string>> aarch64_cpu_features(const std::string& cpu) {
  const std::optional<llvm::AArch64::CpuInfo> info = llvm::AArch64::parseCpu(cpu);
  if (!info) return std::nullopt;
  std::vector<llvm::StringRef> features;
  llvm::AArch64::getExtensionFeatures(info->getImpliedExtensions(), features);
  std::set<std::string> out;
  for (llvm::StringRef f : features)
    if (f.consume_front("+")) out.insert(f.str());
  return out;
}

// Caches and cores of a machine.
struct MachineSize {
  int64_t l1d_bytes, l2_bytes, l3_bytes;
  int cores;
};

// A sysconf cache size, or `fallback` where the C library does not know it (0 or -1, as in
// many containers and on non-x86 machines).
int64_t cache_size(int name, int64_t fallback) {
  const long bytes = sysconf(name);
  return bytes > 0 ? bytes : fallback;
}

// The host's caches (glibc reads them from CPUID on x86) and the CPUs this process may run
// on; a core's usual sizes where they are unknown.
const MachineSize& host_size() {
  static const MachineSize size = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    const int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    return MachineSize{.l1d_bytes = cache_size(_SC_LEVEL1_DCACHE_SIZE, 32 << 10),
                       .l2_bytes = cache_size(_SC_LEVEL2_CACHE_SIZE, 1 << 20),
                       .l3_bytes = cache_size(_SC_LEVEL3_CACHE_SIZE, 0),
                       .cores = std::max(1, cpus)};
  }();
  return size;
}

// Machines of another architecture than the host's cannot be asked: typical sizes, guesses
// until a target file says better.
MachineSize default_size(const std::string& arch) {
  // A Cortex-A72 board (Raspberry Pi 4, configs/targets/rpi4.yaml): 32 KiB L1d per core,
  // 1 MiB L2 shared by the 4 cores, no L3.
  if (arch == "aarch64")
    return {.l1d_bytes = 32 << 10, .l2_bytes = 1 << 20, .l3_bytes = 0, .cores = 4};
  // An x86-64 desktop core (Zen 4: 32 KiB L1d, 1 MiB L2 per core, 32 MiB L3 per 8 cores).
  return {.l1d_bytes = 32 << 10, .l2_bytes = 1 << 20, .l3_bytes = 32 << 20, .cores = 8};
}

Target detect_host() {
  Target host{.name = "host",
              .triple = llvm::sys::getProcessTriple(),
              .cpu = llvm::sys::getHostCPUName().str()};
  for (const auto& entry : llvm::sys::getHostCPUFeatures())
    if (entry.getValue()) host.features.insert(entry.getKey().str());
  derive_machine_facts(host);
  return host;
}

// host-sse4, host-avx2, host-avx512: the host's triple with an x86-64 level's features.
Target host_level(const std::string& name, const std::string& level) {
  const Target& host = host_target();
  if (host.arch() != "x86_64")
    user_error("target '{}' restricts an x86_64 host to {}; this host is {} ({})", name, level,
               host.arch(), host.triple);
  Target target{.name = name, .triple = host.triple, .cpu = level,
                .features = *x86_cpu_features(level)};
  derive_machine_facts(target);
  return target;
}

Target aarch64(const std::string& name, const std::string& cpu) {
  std::optional<std::set<std::string>> features = aarch64_cpu_features(cpu);
  if (!features)
    user_error("target '{}': LLVM does not know the aarch64 CPU '{}' (e.g. generic, "
               "cortex-a53, cortex-a72, cortex-a76, neoverse-n1, apple-m1)", name, cpu);
  Target target{.name = name, .triple = kAArch64Triple, .cpu = cpu, .features = *features};
  derive_machine_facts(target);
  return target;
}

}  // namespace

std::string Target::arch() const {
  return llvm::Triple(llvm::Triple::normalize(triple)).getArchName().str();
}

std::string Target::str() const {
  return fmt::format("{} ({}, cpu {}, {} features, {} thread{})", name, triple, cpu,
                     features.size(), threads, threads == 1 ? "" : "s");
}

const Target& host_target() {
  static const Target host = detect_host();
  return host;
}

void derive_machine_facts(Target& target) {
  const std::set<std::string>& f = target.features;
  const bool aarch64 = target.arch() == "aarch64";
  target.vector_lanes = f.contains("avx512f")                      ? 16
                        : f.contains("avx2") || f.contains("avx") ? 8
                                                                  : 4;
  target.vector_registers = f.contains("avx512f") || aarch64 ? 32 : 16;
  const bool here = arch_of(target.triple) == arch_of(llvm::sys::getProcessTriple());
  const MachineSize size = here ? host_size() : default_size(target.arch());
  target.l1d_bytes = size.l1d_bytes;
  target.l2_bytes = size.l2_bytes;
  target.l3_bytes = size.l3_bytes;
  target.cores = size.cores;
  target.schedule = default_schedule_params(target.vector_registers);
}

std::optional<std::set<std::string>> cpu_features(const std::string& triple,
                                                  const std::string& cpu) {
  switch (arch_of(triple)) {
    case llvm::Triple::x86_64: return x86_cpu_features(cpu);
    case llvm::Triple::aarch64: return aarch64_cpu_features(cpu);
    default: return std::nullopt;
  }
}

bool is_known_feature(const std::string& triple, const std::string& feature) {
  switch (arch_of(triple)) {
    case llvm::Triple::x86_64:
      // Only an x86 host lists the x86 names; elsewhere they cannot be checked.
      return x86_feature_names().empty() || x86_feature_names().count(feature) != 0;
    case llvm::Triple::aarch64:
      return llvm::AArch64::targetFeatureToExtension("+" + feature).has_value();
    default: return true;
  }
}

bool is_known_triple(const std::string& triple) {
  return arch_of(triple) != llvm::Triple::UnknownArch;
}

Target parse_target(const std::string& name) {
  if (name.ends_with(".yaml") || name.ends_with(".yml")) return read_target_file(name);
  if (name == "host") return host_target();
  if (name == "host-sse4") return host_level(name, "x86-64-v2");
  if (name == "host-avx2") return host_level(name, "x86-64-v3");
  if (name == "host-avx512") return host_level(name, "x86-64-v4");
  if (name == "aarch64") return aarch64(name, "generic");
  if (name.starts_with("aarch64-")) return aarch64(name, name.substr(8));
  user_error("unknown target '{}': expected host, host-sse4, host-avx2, host-avx512, aarch64, "
             "aarch64-<cpu> (e.g. aarch64-cortex-a76) or a target file ending in .yaml "
             "(see configs/targets/)", name);
}

bool can_run_on(const Target& target, const Target& machine) {
  return why_not_runnable_on(target, machine).empty();
}

bool can_run_here(const Target& target) { return can_run_on(target, host_target()); }

std::string why_not_runnable_on(const Target& target, const Target& machine) {
  if (target.arch() != machine.arch())
    return fmt::format("target '{}' ({}) cannot run on this {} host; compile it with nas "
                       "compile and measure it on a machine of that kind",
                       target.name, target.triple, machine.arch());
  std::vector<std::string> missing;
  std::ranges::set_difference(target.features, machine.features, std::back_inserter(missing));
  if (missing.empty()) return "";
  return fmt::format("target '{}' ({}, cpu {}) needs features this host ({}) lacks: {}; "
                     "compile it with nas compile and measure it on a machine that has them",
                     target.name, target.triple, target.cpu, machine.cpu,
                     fmt::join(missing, ", "));
}

std::string why_not_runnable(const Target& target) {
  return why_not_runnable_on(target, host_target());
}

}  // namespace nas::target
