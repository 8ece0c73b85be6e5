#include "compiler/codegen/perf_map.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>

namespace nas::codegen {

namespace {

bool enabled() {
  const char* value = std::getenv("NAS_PERF_MAP");
  return value != nullptr && std::strcmp(value, "0") != 0 && *value != '\0';
}

// The lines of one kernel: every function symbol of the entry's section, placed relative
// to the entry (the JIT loads a section in one piece).
std::string lines_of(const LinkedKernel& kernel) {
  auto object = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(*kernel.object->object, kernel.object->symbol));
  if (!object) {
    llvm::consumeError(object.takeError());
    return {};
  }
  const auto* elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(object->get());
  if (elf == nullptr) return {};
  struct Function {
    std::string name;
    uint64_t offset, size;
    llvm::object::section_iterator section;
  };
  std::vector<Function> functions;
  std::optional<uint64_t> entry_offset;
  std::optional<llvm::object::section_iterator> entry_section;
  for (const llvm::object::ELFSymbolRef symbol : elf->symbols()) {
    auto type = symbol.getType();
    auto name = symbol.getName();
    auto value = symbol.getValue();
    auto section = symbol.getSection();
    if (!type || !name || !value || !section) {
      llvm::consumeError(type.takeError());
      llvm::consumeError(name.takeError());
      llvm::consumeError(value.takeError());
      llvm::consumeError(section.takeError());
      continue;
    }
    if (*type != llvm::object::SymbolRef::ST_Function) continue;
    if (*name == kernel.object->symbol) {
      entry_offset = *value;
      entry_section = *section;
    }
    functions.push_back({name->str(), *value, symbol.getSize(), *section});
  }
  if (!entry_offset) return {};
  const auto base = reinterpret_cast<uintptr_t>(kernel.entry) - *entry_offset;
  std::string lines;
  for (const Function& f : functions) {
    if (f.section != *entry_section) continue;  // placed elsewhere: unknown here
    // Outlined bodies are named after the entry's symbol: "<symbol>.parallel0".
    const std::string& symbol = kernel.object->symbol;
    const std::string label = f.name.starts_with(symbol)
                                  ? kernel.name + f.name.substr(symbol.size())
                                  : kernel.name + "/" + f.name;
    lines += fmt::format("{:x} {:x} {}\n", base + f.offset, f.size, label);
  }
  return lines;
}

}  // namespace

void write_perf_map(const std::vector<LinkedKernel>& kernels) {
  if (!enabled()) return;
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  std::ofstream map(fmt::format("/tmp/perf-{}.map", getpid()), std::ios::app);
  for (const LinkedKernel& kernel : kernels) map << lines_of(kernel);
}

}  // namespace nas::codegen
