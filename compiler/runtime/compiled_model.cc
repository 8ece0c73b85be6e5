// CompiledModel: a lowered model (kernels, memory plan, weights), the JIT module of its
// kernels, and a run loop that hands each kernel its argument pointers on a ThreadPool of the
// target's thread count (workers that spin while a run lasts). The argument arrays are built
// once; a run only re-points the arguments that are graph inputs (at the caller's tensor
// when it is 64-byte aligned, else at the input's arena slot after a copy) and copies the
// outputs out. So one model runs one inference at a time.
#include "compiler/runtime/compiled_model.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "compiler/codegen/thread_pool.h"
#include "compiler/runtime/aligned_buffer.h"
#include "compiler/support/error.h"

namespace nas::runtime {

using namespace graph;

struct CompiledModel::Impl {
  LoweredModel lowered;
  std::unique_ptr<codegen::JitModule> jit;
  std::vector<codegen::KernelEntry> entries;
  AlignedBuffer arena;
  std::vector<std::vector<void*>> args;  // per kernel, one pointer per parameter
  struct Use {
    size_t kernel, arg;
  };
  std::vector<std::vector<Use>> input_uses;  // per graph input, the arguments that read it
  std::vector<std::byte*> input_slots;       // per graph input, its arena slot
  // Per graph output, where its data is after a run: a graph input (its index), or a fixed
  // address (an arena slot or a constant).
  std::vector<int> output_input;
  std::vector<const std::byte*> output_data;
  std::unique_ptr<codegen::ThreadPool> threads;
  double compile_seconds = 0;
};

CompiledModel::CompiledModel() : impl_(std::make_unique<Impl>()) {}
CompiledModel::~CompiledModel() = default;

std::unique_ptr<CompiledModel> CompiledModel::load(LoweredModel lowered_model,
                                                   std::unique_ptr<codegen::JitModule> code,
                                                   double compile_seconds) {
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  Impl& m = *model->impl_;
  m.lowered = std::move(lowered_model);
  m.jit = std::move(code);
  m.compile_seconds = compile_seconds;
  const LoweredModel& lowered = m.lowered;
  for (const lower::LoweredKernel& k : lowered.kernels) m.entries.push_back(m.jit->lookup(k.func.name));

  m.arena = AlignedBuffer(lowered.activations.arena_bytes);
  const Graph& g = lowered.graph;
  auto slot_address = [&](ValueId v) {
    const PlannedValue* p = lowered.activations.find(v);
    NAS_CHECK(p != nullptr, "value '{}' has no arena slot", g.value(v).name);
    return m.arena.data() + p->offset;
  };
  m.input_uses.resize(g.inputs().size());
  for (size_t i = 0; i < g.inputs().size(); ++i) m.input_slots.push_back(slot_address(g.inputs()[i]));
  m.args.resize(lowered.kernels.size());
  for (size_t k = 0; k < lowered.kernels.size(); ++k) {
    for (size_t a = 0; a < lowered.args[k].size(); ++a) {
      const ArgSlot& slot = lowered.args[k][a];
      std::byte* base = slot.where == ArgSlot::Where::Arena
                            ? m.arena.data()
                            : const_cast<std::byte*>(lowered.weights.data());
      m.args[k].push_back(base + slot.offset);
      const auto input = std::ranges::find(g.inputs(), slot.value);
      if (input != g.inputs().end())
        m.input_uses[static_cast<size_t>(input - g.inputs().begin())].push_back({k, a});
    }
  }
  for (ValueId v : g.outputs()) {
    const auto input = std::ranges::find(g.inputs(), v);
    m.output_input.push_back(input == g.inputs().end() ? -1 : static_cast<int>(input - g.inputs().begin()));
    m.output_data.push_back(g.is_constant(v) ? g.constant(v).raw()
                            : input == g.inputs().end() ? slot_address(v)
                                                        : nullptr);
  }
  m.threads = std::make_unique<codegen::ThreadPool>(lowered.target.threads);
  return model;
}

std::vector<Tensor> CompiledModel::run(const std::vector<Tensor>& inputs) {
  const Graph& g = impl_->lowered.graph;
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs) in.push_back(&t);
  std::vector<Tensor> outputs;
  for (ValueId v : g.outputs()) outputs.emplace_back(g.type(v));
  std::vector<Tensor*> out;
  for (Tensor& t : outputs) out.push_back(&t);
  run(in, out);
  return outputs;
}

void CompiledModel::run(const std::vector<const Tensor*>& inputs,
                        const std::vector<Tensor*>& outputs) {
  run_kernels(inputs, outputs, nullptr);
}

std::vector<double> CompiledModel::run_timed(const std::vector<const Tensor*>& inputs,
                                             const std::vector<Tensor*>& outputs) {
  std::vector<double> ms(impl_->entries.size());
  run_kernels(inputs, outputs, &ms);
  return ms;
}

void CompiledModel::run_kernels(const std::vector<const Tensor*>& inputs,
                                const std::vector<Tensor*>& outputs, std::vector<double>* ms) {
  Impl& m = *impl_;
  const Graph& g = m.lowered.graph;
  if (inputs.size() != g.inputs().size())
    user_error("graph '{}' takes {} input(s), got {}", g.name(), g.inputs().size(), inputs.size());
  if (outputs.size() != g.outputs().size())
    user_error("graph '{}' has {} output(s), got {} to fill", g.name(), g.outputs().size(),
               outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorType& expected = g.type(g.inputs()[i]);
    if (inputs[i]->type() != expected)
      user_error("input '{}': expected {}, got {}", g.value(g.inputs()[i]).name, expected.str(),
                 inputs[i]->type().str());
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    const TensorType& expected = g.type(g.outputs()[o]);
    if (outputs[o]->type() != expected)
      user_error("output '{}': expected {}, got {}", g.value(g.outputs()[o]).name,
                 expected.str(), outputs[o]->type().str());
  }

  for (size_t i = 0; i < inputs.size(); ++i) {
    // Kernels never write their inputs, so the caller's tensor can be read in place.
    auto* data = const_cast<std::byte*>(inputs[i]->raw());
    if (!is_aligned(data)) {
      std::memcpy(m.input_slots[i], data, static_cast<size_t>(inputs[i]->nbytes()));
      data = m.input_slots[i];
    }
    for (const Impl::Use& use : m.input_uses[i]) m.args[use.kernel][use.arg] = data;
  }
  m.threads->run([&] {
    if (!ms) {
      for (size_t k = 0; k < m.entries.size(); ++k) m.entries[k](m.args[k].data());
      return;
    }
    for (size_t k = 0; k < m.entries.size(); ++k) {
      const auto start = std::chrono::steady_clock::now();
      m.entries[k](m.args[k].data());
      (*ms)[k] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count();
    }
  });
  for (size_t o = 0; o < outputs.size(); ++o) {
    const std::byte* from =
        m.output_input[o] >= 0 ? inputs[static_cast<size_t>(m.output_input[o])]->raw() : m.output_data[o];
    std::memmove(outputs[o]->raw(), from, static_cast<size_t>(outputs[o]->nbytes()));
  }
}

const target::Target& CompiledModel::target() const { return impl_->lowered.target; }
const Graph& CompiledModel::graph() const { return impl_->lowered.graph; }
int64_t CompiledModel::peak_activation_bytes() const {
  return impl_->lowered.activations.arena_bytes;
}
int64_t CompiledModel::weight_bytes() const { return impl_->lowered.weight_bytes(); }
double CompiledModel::compile_seconds() const { return impl_->compile_seconds; }
int CompiledModel::kernel_count() const { return static_cast<int>(impl_->entries.size()); }

nlohmann::json CompiledModel::describe() const {
  nlohmann::json j = impl_->lowered.describe();
  j["compile_seconds"] = impl_->compile_seconds;
  return j;
}

}  // namespace nas::runtime
