#include "compiler/lower/default_schedule.h"

#include <algorithm>

namespace nas::lower {

using loop::MemoryScope;
using loop::Schedule;
using loop::Tensor;

namespace {

std::vector<std::string> spatial_loops(const Tensor& stage) {
  std::vector<std::string> names;
  for (const loop::Axis& a : stage.definition()->axes) names.push_back(a.var.name());
  return names;
}

std::vector<std::string> reduction_loops(const Tensor& stage) {
  std::vector<std::string> names;
  if (const auto& r = stage.definition()->reduction)
    for (const loop::Axis& a : r->axes) names.push_back(a.var.name());
  return names;
}

// A direct convolution (conv2d and depthwise_conv2d, NCHW): output channels in vectors,
// `columns` output columns per register block, the reduction inside the block.
void schedule_conv(Schedule& s, const Tensor& stage, int lanes, int64_t columns, bool parallel) {
  const std::string& st = stage.name();
  const std::vector<int64_t>& shape = stage.shape();
  const int64_t co_lanes = lanes_dividing(shape[1], lanes);
  std::string co_outer = "co", ow_outer = "ow";
  if (co_lanes > 1) {
    s.split(st, "co", co_lanes);
    co_outer = "co.o";
  }
  if (columns > 1) {
    s.split(st, "ow", columns);
    ow_outer = "ow.o";
  }
  std::vector<std::string> order{"n", co_outer, "oh", ow_outer};
  for (const std::string& r : reduction_loops(stage)) order.push_back(r);
  if (columns > 1) order.push_back("ow.i");
  if (co_lanes > 1) order.push_back("co.i");
  s.reorder(st, order);
  if (co_lanes > 1) s.vectorize(st, "co.i");
  if (columns > 1) s.unroll(st, "ow.i");
  s.cache_write(st, ow_outer, MemoryScope::Register);
  // Channel blocks times rows: enough iterations for the threads even with few channels.
  if (parallel) {
    s.fuse(st, co_outer, "oh");
    s.parallel(st, co_outer + ".oh");
  }
}

// The extent of a stage's reduction loop `name`, or 1 where there is none.
int64_t reduction_extent(const Tensor& stage, const std::string& name) {
  if (const auto& r = stage.definition()->reduction)
    for (const loop::Axis& a : r->axes)
      if (a.var.name() == name) return a.extent;
  return 1;
}

// The register block of a regular convolution: `vectors` vectors of output channels times
// `columns` output columns, one accumulator each. Sized by measurement (Zen 4, 3x3 and 1x1
// layers): with 32 vector registers (AVX-512, NEON) 16 accumulators, with 16 (AVX2, SSE)
// 8 (at 12 LLVM spills around the unrolled taps: 2x slower). More vectors of channels per
// block reuse each broadcast input element more; a few columns suffice then.
struct ConvBlock {
  int64_t vectors = 1, columns = 1;
};

ConvBlock conv_block(int64_t channels, int64_t width, int64_t lanes, int registers) {
  const int64_t accumulators = registers >= 32 ? 16 : 8;
  ConvBlock block;
  if (lanes > 1)
    for (int64_t v = registers >= 32 ? 4 : 2; v > 1 && block.vectors == 1; v /= 2)
      if (channels % (lanes * v) == 0) block.vectors = v;
  // Blocks of balanced widths: as few as the accumulators allow (a guarded tail when the
  // width does not divide).
  const int64_t most = accumulators / block.vectors;
  const int64_t blocks = (width + most - 1) / most;
  block.columns = (width + blocks - 1) / blocks;
  return block;
}

// conv2d (NCHW): a register block of output channels (vectors) x output columns, the
// reduction (input channel outermost) inside it; small kernels' taps unrolled, so the
// padding tests of each tap simplify and the input loads fold into broadcasts.
void schedule_conv2d(Schedule& s, const Tensor& stage, int lanes, int registers, bool parallel) {
  const std::string& st = stage.name();
  const std::vector<int64_t>& shape = stage.shape();
  const int64_t co_lanes = lanes_dividing(shape[1], lanes);
  const ConvBlock block = conv_block(shape[1], shape[3], co_lanes, registers);
  std::string co_outer = "co", ow_outer = "ow", co_vector = "co.i";
  if (co_lanes > 1) {
    s.split(st, "co", co_lanes * block.vectors);
    co_outer = "co.o";
    if (block.vectors > 1) {
      s.split(st, "co.i", co_lanes);
      co_vector = "co.i.i";
    }
  }
  if (block.columns > 1) {
    s.split(st, "ow", block.columns);
    ow_outer = "ow.o";
  }
  const std::vector<std::string> reductions = reduction_loops(stage);
  std::vector<std::string> order{"n", co_outer, "oh", ow_outer};
  order.insert(order.end(), reductions.begin(), reductions.end());
  if (block.vectors > 1) order.push_back("co.i.o");
  if (block.columns > 1) order.push_back("ow.i");
  if (co_lanes > 1) order.push_back(co_vector);
  s.reorder(st, order);
  if (co_lanes > 1) s.vectorize(st, co_vector);
  if (block.vectors > 1) s.unroll(st, "co.i.o");
  if (block.columns > 1) s.unroll(st, "ow.i");
  // Taps (a kernel axis of extent 1 is no loop): kw unrolled up to 7, kh with it up to 9
  // taps in all (3x3), so the body stays small enough to compile quickly.
  const int64_t kh = reduction_extent(stage, "kh"), kw = reduction_extent(stage, "kw");
  if (kw > 1 && kw <= 7) s.unroll(st, "kw");
  if (kw > 1 && kh > 1 && kh * kw <= 9) s.unroll(st, "kh");
  s.cache_write(st, ow_outer, MemoryScope::Register);
  // Channel blocks times rows: enough iterations for the threads even with few channels.
  if (parallel) {
    s.fuse(st, co_outer, "oh");
    s.parallel(st, co_outer + ".oh");
  }
}

// A matrix product: the last output axis (columns) in vectors accumulated in registers,
// up to 4 vectors at once (unrolled), so independent FMAs hide each other's latency.
void schedule_dense(Schedule& s, const Tensor& stage, int lanes, bool parallel) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);
  if (loops.empty()) return;
  const std::string column = loops.back();
  const int64_t col_lanes = lanes_dividing(stage.shape().back(), lanes);
  std::string outer = column;
  if (col_lanes > 1) {
    // A guarded tail where the vectors do not divide the columns (partitioned off).
    const int64_t vectors = std::min<int64_t>(4, stage.shape().back() / col_lanes);
    s.split(st, column, col_lanes * vectors);
    outer = column + ".o";
    const std::string inner = vectors > 1 ? column + ".i.i" : column + ".i";
    if (vectors > 1) s.split(st, column + ".i", col_lanes);
    std::vector<std::string> order(loops.begin(), loops.end() - 1);
    order.push_back(outer);
    for (const std::string& r : reduction_loops(stage)) order.push_back(r);
    if (vectors > 1) order.push_back(column + ".i.o");
    order.push_back(inner);
    s.reorder(st, order);
    s.vectorize(st, inner);
    if (vectors > 1) s.unroll(st, column + ".i.o");
  }
  s.cache_write(st, outer, MemoryScope::Register);
  if (parallel) s.parallel(st, loops.size() > 1 && stage.shape()[0] > 1 ? loops[0] : outer);
}

// The outermost loop with more than one iteration (a loop of one vanishes, and its
// parallel mark with it), or the innermost.
std::string outer_loop(const Tensor& stage) {
  const std::vector<std::string> loops = spatial_loops(stage);
  for (size_t d = 0; d < loops.size(); ++d)
    if (stage.shape()[d] > 1) return loops[d];
  return loops.back();
}

// Any other reduction: accumulated in a register per output element.
void schedule_reduction(Schedule& s, const Tensor& stage, bool parallel) {
  const std::vector<std::string> loops = spatial_loops(stage);
  if (loops.empty()) return;
  s.cache_write(stage.name(), loops.back(), MemoryScope::Register);
  if (parallel) s.parallel(stage.name(), outer_loop(stage));
}

// An elementwise stage: the innermost axis in vectors where they divide it (contiguous
// accesses; fusing axes first would turn the indices into divisions).
void schedule_injective(Schedule& s, const Tensor& stage, int lanes, bool parallel) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);
  if (loops.empty()) return;
  const std::string outer = outer_loop(stage);
  const int64_t vector = lanes_dividing(stage.shape().back(), lanes);
  if (vector > 1) {
    s.split(st, loops.back(), vector);
    s.vectorize(st, loops.back() + ".i");
  }
  if (parallel) s.parallel(st, outer == loops.back() && vector > 1 ? outer + ".o" : outer);
}

}  // namespace

int vector_registers(const target::Target& target) {
  if (target.features.contains("avx512f") || target.arch() == "aarch64") return 32;
  return 16;
}

int vector_lanes(const target::Target& target) {
  if (target.features.contains("avx512f")) return 16;
  if (target.features.contains("avx2") || target.features.contains("avx")) return 8;
  return 4;
}

int64_t lanes_dividing(int64_t extent, int lanes) {
  for (int64_t l = lanes; l >= 2; l /= 2)
    if (extent % l == 0) return l;
  return 1;
}

Schedule default_schedule(const std::vector<Tensor>& stages, const std::string& family,
                          const std::optional<Tensor>& anchor, const target::Target& target) {
  const int lanes = vector_lanes(target);
  const bool parallel = target.threads > 1;
  Schedule s;
  for (const Tensor& stage : stages) {
    const bool is_anchor = anchor && anchor->same_as(stage);
    if (is_anchor && family == "conv2d") {
      schedule_conv2d(s, stage, lanes, vector_registers(target), parallel);
    } else if (is_anchor && family == "depthwise_conv2d") {
      schedule_conv(s, stage, lanes, 1, parallel);
    } else if (is_anchor && family == "dense") {
      schedule_dense(s, stage, lanes, parallel);
    } else if (stage.definition()->reduction) {
      schedule_reduction(s, stage, parallel);
    } else {
      schedule_injective(s, stage, lanes, parallel);
    }
  }
  return s;
}

}  // namespace nas::lower
