#include "compiler/codegen/kernel_cache.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/target_machine.h"
#include "compiler/loop/structural.h"

namespace nas::codegen {

namespace {

struct Entry {
  uint64_t hash = 0;
  std::string target;
  loop::Stmt key;
  CachedKernel kernel;
};

class Cache {
 public:
  struct Found {
    std::optional<CachedKernel> kernel;
    bool hash_taken = false;  // by another kernel: a collision of the hash
  };
  Found find(uint64_t hash, const std::string& target, const loop::Stmt& key) {
    std::lock_guard lock(mutex_);
    Found found;
    auto [first, last] = index_.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      const Entry& e = *it->second;
      if (e.target != target) continue;
      if (loop::structural_equal(e.key, key, loop::VarMatching::AllVars)) {
        ++stats_.hits;
        found.kernel = e.kernel;
        entries_.splice(entries_.end(), entries_, it->second);  // the most recently used
        return found;
      }
      found.hash_taken = true;
    }
    ++stats_.misses;
    return found;
  }

  void add(Entry entry) {
    std::lock_guard lock(mutex_);
    auto [first, last] = index_.equal_range(entry.hash);
    for (auto it = first; it != last; ++it)
      if (it->second->target == entry.target) return;  // added meanwhile by another thread
    index_.emplace(entry.hash, entries_.insert(entries_.end(), std::move(entry)));
    evict();
  }

  void set_capacity(size_t capacity) {
    std::lock_guard lock(mutex_);
    capacity_ = capacity;
    evict();
  }

  KernelCacheStats stats() {
    std::lock_guard lock(mutex_);
    KernelCacheStats s = stats_;
    s.entries = static_cast<int64_t>(entries_.size());
    return s;
  }

 private:
  void evict() {
    while (entries_.size() > capacity_) {
      auto [from, to] = index_.equal_range(entries_.front().hash);
      for (auto it = from; it != to; ++it)
        if (it->second == entries_.begin()) {
          index_.erase(it);
          break;
        }
      entries_.pop_front();
    }
  }

  std::mutex mutex_;
  size_t capacity_ = kCachedKernels;
  std::list<Entry> entries_;  // least recently used first
  std::unordered_multimap<uint64_t, std::list<Entry>::iterator> index_;
  KernelCacheStats stats_;
};

Cache& cache() {
  static Cache instance;
  return instance;
}

}  // namespace

std::vector<CachedKernel> cached_kernel_objects(const std::vector<loop::LoweredFunc>& funcs,
                                                const target::Target& target, int threads) {
  const std::string target_key =
      fmt::format("{} {} {}", target.triple, target.cpu, llvm_feature_string(target));
  // The distinct kernels of this call, in order of first use, and the symbols they took.
  struct Distinct {
    loop::Stmt key;
    uint64_t hash;
    std::optional<CachedKernel> cached;
    size_t compile = 0;  // else its index in to_compile
    bool cacheable = false;
  };
  std::vector<Distinct> distinct;
  std::vector<size_t> distinct_of(funcs.size());
  std::set<std::string> symbols;
  std::vector<loop::LoweredFunc> to_compile;
  for (size_t i = 0; i < funcs.size(); ++i) {
    loop::Stmt key = loop::function_key(funcs[i]);
    const uint64_t hash = loop::structural_hash(key);
    auto same = std::ranges::find_if(distinct, [&](const Distinct& d) {
      return d.hash == hash && loop::structural_equal(d.key, key, loop::VarMatching::AllVars);
    });
    if (same != distinct.end()) {
      distinct_of[i] = static_cast<size_t>(same - distinct.begin());
      continue;
    }
    distinct_of[i] = distinct.size();
    const Cache::Found found = cache().find(hash, target_key, key);
    if (found.kernel && !symbols.contains(found.kernel->symbol)) {
      symbols.insert(found.kernel->symbol);
      distinct.push_back({key, hash, found.kernel, 0, false});
      continue;
    }
    // A symbol from the hash alone, unless another kernel has the hash (in the cache or in
    // this call): then a numbered one, and no cache entry.
    std::string symbol = fmt::format("nas_kernel_{:016x}", hash);
    const bool cacheable = !found.kernel && !found.hash_taken && !symbols.contains(symbol);
    for (int n = 1; !cacheable && (n == 1 || symbols.contains(symbol)); ++n)
      symbol = fmt::format("nas_kernel_{:016x}_{}", hash, n);
    symbols.insert(symbol);
    distinct.push_back({key, hash, std::nullopt, to_compile.size(), cacheable});
    to_compile.push_back(loop::LoweredFunc{symbol, funcs[i].params, funcs[i].body});
  }

  const std::vector<std::string> objects = compile_kernel_objects(to_compile, target, threads);
  std::vector<CachedKernel> compiled(objects.size());
  for (size_t k = 0; k < objects.size(); ++k)
    compiled[k] = {to_compile[k].name, std::make_shared<const std::string>(objects[k])};
  std::vector<CachedKernel> result;
  for (size_t i = 0; i < funcs.size(); ++i) {
    const Distinct& d = distinct[distinct_of[i]];
    result.push_back(d.cached ? *d.cached : compiled[d.compile]);
  }
  for (const Distinct& d : distinct)
    if (d.cacheable) cache().add(Entry{d.hash, target_key, d.key, compiled[d.compile]});
  return result;
}

KernelCacheStats kernel_cache_stats() { return cache().stats(); }

void set_kernel_cache_capacity(size_t kernels) { cache().set_capacity(kernels); }

}  // namespace nas::codegen
