// The `macro` network template: a MobileNetV3-style network of inverted-residual blocks.
//
// stem: conv3x3 (with its own stride) + BN + act; then stages, each `depth` blocks of `width` output
// channels whose first block has the stage's stride; block: 1x1 expand (skipped at expand
// ratio 1) + BN + act, depthwise kxk + BN + act, optional squeeze-excite (global pool,
// 1x1 reduce to max(8, channels/4), ReLU, 1x1, HardSigmoid, Mul), 1x1 project + BN, and a
// residual Add when the block keeps stride 1 and its channel count; head: 1x1 conv + BN +
// act, global pool, Flatten, Gemm to the classes. Output: logits [N, classes].
#pragma once

#include <memory>

#include <yaml-cpp/yaml.h>

#include "space/search_space.h"
#include "space/space_file_reader.h"

namespace nas::space {

// Reads the `network:` map of a space file whose template is `macro` (see
// configs/spaces/README.md for the keys).
std::shared_ptr<const NetworkTemplate> read_macro_template(const YAML::Node& network,
                                                           const NetworkIo& io,
                                                           SpaceFileReader& reader);

}  // namespace nas::space
