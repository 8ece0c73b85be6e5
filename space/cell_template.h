// The `cell` network template: NAS-Bench-201's cell network.
//
// stem: conv3x3 to C channels + BN; three stages of N cells (C, 2C, 4C channels) with a
// residual reduction block between stages (ReLU-conv3x3 stride 2-BN, ReLU-conv3x3-BN, plus
// a shortcut of AveragePool 2x2 stride 2 and conv1x1); head: BN + ReLU, global pool,
// Flatten, Gemm to the classes. Every cell has the same genotype: 4 nodes, node 0 the
// cell's input, node j the sum over i < j of op_ij(node i), the cell's output node 3; an
// op is one of none, skip, conv1x1, conv3x3 (ReLU-Conv-BN), avgpool3x3 (stride 1, pad 1,
// padding not counted).
//
// `none` contributes nothing. A node all of whose inputs are `none` (or come from such
// nodes) is zero, and edges leaving it contribute nothing either; nodes that do not reach
// the output are left out. A cell whose output is zero outputs Sub(input, input), so the
// network stays a valid graph (with no gradient through that cell).
#pragma once

#include <memory>

#include <yaml-cpp/yaml.h>

#include "space/search_space.h"
#include "space/space_file_reader.h"

namespace nas::space {

// Reads the `network:` map of a space file whose template is `cell` (see
// configs/spaces/README.md for the keys).
std::shared_ptr<const NetworkTemplate> read_cell_template(const YAML::Node& network,
                                                          const NetworkIo& io,
                                                          SpaceFileReader& reader);

}  // namespace nas::space
