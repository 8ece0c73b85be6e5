// Code generation: loop IR functions (function.h) to LLVM IR for a target, optimized by
// LLVM's O3 pipeline with the target's TargetMachine, then either JIT-compiled here (ORC
// LLJIT) or written to an object file (for any target LLVM knows, runnable here or not).
// Each function is compiled on its own, concurrently on `threads` oneTBB threads (0: those
// of the caller's arena); the code does not depend on the thread count.
//
// What the generated code follows:
// - Every function is `extern "C" void name(void* const* args)`; its body is an internal,
//   always-inlined function taking one `noalias`, 64-byte-aligned pointer per parameter.
// - Vector expressions use LLVM vector types; a Load/Store whose index is a Ramp of stride 1
//   is one vector load/store, other vector indices gather/scatter. Vectorized and Unrolled
//   loops that reach codegen (the schedule could not rewrite them) become serial loops with
//   llvm.loop vectorize / unroll hints.
// - Parallel loops are outlined into a closure and run through nas_parallel_for
//   (compiler/codegen/parallel.h), i.e. on the oneTBB arena the caller runs in.
// - Allocate: a stack array in the entry block of the enclosing function (or outlined
//   closure); registers-scoped buffers are small and promoted to registers by LLVM. Arrays
//   over 256 KiB come from the heap (aligned_alloc / free) instead.
// - Floating point: IEEE except contraction of a * b + c into FMA and the reassociation of
//   float additions and multiplications (so that reductions vectorize); no nnan / ninf / nsz,
//   so -inf and NaN behave as in the interpreter; exp and log are vector arithmetic within
//   1 ulp of libm's (vector_math.h), not calls of libm.
// - Integer arithmetic inside a Load or Store index is assumed not to overflow (nsw).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/loop/function.h"
#include "compiler/target/target.h"

namespace nas::codegen {

using KernelEntry = void (*)(void* const* args);

// The textual LLVM IR of a module holding `funcs`, before or after optimization (for
// NAS_DUMP_IR and tests).
std::string emit_llvm_ir(const std::vector<loop::LoweredFunc>& funcs, const target::Target& target,
                         bool optimized);

// Native code for `funcs`, compiled for a target that can run here (target::can_run_here;
// otherwise a UserError saying why). Owns the code: entries are valid while it lives.
// Functions equal up to names share one entry.
class JitModule {
 public:
  static std::unique_ptr<JitModule> compile(const std::vector<loop::LoweredFunc>& funcs,
                                            const target::Target& target, int threads = 0);
  ~JitModule();
  JitModule(const JitModule&) = delete;
  JitModule& operator=(const JitModule&) = delete;

  // The entry of a function that was compiled (internal error for any other name).
  KernelEntry lookup(const std::string& name) const;
  double compile_seconds() const;  // LLVM IR generation + optimization + machine code

 private:
  JitModule();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The JIT's kernels come from a process-wide cache (kernel_cache.h): a kernel equal to one
// compiled before, up to names, for the same target is not compiled again.
struct KernelCacheStats {
  int64_t hits = 0, misses = 0;  // kernels looked up, since the process started
  int64_t entries = 0;           // kernels held now
};
KernelCacheStats kernel_cache_stats();
// At most this many kernels are kept (kCachedKernels unless set), the least recently used
// dropped first.
void set_kernel_cache_capacity(size_t kernels);

// An object file (ELF) with `funcs` for any target LLVM knows. The code calls
// nas_parallel_for where it has parallel loops; whoever links it provides that symbol.
void write_object_file(const std::vector<loop::LoweredFunc>& funcs, const target::Target& target,
                       const std::string& path, int threads = 0);

// The relocatable objects the JIT links, one per function in the order of `funcs` (for
// tests: the same bytes at any thread count).
std::vector<std::string> compile_kernel_objects(const std::vector<loop::LoweredFunc>& funcs,
                                                const target::Target& target, int threads = 0);

}  // namespace nas::codegen
