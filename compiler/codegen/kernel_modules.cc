#include "compiler/codegen/kernel_modules.h"

#include <algorithm>
#include <memory>

#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <tbb/parallel_for.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/llvm_codegen.h"
#include "compiler/codegen/optimize.h"
#include "compiler/codegen/target_machine.h"
#include "compiler/support/error.h"
#include "compiler/support/task_order.h"

namespace nas::codegen {

namespace {

// A module with what it needs; declared so that the module is destroyed before its context.
struct OptimizedModule {
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
};

// TargetMachines and contexts are not shared between threads: each kernel makes its own.
OptimizedModule optimized_module(const loop::LoweredFunc& func, const target::Target& target) {
  OptimizedModule m;
  m.machine = make_target_machine(target);
  m.context = std::make_unique<llvm::LLVMContext>();
  m.module = emit_module({func}, *m.context, *m.machine);
  optimize_module(*m.module, *m.machine);
  return m;
}

}  // namespace

void for_each_kernel(size_t count, int threads, const std::function<void(size_t)>& body) {
  // A grain of one: kernels differ in size by orders of magnitude.
  auto run = [&] {
    TaskOrder order;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, count, 1), order.task([&](const auto& range) {
      for (size_t i = range.begin(); i != range.end(); ++i) body(i);
    }));
  };
  if (threads <= 0) {
    run();
  } else {
    // More threads than the machine has would only wait for each other.
    tbb::task_arena arena(std::min(threads, tbb::info::default_concurrency()));
    arena.execute(run);
  }
}

std::vector<std::string> optimized_bitcode(const std::vector<loop::LoweredFunc>& funcs,
                                           const target::Target& target, int threads) {
  std::vector<std::string> bitcode(funcs.size());
  for_each_kernel(funcs.size(), threads, [&](size_t i) {
    OptimizedModule m = optimized_module(funcs[i], target);
    llvm::raw_string_ostream out(bitcode[i]);
    llvm::WriteBitcodeToFile(*m.module, out);
    out.flush();
  });
  return bitcode;
}

std::vector<std::string> compile_kernel_objects(const std::vector<loop::LoweredFunc>& funcs,
                                                const target::Target& target, int threads) {
  std::vector<std::string> objects(funcs.size());
  for_each_kernel(funcs.size(), threads, [&](size_t i) {
    OptimizedModule m = optimized_module(funcs[i], target);
    llvm::SmallVector<char, 0> bytes;
    llvm::raw_svector_ostream out(bytes);
    llvm::legacy::PassManager passes;
    NAS_CHECK(!m.machine->addPassesToEmitFile(passes, out, nullptr,
                                              llvm::CodeGenFileType::ObjectFile),
              "LLVM cannot emit an object file for {}", target.str());
    passes.run(*m.module);
    objects[i].assign(bytes.begin(), bytes.end());
  });
  return objects;
}

}  // namespace nas::codegen
