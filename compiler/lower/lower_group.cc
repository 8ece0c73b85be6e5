// Lowers one fused group to one loop IR function.
//
// The group's nodes are walked in order, each value seen through an accessor (op_compute.h).
// A reducing node opens a reduction; the elementwise and broadcast nodes after it that
// keep its shape and read only its latest value (the chain's tail) join its epilogue. The
// reduction becomes a compute stage when something else needs the tail: a node that does
// not join, a reader outside the group, or the end of the group. Every other value stays
// an inline expression, and each value that leaves the group is stored by a stage writing
// a parameter buffer. Stages whose buffers are not parameters live in local allocations.
//
// Values the layout pass stores NCHW[x]c (passes/layout.h) are read through that layout,
// and a stage that writes one runs over the loops [n, c / x, h, w, c % x], computing each
// element at its logical indices; the simplifier folds the divisions away.
#include "compiler/lower/lower_group.h"

#include <cctype>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/graph/op_registry.h"
#include "compiler/loop/printer.h"
#include "compiler/loop/simplify.h"
#include "compiler/loop/structural.h"
#include "compiler/lower/compute_util.h"
#include "compiler/lower/default_schedule.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/passes/layout.h"
#include "compiler/support/error.h"

namespace nas::lower {

using graph::Graph;
using graph::Node;
using graph::ValueId;
using loop::Expr;
using loop::Var;

namespace {

// Stage and buffer names, unique within the kernel.
class Names {
 public:
  std::string unique(const std::string& hint) {
    const std::string base = c_identifier(hint);
    std::string name = base;
    for (int i = 1; used_.contains(name); ++i) name = fmt::format("{}_{}", base, i);
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
};

// What the accessors of an open reduction's chain read while its epilogue is built.
struct EpilogueState {
  bool active = false;
  Expr reduced;
  Indices at;  // the element being stored, as logical indices
};

struct OpenReduction {
  ValueId anchor = graph::kNoValue;  // the reducing node's output
  ValueId tail = graph::kNoValue;    // the last value of the chain so far
  std::set<const Node*> members;     // the nodes that compute in its epilogue
  ReducingCompute compute;
  std::shared_ptr<EpilogueState> state;
};

// Whether `node` reads `v` at an input its lowering reads as i64.
bool reads_as_i64(const Node& node, ValueId v) {
  const std::vector<size_t>& i64_inputs = op_lowering(*node.op).i64_inputs;
  for (size_t i : i64_inputs)
    if (i < node.inputs.size() && node.inputs[i] == v) return true;
  return false;
}

Accessor load_of(const loop::Tensor& tensor) {
  return [tensor](const Indices& idx) { return tensor(idx); };
}

std::vector<Expr> exprs(const std::vector<Var>& vars) { return {vars.begin(), vars.end()}; }

// Where logical element [n, c, h, w] of a value stored NCHW[x]c lives: [n, c / x, h, w, c % x].
Indices blocked_indices(const Indices& idx, int64_t block) {
  return {idx[0], idx[1] / block, idx[2], idx[3], idx[1] % block};
}

// The logical indices [n, c_block * x + c_lane, h, w] of the loops [n, c_block, h, w, c_lane]
// of a stage that stores NCHW[x]c.
Indices logical_indices(const std::vector<Var>& loops, int64_t block) {
  return {loops[0], loops[1] * block + loops[4], loops[2], loops[3]};
}

Accessor blocked_load(const loop::Tensor& tensor, int64_t block) {
  return [tensor, block](const Indices& idx) { return tensor(blocked_indices(idx, block)); };
}

// The loop names of a stage storing NCHW[x]c: the channel axis `c` becomes `c`+"b" (its
// blocks) and `c`+"l" (the lanes of a block, innermost).
std::vector<std::string> blocked_axis_names(std::vector<std::string> names) {
  if (names.size() != 4) names = {"n", "c", "h", "w"};
  const std::string c = names[1];
  names[1] = c + "b";
  names.push_back(c + "l");
  return names;
}

// Where a packed value's element lies: its axis `axis` split into blocks of `block`, the
// block index first and the index within the block last, the other axes between in order
// (axis 0: [n, rest...] becomes [n / block, rest..., block]). A block that does not divide
// the axis leaves the last block partial, its other positions zeros.
struct Packing {
  size_t axis = 0;
  int64_t block = 1;

  graph::Shape shape(graph::Shape s) const {
    const int64_t extent = s[axis];
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(axis));
    s.insert(s.begin(), (extent + block - 1) / block);  // a partial last block: zeros
    s.push_back(block);
    return s;
  }
  std::vector<Expr> at(const std::vector<Expr>& idx) const {
    std::vector<Expr> packed = idx;
    packed.erase(packed.begin() + static_cast<std::ptrdiff_t>(axis));
    packed.insert(packed.begin(), idx[axis] / block);
    packed.push_back(idx[axis] % block);
    return packed;
  }
  // The value at position `p` of the packed shape: `x`'s element there, or 0 past the
  // axis' `extent` (the index clamped, since a select evaluates both sides).
  Expr packed_value(const loop::Tensor& x, int64_t extent, const std::vector<Var>& p) const {
    std::vector<Expr> idx(p.begin() + 1, p.end() - 1);
    const Expr at = times(Expr(p.front()), block) + p.back();
    if (extent % block == 0) {
      idx.insert(idx.begin() + static_cast<std::ptrdiff_t>(axis), at);
      return x(idx);
    }
    idx.insert(idx.begin() + static_cast<std::ptrdiff_t>(axis), min(at, extent - 1));
    return select(at < extent, x(idx), f32(0));
  }
};

// A constant handed over packed.
graph::Tensor pack(const graph::Tensor& t, const Packing& packing) {
  const graph::Shape& shape = t.shape();
  graph::Tensor packed(graph::DType::F32, packing.shape(shape));
  const float* from = t.data<float>();
  float* to = packed.data<float>();
  std::vector<int64_t> idx(shape.size(), 0);  // of element i, row-major
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t at = idx[packing.axis] / packing.block;
    for (size_t d = 0; d < shape.size(); ++d)
      if (d != packing.axis) at = at * shape[d] + idx[d];
    to[at * packing.block + idx[packing.axis] % packing.block] = from[i];
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return packed;
}

class GroupLowering {
 public:
  // `packings`: weights to hand over packed, with their packing.
  // `channel_blocks`: values read or written stored NCHW[x]c, with their x.
  GroupLowering(const Graph& graph, const passes::FusedGroup& group,
                std::map<ValueId, Packing> packings, std::map<ValueId, int64_t> channel_blocks)
      : graph_(graph),
        group_(group),
        packings_(std::move(packings)),
        channel_blocks_(std::move(channel_blocks)) {}

  void run() {
    check_supported();
    find_outputs();
    for (int32_t n : group_.nodes) add_node(graph_.nodes()[static_cast<size_t>(n)]);
    close();
    for (ValueId v : outputs_)
      if (!stage_of_.contains(v)) {
        const std::string name = names_.unique(graph_.value(v).name);
        const Accessor value = accessors_.at(v);
        const int64_t block = stored_block(v);
        const loop::Tensor stage =
            block > 1 ? loop::compute(name, passes::blocked_shape(graph_.type(v).shape, block),
                                      [&](const std::vector<Var>& idx) {
                                        return value(logical_indices(idx, block));
                                      },
                                      loop::ComputeOptions{blocked_axis_names({})})
                      : loop::compute(name, graph_.type(v).shape,
                                      [&](const std::vector<Var>& idx) { return value(exprs(idx)); });
        stages_.push_back(stage);
        stage_of_.emplace(v, stage);
      }
    for (ValueId v : outputs_) {
      params_.push_back(KernelParam{v, std::nullopt, stored_block(v)});
      param_buffers_.push_back(stage_of_.at(v).buffer());
    }
  }

  const std::vector<loop::Tensor>& stages() const { return stages_; }
  const std::vector<KernelParam>& params() const { return params_; }
  const std::vector<loop::Buffer>& param_buffers() const { return param_buffers_; }
  ScheduleFamily family() const { return family_.value_or(ScheduleFamily::Injective); }
  const std::optional<loop::Tensor>& anchor_stage() const { return anchor_stage_; }

 private:
  void check_supported() const {
    NAS_CHECK(!group_.nodes.empty() && group_.nodes.front() == group_.anchor,
              "a fused group starts with its anchor");
    for (int32_t n : group_.nodes) {
      const Node& node = graph_.nodes().at(static_cast<size_t>(n));
      if (std::optional<std::string> why = unsupported_reason(graph_, node))
        user_error("node '{}' ({}): cannot be compiled: {}", node.name, node.op_name(), *why);
      for (const std::vector<ValueId>* values : {&node.inputs, &node.outputs})
        for (ValueId v : *values)
          if (v != graph::kNoValue && graph_.type(v).dtype != graph::DType::F32 &&
              !(graph_.type(v).dtype == graph::DType::I64 && reads_as_i64(node, v)))
            user_error("node '{}' ({}): value '{}' is {}; the compiler lowers f32 tensors only",
                       node.name, node.op_name(), graph_.value(v).name, graph_.type(v).str());
    }
  }

  // Values produced here that a node outside the group reads or the graph returns.
  void find_outputs() {
    std::set<int32_t> members(group_.nodes.begin(), group_.nodes.end());
    users_ = graph_.users();
    for (int32_t n : group_.nodes)
      for (ValueId v : graph_.nodes()[static_cast<size_t>(n)].outputs) {
        produced_.insert(v);
        const bool leaves =
            std::ranges::count(graph_.outputs(), v) != 0 ||
            std::ranges::any_of(users_[static_cast<size_t>(v)],
                                [&](int32_t user) { return !members.contains(user); });
        if (leaves) outputs_.push_back(v);
      }
    // A group whose results nobody reads still computes its last node.
    if (outputs_.empty())
      outputs_ = graph_.nodes()[static_cast<size_t>(group_.nodes.back())].outputs;
    output_set_.insert(outputs_.begin(), outputs_.end());
  }

  Accessor accessor(ValueId v) {
    if (auto it = accessors_.find(v); it != accessors_.end()) return it->second;
    // A value from outside the group: a parameter.
    const std::string name = names_.unique(graph_.value(v).name);
    if (auto it = packings_.find(v); it != packings_.end() && !graph_.is_constant(v)) {
      // Weights that change between runs (a training step's): packed by a stage of the
      // kernel, once per run, from the parameter as the graph lays it out.
      const Packing packing = it->second;
      const loop::Tensor input = loop::Tensor::placeholder(name, graph_.type(v).shape);
      params_.push_back(KernelParam{v, std::nullopt});
      param_buffers_.push_back(input.buffer());
      const loop::Tensor packed = loop::compute(
          names_.unique(name + "_packed"), packing.shape(graph_.type(v).shape),
          [&](const std::vector<Var>& p) {
            return packing.packed_value(input, graph_.type(v).shape[packing.axis], p);
          });
      stages_.push_back(packed);
      return accessors_[v] = [packed, packing](const Indices& idx) {
        return packed(packing.at(idx));
      };
    }
    if (auto it = packings_.find(v); it != packings_.end()) {
      const Packing packing = it->second;
      graph::Tensor packed = pack(graph_.constant(v), packing);
      const loop::Tensor input = loop::Tensor::placeholder(name, packed.shape());
      params_.push_back(KernelParam{v, std::move(packed)});
      param_buffers_.push_back(input.buffer());
      return accessors_[v] = [input, packing](const Indices& idx) {
        return input(packing.at(idx));
      };
    }
    const int64_t block = stored_block(v);
    if (block > 1) {
      const loop::Tensor input =
          loop::Tensor::placeholder(name, passes::blocked_shape(graph_.type(v).shape, block));
      params_.push_back(KernelParam{v, std::nullopt, block});
      param_buffers_.push_back(input.buffer());
      return accessors_[v] = blocked_load(input, block);
    }
    const loop::Tensor input = loop::Tensor::placeholder(
        name, graph_.type(v).shape,
        graph_.type(v).dtype == graph::DType::I64 ? loop::Type::i64() : loop::Type::f32());
    params_.push_back(KernelParam{v, std::nullopt});
    param_buffers_.push_back(input.buffer());
    return accessors_[v] = load_of(input);
  }

  // The channel block of a value this group reads as a parameter or hands over (1: stored
  // as its shape says). Values inside the group are computed in their logical shape.
  int64_t stored_block(ValueId v) const {
    if (graph_.is_constant(v)) return 1;
    const auto it = channel_blocks_.find(v);
    return it == channel_blocks_.end() ? 1 : it->second;
  }

  // Whether `node` could compute in an epilogue whose values so far are `values`: an
  // elementwise or broadcast op of the injective family with one output of the reduction's
  // shape that reads one of them.
  bool could_join(const Node& node, const std::set<ValueId>& values,
                  const graph::Shape& shape) const {
    const graph::FusionClass fusion = node.op->fusion;
    if (fusion != graph::FusionClass::Elementwise && fusion != graph::FusionClass::Broadcast)
      return false;
    if (schedule_family(graph_, node) != ScheduleFamily::Injective || node.outputs.size() != 1)
      return false;
    if (graph_.type(node.outputs[0]).shape != shape) return false;
    return std::ranges::any_of(node.inputs, [&](ValueId v) { return values.contains(v); });
  }

  // The nodes after the reducing node `reducing` that compute in its epilogue: the longest
  // run of nodes that could join, cut back until every value of the run but the last is
  // read only inside it and not handed out (the stage stores the last alone). A chain, or
  // a diamond such as y * sigmoid(y).
  std::set<const Node*> plan_epilogue(int32_t reducing, const graph::Shape& shape) const {
    const Node& anchor = graph_.nodes().at(static_cast<size_t>(reducing));
    std::set<ValueId> values(anchor.outputs.begin(), anchor.outputs.end());
    std::vector<int32_t> run;
    auto at = std::ranges::find(group_.nodes, reducing);
    for (++at; at != group_.nodes.end(); ++at) {
      const Node& node = graph_.nodes().at(static_cast<size_t>(*at));
      if (!could_join(node, values, shape)) break;
      run.push_back(*at);
      values.insert(node.outputs[0]);
    }
    // Valid when every value before the run's last is handed to no one outside the group
    // and read inside it by members of the run only.
    const auto valid = [&](size_t length) {
      if (length == 0) return true;
      const std::set<int32_t> members(run.begin(), run.begin() + static_cast<int64_t>(length));
      std::vector<ValueId> inner(anchor.outputs.begin(), anchor.outputs.end());
      for (size_t k = 0; k + 1 < length; ++k)
        inner.push_back(graph_.nodes()[static_cast<size_t>(run[k])].outputs[0]);
      return std::ranges::all_of(inner, [&](ValueId v) {
        return !output_set_.contains(v) &&
               std::ranges::all_of(users_[static_cast<size_t>(v)],
                                   [&](int32_t user) { return members.contains(user); });
      });
    };
    size_t length = run.size();
    while (length > 0 && !valid(length)) --length;
    std::set<const Node*> joining;
    for (size_t k = 0; k < length; ++k)
      joining.insert(&graph_.nodes()[static_cast<size_t>(run[k])]);
    return joining;
  }

  // Whether `node` joins the open reduction's epilogue.
  bool joins(const Node& node) const { return open_ && open_->members.contains(&node); }

  void add_node(const Node& node) {
    const bool joining = joins(node);
    if (!joining) close();
    std::vector<Accessor> inputs;
    std::vector<int64_t> blocks;
    for (ValueId v : node.inputs) {
      inputs.push_back(v == graph::kNoValue ? Accessor() : accessor(v));
      blocks.push_back(v == graph::kNoValue || produced_.contains(v) ? 1 : stored_block(v));
    }
    const StageNamer namer = [this](const std::string& hint) { return names_.unique(hint); };
    NodeCompute c = op_lowering(*node.op).compute(ComputeContext{graph_, node, inputs, namer, blocks});
    stages_.insert(stages_.end(), c.stages.begin(), c.stages.end());
    if (const ScheduleFamily family = schedule_family(graph_, node);
        !family_ && family != ScheduleFamily::Injective)
      family_ = family;
    if (c.reducing) {
      open(node.outputs[0], std::move(*c.reducing));
      return;
    }
    NAS_CHECK(c.outputs.size() == node.outputs.size(), "node '{}': {} accessors for {} outputs",
              node.name, c.outputs.size(), node.outputs.size());
    for (size_t i = 0; i < node.outputs.size(); ++i) accessors_[node.outputs[i]] = c.outputs[i];
    if (joining) open_->tail = node.outputs[0];
  }

  void open(ValueId value, ReducingCompute compute) {
    auto state = std::make_shared<EpilogueState>();
    const auto finish = compute.finish;
    const std::string node_name = graph_.value(value).name;
    // Read only inside the epilogue, at the output axes themselves: the chain after a
    // reduction keeps its shape, so broadcasting passes the indices through.
    accessors_[value] = [state, finish, node_name](const Indices& idx) {
      NAS_CHECK(state->active, "%{} read outside its epilogue", node_name);
      for (size_t d = 0; d < idx.size(); ++d)
        NAS_CHECK(idx[d].same_as(state->at[d]), "%{} read at other indices in its epilogue",
                  node_name);
      return finish ? finish(state->reduced, state->at) : state->reduced;
    };
    std::set<const Node*> members = plan_epilogue(graph_.value(value).producer, compute.shape);
    open_ = OpenReduction{value, value, std::move(members), std::move(compute), state};
  }

  // Turns the open reduction into a stage that stores its chain's tail.
  void close() {
    if (!open_) return;
    OpenReduction r = std::move(*open_);
    open_.reset();
    // A group output stored NCHW[x]c is computed over the loops of that layout, each
    // element at its logical indices.
    const int64_t block = output_set_.contains(r.tail) ? stored_block(r.tail) : 1;
    const auto at = [block](const std::vector<Var>& loops) {
      return block > 1 ? logical_indices(loops, block) : exprs(loops);
    };
    loop::Epilogue epilogue;
    if (r.tail != r.anchor || r.compute.finish) {
      const Accessor tail = accessors_.at(r.tail);
      const std::shared_ptr<EpilogueState> state = r.state;
      epilogue = [state, tail, at](const Expr& reduced, const std::vector<Var>& loops) {
        state->active = true;
        state->reduced = reduced;
        state->at = at(loops);
        const Expr value = tail(state->at);
        state->active = false;
        return value;
      };
    }
    const auto body = r.compute.body;
    const loop::Tensor stage = loop::compute(
        names_.unique(graph_.value(r.tail).name),
        block > 1 ? passes::blocked_shape(r.compute.shape, block) : r.compute.shape,
        [&](const std::vector<Var>& loops) { return body(at(loops)); },
        loop::ComputeOptions{block > 1 ? blocked_axis_names(r.compute.axis_names)
                                       : r.compute.axis_names,
                             epilogue});
    stages_.push_back(stage);
    stage_of_.emplace(r.tail, stage);
    accessors_[r.tail] = block > 1 ? blocked_load(stage, block) : load_of(stage);
    if (!anchor_stage_) anchor_stage_ = stage;
  }

  const Graph& graph_;
  const passes::FusedGroup& group_;
  const std::map<ValueId, Packing> packings_;
  const std::map<ValueId, int64_t> channel_blocks_;
  Names names_;
  std::vector<ValueId> outputs_;
  std::set<ValueId> output_set_;
  std::set<ValueId> produced_;  // values the group's nodes compute
  std::vector<std::vector<int32_t>> users_;  // the graph's readers of each value
  std::map<ValueId, Accessor> accessors_;
  std::map<ValueId, loop::Tensor> stage_of_;
  std::optional<OpenReduction> open_;
  std::vector<loop::Tensor> stages_;
  std::vector<KernelParam> params_;
  std::vector<loop::Buffer> param_buffers_;
  std::optional<ScheduleFamily> family_;  // of the group's first op that is not injective
  std::optional<loop::Tensor> anchor_stage_;
};

// Allocations for the stages whose buffers are not parameters.
loop::Stmt allocate_locals(loop::Stmt body, const std::vector<loop::Tensor>& stages,
                           const std::vector<loop::Buffer>& params) {
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
    const bool is_param = std::ranges::any_of(
        params, [&](const loop::Buffer& b) { return b.same_as(it->buffer()); });
    if (!is_param) body = loop::Allocate::make(it->buffer(), loop::MemoryScope::Local, body);
  }
  return body;
}

// The weights the default schedule reads a vector at a time along one axis (op_lowering.h's
// packed_input), with their packing: a constant is packed at compile time, any other value
// by a stage of the kernel.
std::map<ValueId, Packing> packed_weights(const Graph& graph, const passes::FusedGroup& group,
                                          const target::Target& target,
                                          const std::map<ValueId, int64_t>& channel_blocks) {
  const Node& anchor = graph.nodes().at(static_cast<size_t>(group.anchor));
  const auto& packed_input = op_lowering(*anchor.op).packed_input;
  const std::optional<PackedInput> input = packed_input ? packed_input(anchor) : std::nullopt;
  if (!input || input->input >= anchor.inputs.size()) return {};
  const ValueId weights = anchor.inputs[input->input];
  if (weights == graph::kNoValue || graph.type(weights).dtype != graph::DType::F32) return {};
  const graph::Shape& shape = graph.type(weights).shape;
  const auto rank = static_cast<int>(shape.size());
  const int axis = input->axis < 0 ? input->axis + rank : input->axis;
  if (axis < 0 || axis >= rank) return {};
  // A value the group computes itself is read as it is computed.
  for (int32_t n : group.nodes)
    if (std::ranges::count(graph.nodes()[static_cast<size_t>(n)].outputs, weights) != 0) return {};
  // A group storing NCHW[x]c reads its weights x channels at a time: blocks of x then.
  const bool stores_blocked = std::ranges::any_of(group.nodes, [&](int32_t n) {
    return std::ranges::any_of(graph.nodes()[static_cast<size_t>(n)].outputs,
                               [&](ValueId out) { return channel_blocks.contains(out); });
  });
  const int64_t extent = shape[static_cast<size_t>(axis)];
  const int64_t block = stores_blocked ? lanes_dividing(extent, target.vector_lanes)
                                       : passes::channel_vector_lanes(extent, target.vector_lanes);
  if (block <= 1) return {};
  return {{weights, Packing{static_cast<size_t>(axis), block}}};
}

}  // namespace

std::string c_identifier(const std::string& name) {
  std::string id;
  for (char ch : name) id += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id = "v_" + id;
  return id;
}

std::string print_kernel(const LoweredKernel& kernel) {
  std::vector<std::string> params;
  for (const loop::Buffer& b : kernel.func.params)
    params.push_back(fmt::format("{}: {}{}", b.name(), b.element_type().str(),
                                 graph::shape_str(b.shape())));
  return fmt::format("// kernel {} ({})\nfunc {}({}) {{\n{}}}\n", kernel.func.name,
                     schedule_family_name(kernel.family), kernel.func.name,
                     fmt::join(params, ", "), loop::print(kernel.func.body));
}

GroupStages group_stages(const Graph& graph, const passes::FusedGroup& group,
                         const target::Target& target, const LowerOptions& options) {
  GroupLowering lowering(graph, group,
                         options.schedule == ScheduleChoice::Default
                             ? packed_weights(graph, group, target, options.channel_blocks)
                             : std::map<ValueId, Packing>{},
                         options.channel_blocks);
  lowering.run();
  return GroupStages{lowering.params(), lowering.param_buffers(), lowering.stages(),
                     lowering.anchor_stage(), lowering.family()};
}

LoweredKernel schedule_stages(const GroupStages& group, const loop::Schedule& schedule,
                              const std::string& name) {
  LoweredKernel kernel;
  kernel.params = group.params;
  kernel.family = group.family;
  kernel.schedule = schedule;
  loop::Stmt body = schedule.steps.empty() ? loop::lower(group.stages)
                                           : loop::lower(group.stages, schedule);
  body = allocate_locals(std::move(body), group.stages, group.buffers);
  kernel.func = loop::LoweredFunc{name, group.buffers, loop::simplify(body)};
  return kernel;
}

LoweredKernel default_kernel(const GroupStages& group, const target::Target& target,
                             const ScheduleParams& params, const std::string& name) {
  return schedule_stages(
      group, default_schedule(group.stages, group.family, group.anchor, target, params), name);
}

uint64_t workload_key(const GroupStages& group) {
  const LoweredKernel naive = schedule_stages(group, {}, "workload");
  return loop::structural_hash(loop::function_key(naive.func)) * 31 +
         static_cast<uint64_t>(group.family);
}

LoweredKernel lower_group(const Graph& graph, const passes::FusedGroup& group,
                          const target::Target& target, const std::string& name,
                          const LowerOptions& options) {
  const GroupStages stages = group_stages(graph, group, target, options);
  switch (options.schedule) {
    case ScheduleChoice::Naive: return schedule_stages(stages, {}, name);
    case ScheduleChoice::Random:
      return schedule_stages(stages, loop::random_schedule(stages.stages, options.seed), name);
    case ScheduleChoice::Default: break;
  }
  ScheduleParams params = options.schedule_params.value_or(target.schedule);
  uint64_t workload = 0;
  if (options.tuned_params) {
    workload = workload_key(stages);
    if (std::optional<ScheduleParams> tuned = options.tuned_params(workload)) params = *tuned;
  }
  LoweredKernel kernel = default_kernel(stages, target, params, name);
  kernel.workload = workload;
  return kernel;
}

}  // namespace nas::lower
