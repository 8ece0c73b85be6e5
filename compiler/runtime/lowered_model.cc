#include "compiler/runtime/lowered_model.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::runtime {

using namespace graph;

namespace {

int64_t align_up(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

int64_t value_bytes(const TensorType& type) { return type.numel() * dtype_size(type.dtype); }

int64_t buffer_bytes(const loop::Buffer& buffer) {
  return buffer.numel() * std::max(1, buffer.element_type().bits() / 8);
}

std::string buffer_type(const loop::Buffer& buffer) {
  return buffer.element_type().str() + shape_str(buffer.shape());
}

std::vector<int32_t> group_of_nodes(const Graph& graph, const passes::FusionPlan& plan) {
  std::vector<int32_t> group(graph.nodes().size(), -1);
  for (size_t g = 0; g < plan.groups.size(); ++g)
    for (int32_t n : plan.groups[g].nodes) group[static_cast<size_t>(n)] = static_cast<int32_t>(g);
  return group;
}

// Live ranges over kernels of every non-constant value a kernel reads or writes, plus the
// graph inputs and outputs. A view is planned as its whole, which lives from the first
// kernel that writes a part of it to the last that reads it or a part; the views then take
// their ranges of the whole's bytes.
MemoryPlan plan_activations(const Graph& graph, const passes::FusionPlan& plan,
                            const std::vector<lower::LoweredKernel>& kernels,
                            const std::map<ValueId, passes::ConcatView>& views) {
  const auto steps = static_cast<int64_t>(kernels.size());
  const std::vector<int32_t> group = group_of_nodes(graph, plan);
  std::set<ValueId> wholes;
  for (const auto& [part, view] : views) wholes.insert(view.whole);
  std::map<ValueId, PlannedValue> ranges;
  auto touch = [&](ValueId v, int64_t first, int64_t step) {
    if (auto view = views.find(v); view != views.end()) v = view->second.whole;
    auto [it, fresh] = ranges.try_emplace(v);
    PlannedValue& p = it->second;
    if (fresh) {
      p.value = v;
      p.bytes = value_bytes(graph.type(v));
      p.aligned_bytes = align_up(p.bytes);
      p.first = first;
      p.last = step;
    }
    p.first = std::min(p.first, first);
    p.last = std::max(p.last, step);
  };
  for (ValueId v : graph.inputs()) touch(v, 0, 0);
  for (size_t k = 0; k < kernels.size(); ++k) {
    for (const lower::KernelParam& param : kernels[k].params) {
      const Value& value = graph.value(param.value);
      if (value.kind == ValueKind::Constant) continue;
      int64_t first = 0;
      if (value.kind == ValueKind::NodeOutput) {
        // A whole or a slice that no kernel writes: its parts, which earlier kernels write,
        // start the whole.
        first = group[static_cast<size_t>(value.producer)];
        if (first < 0 && (wholes.contains(param.value) || views.contains(param.value)))
          first = static_cast<int64_t>(k);
        NAS_CHECK(first >= 0 && first <= static_cast<int64_t>(k),
                  "kernel {} reads '{}', which no earlier kernel writes", k, value.name);
      }
      touch(param.value, first, static_cast<int64_t>(k));
    }
  }
  for (ValueId v : graph.outputs()) {
    if (graph.is_constant(v)) continue;
    NAS_CHECK(ranges.count(v), "graph output '{}' is not a parameter of any kernel",
              graph.value(v).name);
    touch(v, ranges.at(v).first, steps);
  }
  std::vector<PlannedValue> values;
  for (auto& [v, p] : ranges) values.push_back(p);
  MemoryPlan placed = place_values(std::move(values), steps);
  std::vector<PlannedValue> parts;
  for (const auto& [part, view] : views) {
    const PlannedValue* whole = placed.find(view.whole);
    NAS_CHECK(whole != nullptr, "'{}' is a view of '{}', which no kernel writes",
              graph.value(part).name, graph.value(view.whole).name);
    PlannedValue& p = parts.emplace_back(*whole);
    p.value = part;
    p.bytes = value_bytes(graph.type(part));
    p.aligned_bytes = align_up(p.bytes);
    p.offset = whole->offset + view.byte_offset;
  }
  placed.values.insert(placed.values.end(), parts.begin(), parts.end());
  std::ranges::sort(placed.values, {}, &PlannedValue::value);
  return placed;
}

}  // namespace

std::vector<loop::LoweredFunc> LoweredModel::functions() const {
  std::vector<loop::LoweredFunc> funcs;
  for (const lower::LoweredKernel& k : kernels) funcs.push_back(k.func);
  return funcs;
}

LoweredModel assemble_model(Graph graph, passes::FusionPlan fusion, passes::LayoutPlan layout,
                            std::vector<lower::LoweredKernel> kernels,
                            const target::Target& target,
                            const target::ScheduleParams& schedule_params,
                            std::map<ValueId, passes::ConcatView> views) {
  LoweredModel m;
  m.graph = std::move(graph);
  m.target = target;
  m.schedule_params = schedule_params;
  m.layout = std::move(layout);
  m.kernels = std::move(kernels);
  for (const lower::LoweredKernel& kernel : m.kernels)
    NAS_CHECK(kernel.func.params.size() == kernel.params.size(),
              "kernel {}: {} buffers for {} parameters", kernel.func.name,
              kernel.func.params.size(), kernel.params.size());
  m.activations = plan_activations(m.graph, fusion, m.kernels, views);
  m.views = std::move(views);
  m.fusion = std::move(fusion);

  // Weights: each constant once, unless a kernel takes it packed in its own layout.
  std::map<ValueId, int64_t> constant_offset;
  std::vector<std::pair<int64_t, const Tensor*>> copies;
  int64_t weight_end = 0;
  m.args.resize(m.kernels.size());
  for (size_t k = 0; k < m.kernels.size(); ++k) {
    const lower::LoweredKernel& kernel = m.kernels[k];
    for (size_t i = 0; i < kernel.params.size(); ++i) {
      const lower::KernelParam& param = kernel.params[i];
      const loop::Buffer& buffer = kernel.func.params[i];
      ArgSlot slot{.value = param.value, .bytes = buffer_bytes(buffer)};
      if (m.graph.is_constant(param.value)) {
        slot.where = ArgSlot::Where::Weights;
        const Tensor& data = param.packed ? *param.packed : m.graph.constant(param.value);
        NAS_CHECK(data.nbytes() == slot.bytes, "kernel {}: parameter '{}' holds {} bytes, its "
                  "buffer {}", kernel.func.name, m.graph.value(param.value).name, data.nbytes(),
                  slot.bytes);
        auto known = constant_offset.find(param.value);
        if (!param.packed && known != constant_offset.end()) {
          slot.offset = known->second;
        } else {
          slot.offset = weight_end;
          weight_end += align_up(slot.bytes);
          copies.emplace_back(slot.offset, &data);
          if (!param.packed) constant_offset[param.value] = slot.offset;
        }
      } else {
        const PlannedValue* planned = m.activations.find(param.value);
        NAS_CHECK(planned != nullptr, "kernel {}: '{}' is not planned", kernel.func.name,
                  m.graph.value(param.value).name);
        NAS_CHECK(planned->bytes == slot.bytes, "kernel {}: parameter '{}' has {} bytes, the "
                  "value {}", kernel.func.name, m.graph.value(param.value).name, slot.bytes,
                  planned->bytes);
        slot.offset = planned->offset;
      }
      m.args[k].push_back(slot);
    }
  }
  m.weights = AlignedBuffer(weight_end);
  for (const auto& [offset, tensor] : copies)
    std::memcpy(m.weights.data() + offset, tensor->raw(), static_cast<size_t>(tensor->nbytes()));
  return m;
}

nlohmann::json LoweredModel::describe() const {
  using nlohmann::json;
  auto io = [&](ValueId v) {
    json j = {{"name", graph.value(v).name}, {"type", graph.type(v).str()}};
    if (const PlannedValue* p = activations.find(v)) j["offset"] = p->offset;
    else j["constant"] = true;
    return j;
  };
  json inputs = json::array(), outputs = json::array(), list = json::array();
  for (ValueId v : graph.inputs()) inputs.push_back(io(v));
  for (ValueId v : graph.outputs()) outputs.push_back(io(v));
  for (size_t k = 0; k < kernels.size(); ++k) {
    const lower::LoweredKernel& kernel = kernels[k];
    json nodes = json::array(), params = json::array();
    for (int32_t n : fusion.groups[k].nodes) nodes.push_back(graph.nodes()[static_cast<size_t>(n)].name);
    for (size_t i = 0; i < kernel.params.size(); ++i) {
      const ArgSlot& slot = args[k][i];
      params.push_back({{"value", graph.value(slot.value).name},
                        {"type", buffer_type(kernel.func.params[i])},
                        {"layout", kernel.params[i].channel_block > 1
                                       ? fmt::format("NCHW{}c", kernel.params[i].channel_block)
                                       : "as shape"},
                        {"in", slot.where == ArgSlot::Where::Arena ? "arena" : "weights"},
                        {"offset", slot.offset},
                        {"bytes", slot.bytes}});
    }
    list.push_back({{"name", kernel.func.name},
                    {"family", lower::schedule_family_name(kernel.family)},
                    {"nodes", std::move(nodes)},
                    {"schedule", kernel.schedule.to_json()},
                    {"params", std::move(params)}});
    if (kernel.workload != 0) list.back()["workload"] = fmt::format("{:016x}", kernel.workload);
  }
  return {{"model", graph.name()},
          {"target",
           {{"name", target.name},
            {"triple", target.triple},
            {"cpu", target.cpu},
            {"features", target.features},
            {"threads", target.threads},
            {"vector_lanes", target.vector_lanes},
            {"vector_registers", target.vector_registers},
            {"l1d_bytes", target.l1d_bytes},
            {"l2_bytes", target.l2_bytes},
            {"l3_bytes", target.l3_bytes},
            {"cores", target.cores}}},
          {"schedule_params", schedule_params.to_json()},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"kernels", std::move(list)},
          {"peak_activation_bytes", activations.arena_bytes},
          {"weight_bytes", weight_bytes()}};
}

}  // namespace nas::runtime
