#include "space/macro_template.h"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/graph/verifier.h"
#include "space/layer_builder.h"

namespace nas::space {

namespace {

using graph::ValueId;

struct StageSettings {
  Setting depth, kernel, expand, width, act, se, stride;
};

struct MacroSettings {
  Setting stem_width, stem_act, stem_stride;
  std::vector<StageSettings> stages;
  Setting head_width, head_act;
};

// One inverted-residual block's resolved values.
struct BlockShape {
  int64_t kernel, expand, width, stride;
  Activation act;
  bool se;
};

class MacroTemplate final : public NetworkTemplate {
 public:
  MacroTemplate(MacroSettings settings, NetworkIo io) : s_(std::move(settings)), io_(io) {}

  graph::Graph build(const SearchSpace& space, const Architecture& arch,
                     int64_t batch) const override {
    graph::Graph g(space.name());
    LayerBuilder b(g, space.hash(arch));
    ValueId x = g.add_input("image", {graph::DType::F32, {batch, io_.channels, io_.height, io_.width}});
    x = b.conv("stem.conv", x, s_.stem_width.integer(space, arch), 3,
               s_.stem_stride.integer(space, arch));
    x = b.batch_norm("stem.bn", x);
    x = b.activation("stem.act", x, activation_from_label(s_.stem_act.label(space, arch)));
    for (size_t i = 0; i < s_.stages.size(); ++i) {
      const StageSettings& st = s_.stages[i];
      const int64_t depth = st.depth.integer(space, arch);
      for (int64_t j = 0; j < depth; ++j) {
        const BlockShape block{.kernel = st.kernel.integer(space, arch),
                               .expand = st.expand.integer(space, arch),
                               .width = st.width.integer(space, arch),
                               .stride = j == 0 ? st.stride.integer(space, arch) : 1,
                               .act = activation_from_label(st.act.label(space, arch)),
                               .se = st.se.is_on(space, arch)};
        x = inverted_residual(b, fmt::format("stage{}.block{}", i + 1, j + 1), x, block);
      }
    }
    const Activation head_act = activation_from_label(s_.head_act.label(space, arch));
    x = b.conv("head.conv", x, s_.head_width.integer(space, arch), 1);
    x = b.batch_norm("head.bn", x);
    x = b.activation("head.act", x, head_act);
    x = g.add("GlobalAveragePool", {x}, {}, "head.pool");
    x = g.add("Flatten", {x}, {{"axis", int64_t{1}}}, "head.flatten");
    g.add_output(b.dense("classifier", x, io_.classes));
    g.rename(g.outputs()[0], "logits");
    const auto problems = graph::verify_graph(g);
    NAS_CHECK(problems.empty(), "macro template built an invalid graph: {}", problems.front());
    return g;
  }

 private:
  static ValueId inverted_residual(LayerBuilder& b, const std::string& name, ValueId input,
                                   const BlockShape& block) {
    graph::Graph& g = b.graph();
    const int64_t in = b.channels(input);
    const int64_t hidden = in * block.expand;
    ValueId x = input;
    if (block.expand != 1) {
      x = b.conv(name + ".expand", x, hidden, 1);
      x = b.batch_norm(name + ".expand.bn", x);
      x = b.activation(name + ".expand.act", x, block.act);
    }
    x = b.conv(name + ".depthwise", x, hidden, block.kernel, block.stride, hidden);
    x = b.batch_norm(name + ".depthwise.bn", x);
    x = b.activation(name + ".depthwise.act", x, block.act);
    if (block.se) {
      ValueId s = g.add("GlobalAveragePool", {x}, {}, name + ".se.pool");
      s = b.conv(name + ".se.reduce", s, std::max<int64_t>(8, hidden / 4), 1, 1, 1, true);
      s = g.add("Relu", {s}, {}, name + ".se.relu");
      s = b.conv(name + ".se.expand", s, hidden, 1, 1, 1, true);
      // PyTorch's Hardsigmoid: relu6(x + 3) / 6.
      s = g.add("HardSigmoid", {s}, {{"alpha", 1.0f / 6.0f}, {"beta", 0.5f}}, name + ".se.gate");
      x = g.add("Mul", {x, s}, {}, name + ".se.scale");
    }
    x = b.conv(name + ".project", x, block.width, 1);
    x = b.batch_norm(name + ".project.bn", x);
    if (block.stride == 1 && in == block.width) x = g.add("Add", {input, x}, {}, name + ".residual");
    return x;
  }

  MacroSettings s_;
  NetworkIo io_;
};

}  // namespace

std::shared_ptr<const NetworkTemplate> read_macro_template(const YAML::Node& network,
                                                           const NetworkIo& io,
                                                           SpaceFileReader& reader) {
  reader.expect_map(network, "network", {"template", "stem", "stages", "head"}, 4);
  const ValueKind positive = ValueKind::positive_integer();
  const ValueKind activation = ValueKind::one_of({"relu", "hswish"});
  MacroSettings s;

  const YAML::Node stem = network["stem"];
  reader.expect_map(stem, "network.stem", {"width", "act", "stride"}, 3);
  s.stem_width = reader.setting(stem["width"], "network.stem.width", positive);
  s.stem_act = reader.setting(stem["act"], "network.stem.act", activation);
  s.stem_stride = reader.setting(stem["stride"], "network.stem.stride", positive);

  const YAML::Node stages = network["stages"];
  reader.yaml().check_list(stages, "network.stages", 1, "a non-empty list of stages");
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string path = fmt::format("network.stages[{}]", i);
    const YAML::Node st = stages[i];
    reader.expect_map(st, path, {"depth", "kernel", "expand", "width", "act", "se", "stride"}, 7);
    auto read = [&](const char* key, const ValueKind& kind) {
      return reader.setting(st[key], path + "." + key, kind);
    };
    s.stages.push_back({.depth = read("depth", positive),
                        .kernel = read("kernel", ValueKind::odd_kernel()),
                        .expand = read("expand", positive),
                        .width = read("width", positive),
                        .act = read("act", activation),
                        .se = read("se", ValueKind::switch_value()),
                        .stride = read("stride", positive)});
  }

  const YAML::Node head = network["head"];
  reader.expect_map(head, "network.head", {"width", "act"}, 2);
  s.head_width = reader.setting(head["width"], "network.head.width", positive);
  s.head_act = reader.setting(head["act"], "network.head.act", activation);
  return std::make_shared<MacroTemplate>(std::move(s), io);
}

}  // namespace nas::space
