// Per-kernel compilation: each loop IR function becomes a module of its own, with its own
// LLVMContext and TargetMachine, built, optimized (O3) and, for the JIT, compiled to an ELF
// object on a oneTBB task of its own. A kernel shares nothing with the others (its body is an
// internal function of its module, its closures too), so one module per kernel loses no
// optimization, and what a kernel compiles to depends on its function alone: the same bytes
// at any thread count. Private to codegen: the public interface is codegen.h.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compiler/loop/function.h"
#include "compiler/target/target.h"

namespace nas::codegen {

// Runs body(i) for i in [0, count) on `threads` oneTBB threads (0: the current arena's; at
// most the machine's), and waits; the first exception a call throws is rethrown here.
void for_each_kernel(size_t count, int threads, const std::function<void(size_t)>& body);

// One optimized module per function, as bitcode, in the order of `funcs`. (The objects, one
// per function, are codegen.h's compile_kernel_objects.)
std::vector<std::string> optimized_bitcode(const std::vector<loop::LoweredFunc>& funcs,
                                           const target::Target& target, int threads);

}  // namespace nas::codegen
