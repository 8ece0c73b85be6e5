#include "compiler/lower/default_schedule.h"

#include <algorithm>
#include <optional>

#include "compiler/loop/mutator.h"
#include "compiler/loop/simplify.h"
#include "compiler/loop/substitute.h"
#include "compiler/passes/layout.h"

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

// The loads of an expression.
class LoadCollector : public loop::IRVisitor {
 public:
  std::vector<const loop::Load*> loads;
  using loop::IRVisitor::visit;

 protected:
  void visit(const loop::Load* op) override {
    loads.push_back(op);
    loop::IRVisitor::visit(op);
  }
};

// How far apart in memory a reduction's loads read for two neighbouring indices of output
// axis `axis`: each load's step of its index when that axis steps by one, at a point in
// the middle of the output with the reduction axes at 0 (so away from any padding);
// nullopt where the step is not a constant.
std::vector<std::optional<int64_t>> load_steps(const Tensor& stage, size_t axis) {
  const loop::ComputeDefinition& def = *stage.definition();
  LoadCollector collector;
  collector.include(def.reduction->value);
  const std::vector<int64_t>& shape = stage.shape();
  loop::Substitutions at;
  for (size_t d = 0; d < def.axes.size(); ++d)
    at[def.axes[d].var.node()] = loop::make_const(def.axes[d].var.type(), shape[d] / 2);
  for (const loop::Axis& a : def.reduction->axes)
    at[a.var.node()] = loop::make_zero(a.var.type());
  const loop::Var& stepped = def.axes[axis].var;
  std::vector<std::optional<int64_t>> steps;
  for (const loop::Load* load : collector.loads) {
    const loop::Expr here = loop::simplify(loop::substitute(load->index, at));
    loop::Substitutions next = at;
    next[stepped.node()] = loop::make_const(stepped.type(), shape[axis] / 2 + 1);
    const loop::Expr there = loop::simplify(loop::substitute(load->index, next));
    const auto a = loop::as_const_int(here), b = loop::as_const_int(there);
    steps.push_back(a && b ? std::optional<int64_t>(std::abs(*b - *a)) : std::nullopt);
  }
  return steps;
}

// The tensor a convolution in NCHW[x]c reads as its weights: the one whose reads move with
// the output channel blocks (axis 1) but not with the rows (axis 2).
std::optional<std::string> conv_weights_name(const Tensor& stage) {
  LoadCollector collector;
  collector.include(stage.definition()->reduction->value);
  const std::vector<std::optional<int64_t>> by_block = load_steps(stage, 1);
  const std::vector<std::optional<int64_t>> by_row = load_steps(stage, 2);
  for (size_t i = 0; i < collector.loads.size(); ++i)
    if (by_block[i] && *by_block[i] != 0 && by_row[i] == 0)
      return collector.loads[i]->buffer.name();
  return std::nullopt;
}

// The largest constant step of the loads along the last axis (the columns), 1 where no
// load depends on it.
int64_t column_step(const Tensor& stage) {
  int64_t step = 1;
  for (const std::optional<int64_t>& s : load_steps(stage, stage.shape().size() - 1))
    if (s) step = std::max(step, *s);
  return step;
}

// Whether every load of a reduction reads neighbouring indices of output axis `axis` at
// neighbouring addresses or at the same one: a sum over the outer axes of a tensor along
// its last axis (batch norm's partial sums), a depthwise convolution's channels read
// channels-last.
bool reads_contiguously_along(const Tensor& stage, size_t axis) {
  const std::vector<std::optional<int64_t>> steps = load_steps(stage, axis);
  return std::all_of(steps.begin(), steps.end(),
                     [](const std::optional<int64_t>& s) { return s && *s <= 1; });
}

// The taps of a stage's window: the product of its reduction extents.
int64_t window_taps(const Tensor& stage) {
  int64_t taps = 1;
  for (const loop::Axis& a : stage.definition()->reduction->axes) taps *= a.extent;
  return taps;
}

// A window's taps unrolled: every tap for the usual windows, only the innermost axis for
// huge ones.
void unroll_window_taps(Schedule& s, const Tensor& stage, const ScheduleParams& params) {
  const bool all = window_taps(stage) <= params.window_unroll_taps;
  const auto& axes = stage.definition()->reduction->axes;
  for (size_t t = 0; t < axes.size(); ++t)
    if (all || (t + 1 == axes.size() && axes[t].extent <= params.window_unroll_taps))
      s.unroll(stage.name(), axes[t].var.name());
}

// `width` columns in blocks of at most `most` (at least 1: the accumulators a tuner gives a
// block may be fewer than its channel vectors), as few blocks as that allows and of balanced
// widths (a guarded tail when they do not divide): the columns of one block.
int64_t balanced_columns(int64_t width, int64_t most) {
  most = std::max<int64_t>(1, most);
  const int64_t blocks = (width + most - 1) / most;
  return (width + blocks - 1) / blocks;
}

// A sliding window per channel (depthwise convolution, pooling; NCHW): output columns in
// vectors (contiguous input rows at stride 1), a block of vectors along the row accumulated
// in registers with the window taps unrolled around it, parallel over images and channels.
// Loop partitioning leaves the interior of the output free of the padding's selects.
void schedule_window(Schedule& s, const Tensor& stage, int lanes, bool parallel,
                     const ScheduleParams& params) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);  // n, c, oh, ow
  const int64_t width = stage.shape()[3];
  const std::vector<std::string> taps = reduction_loops(stage);
  // Small windows: scalar columns (ScheduleParams::window_vector_taps). Large windows:
  // explicit vectors of columns dividing the row, a block of them. At a stride above 1
  // vectors would gather: scalar.
  int64_t vector = 1, block = 1;
  if (window_taps(stage) >= params.window_vector_taps && column_step(stage) == 1)
    vector = lanes_dividing(
        width, static_cast<int>(std::min<int64_t>(lanes, params.window_max_lanes)));
  if (vector > 1) {
    const int64_t vectors = width / vector;
    block = std::min<int64_t>(vectors, params.window_max_vectors);
    for (int64_t b = block; b >= 2; --b)
      if (vectors % b == 0) {
        block = b;
        break;
      }
  }
  const std::string ow = loops[3];
  std::string outer = ow;
  std::vector<std::string> inner;
  if (vector > 1) {
    s.split(st, ow, vector);
    outer = ow + ".o";
    inner.push_back(ow + ".i");
  }
  if (block > 1) {
    s.split(st, outer, block);
    inner.insert(inner.begin(), outer + ".i");
    outer += ".o";
  }
  std::vector<std::string> order{loops[0], loops[1], loops[2], outer};
  order.insert(order.end(), taps.begin(), taps.end());
  order.insert(order.end(), inner.begin(), inner.end());
  s.reorder(st, order);
  if (vector > 1) s.vectorize(st, ow + ".i");
  if (block > 1) s.unroll(st, inner.front());
  unroll_window_taps(s, stage, params);
  s.cache_write(st, outer, MemoryScope::Register);
  if (parallel) {
    s.fuse(st, loops[0], loops[1]);
    s.parallel(st, loops[0] + "." + loops[1]);
  }
}

// Whether `extent` iterations share out evenly among the threads: they divide among them,
// or number at least parallel_blocks_per_thread per thread (one more or less is then at
// most a quarter of a thread's share).
bool shares_evenly(int64_t extent, int threads, const ScheduleParams& params) {
  if (threads <= 1) return true;
  return extent >= threads &&
         (extent % threads == 0 || extent >= params.parallel_blocks_per_thread * threads);
}

// Whether the images of the batch share out evenly among the threads (training batches).
bool batch_goes_parallel(const Tensor& stage, int threads, const ScheduleParams& params) {
  const int64_t batch = stage.shape()[0];
  return threads > 1 && batch >= threads && shares_evenly(batch, threads, params);
}

// A parallel loop over the batch, the outermost loop, where batch_goes_parallel: one fork
// per kernel, and the loops inside stay partitioned at the padding. Returns whether it was
// chosen.
bool parallel_over_batch(Schedule& s, const Tensor& stage, int threads,
                         const ScheduleParams& params) {
  if (!batch_goes_parallel(stage, threads, params)) return false;
  s.parallel(stage.name(), spatial_loops(stage)[0]);
  return true;
}

// The extent of a stage's reduction loop `name`, or 1 where there is none.
int64_t reduction_extent(const Tensor& stage, const std::string& name) {
  if (const auto& r = stage.definition()->reduction)
    for (const loop::Axis& a : r->axes)
      if (a.var.name() == name) return a.extent;
  return 1;
}

// The register block of a regular convolution: `vectors` vectors of output channels times
// `columns` output columns, one accumulator each (ScheduleParams::conv_accumulators). More
// vectors of channels per block reuse each broadcast input element more; a few columns
// suffice then.
struct ConvBlock {
  int64_t vectors = 1, columns = 1;
};

// The most channel vectors among `choices` that divide `vectors` (1 when none does).
int64_t most_channel_vectors(int64_t vectors, const std::vector<int64_t>& choices) {
  int64_t most = 1;
  for (int64_t v : choices)
    if (vectors % v == 0) most = std::max(most, v);
  return most;
}

// `vectors` channel vectors and as many columns as the accumulators leave, balanced.
ConvBlock balanced_block(int64_t vectors, int64_t width, const ScheduleParams& params) {
  return ConvBlock{vectors, balanced_columns(width, params.conv_accumulators / vectors)};
}

// NCHW: the most channel vectors that divide the channels, powers of two only.
ConvBlock conv_block(int64_t channels, int64_t width, int64_t lanes,
                     const ScheduleParams& params) {
  if (lanes <= 1) return balanced_block(1, width, params);
  std::vector<int64_t> powers_of_two;
  for (int64_t v : params.conv_channel_vectors)
    if ((v & (v - 1)) == 0) powers_of_two.push_back(v);
  return balanced_block(most_channel_vectors(channels / lanes, powers_of_two), width, params);
}

// A convolution's kernel taps (a kernel axis of extent 1 is no loop): kw unrolled up to
// conv_unroll_kw, kh with it while the taps stay within conv_unroll_taps (3x3), so the
// body stays small enough to compile quickly.
void unroll_kernel_taps(Schedule& s, const Tensor& stage, const ScheduleParams& params) {
  const int64_t kh = reduction_extent(stage, "kh"), kw = reduction_extent(stage, "kw");
  if (kw > 1 && kw <= params.conv_unroll_kw) s.unroll(stage.name(), "kw");
  if (kw > 1 && kh > 1 && kh * kw <= params.conv_unroll_taps) s.unroll(stage.name(), "kh");
}

// conv2d (NCHW): a register block of output channels (vectors) x output columns, the
// reduction (input channel outermost) inside it; small kernels' taps unrolled, so the
// padding tests of each tap simplify and the input loads fold into broadcasts.
// Also ConvGradInput's (loops n, ci, ih, iw): the same nest with the input's channels as
// the vector, read from weights its compute transposed to [CO, KH, KW, CI].
void schedule_conv2d(Schedule& s, const Tensor& stage, int lanes, int threads,
                     const ScheduleParams& params) {
  const std::string& st = stage.name();
  const std::vector<int64_t>& shape = stage.shape();
  const std::vector<std::string> loops = spatial_loops(stage);  // n, co, oh, ow
  const std::string& co = loops[1];
  const std::string& ow = loops[3];
  const int64_t co_lanes = passes::channel_vector_lanes(shape[1], lanes);
  const ConvBlock block = conv_block(shape[1], shape[3], co_lanes, params);
  std::string co_outer = co, ow_outer = ow, co_vector = co + ".i";
  if (co_lanes > 1) {
    s.split(st, co, co_lanes * block.vectors);
    co_outer = co + ".o";
    if (block.vectors > 1) {
      s.split(st, co + ".i", co_lanes);
      co_vector = co + ".i.i";
    }
  }
  if (block.columns > 1) {
    s.split(st, ow, block.columns);
    ow_outer = ow + ".o";
  }
  const std::vector<std::string> reductions = reduction_loops(stage);
  std::vector<std::string> order{loops[0], co_outer, loops[2], ow_outer};
  order.insert(order.end(), reductions.begin(), reductions.end());
  if (block.vectors > 1) order.push_back(co + ".i.o");
  if (block.columns > 1) order.push_back(ow + ".i");
  if (co_lanes > 1) order.push_back(co_vector);
  s.reorder(st, order);
  if (co_lanes > 1) s.vectorize(st, co_vector);
  if (block.vectors > 1) s.unroll(st, co + ".i.o");
  if (block.columns > 1) s.unroll(st, ow + ".i");
  unroll_kernel_taps(s, stage, params);
  s.cache_write(st, ow_outer, MemoryScope::Register);
  // The batch, else channel blocks times rows: enough iterations for the threads even with
  // few channels.
  if (threads > 1 && !parallel_over_batch(s, stage, threads, params)) {
    s.fuse(st, co_outer, loops[2]);
    s.parallel(st, co_outer + "." + loops[2]);
  }
}

// ConvGradWeight (loops co, cl, kh, kw; reduction n, oh, ow): a vector of output channels
// times every tap in registers (a row of taps where they do not fit), the whole reduction
// inside, so each step of it reads one vector of dY (its compute reads dY channels-last)
// and one input element per tap (a vector for a depthwise convolution, whose input channel
// is co). The terms of each weight keep the reference's order (n, oh, ow), so the result
// is the same at any thread count.
void schedule_conv2d_grad_weight(Schedule& s, const Tensor& stage, int lanes, bool parallel,
                                 const ScheduleParams& params) {
  const std::string& st = stage.name();
  const std::vector<int64_t>& shape = stage.shape();
  const std::vector<std::string> loops = spatial_loops(stage);  // co, cl, kh, kw
  const int64_t co_lanes = lanes_dividing(shape[0], lanes);
  const int64_t taps = shape[2] * shape[3];
  std::string co_outer = loops[0];
  if (co_lanes > 1) {
    s.split(st, loops[0], co_lanes);
    co_outer = loops[0] + ".o";
  }
  // Every tap in registers where they fit (with as many input channels as fill the
  // accumulators: a 1x1 kernel's taps alone leave them idle), else a row of taps (7x7).
  const bool all_taps = taps <= params.conv_accumulators;
  const bool row_of_taps = !all_taps && shape[3] <= params.conv_accumulators;
  int64_t cl_block = 1;
  for (int64_t d = 1; all_taps && d * taps <= params.conv_accumulators; ++d)
    if (shape[1] % d == 0) cl_block = d;
  std::string cl_outer = loops[1];
  if (cl_block > 1) {
    s.split(st, loops[1], cl_block);
    cl_outer = loops[1] + ".o";
  }
  std::vector<std::string> order{co_outer, cl_outer};
  if (!all_taps) order.push_back(loops[2]);
  const std::vector<std::string> reductions = reduction_loops(stage);
  order.insert(order.end(), reductions.begin(), reductions.end());
  if (cl_block > 1) order.push_back(loops[1] + ".i");
  if (all_taps) order.push_back(loops[2]);
  order.push_back(loops[3]);
  if (co_lanes > 1) order.push_back(loops[0] + ".i");
  s.reorder(st, order);
  if (co_lanes > 1) s.vectorize(st, loops[0] + ".i");
  if (all_taps || row_of_taps) {
    if (shape[3] > 1) s.unroll(st, loops[3]);
    if (all_taps && shape[2] > 1) s.unroll(st, loops[2]);
    if (cl_block > 1) s.unroll(st, loops[1] + ".i");
    s.cache_write(st, all_taps ? cl_outer : loops[2], MemoryScope::Register);
  }
  // The output channel vectors or the input channel blocks, whichever are more (the
  // registers hold the taps inside them).
  if (parallel)
    s.parallel(st, shape[0] / co_lanes >= shape[1] / cl_block ? co_outer : cl_outer);
}

// ---- Stages stored NCHW[x]c: loops [n, c blocks, rows, columns, c lanes] -------------
// The lanes of a channel block are the vector (contiguous loads and stores), so no
// schedule here gathers or scatters.

bool stores_blocked(const Tensor& stage) { return stage.shape().size() == 5; }

// The parallel loop of a blocked stage whose batch does not share out evenly: its channel
// blocks `blocks` (`extent` of them) alone where they share out evenly among the threads,
// otherwise fused with the rows for more iterations. A parallel loop fused with the rows
// is no longer partitioned at the padding, so every row keeps the padding's tests:
// measured on Zen 4 with 2 threads, 3x3 convs reach 86-93% of the peak parallel over
// blocks and rows against 98-99% over blocks alone, depthwise 3x3 128 channels at 56x56
// 43-46% against 83-88%.
void parallel_over_blocks(Schedule& s, const Tensor& stage, const std::string& blocks,
                          int64_t extent, const std::string& rows, int threads,
                          const ScheduleParams& params) {
  if (shares_evenly(extent, threads, params)) {
    s.parallel(stage.name(), blocks);
    return;
  }
  s.fuse(stage.name(), blocks, rows);
  s.parallel(stage.name(), blocks + "." + rows);
}

// Whether a convolution's channel blocks read the same input elements (some load does not
// move with the output channel block): not where each block has a group of its own
// (RegNetX's groups of 16 channels), so that more blocks in a register block only take
// registers.
bool channel_blocks_share_input(const Tensor& stage) {
  const std::vector<std::optional<int64_t>> steps = load_steps(stage, 1);
  return std::ranges::any_of(steps, [](const std::optional<int64_t>& s) { return s == 0; });
}

// The register block of a convolution storing NCHW[x]c: `vectors` channel blocks x `columns`
// output columns, one accumulator each (as in NCHW). The first shape, in the order of
// conv_channel_vectors, whose columns divide the row (no guarded tail), that uses at least
// conv_min_accumulator_use of the accumulators and, with threads, leaves blocks of channel
// blocks that the threads share evenly (failing that, any such shape); otherwise the most
// channel blocks with balanced columns, as in NCHW. Measured on Zen 4: 3x3 512 channels at
// 7x7, 4 x 4 (blocks of 4 and 3) 66-80% of the FMA peak, 2 x 7 88-96%; 256 at 14x14 94% vs
// 97%; 1x1 144 -> 24 channels (3 blocks of 8) at 56x56, 1 x 14 64-83%, 3 x 4 96%, 3 x 8 (24
// accumulators) 73-80%; with 2 threads, 3x3 64 channels at 56x56, 4 x 4 (one block of
// channel blocks) 91-92%, 2 x 8 95-98%. Where the blocks share no input, one block and as
// many columns as the accumulators take.
ConvBlock conv_block_blocked(int64_t channel_blocks, int64_t width, bool blocks_share_input,
                             int threads, const ScheduleParams& params) {
  const int64_t accumulators = params.conv_accumulators;
  if (!blocks_share_input) return balanced_block(1, width, params);
  for (bool for_threads : {true, false})
    for (int64_t v : params.conv_channel_vectors) {
      if (channel_blocks % v != 0) continue;
      if (for_threads && !shares_evenly(channel_blocks / v, threads, params)) continue;
      for (int64_t c = accumulators / v;
           static_cast<double>(v * c) >= params.conv_min_accumulator_use * accumulators; --c)
        if (width % c == 0) return ConvBlock{v, c};
    }
  return balanced_block(most_channel_vectors(channel_blocks, params.conv_channel_vectors), width,
                        params);
}

// The input channel blocks of a chunk of a convolution's reduction (NCHW[x]c input, cib
// outermost among its reduction loops): the most that divide them, two at least, whose
// weights for one register block of `vectors` channel blocks fit conv_weight_chunk_bytes;
// all of them (no chunks) where no such count is smaller than all. Measured on a Sapphire
// Rapids Xeon, 1 thread (alternated pairs, medians of the per-pair ratios against no
// chunks): eight 1x1 400 -> 400 at 7x7 in a chain (blocks of 5 x 3 with 128 KiB of weights
// each) 0.82 and 0.84 in two runs with chunks of 5 input blocks (26 KiB), 0.86 with
// chunks of one; four 1x1 256 -> 256 at 56x56 0.96. Six 3x3 128 -> 128 at 28x28 (direct)
// took 1.02 with chunks of one block (37 KiB), hence two at least. 2 threads, the chunks
// inside the parallel loop over channel blocks and rows: the chain 0.91, RegNetX 0.92.
int64_t conv_input_blocks_per_chunk(const Tensor& stage, int64_t vectors,
                                    const ScheduleParams& params) {
  const int64_t blocks = reduction_extent(stage, "cib");
  const int64_t block_bytes = vectors * stage.shape()[4] * reduction_extent(stage, "cil") *
                              reduction_extent(stage, "kh") * reduction_extent(stage, "kw") *
                              stage.type().bits() / 8;
  int64_t chunk = blocks;
  for (int64_t f = 2; f < blocks; ++f)
    if (blocks % f == 0 && f * block_bytes <= params.conv_weight_chunk_bytes) chunk = f;
  return blocks * block_bytes <= params.conv_weight_chunk_bytes ? blocks : chunk;
}

// conv2d (NCHW[x]c output): a register block of channel blocks x output columns, the
// reduction inside it, the vector of lanes innermost; small kernels' taps unrolled as in
// NCHW. With the input NCHW[y]c too, the reduction runs cib, cil, kh, kw: the packed weights
// [CO/x, CI, KH, KW, x] are then read in memory order (cib, kh, kw, cil strides them by
// KH*KW*x floats: 3x3 512 channels at 7x7, 57-75% of the peak against 80-90% on Zen 4,
// where the weights stream from L3).
void schedule_conv2d_blocked(Schedule& s, const Tensor& stage, int threads,
                             const ScheduleParams& params) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);  // n, cob, oh, ow, col
  const std::vector<int64_t>& shape = stage.shape();
  const bool pointwise = reduction_extent(stage, "kh") == 1 && reduction_extent(stage, "kw") == 1;
  ScheduleParams block_params = params;
  if (pointwise) block_params.conv_accumulators = params.conv_pointwise_accumulators;
  ConvBlock block = conv_block_blocked(shape[1], shape[3], channel_blocks_share_input(stage),
                                       threads, block_params);
  // Where the threads take the rows with the channel blocks, each row reads its blocks'
  // weights (in chunks, below) from L2 for its first block of columns: a 1x1's rows in three
  // blocks at least, so that two of them find the chunk in L1. RegNetX-400MF at 2 threads,
  // its 1x1 400 -> 400 at 7x7 as 5 x (4, 3): 1.15-1.18x the time of 5 x (3, 2, 2).
  const bool rows_parallel = threads > 1 && !batch_goes_parallel(stage, threads, params) &&
                             !shares_evenly(shape[1] / block.vectors, threads, params);
  if (rows_parallel && pointwise && block.columns > 1)
    block.columns = std::min(block.columns, balanced_columns(shape[3], (shape[3] + 2) / 3));
  const int64_t vectors = block.vectors, columns = block.columns;
  const std::string cb = loops[1], ow = loops[3], lane = loops[4];
  std::string cb_outer = cb, ow_outer = ow;
  if (vectors > 1) {
    s.split(st, cb, vectors);
    cb_outer = cb + ".o";
  }
  if (columns > 1) {
    s.split(st, ow, columns);
    ow_outer = ow + ".o";
  }
  // cib kh kw cil, or ci kh kw (axes of extent 1 are no loops): cil goes after cib.
  std::vector<std::string> reductions = reduction_loops(stage);
  if (const auto lanes = std::ranges::find(reductions, "cil"); lanes != reductions.end()) {
    reductions.erase(lanes);
    const bool has_blocks = !reductions.empty() && reductions.front() == "cib";
    reductions.insert(reductions.begin() + (has_blocks ? 1 : 0), "cil");
  }
  // The input channel blocks in chunks (conv_weight_chunk_bytes) outside the rows; inside
  // them where the threads take the rows with the channel blocks (then a chunk serves the
  // blocks of columns of one row, if there are several).
  std::vector<std::string> order{loops[0], cb_outer};
  if (rows_parallel) order.push_back(loops[2]);
  const bool blocks_of_columns = columns < shape[3];
  bool chunks = false;
  if (!reductions.empty() && reductions.front() == "cib" && (!rows_parallel || blocks_of_columns)) {
    const int64_t chunk = conv_input_blocks_per_chunk(stage, vectors, params);
    if (chunk < reduction_extent(stage, "cib")) {
      s.split(st, "cib", chunk);
      order.push_back("cib.o");
      reductions.front() = "cib.i";
      chunks = true;
    }
  }
  if (!rows_parallel) order.push_back(loops[2]);
  order.push_back(ow_outer);
  order.insert(order.end(), reductions.begin(), reductions.end());
  // The unrolled block's smaller side innermost: LLVM keeps the outer side's loads (the
  // weight vectors, or the broadcast input columns) live across the inner one, and 2 x 12
  // with the 12 broadcasts live needed 37 registers and spilled in its inner loop.
  const bool columns_outer = columns > vectors;
  if (columns_outer) order.push_back(ow + ".i");
  if (vectors > 1) order.push_back(cb + ".i");
  if (!columns_outer && columns > 1) order.push_back(ow + ".i");
  order.push_back(lane);
  s.reorder(st, order);
  s.vectorize(st, lane);
  if (vectors > 1) s.unroll(st, cb + ".i");
  if (columns > 1) s.unroll(st, ow + ".i");
  unroll_kernel_taps(s, stage, params);
  s.cache_write(st, ow_outer, MemoryScope::Register);
  // The weights of a chunk ahead, where conv_prefetch_chunks asks for them (a tuner knob,
  // off by default: it measured slower on a Sapphire Rapids Xeon, schedule_params.h).
  const auto weights = conv_weights_name(stage);
  if (chunks && weights && params.conv_prefetch_chunks > 0)
    s.prefetch(st, *weights, "cib.o", params.conv_prefetch_chunks);
  if (threads > 1 && !parallel_over_batch(s, stage, threads, params))
    parallel_over_blocks(s, stage, cb_outer, shape[1] / vectors, loops[2], threads, params);
}

// A sliding window per channel (depthwise convolution, pooling) in NCHW[x]c: a block of
// output columns accumulated in registers, the taps unrolled around it, each tap one
// vector load of x channels; parallel over channel blocks (and rows where they are few).
void schedule_window_blocked(Schedule& s, const Tensor& stage, int threads,
                             const ScheduleParams& params) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);  // n, cb, oh, ow, cl
  const int64_t columns = balanced_columns(stage.shape()[3], params.window_block_columns);
  const std::vector<std::string> taps = reduction_loops(stage);
  std::string ow_outer = loops[3];
  if (columns > 1) {
    s.split(st, loops[3], columns);
    ow_outer = loops[3] + ".o";
  }
  std::vector<std::string> order{loops[0], loops[1], loops[2], ow_outer};
  order.insert(order.end(), taps.begin(), taps.end());
  if (columns > 1) order.push_back(loops[3] + ".i");
  order.push_back(loops[4]);
  s.reorder(st, order);
  s.vectorize(st, loops[4]);
  if (columns > 1) s.unroll(st, loops[3] + ".i");
  unroll_window_taps(s, stage, params);
  s.cache_write(st, ow_outer, MemoryScope::Register);
  if (threads > 1 && !parallel_over_batch(s, stage, threads, params))
    parallel_over_blocks(s, stage, loops[1], stage.shape()[1], loops[2], threads, params);
}

// Any other reduction in NCHW[x]c (global pooling): the reduction over the lanes' vector.
void schedule_reduction_blocked(Schedule& s, const Tensor& stage, bool parallel) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);
  std::vector<std::string> order(loops.begin(), loops.end() - 1);
  for (const std::string& r : reduction_loops(stage)) order.push_back(r);
  order.push_back(loops.back());
  s.reorder(st, order);
  s.vectorize(st, loops.back());
  s.cache_write(st, loops[3], MemoryScope::Register);
  if (parallel) s.parallel(st, stage.shape()[0] > 1 ? loops[0] : loops[1]);
}

// The outermost loop with more than one iteration (a loop of one vanishes, and its
// parallel mark with it), or the innermost.
std::string outer_loop(const Tensor& stage) {
  const std::vector<std::string> loops = spatial_loops(stage);
  for (size_t d = 0; d < loops.size(); ++d)
    if (stage.shape()[d] > 1) return loops[d];
  return loops.back();
}

// The register block of a matrix product: `rows` output rows x `vectors` vectors of
// columns. The most accumulators within dense_accumulators, rows dividing the row extent
// (no guarded tail), ties to more vectors.
struct DenseBlock {
  int64_t rows = 1, vectors = 1;
};
DenseBlock dense_block(int64_t row_extent, int64_t column_vectors, const ScheduleParams& params) {
  DenseBlock best, with_tail;
  for (int64_t v = std::min(params.dense_vectors, column_vectors); v >= 1; --v) {
    int64_t r = 1;
    for (int64_t d = 1; d <= row_extent && d * v <= params.dense_accumulators; ++d)
      if (row_extent % d == 0) r = d;
    if (r * v > best.rows * best.vectors) best = {r, v};
    const int64_t most = std::min(row_extent, params.dense_accumulators / v);
    if (most * v > with_tail.rows * with_tail.vectors) with_tail = {most, v};
  }
  // Where no divisor gives half the accumulators (ViT's 197 tokens, a prime: 1 row of 4
  // vectors, each vector of B loaded for one FMA), the most rows and a guarded tail.
  if (best.rows * best.vectors * 2 <= params.dense_accumulators) return with_tail;
  return best;
}

// A matrix product: a register block of output rows x vectors of the last output axis
// (columns), the reduction inside it, so that each vector of B loaded serves every row and
// each element of A every vector (unrolled: independent FMAs hide each other's latency).
// The output's other axes are fused into one row axis first ([1, 7, 7, 3072] is 49 rows).
// Row blocks or column blocks outside (and parallel), by the size of B's panel of a column
// block.
//
// `batch_axes` leading loops stay outside as they are (parallel over the first): a batch of
// products whose B differs per batch item (WinogradConv's, one per tap), so that a row
// block never straddles two items and each B vector serves every row of the block.
void schedule_dense(Schedule& s, const Tensor& stage, int lanes, bool parallel,
                    const ScheduleParams& params, size_t batch_axes = 0) {
  const std::string& st = stage.name();
  std::vector<std::string> loops = spatial_loops(stage);
  if (loops.size() <= batch_axes) return;
  const std::vector<std::string> batch(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(batch_axes));
  loops.erase(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(batch_axes));
  const std::string column = loops.back();
  int64_t col_lanes = lanes_dividing(stage.shape().back(), lanes);
  // Columns that no vector divides (ViT's attention over 197 tokens): full vectors and a
  // guarded tail, which the partitioner cuts off.
  if (col_lanes == 1 && stage.shape().back() >= 2 * lanes) col_lanes = lanes;
  if (col_lanes == 1) {
    s.cache_write(st, column, MemoryScope::Register);
    if (parallel) s.parallel(st, outer_loop(stage));
    return;
  }
  std::string row;
  int64_t row_extent = 1;
  for (size_t d = 0; d + 1 < loops.size(); ++d) {
    if (!row.empty()) {
      s.fuse(st, row, loops[d]);
      row += "." + loops[d];
    } else {
      row = loops[d];
    }
    row_extent *= stage.shape()[batch_axes + d];
  }
  const DenseBlock block = dense_block(row_extent, stage.shape().back() / col_lanes, params);
  // A guarded tail where the vectors do not divide the columns (partitioned off).
  s.split(st, column, col_lanes * block.vectors);
  const std::string col_outer = column + ".o";
  const std::string inner = block.vectors > 1 ? column + ".i.i" : column + ".i";
  if (block.vectors > 1) s.split(st, column + ".i", col_lanes);
  std::string row_outer = row;
  if (block.rows > 1) {
    s.split(st, row, block.rows);
    row_outer = row + ".o";
  }
  // With the rows outside, each row block reads all of B again; with the columns outside,
  // each column block all of A, and B's panel of the block (K x its columns) stays in
  // cache while the rows pass. Columns outside where that panel exceeds
  // dense_columns_outside_panel_bytes.
  int64_t depth = 1;  // K
  if (const auto& r = stage.definition()->reduction)
    for (const loop::Axis& a : r->axes) depth *= a.extent;
  const int64_t panel_bytes = depth * col_lanes * block.vectors * 4;
  const int64_t row_blocks = row_extent / block.rows;
  const bool columns_outside =
      row.empty() || (row_blocks > 1 && panel_bytes > params.dense_columns_outside_panel_bytes);
  std::vector<std::string> order = batch;
  if (columns_outside) order.push_back(col_outer);
  if (!row.empty()) order.push_back(row_outer);
  if (!columns_outside) order.push_back(col_outer);
  const std::string accumulate_at = order.back();  // the register block inside it
  for (const std::string& r : reduction_loops(stage)) order.push_back(r);
  if (block.rows > 1) order.push_back(row + ".i");
  if (block.vectors > 1) order.push_back(column + ".i.o");
  order.push_back(inner);
  s.reorder(st, order);
  s.vectorize(st, inner);
  if (block.rows > 1) s.unroll(st, row + ".i");
  if (block.vectors > 1) s.unroll(st, column + ".i.o");
  s.cache_write(st, accumulate_at, MemoryScope::Register);
  if (parallel && !batch.empty()) s.parallel(st, batch.front());
  else if (parallel) s.parallel(st, columns_outside || row_blocks == 1 ? col_outer : row_outer);
}

// Any other reduction: accumulated in a register per output element; where its loads walk
// the last output axis contiguously and vectors divide it, as a matrix product's columns
// (vectors of them accumulated in registers, the reduction loops between).
void schedule_reduction(Schedule& s, const Tensor& stage, int lanes, bool parallel,
                        const ScheduleParams& params) {
  const std::vector<std::string> loops = spatial_loops(stage);
  if (loops.empty()) return;
  if (lanes_dividing(stage.shape().back(), lanes) > 1 &&
      reads_contiguously_along(stage, loops.size() - 1)) {
    schedule_dense(s, stage, lanes, parallel, params);
    return;
  }
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


// ---- WinogradConv (lower/ops/winograd.cc) ---------------------------------------------

bool is_winograd_input(const Tensor& stage) {
  const auto& axes = stage.definition()->axes;
  return stage.definition()->reduction == nullptr && !axes.empty() &&
         axes[0].var.name() == kWinogradTapAxis;
}

// The output tile m of a WinogradConv group: its input transform has (m + 2)^2 taps.
int64_t winograd_tile(const std::vector<Tensor>& stages) {
  for (const Tensor& stage : stages)
    if (is_winograd_input(stage)) {
      int64_t t = 1;
      while (t * t < stage.shape()[0]) ++t;
      return t - 2;
    }
  return 1;
}

// The input transform V [tap, tile, c]: for each tile, a vector of channels at a time, its
// taps unrolled, so that the selects on the tap fold and LLVM shares the patch's loads and
// row sums between the taps; parallel over the tiles.
void schedule_winograd_input(Schedule& s, const Tensor& stage, int lanes, bool parallel) {
  const std::string& st = stage.name();
  const std::string tap(kWinogradTapAxis);
  const int64_t vector = lanes_dividing(stage.shape()[2], lanes);
  if (vector > 1) {
    s.split(st, "c", vector);
    s.reorder(st, {"tile", "c.o", tap, "c.i"});
    s.vectorize(st, "c.i");
  } else {
    s.reorder(st, {"tile", "c", tap});
  }
  s.unroll(st, tap);
  if (parallel) s.parallel(st, "tile");
}

// The output transform, per tile (its rows and columns split by m and unrolled, so that the
// selects on the place in the tile fold) and vector of output channels (the lanes of a
// channel block, or vectors of K in NCHW), each element accumulated in a register and
// stored once through the epilogue. Parallel over the channel blocks, or with the tile
// rows where those do not share evenly among the threads.
void schedule_winograd_output(Schedule& s, const Tensor& stage, int64_t m, int lanes,
                              int threads, const ScheduleParams& params) {
  const std::string& st = stage.name();
  const std::vector<std::string> loops = spatial_loops(stage);
  const bool blocked = stores_blocked(stage);
  const std::string h = loops[2], w = loops[3];
  std::string channels = loops[1], vector = blocked ? loops[4] : "";
  int64_t channel_extent = stage.shape()[1];
  if (!blocked) {
    const int64_t k_lanes = lanes_dividing(stage.shape()[1], lanes);
    if (k_lanes > 1) {
      s.split(st, channels, k_lanes);
      vector = channels + ".i";
      channels += ".o";
      channel_extent /= k_lanes;
    }
  }
  s.split(st, h, m);
  s.split(st, w, m);
  std::vector<std::string> order = {loops[0], channels, h + ".o", w + ".o", h + ".i", w + ".i"};
  for (const std::string& r : reduction_loops(stage)) order.push_back(r);
  if (!vector.empty()) order.push_back(vector);
  s.reorder(st, order);
  s.unroll(st, h + ".i");
  s.unroll(st, w + ".i");
  if (!vector.empty()) s.vectorize(st, vector);
  s.cache_write(st, w + ".i", MemoryScope::Register);
  if (threads > 1) parallel_over_blocks(s, stage, channels, channel_extent, h + ".o", threads, params);
}

// Which schedule a stage takes.
enum class StageKind : uint8_t {
  ConvBlocked, WindowBlocked, ReductionBlocked,  // storing NCHW[x]c
  Conv, ConvGradWeight, Window, Dense, Reduction, Injective,
};

// The one place that reads the op family: `family` is the group's for its anchor stage, and
// Injective for the other stages (a reduction or an elementwise stage of the group).
StageKind stage_kind(const Tensor& stage, ScheduleFamily family) {
  const bool reduces = stage.definition()->reduction != nullptr;
  const bool has_columns = stage.shape().size() == 4 && stage.shape()[3] > 1;
  if (stores_blocked(stage) && reduces) {
    switch (family) {
      case ScheduleFamily::Conv2d:
      case ScheduleFamily::Conv2dGradInput: return StageKind::ConvBlocked;
      case ScheduleFamily::DepthwiseConv2d:
      case ScheduleFamily::Pool:
        return stage.shape()[3] > 1 ? StageKind::WindowBlocked : StageKind::ReductionBlocked;
      default: return StageKind::ReductionBlocked;
    }
  }
  switch (family) {
    case ScheduleFamily::Conv2d:
    case ScheduleFamily::Conv2dGradInput: return StageKind::Conv;
    case ScheduleFamily::Conv2dGradWeight: return StageKind::ConvGradWeight;
    case ScheduleFamily::DepthwiseConv2d:
      // Read channels-last (short rows of a batch, ops/conv.cc): vectors of channels.
      return reads_contiguously_along(stage, 1) ? StageKind::Conv : StageKind::Window;
    case ScheduleFamily::Pool:
      if (has_columns) return StageKind::Window;
      break;
    case ScheduleFamily::Dense: return StageKind::Dense;
    case ScheduleFamily::Injective:
    case ScheduleFamily::Reduce:
    case ScheduleFamily::Softmax:
    case ScheduleFamily::WinogradConv2d: break;
  }
  return reduces ? StageKind::Reduction : StageKind::Injective;
}

}  // namespace

int64_t lanes_dividing(int64_t extent, int lanes) {
  for (int64_t l = lanes; l >= 2; l /= 2)
    if (extent % l == 0) return l;
  return 1;
}

int64_t stage_work(const Tensor& stage) {
  int64_t work = 1;
  for (int64_t extent : stage.shape()) work *= extent;
  if (const auto& r = stage.definition()->reduction)
    for (const loop::Axis& a : r->axes) work *= a.extent;
  return work;
}

Schedule default_schedule(const std::vector<Tensor>& stages, ScheduleFamily family,
                          const std::optional<Tensor>& anchor, const target::Target& target,
                          const ScheduleParams& params) {
  const int lanes = target.vector_lanes;
  Schedule s;
  for (const Tensor& stage : stages) {
    const bool is_anchor = anchor && anchor->same_as(stage);
    const int threads = stage_work(stage) >= params.min_parallel_work ? target.threads : 1;
    const bool parallel = threads > 1;
    if (family == ScheduleFamily::WinogradConv2d) {
      if (is_anchor) {
        schedule_winograd_output(s, stage, winograd_tile(stages), lanes, threads, params);
        continue;
      }
      if (is_winograd_input(stage)) {
        schedule_winograd_input(s, stage, lanes, parallel);
        continue;
      }
      if (stage.definition()->reduction) {  // the products, one per tap
        schedule_dense(s, stage, lanes, parallel, params, 1);
        continue;
      }
    }
    switch (stage_kind(stage, is_anchor ? family : ScheduleFamily::Injective)) {
      case StageKind::ConvBlocked: schedule_conv2d_blocked(s, stage, threads, params); break;
      case StageKind::WindowBlocked: schedule_window_blocked(s, stage, threads, params); break;
      case StageKind::ReductionBlocked: schedule_reduction_blocked(s, stage, parallel); break;
      case StageKind::Conv: schedule_conv2d(s, stage, lanes, threads, params); break;
      case StageKind::ConvGradWeight:
        schedule_conv2d_grad_weight(s, stage, lanes, parallel, params);
        break;
      case StageKind::Window: schedule_window(s, stage, lanes, parallel, params); break;
      case StageKind::Dense: schedule_dense(s, stage, lanes, parallel, params); break;
      case StageKind::Reduction: schedule_reduction(s, stage, lanes, parallel, params); break;
      case StageKind::Injective: schedule_injective(s, stage, lanes, parallel); break;
    }
  }
  return s;
}

}  // namespace nas::lower
