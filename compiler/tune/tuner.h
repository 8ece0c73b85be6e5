// The auto-tuner: for each workload of a model, schedules found by measurement, guided by an
// XGBoost cost model, recorded per target and reused by every later compile (TVM's
// AutoTVM with XGBoost, on this compiler's schedule spaces).
//
// One workload (tune()): its default schedule is measured first; then rounds of `batch`
// measurements until `trials` are made or `early_stopping` measurements in a row found
// nothing faster. A round measures the points the cost model ranks highest among a pool
// (half random points, half mutants of the four fastest measured: one or two knobs
// changed, an evolutionary step), plus a share of random points; a random search takes
// only random ones (use_model false). A round's kernels are compiled together on the
// caller's threads, then timed one by one. Points whose schedules resolve alike are
// measured once. Every measurement goes to the records at once, and the cost model is
// retrained on the latest records that passed (every workload and target: what it learnt
// elsewhere ranks the first round of a new workload: transfer) whenever they grew by a
// tenth.
//
// A workload with `trials` measurements in the records already, or that a tuner finished
// at that budget (its space ran out first), is not measured again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/lower/lower_group.h"
#include "compiler/runtime/timing.h"
#include "compiler/target/target.h"
#include "compiler/tune/records.h"
#include "compiler/tune/xgboost_model.h"

namespace nas::tune {

struct TuneOptions {
  int trials = 64;           // measurements per workload, the default schedule's included
  int batch = 8;             // measured per round
  double random_share = 0.25;  // of a round's points, drawn at random (exploration)
  int early_stopping = 32;   // stop after this many measurements with no faster one; 0: never
  bool use_model = true;     // false: random search
  // Each timed run of a candidate finds its weights and outputs out of the cores' caches
  // and its first input in them (KernelBench::measure), as in a model; off: as the run
  // before left them. The swept times are closer to a model's, but the schedules they pick
  // were no better in the model (RegNetX-400MF: 0.99x the warm-tuned ones at 1 thread,
  // 1.12x at 2; experiments/tuning/notes.md), so warm stays the default.
  bool cold_caches = false;
  uint64_t seed = 0;
  // Each candidate's time: short, and measured as is (the tuner compares schedules of one
  // kernel within seconds of each other).
  runtime::TimingProtocol protocol{.warmup = 2, .min_repeats = 5, .min_seconds = 0.02,
                                   .max_seconds = 1.0, .rounds = 3, .max_spread = 0,
                                   .calibrate = false};
};

struct WorkloadResult {
  uint64_t workload = 0;
  std::string kernel;   // the first kernel of the model with it
  std::string family;
  int64_t work = 0;     // multiply-adds (or elements)
  double default_ms = 0;
  double best_ms = 0;
  int measured = 0;     // this time (0: all from the records)
  int failed = 0;       // of those, failed (wrong output, compile error)
  int kernels = 1;      // kernels of the model with this workload
};

// A distinct workload of a model, as compile_model lowers the model with `options`.
struct ModelWorkload {
  lower::GroupStages group;
  uint64_t key = 0;     // lower::workload_key
  std::string kernel;   // the name of its first kernel
  int kernels = 1;      // kernels with it
};
std::vector<ModelWorkload> model_workloads(const graph::Graph& graph,
                                           const compiler::CompileOptions& options);

// After each measurement: the workload's result so far and its trial count.
using TuneProgress = std::function<void(const WorkloadResult& so_far, int trial, int trials)>;

class Tuner {
 public:
  Tuner(TuningRecords& records, target::Target target, TuneOptions options);
  ~Tuner();

  WorkloadResult tune(const lower::GroupStages& group, const std::string& kernel_name,
                      const TuneProgress& progress = {});

  // One measurement, as a trial makes it (checked against the reference, into the records):
  // the group's default schedule under `params`; its time, or nullopt where it failed.
  std::optional<double> measure(const lower::GroupStages& group, const std::string& kernel_name,
                                const target::ScheduleParams& params);

  // The model's distinct workloads (as compile_model lowers them with `options`), each
  // tuned in the order of its first kernel.
  std::vector<WorkloadResult> tune_model(const graph::Graph& graph,
                                         const compiler::CompileOptions& options,
                                         const TuneProgress& progress = {});

 private:
  void retrain();

  TuningRecords& records_;
  target::Target target_;
  std::string target_key_;
  TuneOptions options_;
  XGBoostModel model_;
  bool trained_ = false;
  size_t trained_rows_ = 0, measured_since_fit_ = 0;
};

}  // namespace nas::tune
