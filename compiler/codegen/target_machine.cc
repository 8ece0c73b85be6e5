#include "compiler/codegen/target_machine.h"

#include <mutex>

#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Triple.h>

#include "compiler/support/error.h"

namespace nas::codegen {

void initialize_llvm_targets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

std::string llvm_feature_string(const target::Target& target) {
  std::string out;
  for (const std::string& feature : target.features) {  // a std::set: a stable order
    if (!out.empty()) out += ',';
    out += '+';
    out += feature;
  }
  return out;
}

std::unique_ptr<llvm::TargetMachine> make_target_machine(const target::Target& target) {
  initialize_llvm_targets();
  const std::string triple = llvm::Triple::normalize(target.triple);
  std::string error;
  const llvm::Target* llvm_target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvm_target)
    user_error("target '{}': LLVM cannot generate code for triple '{}': {}", target.name,
               target.triple, error);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(llvm_target->createTargetMachine(
      triple, target.cpu, llvm_feature_string(target), options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  NAS_CHECK(machine != nullptr, "no TargetMachine for {}", target.str());
  return machine;
}

}  // namespace nas::codegen
