// Features of a scheduled kernel for the tuner's cost model: one fixed-length vector per
// kernel, whatever its op family or schedule, so that one model ranks the schedules of every
// workload and carries over to workloads and targets it has not seen (transfer).
//
// Three parts:
// - the workload: its work, its inputs' and outputs' bytes, against the target's caches;
// - the loop nest after lowering (unrolled and vectorized loops are gone by then): loops by
//   kind, their depth and parallel extent, the vector width, the code's loads (contiguous
//   vectors, gathers, scalars), stores and arithmetic counted once in the code and once per
//   execution (each times the trip count of its loops), register and local buffers, guards;
// - the schedule constants the kernel was made with (ScheduleParams' numeric fields).
// Counts and sizes enter as log2(1 + x).
#pragma once

#include <string>
#include <vector>

#include "compiler/lower/lower_group.h"
#include "compiler/target/target.h"

namespace nas::tune {

// The names of the features, in order (their count is every vector's length).
const std::vector<std::string>& feature_names();

std::vector<double> kernel_features(const lower::LoweredKernel& kernel,
                                    const target::Target& target,
                                    const target::ScheduleParams& params, int64_t work);

}  // namespace nas::tune
