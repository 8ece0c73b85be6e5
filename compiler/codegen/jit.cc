// JitModule: the kernels' objects, compiled concurrently or found in the process's cache
// (kernel_cache.h), linked by one ORC LLJIT per JitModule; kernels equal up to names share
// one object and entry. The code's only outside symbols are nas_parallel_for (bound to this
// process's function) and libm / libc functions LLVM calls (expf, memset, ...), found in the
// process.
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/kernel_cache.h"
#include "compiler/codegen/parallel.h"
#include "compiler/codegen/perf_map.h"
#include "compiler/codegen/target_machine.h"
#include "compiler/support/error.h"

namespace nas::codegen {

namespace {

template <class T>
T take(llvm::Expected<T> value, const char* what) {
  if (!value) NAS_CHECK(false, "{}: {}", what, llvm::toString(value.takeError()));
  return std::move(*value);
}

void check(llvm::Error error, const char* what) {
  if (error) NAS_CHECK(false, "{}: {}", what, llvm::toString(std::move(error)));
}

}  // namespace

struct JitModule::Impl {
  std::vector<CachedKernel> objects;  // read by the JIT in place: declared first, freed last
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::map<std::string, KernelEntry> entries;
  double seconds = 0;
};

JitModule::JitModule() : impl_(std::make_unique<Impl>()) {}
JitModule::~JitModule() = default;

std::unique_ptr<JitModule> JitModule::compile(const std::vector<loop::LoweredFunc>& funcs,
                                              const target::Target& target, int threads) {
  if (!target::can_run_here(target)) throw UserError(target::why_not_runnable(target));
  const auto start = std::chrono::steady_clock::now();
  const std::vector<CachedKernel> kernels = cached_kernel_objects(funcs, target, threads);

  std::unique_ptr<llvm::TargetMachine> machine = make_target_machine(target);
  llvm::orc::JITTargetMachineBuilder builder(machine->getTargetTriple());
  builder.setCPU(machine->getTargetCPU().str());
  for (const std::string& feature : target.features) builder.getFeatures().AddFeature(feature);
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto result = std::unique_ptr<JitModule>(new JitModule());
  Impl& impl = *result->impl_;
  impl.jit = take(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(builder)).create(),
                  "creating the LLJIT");

  llvm::orc::JITDylib& dylib = impl.jit->getMainJITDylib();
  llvm::orc::SymbolMap runtime;
  runtime[impl.jit->mangleAndIntern("nas_parallel_for")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nas_parallel_for),
      llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
  check(dylib.define(llvm::orc::absoluteSymbols(std::move(runtime))), "defining nas_parallel_for");
  std::set<std::string> added;
  for (const CachedKernel& kernel : kernels)
    if (added.insert(kernel.symbol).second)
      check(impl.jit->addObjectFile(llvm::MemoryBuffer::getMemBuffer(*kernel.object, kernel.symbol,
                                                                     false)),
            "adding a kernel's object to the JIT");
  impl.objects = kernels;

  // Looking every entry up now links the objects here, not on first call.
  std::vector<LinkedKernel> linked;
  for (size_t i = 0; i < funcs.size(); ++i) {
    llvm::orc::ExecutorAddr address = take(impl.jit->lookup(kernels[i].symbol), "JIT lookup");
    impl.entries[funcs[i].name] = address.toPtr<KernelEntry>();
    linked.push_back({funcs[i].name, &impl.objects[i], address.toPtr<const void*>()});
  }
  write_perf_map(linked);
  impl.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

KernelEntry JitModule::lookup(const std::string& name) const {
  auto it = impl_->entries.find(name);
  NAS_CHECK(it != impl_->entries.end(), "no compiled function named {}", name);
  return it->second;
}

double JitModule::compile_seconds() const { return impl_->seconds; }

}  // namespace nas::codegen
