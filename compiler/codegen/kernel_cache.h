// A process-wide cache of compiled kernels. Candidates of one search space share many kernels
// (the same op on the same shapes, with other weights: weights are parameters, not code), so
// a search that compiles its candidates in one process compiles each such kernel once.
//
// A kernel's key is its loop IR up to names (structural.h, VarMatching::AllVars, with the
// parameters corresponding in order) and the target's triple, CPU and features. Its object
// is compiled under a symbol made of the key's hash, not of the kernel's name, so the bytes
// are the same whichever model first needed them: the cache changes compile time, never the
// code. At most kCachedKernels entries, the oldest dropped first. Private to codegen; its
// counts are codegen.h's kernel_cache_stats.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/loop/function.h"
#include "compiler/target/target.h"

namespace nas::codegen {

// An entry (loop IR and object) takes about 0.1-0.2 MB: at most about 100 MB in all. Ten
// candidates of a shipped space bring 50-130 kernels not seen before.
inline constexpr size_t kCachedKernels = 512;

struct CachedKernel {
  std::string symbol;                         // what the object defines
  std::shared_ptr<const std::string> object;  // relocatable ELF object
};

// Per function of `funcs`, its symbol and object: from the cache, or compiled (on `threads`
// oneTBB threads, see codegen.h) and added to it. Functions equal up to names share both.
std::vector<CachedKernel> cached_kernel_objects(const std::vector<loop::LoweredFunc>& funcs,
                                                const target::Target& target, int threads);

}  // namespace nas::codegen
