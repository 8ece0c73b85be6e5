// One kernel measured alone, as the tuner measures each candidate schedule: buffers of its
// parameters' shapes, inputs filled with seeded random values once, and the outputs of the
// group's naive loop nest (the oracle, itself tested against the reference kernels) kept.
// A candidate's outputs are checked against the oracle's before its time counts; its time
// is the `nas bench` protocol's median on the target's threads; with cold_caches, each run
// finds its weights and outputs out of the core's caches and its first input in them, as a
// kernel in a model does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/thread_pool.h"
#include "compiler/lower/lower_group.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/runtime/timing.h"
#include "compiler/target/target.h"

namespace nas::tune {

struct KernelMeasurement {
  bool ok = false;
  std::string error;  // why not ok: compile error, wrong output, not repeatable
  double ms = 0;      // median
  double min_ms = 0;  // the fastest run (least disturbed by other work on the machine)
  double compile_seconds = 0;
};

class KernelBench {
 public:
  // Compiles and runs the oracle. The target must run here.
  KernelBench(const lower::GroupStages& group, const target::Target& target, uint64_t seed);
  ~KernelBench();

  KernelMeasurement measure(const lower::LoweredKernel& kernel,
                            const runtime::TimingProtocol& protocol, bool cold_caches = false);
  // Each kernel's measurement as measure() makes it, in order; the kernels are compiled
  // together first, concurrently on the caller's threads (compiling is most of a
  // measurement's time), and timed one after the other.
  std::vector<KernelMeasurement> measure_all(const std::vector<lower::LoweredKernel>& kernels,
                                             const runtime::TimingProtocol& protocol,
                                             bool cold_caches = false);
  // Multiply-adds (or elements) of the kernel's stages: for GFLOP/s.
  int64_t work() const { return work_; }

 private:
  void run(void (*entry)(void* const*));
  // Checks a compiled kernel's outputs and times it (measure() after compiling).
  KernelMeasurement check_and_time(codegen::KernelEntry entry,
                                   const runtime::TimingProtocol& protocol, bool cold_caches);
  // The first parameter whose outputs differ from the oracle's, as a sentence, or nullopt.
  std::optional<std::string> compare_outputs() const;

  target::Target target_;
  std::vector<runtime::AlignedBuffer> buffers_;  // per parameter
  std::vector<void*> args_;
  std::vector<size_t> outputs_;                     // indices of the written parameters
  std::vector<std::vector<float>> expected_;        // per output, the oracle's (f32 only)
  std::unique_ptr<codegen::ThreadPool> pool_;
  runtime::AlignedBuffer sweep_;  // twice the target's L2, read to evict it
  int64_t work_ = 0;
};

}  // namespace nas::tune
