// Target files (configs/targets/*.yaml): a map with the keys
//   name: rpi4                      # required
//   triple: aarch64-linux-gnu       # required; an architecture LLVM knows
//   cpu: cortex-a72                 # required; an LLVM CPU name
//   features: [neon, crc]           # optional; default: what LLVM knows the CPU to have
//   threads: 4                      # optional; default 1
// and, optional, what the file says of the machine over what is derived from its features
// (target.h): vector_lanes (4, 8 or 16), vector_registers, l1d_bytes, l2_bytes, l3_bytes,
// cores; and `schedule:`, a map that sets any default-schedule constant by its name
// (schedule_params.h), e.g. {min_parallel_work: 131072, conv_channel_vectors: [2]}.
#pragma once

#include <string>

#include "compiler/target/target.h"

namespace nas::target {

// Throws UserError naming file:line:column, the key and what was expected.
Target read_target_file(const std::string& path);

}  // namespace nas::target
