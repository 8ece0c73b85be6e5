// Target files (configs/targets/*.yaml): a map with the keys
//   name: rpi4                      # required
//   triple: aarch64-linux-gnu       # required; an architecture LLVM knows
//   cpu: cortex-a72                 # required; an LLVM CPU name
//   features: [neon, crc]           # optional; default: what LLVM knows the CPU to have
//   threads: 4                      # optional; default 1
#pragma once

#include <string>

#include "compiler/target/target.h"

namespace nas::target {

// Throws UserError naming file:line:column, the key and what was expected.
Target read_target_file(const std::string& path);

}  // namespace nas::target
