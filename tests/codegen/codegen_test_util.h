// Helpers of the codegen tests: 64-byte-aligned copies of arrays for compiled code (the
// ABI of loop/function.h), and running a function both compiled and interpreted.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/codegen/codegen.h"
#include "compiler/loop/interpret.h"
#include "compiler/support/random.h"

namespace nas::codegen::testing {

// One aligned array per parameter, copied from and back to plain vectors.
class AlignedArrays {
 public:
  template <class T>
  explicit AlignedArrays(const std::vector<std::vector<T>>& data) {
    for (const std::vector<T>& d : data) {
      const size_t bytes = std::max<size_t>(64, (d.size() * sizeof(T) + 63) / 64 * 64);
      auto* p = static_cast<std::byte*>(std::aligned_alloc(64, bytes));
      std::memcpy(p, d.data(), d.size() * sizeof(T));
      arrays_.emplace_back(p);
      pointers_.push_back(p);
    }
  }
  void* const* args() const { return pointers_.data(); }
  template <class T>
  void copy_back(std::vector<std::vector<T>>& data) const {
    for (size_t i = 0; i < data.size(); ++i)
      std::memcpy(data[i].data(), pointers_[i], data[i].size() * sizeof(T));
  }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<std::byte, Free>> arrays_;
  std::vector<void*> pointers_;
};

inline std::vector<float> random_floats(int64_t n, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform() * 2 - 1);
  return v;
}

// Random data for every parameter (f32 buffers) of `func`.
inline std::vector<std::vector<float>> random_params(const loop::LoweredFunc& func, uint64_t seed) {
  std::vector<std::vector<float>> data;
  for (const loop::Buffer& b : func.params) data.push_back(random_floats(b.numel(), seed++));
  return data;
}

inline void run_interpreted(const loop::LoweredFunc& func, std::vector<std::vector<float>>& data) {
  loop::Interpreter interp;
  for (size_t i = 0; i < func.params.size(); ++i) interp.bind(func.params[i], data[i]);
  interp.run(func.body);
}

inline void run_compiled(KernelEntry entry, std::vector<std::vector<float>>& data) {
  AlignedArrays arrays(data);
  entry(arrays.args());
  arrays.copy_back(data);
}

// Close within a tolerance relative to the magnitude of the values (reassociated sums).
inline void expect_all_close(const std::vector<float>& actual, const std::vector<float>& expected,
                             float tolerance = 1e-5f) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "at " << i;
      continue;
    }
    EXPECT_NEAR(actual[i], expected[i], tolerance * std::max(1.0f, std::fabs(expected[i])))
        << "at " << i;
  }
}

// Runs `func` compiled for the host and interpreted on the same random data; every buffer
// must match.
inline void expect_same_as_interpreter(const loop::LoweredFunc& func, uint64_t seed,
                                       float tolerance = 1e-5f) {
  std::vector<std::vector<float>> expected = random_params(func, seed), actual = expected;
  run_interpreted(func, expected);
  auto jit = JitModule::compile({func}, target::host_target());
  run_compiled(jit->lookup(func.name), actual);
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(func.params[i].name());
    expect_all_close(actual[i], expected[i], tolerance);
  }
}

}  // namespace nas::codegen::testing
