#include "space/cell_template.h"

#include <array>

#include <fmt/format.h>

#include "compiler/graph/verifier.h"
#include "space/layer_builder.h"

namespace nas::space {

namespace {

using graph::Shape;
using graph::ValueId;

constexpr int kNodes = 4;
constexpr int kStages = 3;

struct Edge {
  int from, to;
  std::string key() const { return fmt::format("{}->{}", from, to); }
};
// NAS-Bench-201's edge order (its architecture strings list edges so).
constexpr std::array<Edge, 6> kEdges{{{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}};

const std::vector<std::string> kOps{"none", "skip", "conv1x1", "conv3x3", "avgpool3x3"};

struct CellSettings {
  Setting channels, cells;
  std::array<Setting, kEdges.size()> edges;
};

class CellTemplate final : public NetworkTemplate {
 public:
  CellTemplate(CellSettings settings, NetworkIo io) : s_(std::move(settings)), io_(io) {}

  graph::Graph build(const SearchSpace& space, const Architecture& arch,
                     int64_t batch) const override {
    if (io_.height < 4 || io_.width < 4)
      user_error("{}: the cell template's two reductions need an input of at least 4x4, got "
                 "{}x{}", space.name(), io_.height, io_.width);
    std::array<std::string, kEdges.size()> ops;
    for (size_t e = 0; e < kEdges.size(); ++e) ops[e] = s_.edges[e].label(space, arch);
    const int64_t channels = s_.channels.integer(space, arch);
    const int64_t cells = s_.cells.integer(space, arch);

    graph::Graph g(space.name());
    LayerBuilder b(g, space.hash(arch));
    ValueId x = g.add_input("image", {graph::DType::F32, {batch, io_.channels, io_.height, io_.width}});
    x = b.conv("stem.conv", x, channels, 3);
    x = b.batch_norm("stem.bn", x);
    for (int stage = 0; stage < kStages; ++stage) {
      if (stage > 0)
        x = reduction(b, fmt::format("reduction{}", stage), x, channels << stage);
      for (int64_t c = 0; c < cells; ++c)
        x = cell(b, fmt::format("stage{}.cell{}", stage + 1, c + 1), x, ops);
    }
    x = b.batch_norm("head.bn", x);
    x = g.add("Relu", {x}, {}, "head.relu");
    x = g.add("GlobalAveragePool", {x}, {}, "head.pool");
    x = g.add("Flatten", {x}, {{"axis", int64_t{1}}}, "head.flatten");
    g.add_output(b.dense("classifier", x, io_.classes));
    g.rename(g.outputs()[0], "logits");
    const auto problems = graph::verify_graph(g);
    NAS_CHECK(problems.empty(), "cell template built an invalid graph: {}", problems.front());
    return g;
  }

 private:
  static ValueId relu_conv_bn(LayerBuilder& b, const std::string& name, ValueId x,
                              int64_t out, int64_t kernel, int64_t stride) {
    x = b.graph().add("Relu", {x}, {}, name + ".relu");
    x = b.conv(name + ".conv", x, out, kernel, stride);
    return b.batch_norm(name + ".bn", x);
  }

  // NAS-Bench-201's ResNet basic block with stride 2.
  static ValueId reduction(LayerBuilder& b, const std::string& name, ValueId x, int64_t out) {
    ValueId y = relu_conv_bn(b, name + ".a", x, out, 3, 2);
    y = relu_conv_bn(b, name + ".b", y, out, 3, 1);
    ValueId shortcut = b.graph().add(
        "AveragePool", {x},
        {{"kernel_shape", Shape{2, 2}}, {"strides", Shape{2, 2}}, {"pads", Shape{0, 0, 0, 0}}},
        name + ".shortcut.pool");
    shortcut = b.conv(name + ".shortcut.conv", shortcut, out, 1);
    return b.graph().add("Add", {shortcut, y}, {}, name + ".add");
  }

  static ValueId apply_op(LayerBuilder& b, const std::string& name, const std::string& op,
                          ValueId x) {
    const int64_t c = b.channels(x);
    if (op == "skip") return x;
    if (op == "conv1x1") return relu_conv_bn(b, name, x, c, 1, 1);
    if (op == "conv3x3") return relu_conv_bn(b, name, x, c, 3, 1);
    NAS_CHECK(op == "avgpool3x3", "unknown cell op {}", op);
    return b.graph().add("AveragePool", {x},
                         {{"kernel_shape", Shape{3, 3}},
                          {"strides", Shape{1, 1}},
                          {"pads", Shape{1, 1, 1, 1}},
                          {"count_include_pad", int64_t{0}}},
                         name);
  }

  static ValueId cell(LayerBuilder& b, const std::string& name, ValueId input,
                      const std::array<std::string, kEdges.size()>& ops) {
    // Which nodes carry a value (not always zero) and which reach the output.
    std::array<bool, kNodes> live{true}, needed{};
    for (int j = 1; j < kNodes; ++j)
      for (size_t e = 0; e < kEdges.size(); ++e)
        if (kEdges[e].to == j && live[kEdges[e].from] && ops[e] != "none") live[j] = true;
    needed[kNodes - 1] = true;
    for (int i = kNodes - 2; i >= 0; --i)
      for (size_t e = 0; e < kEdges.size(); ++e)
        if (kEdges[e].from == i && needed[kEdges[e].to] && ops[e] != "none") needed[i] = true;
    graph::Graph& g = b.graph();
    if (!live[kNodes - 1]) return g.add("Sub", {input, input}, {}, name + ".zero");

    std::array<ValueId, kNodes> node{input};
    for (int j = 1; j < kNodes; ++j) {
      if (!live[j] || !needed[j]) continue;
      ValueId sum = graph::kNoValue;
      for (size_t e = 0; e < kEdges.size(); ++e) {
        const Edge& edge = kEdges[e];
        if (edge.to != j || !live[edge.from] || ops[e] == "none") continue;
        const ValueId y = apply_op(b, fmt::format("{}.edge{}{}", name, edge.from, edge.to),
                                   ops[e], node[edge.from]);
        sum = sum == graph::kNoValue
                  ? y
                  : g.add("Add", {sum, y}, {}, fmt::format("{}.node{}.add{}", name, j, edge.from));
      }
      node[j] = sum;
    }
    return node[kNodes - 1];
  }

  CellSettings s_;
  NetworkIo io_;
};

}  // namespace

std::shared_ptr<const NetworkTemplate> read_cell_template(const YAML::Node& network,
                                                          const NetworkIo& io,
                                                          SpaceFileReader& reader) {
  reader.expect_map(network, "network", {"template", "channels", "cells", "edges"}, 4);
  CellSettings s;
  s.channels = reader.setting(network["channels"], "network.channels", ValueKind::positive_integer());
  s.cells = reader.setting(network["cells"], "network.cells", ValueKind::positive_integer());
  const YAML::Node edges = network["edges"];
  std::vector<std::string> keys;
  for (const Edge& e : kEdges) keys.push_back(e.key());
  reader.expect_map(edges, "network.edges", keys, keys.size());
  const ValueKind op = ValueKind::one_of(kOps);
  for (size_t e = 0; e < kEdges.size(); ++e)
    s.edges[e] = reader.setting(edges[keys[e]], "network.edges." + keys[e], op);
  return std::make_shared<CellTemplate>(std::move(s), io);
}

}  // namespace nas::space
