// The LLVM TargetMachine of a target (triple, CPU, features), for optimization, the JIT and
// object files. LLVM's targets are initialized once per process, on first use, from any
// thread. Private to codegen: LLVM types never reach public headers.
#pragma once

#include <memory>
#include <string>

#include <llvm/Target/TargetMachine.h>

#include "compiler/target/target.h"

namespace nas::codegen {

// Every LLVM target, asm printer and parser registered (once; thread-safe).
void initialize_llvm_targets();

// "+avx2,+fma,..." from the target's feature names.
std::string llvm_feature_string(const target::Target& target);

// A TargetMachine for the target at -O3, position-independent; a UserError when LLVM does
// not know the triple.
std::unique_ptr<llvm::TargetMachine> make_target_machine(const target::Target& target);

}  // namespace nas::codegen
