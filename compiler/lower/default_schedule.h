// The default schedule of each op family for a target: what a person would write for the
// target's vector width (target::Target::vector_lanes: AVX-512 16 lanes, AVX2 / AVX 8,
// otherwise 4), parallel over an outer loop when the target has more than one thread. Every
// block size and threshold is a field of ScheduleParams (target/schedule_params.h).
//
// - conv2d: output channels in vectors (weights packed so a vector of output channels is
//   contiguous), a block of up to 4 vectors of channels x a few output columns accumulated
//   in registers (cache_write), the block and small kernels' taps unrolled;
// - depthwise_conv2d and pool (sliding windows per channel): along output rows, the taps
//   unrolled, accumulated in registers; columns in explicit vectors (a block of them) for
//   large windows at stride 1, else scalar columns that LLVM vectorizes; parallel over
//   images and channels. (Loop partitioning keeps the padding's selects at the borders.)
// - dense: output columns in vectors (a transposed constant B packed likewise), accumulated
//   in registers;
// - winograd_conv2d: the input transform with its taps unrolled inside a vector of
//   channels, the products as a batch of dense products (one per tap), the output
//   transform per tile with its place in the tile unrolled;
// - global pooling, reduce, softmax: parallel over the outer loop of each stage;
// - injective: the innermost axis vectorized when the vector width divides its extent.
// Stages that store NCHW[x]c (passes/layout.h; loops [n, c blocks, h, w, c lanes]) take the
// lanes as the vector: conv2d a register block of channel blocks x output columns with the
// reduction (input channel blocks, their lanes, taps) inside it; depthwise and pooling a
// block of output columns with the taps unrolled; global pooling the reduction per vector;
// parallel over channel blocks where the threads share them evenly, else with the rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/loop/schedule.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/target/schedule_params.h"
#include "compiler/target/target.h"

namespace nas::lower {

using target::ScheduleParams;

// The lanes a vector over `extent` elements uses: the largest power of two up to `lanes`
// that divides `extent` (so the vectorized loop needs no guard), or 1 when none >= 2 does.
int64_t lanes_dividing(int64_t extent, int lanes);

// The multiply-adds a stage computes (its elements, without a reduction): what decides
// whether it runs in parallel (ScheduleParams::min_parallel_work), and a tuner's GFLOP/s.
int64_t stage_work(const loop::Tensor& stage);


// The schedule of a kernel's stages; `anchor` is the stage of the group's first reducing
// op (nullopt for injective groups). The vector width and threads come from the target,
// every other constant from `params` (target.schedule unless overridden).
loop::Schedule default_schedule(const std::vector<loop::Tensor>& stages, ScheduleFamily family,
                                const std::optional<loop::Tensor>& anchor,
                                const target::Target& target, const ScheduleParams& params);

}  // namespace nas::lower
