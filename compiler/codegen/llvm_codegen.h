// Loop IR functions (loop/function.h) to an unoptimized LLVM module for a TargetMachine,
// following the ABI and the semantics described in codegen.h and loop/expr.h. Private to
// codegen: the public interface is codegen.h.
#pragma once

#include <memory>
#include <vector>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "compiler/loop/function.h"

namespace nas::codegen {

// A module with one `extern "C" void name(void* const* args)` per function, for `machine`'s
// triple, data layout, CPU and features. IR it cannot express is an internal error.
std::unique_ptr<llvm::Module> emit_module(const std::vector<loop::LoweredFunc>& funcs,
                                          llvm::LLVMContext& context,
                                          const llvm::TargetMachine& machine);

}  // namespace nas::codegen
