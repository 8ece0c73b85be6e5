#include "compiler/tune/kernel_bench.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "compiler/codegen/codegen.h"
#include "compiler/lower/default_schedule.h"
#include "compiler/support/error.h"
#include "compiler/support/random.h"

namespace nas::tune {

namespace {

int64_t element_bytes(const loop::Type& t) { return std::max(1, t.bits() / 8); }

int64_t elements(const loop::Buffer& b) {
  int64_t n = 1;
  for (int64_t d : b.shape()) n *= d;
  return n;
}

bool is_stage_buffer(const lower::GroupStages& group, const loop::Buffer& b) {
  return std::ranges::any_of(group.stages,
                             [&](const loop::Tensor& t) { return t.buffer().same_as(b); });
}

// Reads one float of each cache line of the buffer; returns their sum so the reads stay.
float touch_lines(const void* data, int64_t bytes) {
  const auto* p = static_cast<const float*>(data);
  float sum = 0;
  for (int64_t i = 0; i < bytes / 4; i += 16) sum += p[i];
  return sum;
}

}  // namespace

KernelBench::KernelBench(const lower::GroupStages& group, const target::Target& target,
                         uint64_t seed)
    : target_(target),
      pool_(std::make_unique<codegen::ThreadPool>(target.threads)),
      sweep_(2 * target.l2_bytes) {
  std::fill_n(sweep_.data(), sweep_.size(), std::byte{0});
  SplitMix64 rng(seed);
  for (size_t p = 0; p < group.buffers.size(); ++p) {
    const loop::Buffer& b = group.buffers[p];
    buffers_.emplace_back(elements(b) * element_bytes(b.element_type()));
    args_.push_back(buffers_.back().data());
    if (is_stage_buffer(group, b)) {
      outputs_.push_back(p);
    } else if (b.element_type().is_float()) {
      // Values of the size a model's are, so that the kernel runs as fast as it does there:
      // single values (an elementwise op's constant operand: GELU's divisor sqrt(2), a
      // scale) in [0.5, 1.5), tensors in [-1/4, 1/4); integer inputs (indices, labels) stay
      // 0, valid for any op. Tensors in [-1, 1) summed over thousands of products to +-20
      // and more, and random constants near 0 divided them further: erf's exp(-x^2) (GELU)
      // and sigmoid's exp (SiLU) then fell into the subnormals, whose microcode assists made
      // ConvNeXt's GELU kernels up to 3.8x slower here than in the model.
      auto* data = reinterpret_cast<float*>(buffers_.back().data());
      const bool single = elements(b) == 1;
      for (int64_t i = 0; i < elements(b); ++i)
        data[i] = static_cast<float>(single ? 0.5 + rng.uniform() : (rng.uniform() * 2 - 1) / 4);
    }
  }
  for (const loop::Tensor& stage : group.stages) work_ += lower::stage_work(stage);
  const lower::LoweredKernel oracle = lower::schedule_stages(group, {}, "oracle");
  const auto jit = codegen::JitModule::compile({oracle.func}, target_, 1);
  run(jit->lookup(oracle.func.name));
  for (size_t o : outputs_) {
    const loop::Buffer& b = group.buffers[o];
    std::vector<float> values;
    if (b.element_type().is_float()) {
      const auto* data = reinterpret_cast<const float*>(buffers_[o].data());
      values.assign(data, data + elements(b));
    }
    expected_.push_back(std::move(values));
  }
}

KernelBench::~KernelBench() = default;

void KernelBench::run(void (*entry)(void* const*)) {
  pool_->run([&] { entry(args_.data()); });
}

std::optional<std::string> KernelBench::compare_outputs() const {
  for (size_t k = 0; k < outputs_.size(); ++k) {
    const std::vector<float>& expected = expected_[k];
    if (expected.empty()) continue;
    const auto* got = reinterpret_cast<const float*>(buffers_[outputs_[k]].data());
    float scale = 1;
    for (float e : expected) scale = std::max(scale, std::abs(e));
    for (size_t i = 0; i < expected.size(); ++i) {
      // Reassociated sums differ in the last bits; a wrong schedule misses by far more.
      const bool both_nan = std::isnan(expected[i]) && std::isnan(got[i]);
      if (!both_nan && !(std::abs(got[i] - expected[i]) <= 1e-4f * scale))
        return fmt::format("output {} differs from the naive loop nest's at element {}: {} vs {}",
                           k, i, got[i], expected[i]);
    }
  }
  return std::nullopt;
}

KernelMeasurement KernelBench::measure(const lower::LoweredKernel& kernel,
                                       const runtime::TimingProtocol& protocol,
                                       bool cold_caches) {
  std::unique_ptr<codegen::JitModule> jit;
  try {
    jit = codegen::JitModule::compile({kernel.func}, target_, 1);
  } catch (const std::exception& e) {
    KernelMeasurement m;
    m.error = fmt::format("does not compile: {}", e.what());
    return m;
  }
  KernelMeasurement m = check_and_time(jit->lookup(kernel.func.name), protocol, cold_caches);
  m.compile_seconds = jit->compile_seconds();
  return m;
}

std::vector<KernelMeasurement> KernelBench::measure_all(
    const std::vector<lower::LoweredKernel>& kernels, const runtime::TimingProtocol& protocol,
    bool cold_caches) {
  // Each under a name of its own: candidates of one workload share the kernel's name.
  std::vector<loop::LoweredFunc> funcs;
  for (size_t i = 0; i < kernels.size(); ++i) {
    funcs.push_back(kernels[i].func);
    funcs.back().name = fmt::format("{}_{}", kernels[i].func.name, i);
  }
  std::unique_ptr<codegen::JitModule> jit;
  try {
    jit = codegen::JitModule::compile(funcs, target_, 0);
  } catch (const std::exception&) {
    // One of them does not compile: each on its own says which, with its error.
    std::vector<KernelMeasurement> each;
    for (const lower::LoweredKernel& kernel : kernels)
      each.push_back(measure(kernel, protocol, cold_caches));
    return each;
  }
  std::vector<KernelMeasurement> each;
  for (const loop::LoweredFunc& func : funcs) {
    each.push_back(check_and_time(jit->lookup(func.name), protocol, cold_caches));
    each.back().compile_seconds = jit->compile_seconds() / static_cast<double>(funcs.size());
  }
  return each;
}

KernelMeasurement KernelBench::check_and_time(codegen::KernelEntry entry,
                                              const runtime::TimingProtocol& protocol,
                                              bool cold_caches) {
  KernelMeasurement m;
  // Outputs start as NaN, so an element the schedule never writes shows.
  for (size_t k = 0; k < outputs_.size(); ++k) {
    auto* data = reinterpret_cast<float*>(buffers_[outputs_[k]].data());
    std::fill(data, data + expected_[k].size(), std::numeric_limits<float>::quiet_NaN());
  }
  run(entry);
  if (std::optional<std::string> wrong = compare_outputs()) {
    m.error = *wrong;
    return m;
  }
  // In a model the kernels between two runs of this one leave the weights in the last
  // level cache at best, and the input, just written by the kernel before, in the cores':
  // before each timed run, each thread sweeps twice the L2 through its core (the weights
  // and outputs out of L1 and L2), then reads back its share of the first input (the pool
  // gives each thread the same contiguous part of every loop, as the kernel before did).
  struct Prepare {
    const runtime::AlignedBuffer* sweep;
    const runtime::AlignedBuffer* input;
    int threads;
    std::atomic<float> sink{0};
  } prepare{&sweep_, buffers_.empty() ? nullptr : &buffers_[0], pool_->threads(), {}};
  auto prepare_thread = [](void* closure, int32_t t) {
    auto& p = *static_cast<Prepare*>(closure);
    float sum = touch_lines(p.sweep->data(), p.sweep->size());
    if (p.input) {
      const int64_t lines = p.input->size() / 64, first = lines * t / p.threads,
                    last = lines * (t + 1) / p.threads;
      sum += touch_lines(p.input->data() + first * 64, (last - first) * 64);
    }
    p.sink.store(sum, std::memory_order_relaxed);
  };
  auto as_in_a_model = [&] { pool_->parallel_for(pool_->threads(), prepare_thread, &prepare); };
  runtime::TimingStats stats;
  pool_->run([&] {
    stats = runtime::measure([&] { entry(args_.data()); }, protocol,
                             runtime::steady_clock_seconds,
                             cold_caches ? std::function<void()>(as_in_a_model) : nullptr);
  });
  m.ms = stats.median_ms;
  m.min_ms = stats.min_ms;
  m.ok = true;
  return m;
}

}  // namespace nas::tune
