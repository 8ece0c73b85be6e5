// LLVM's O3 pipeline over a module, with the target's TargetMachine so that the vectorizers
// and the cost models see the target's vector width and instructions.
#pragma once

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

namespace nas::codegen {

void optimize_module(llvm::Module& module, llvm::TargetMachine& machine);

}  // namespace nas::codegen
