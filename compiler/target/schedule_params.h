// The constants of the default schedules (lower/default_schedule.h) for one target, as one
// typed, printable value: register-block sizes, unrolling and vectorizing thresholds, the
// work under which a stage runs serially. Every target carries its own (Target::schedule):
// derive_machine_facts derives them from its vector registers (default_schedule_params), a
// target file may set any of them (`schedule:`), and lowering takes the target's unless
// LowerOptions overrides them (a test, a tuner).
//
// The measured values were measured on an AMD Zen 4 (one 512-bit FMA path, 117 GFLOP/s fp32
// per core); the others are judgments. Each field says what it trades and which it is. On
// another CPU they are guesses until measured there (docs/benchmarks.md). The members'
// initializers are the values for 32 vector registers: take default_schedule_params.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nas::target {

struct ScheduleParams {
  // ---- Threads -------------------------------------------------------------------------
  // Stages of fewer multiply-adds (elements, without a reduction) run serially: the fork
  // and join of a parallel loop (a few microseconds) cost more than sharing them saves.
  // Measured on Zen 4 at 2 threads: the shipped spaces' networks at 28x28 (most kernels a
  // few microseconds) took 1.2-1.5x less time serial below 65536 than parallel everywhere; a
  // larger bound changed nothing measurable. Tests set 0 to run every parallel loop.
  int64_t min_parallel_work = 65536;
  // Convolutions and windows: a parallel loop over the batch (training) when its images
  // divide among the threads or number at least this many per thread (one more or less is
  // then at most a quarter of a thread's share); else, in NCHW[x]c, over channel blocks
  // alone (kept partitioned at the padding) by the same rule; otherwise fused with the rows.
  // Blocks alone were measured on Zen 4 with 2 threads (3x3 convs 98-99% of the peak
  // against 86-93% over blocks and rows); the factor 4 itself is a judgment, not measured.
  int64_t parallel_blocks_per_thread = 4;

  // ---- Register blocks of convolutions (conv2d, NCHW and NCHW[x]c) ---------------------
  // Accumulators (vector registers) of a convolution's register block of channel vectors x
  // output columns. Zen 4, 3x3 and 1x1 layers: 16 with 32 vector registers, 8 with 16 (at
  // 12 LLVM spills around the unrolled taps: 2x slower).
  int64_t conv_accumulators = 16;
  // The same for a 1x1 convolution (NCHW[x]c output): 24 with 32 vector registers. With
  // the block's smaller side unrolled inside (so LLVM keeps few loads live), 24 took
  // 0.88-0.96 of 16's time on 1x1 chains at 7x7 to 56x56 and 0.93-0.97 on ResNet-50,
  // MobileNetV2 and MnasNet at 1 thread on a Sapphire Rapids Xeon (1x1 1024 -> 256 at 14x14
  // as 4 x 5 instead of 2 x 7; RegNetX's 400 -> 400 at 7x7 as 5 x 4 + 5 x 3 instead of
  // 5 x 3 + 5 x 3 + 5 x 1). For kernels with taps, 24 took 1.02-1.03x on ResNet-18 (3x3
  // at 7x7 as 4 x 4 + 4 x 3 against 2 x 7).
  int64_t conv_pointwise_accumulators = 16;
  // The numbers of channel vectors a block may take, most preferred first (more reuse each
  // broadcast input element more). NCHW takes only the powers of two among them. Zen 4:
  // {4, 3, 2} with 32 registers (3 for 48-channel layers: 1x1 144 -> 24 channels at 56x56,
  // 3 x 4 96% of the peak against 1 x 14 64-83%), {2} with 16.
  // 5 and 7 last, for counts of blocks that 4, 3 and 2 do not divide (RegNetX's 400
  // channels, 25 blocks of 16), which otherwise took one vector a block.
  std::vector<int64_t> conv_channel_vectors = {4, 3, 2, 5, 7};
  // NCHW[x]c: a block whose columns divide the row (no guarded tail) is taken when it uses at
  // least this share of the accumulators; else the most vectors with balanced columns. Zen 4:
  // 3x3 512 channels at 7x7, 2 x 7 (14 of 16) 88-96% of the peak against 4 x 4 with a tail
  // 66-80%.
  double conv_min_accumulator_use = 0.75;
  // Kernel taps unrolled: kw up to this extent, kh with it while kh * kw stays within
  // conv_unroll_taps (3x3), so the body stays small enough to compile quickly (a bound on
  // compile time, not measured for speed).
  int64_t conv_unroll_kw = 7;
  int64_t conv_unroll_taps = 9;
  // NCHW[x]c input: where a register block's weights over all input channels (vectors x
  // lanes x CI x KH x KW floats) exceed this many bytes, the input channel blocks are
  // split into chunks within it (two blocks at least), outside the rows (inside them where
  // the threads take the rows), so that a chunk of weights stays in L1 across the pixels;
  // the output holds the partial sums between chunks (0: no split). Without it a 1x1
  // 400 -> 400 at 7x7 re-read its 128 KiB of weights from L2 for each block of 3 columns.
  // Two thirds of a 48 KiB L1 data cache, measured on a Sapphire Rapids Xeon
  // (default_schedule.cc); a judgment elsewhere.
  int64_t conv_weight_chunk_bytes = 32 * 1024;
  // Where the input channels are in chunks: the weights of the chunk this many chunks ahead
  // are prefetched (prefetcht1, into L2) while the current one computes (0: no prefetch);
  // a tuner knob. Off: on a Sapphire Rapids Xeon (ab_bench, alternated), one chunk ahead
  // took 1.015-1.03x the time of none on MnasNet-style 1x1 blocks at 7x7 and 14x14 and on
  // MnasNet and ResNet-50 at 2 threads, 1.0 at 1; into L1 (prefetcht0) 1.035-1.07x, and
  // non-temporal 1.13-1.8x (it evicts the chunk the next rows read again).
  int64_t conv_prefetch_chunks = 0;

  // ---- Sliding windows per channel (depthwise conv2d, pooling) --------------------------
  // Every tap unrolled up to this many taps (8x8); beyond, only the innermost tap axis where
  // its extent is within it (a bound on the compile time of huge windows).
  int64_t window_unroll_taps = 64;
  // NCHW: windows of at least this many taps (6x6) at stride 1 take explicit vectors of
  // columns; smaller ones scalar columns, which LLVM's loop vectorizer turns into vectors
  // once the taps are unrolled (measured faster on AVX-512, Zen 4, than our vectors up to
  // 5x5).
  int64_t window_vector_taps = 36;
  // NCHW: those vectors take up to this many columns (dividing the row), and a block of up
  // to window_max_vectors of them (dividing the vectors of a row where one does) is
  // accumulated in registers. Chosen with the vector path, not measured separately.
  int64_t window_max_lanes = 4;
  int64_t window_max_vectors = 7;
  // NCHW[x]c: a register block of up to this many output columns (balanced over the row),
  // one accumulator each: 14 with 32 vector registers, 7 with 16 (rows of 56, 28, 14 and 7
  // divide without a tail). Zen 4, depthwise 3x3 128 channels at 56x56 with blocks of 14:
  // 83-88% of the peak with 2 threads.
  int64_t window_block_columns = 14;

  // ---- Dense (Gemm, MatMul) ---------------------------------------------------------------
  // Vectors of output columns accumulated at once (unrolled), so independent FMAs hide each
  // other's latency; not measured.
  int64_t dense_vectors = 4;
  // Accumulators of a dense register block: rows x vectors of columns, so that each vector
  // of B loaded serves every row of the block and each broadcast of A every vector (one
  // row at a time, a [3136, 96] x [96, 384] product ran at 40% of the FMA peak, [49, 768] x
  // [768, 3072] at 8%). 24 with 32 vector registers (the B vectors and a broadcast beside
  // them), 12 with 16.
  int64_t dense_accumulators = 24;
  // The column blocks go outside the row blocks where B's panel of one (K x its columns)
  // is larger than this, so that it stays in cache while the rows pass; else the rows go
  // outside (then each row block reads all of B again). Measured on a Sapphire Rapids Xeon
  // (48 KiB L1d, 2 MiB L2), 1 thread: columns outside [49, 768] x [768, 3072] (a 192 KiB
  // panel) 2.56 -> 0.99 ms, [196, 384] x [384, 1536] (72 KiB) 1.52 -> 1.0-1.1 ms,
  // [196, 1536] x [1536, 384] (384 KiB) 1.64 -> 1.0 ms; rows outside [3136, 96] x [96, 384]
  // (24 KiB) 1.21 ms against 1.58. About the L1 data cache.
  int64_t dense_columns_outside_panel_bytes = 48 * 1024;

  // ---- Winograd convolutions (passes/winograd.h) ----------------------------------------
  // The largest output tile m of F(m x m, 3 x 3) for 3x3 convolutions of stride 1 (2 or 4;
  // 0: every convolution direct), where input and output channels number at least
  // winograd_min_channels and the batch's output tiles at least winograd_min_tiles (else
  // the next smaller tile, else direct). Measured on a Sapphire Rapids Xeon, 1 thread,
  // ResNet-18's layers (direct -> F(4x4) / F(2x2)): 64 channels at 56x56 0.95 -> 0.54 /
  // 0.95 ms, 128 at 28x28 0.95 -> 0.56 / 0.80, 256 at 14x14 (16 tiles of 4) 0.97 -> 0.73 /
  // 0.85, 512 at 7x7 (4 tiles of 4, 16 of 2) 1.12 -> 1.32 / 0.93: with few tiles the
  // transformed weights (4x the weights' bytes for F(4x4)) are streamed for little work.
  // Channels: SqueezeNet's 16 -> 64 at 55x55 0.229 -> 0.187 ms; below 16 not measured (the
  // transforms' cost grows against the products' as channels fall).
  int64_t winograd_tile = 4;
  int64_t winograd_min_channels = 16;
  int64_t winograd_min_tiles = 16;

  // ---- Layout (passes/pad_channels.h) ---------------------------------------------------
  // Channel counts that the layout stores in vectors of fewer lanes than the target's (24,
  // 40, 72 in blocks of 8 with 16 lanes) are padded with zero channels to a multiple of the
  // lanes where that adds at most this share of them: the padding's multiply-adds against
  // twice the lanes per instruction. 0: only counts that no block of 4 or more divides
  // are padded (to the least count stored blocked). Measured on an Emerald Rapids Xeon
  // (ab_bench, torchvision models, 0.25 against 0): MobileNetV3-Small 0.94 at 1 thread,
  // MobileNetV3-Large 0.95, MnasNet 0.96, RegNetY-400MF 0.97, EfficientNet-B1 0.99,
  // ShuffleNetV2 0.91 (116 -> 128 against 120); 24 -> 32 (+33%) was 1% slower than
  // vectors of 8 in MobileNetV2, MnasNet and EfficientNet-B0.
  double full_vector_padding = 0.25;

  // Calls visit(name, value) for each field in declaration order: the one list that the
  // printers and the target file reader share.
  template <class Visit>
  void visit_fields(Visit&& visit) const {
    visit_fields_of(*this, visit);
  }
  template <class Visit>
  void visit_fields(Visit&& visit) {
    visit_fields_of(*this, visit);
  }
  // One line per field, "name = value", in declaration order.
  std::string to_string() const;
  nlohmann::json to_json() const;
  // These values with the fields `j` names set from it (as to_json writes them). Throws
  // nlohmann::json's errors for a value of the wrong type; names it does not know are
  // ignored, so records written with more fields still read.
  ScheduleParams with_json(const nlohmann::json& j) const;
  bool operator==(const ScheduleParams&) const = default;

 private:
  template <class Self, class Visit>
  static void visit_fields_of(Self& self, Visit& visit) {
    visit("min_parallel_work", self.min_parallel_work);
    visit("parallel_blocks_per_thread", self.parallel_blocks_per_thread);
    visit("conv_accumulators", self.conv_accumulators);
    visit("conv_pointwise_accumulators", self.conv_pointwise_accumulators);
    visit("conv_channel_vectors", self.conv_channel_vectors);
    visit("conv_min_accumulator_use", self.conv_min_accumulator_use);
    visit("conv_unroll_kw", self.conv_unroll_kw);
    visit("conv_unroll_taps", self.conv_unroll_taps);
    visit("conv_weight_chunk_bytes", self.conv_weight_chunk_bytes);
    visit("conv_prefetch_chunks", self.conv_prefetch_chunks);
    visit("window_unroll_taps", self.window_unroll_taps);
    visit("window_vector_taps", self.window_vector_taps);
    visit("window_max_lanes", self.window_max_lanes);
    visit("window_max_vectors", self.window_max_vectors);
    visit("window_block_columns", self.window_block_columns);
    visit("dense_vectors", self.dense_vectors);
    visit("dense_accumulators", self.dense_accumulators);
    visit("dense_columns_outside_panel_bytes", self.dense_columns_outside_panel_bytes);
    visit("winograd_tile", self.winograd_tile);
    visit("winograd_min_channels", self.winograd_min_channels);
    visit("winograd_min_tiles", self.winograd_min_tiles);
    visit("full_vector_padding", self.full_vector_padding);
  }
};

// The default schedules' constants for a target with this many vector registers: those
// above that depend on them take the value measured for that count.
ScheduleParams default_schedule_params(int vector_registers);

}  // namespace nas::target
