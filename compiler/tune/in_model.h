// Tuned schedules checked inside the model they serve. The tuner times each kernel alone,
// its inputs and weights warm in the caches; inside a model a kernel finds its data where
// the kernels before it left them, and a schedule that wins alone can lose there (ConvNeXt's
// 14x14 dense kernels: weights larger than the L2; experiments/tuning/notes.md). The model
// compiled with the records' schedules and with the default ones run in turn, each kernel
// timed in place (CompiledModel::run_timed); a workload whose tuned kernels took longer
// there than its default ones is recorded so (TuningRecords::set_in_model), and
// TuningRecords::best_params then keeps its default schedule. The same measurement chooses
// between Winograd's algorithm and the direct convolution for each 3x3 convolution
// (choose_winograd_in_model): the transformed weights are 4x the weights (F(4x4)), and a
// model streams them from the last level cache where a kernel alone finds them warm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/graph/graph.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/tune/records.h"

namespace nas::tune {

struct InModelOptions {
  int warmup = 2;            // runs of each model first, not timed
  int runs = 15;             // timed runs of each model, alternated
  int min_runs = 5;          // made even past max_seconds
  double max_seconds = 2.0;  // of timed runs, both models together
};

struct InModelCheck {
  std::vector<InModelTiming> timings;  // of the workloads checked, in kernel order
  int runs = 0;                        // of each model
  int kept() const;                    // tuned schedules that won in the model
  int rejected() const;                // and that lost there
};

// Whether two compiled forms of a model have the same kernels (names and nodes), as
// check_in_model needs.
bool same_kernels(const runtime::CompiledModel& a, const runtime::CompiledModel& b);

// Times `defaults` and `tuned` (the same graph compiled without and with the records'
// schedules: the same kernels in the same order) and records, for each workload whose
// tuned kernels' schedules differ from the default ones and whose best schedule has no
// timing in the model yet, how its kernels' times there compare. `model` is the graph both
// were compiled from (for its inputs: seeded normal values).
InModelCheck check_in_model(const graph::Graph& model, runtime::CompiledModel& defaults,
                            runtime::CompiledModel& tuned, TuningRecords& records,
                            const InModelOptions& options = {});

struct WinogradCheck {
  // One per distinct convolution timed (those alike in a model summed), by key.
  std::vector<ConvAlgorithmTiming> timings;
  int runs = 0;                              // of each model
  int direct() const;                        // convolutions faster direct
};

// Compiles `model` with `options` (the records' choices and schedules in them) and with
// every convolution direct, times both in turn, and records for each convolution the first
// computes by Winograd's algorithm, with no choice in the records yet, its kernels' times
// both ways (TuningRecords::direct_convolutions then keeps those faster direct so).
WinogradCheck choose_winograd_in_model(const graph::Graph& model,
                                       const compiler::CompileOptions& options,
                                       TuningRecords& records, const InModelOptions& runs = {});

}  // namespace nas::tune
