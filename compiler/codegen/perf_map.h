// NAS_PERF_MAP=1: after the JIT links a model's kernels, append where each of their
// functions (entries and outlined parallel bodies) lies to /tmp/perf-<pid>.map, the map
// `perf report` reads for code it finds no file for. So a profile of a run names each
// kernel (`<function>`, `<function>.parallel0`, ...) instead of bare addresses.
#pragma once

#include <string>
#include <vector>

#include "compiler/codegen/kernel_cache.h"

namespace nas::codegen {

struct LinkedKernel {
  std::string name;            // the lowered function's name
  const CachedKernel* object;  // its object and entry symbol
  const void* entry;           // where the JIT put the entry
};

// Does nothing unless NAS_PERF_MAP is set (and not "0").
void write_perf_map(const std::vector<LinkedKernel>& kernels);

}  // namespace nas::codegen
