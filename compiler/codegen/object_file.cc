// write_object_file and emit_llvm_ir: the same code as the JIT's, for any target LLVM knows,
// written as an ELF object or as text. The object file is one module: the kernels' modules
// are optimized concurrently (kernel_modules.h), then linked, then compiled to machine code.
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/kernel_modules.h"
#include "compiler/codegen/llvm_codegen.h"
#include "compiler/codegen/optimize.h"
#include "compiler/codegen/target_machine.h"
#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"

namespace nas::codegen {

std::string emit_llvm_ir(const std::vector<loop::LoweredFunc>& funcs, const target::Target& target,
                         bool optimized) {
  std::unique_ptr<llvm::TargetMachine> machine = make_target_machine(target);
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = emit_module(funcs, context, *machine);
  if (optimized) optimize_module(*module, *machine);
  std::string text;
  llvm::raw_string_ostream out(text);
  module->print(out, nullptr);
  out.flush();
  return text;
}

void write_object_file(const std::vector<loop::LoweredFunc>& funcs, const target::Target& target,
                       const std::string& path, int threads) {
  const std::vector<std::string> bitcode = optimized_bitcode(funcs, target, threads);
  std::unique_ptr<llvm::TargetMachine> machine = make_target_machine(target);
  llvm::LLVMContext context;
  auto module = std::make_unique<llvm::Module>("nas", context);
  module->setTargetTriple(machine->getTargetTriple().str());
  module->setDataLayout(machine->createDataLayout());
  llvm::Linker linker(*module);
  for (size_t i = 0; i < bitcode.size(); ++i) {
    llvm::Expected<std::unique_ptr<llvm::Module>> kernel = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(bitcode[i], funcs[i].name), context);
    if (!kernel) NAS_CHECK(false, "reading back {}: {}", funcs[i].name, llvm::toString(kernel.takeError()));
    NAS_CHECK(!linker.linkInModule(std::move(*kernel)), "linking {} into the object", funcs[i].name);
  }

  llvm::SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream out(bytes);
  llvm::legacy::PassManager passes;
  NAS_CHECK(!machine->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::ObjectFile),
            "LLVM cannot emit an object file for {}", target.str());
  passes.run(*module);
  write_file_atomically(path, std::string_view(bytes.data(), bytes.size()));
}

}  // namespace nas::codegen
