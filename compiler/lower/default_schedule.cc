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

// How many output columns a convolution accumulates in registers at once: a divisor of
// the width up to 7 (one vector accumulator each), else 4 with a guarded last block.
int64_t column_block(int64_t width) {
  if (width <= 7) return width;
  for (int64_t b = 7; b >= 3; --b)
    if (width % b == 0) return b;
  return 4;
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

// A matrix product: the last output axis (columns) in vectors accumulated in registers.
void schedule_dense(Schedule& s, const Tensor& stage, int lanes, bool parallel) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);
  if (loops.empty()) return;
  const std::string column = loops.back();
  const int64_t col_lanes = lanes_dividing(stage.shape().back(), lanes);
  std::string outer = column;
  if (col_lanes > 1) {
    s.split(st, column, col_lanes);
    outer = column + ".o";
    std::vector<std::string> order(loops.begin(), loops.end() - 1);
    order.push_back(outer);
    for (const std::string& r : reduction_loops(stage)) order.push_back(r);
    order.push_back(column + ".i");
    s.reorder(st, order);
    s.vectorize(st, column + ".i");
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
      schedule_conv(s, stage, lanes, column_block(stage.shape()[3]), parallel);
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
