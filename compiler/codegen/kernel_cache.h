// A process-wide cache of compiled kernels. Candidates of one search space share many kernels
// (the same op on the same shapes, with other weights: weights are parameters, not code), so
// a search that compiles its candidates in one process compiles each such kernel once.
//
// A kernel's key is its loop IR up to names (structural.h, VarMatching::AllVars, with the
// parameters corresponding in order) and the target's triple, CPU and features. Its object
// is compiled under a symbol made of the key's hash, not of the kernel's name, so the bytes
// are the same whichever model first needed them: the cache changes compile time, never the
// code. At most kCachedKernels entries, the least recently used dropped first. Private to
// codegen; its counts and capacity are codegen.h's kernel_cache_stats and
// set_kernel_cache_capacity.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/loop/function.h"
#include "compiler/target/target.h"

namespace nas::codegen {

// An entry (loop IR and object) takes about 0.07 MB: about 150 MB in all. A candidate of a
// shipped space brings 100-300 kernels not seen before (inference, training and tuning): at
// 512 a search compiled a fifth of its kernels again after their eviction.
inline constexpr size_t kCachedKernels = 2048;

struct CachedKernel {
  std::string symbol;                         // what the object defines
  std::shared_ptr<const std::string> object;  // relocatable ELF object
};

// Per function of `funcs`, its symbol and object: from the cache, or compiled (on `threads`
// oneTBB threads, see codegen.h) and added to it. Functions equal up to names share both.
std::vector<CachedKernel> cached_kernel_objects(const std::vector<loop::LoweredFunc>& funcs,
                                                const target::Target& target, int threads);

}  // namespace nas::codegen
