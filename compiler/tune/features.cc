#include "compiler/tune/features.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "compiler/loop/mutator.h"
#include "compiler/support/error.h"

namespace nas::tune {

namespace {

double log2p(double x) { return std::log2(1 + std::max(0.0, x)); }

// Static and per-execution counts of a loop nest.
class NestCounter : public loop::IRVisitor {
 public:
  double loops = 0, parallel_loops = 0, serial_loops = 0, guards = 0;
  double max_depth = 0, parallel_extent = 1, deepest_trips = 1;
  double max_store_lanes = 1;
  double loads = 0, vector_loads = 0, gathers = 0, broadcast_loads = 0, stores = 0, arith = 0;
  double dyn_loads = 0, dyn_stores = 0, dyn_arith = 0;
  double register_elements = 0, local_bytes = 0;
  double innermost_extent_sum = 0, innermost_loops = 0;
  using loop::IRVisitor::visit;

 protected:
  void visit(const loop::For* op) override {
    const double extent = static_cast<double>(loop::as_const_int(op->extent).value_or(1));
    ++loops;
    if (op->for_kind == loop::ForKind::Parallel) {
      ++parallel_loops;
      if (parallel_loops == 1) parallel_extent = extent;
    } else {
      ++serial_loops;
    }
    ++depth_;
    const double outer = trips_;
    trips_ *= extent;
    const double inner_loops_before = loops;
    max_depth = std::max(max_depth, depth_);
    loop::IRVisitor::visit(op);
    if (loops == inner_loops_before) {  // no loop inside: an innermost loop
      innermost_extent_sum += extent;
      ++innermost_loops;
      deepest_trips = std::max(deepest_trips, trips_);
    }
    trips_ = outer;
    --depth_;
  }
  void visit(const loop::IfThenElse* op) override {
    ++guards;
    loop::IRVisitor::visit(op);
  }
  void visit(const loop::Allocate* op) override {
    double n = 1;
    for (int64_t d : op->buffer.shape()) n *= static_cast<double>(d);
    if (op->scope == loop::MemoryScope::Register)
      register_elements += n;
    else
      local_bytes += n * 4;
    loop::IRVisitor::visit(op);
  }
  void visit(const loop::Store* op) override {
    ++stores;
    dyn_stores += trips_;
    max_store_lanes = std::max(max_store_lanes, static_cast<double>(op->value.type().lanes()));
    loop::IRVisitor::visit(op);
  }
  void visit(const loop::Load* op) override {
    ++loads;
    dyn_loads += trips_;
    if (op->type.is_vector()) {
      const loop::Ramp* ramp = op->index.as<loop::Ramp>();
      if (ramp && loop::as_const_int(ramp->stride) == 1)
        ++vector_loads;
      else if (op->index.as<loop::Broadcast>())
        ++broadcast_loads;
      else
        ++gathers;
    }
    loop::IRVisitor::visit(op);
  }
  void visit(const loop::BinaryNode* op) override {
    if (loop::is_arithmetic(op->kind) && !op->type.is_int()) {
      ++arith;
      dyn_arith += trips_ * op->type.lanes();
    }
    loop::IRVisitor::visit(op);
  }

 private:
  double depth_ = 0, trips_ = 1;
};

double buffer_bytes(const loop::Buffer& b) {
  double n = std::max(1, b.element_type().bits() / 8);
  for (int64_t d : b.shape()) n *= static_cast<double>(d);
  return n;
}

struct Named {
  std::vector<std::string> names;
  std::vector<double> values;
  void add(const std::string& name, double value) {
    names.push_back(name);
    values.push_back(value);
  }
};

Named features(const lower::LoweredKernel* kernel, const target::Target& target,
               const target::ScheduleParams& params, int64_t work) {
  Named f;
  NestCounter nest;
  double param_bytes = 0;  // everything the kernel reads or writes outside itself
  if (kernel) {
    nest.include(kernel->func.body);
    for (const loop::Buffer& b : kernel->func.params) param_bytes += buffer_bytes(b);
  }
  f.add("work", log2p(static_cast<double>(work)));
  f.add("param_bytes", log2p(param_bytes));
  f.add("param_bytes_over_l1", log2p(param_bytes / std::max<int64_t>(1, target.l1d_bytes)));
  f.add("param_bytes_over_l2", log2p(param_bytes / std::max<int64_t>(1, target.l2_bytes)));
  f.add("threads", target.threads);
  f.add("target_lanes", target.vector_lanes);
  f.add("vector_registers", target.vector_registers);
  f.add("loops", nest.loops);
  f.add("parallel_loops", nest.parallel_loops);
  f.add("serial_loops", nest.serial_loops);
  f.add("max_depth", nest.max_depth);
  f.add("parallel_extent", log2p(nest.parallel_extent));
  f.add("parallel_extent_per_thread", nest.parallel_extent / std::max(1, target.threads));
  f.add("store_lanes", nest.max_store_lanes);
  f.add("loads", log2p(nest.loads));
  f.add("vector_load_share", nest.vector_loads / std::max(1.0, nest.loads));
  f.add("gather_share", nest.gathers / std::max(1.0, nest.loads));
  f.add("broadcast_share", nest.broadcast_loads / std::max(1.0, nest.loads));
  f.add("stores", log2p(nest.stores));
  f.add("arithmetic", log2p(nest.arith));
  f.add("arithmetic_per_load", nest.arith / std::max(1.0, nest.loads));
  f.add("dynamic_loads", log2p(nest.dyn_loads));
  f.add("dynamic_stores", log2p(nest.dyn_stores));
  f.add("dynamic_arithmetic", log2p(nest.dyn_arith));
  f.add("dynamic_intensity", nest.dyn_arith / std::max(1.0, nest.dyn_loads));
  f.add("deepest_trips", log2p(nest.deepest_trips));
  f.add("innermost_extent", log2p(nest.innermost_extent_sum / std::max(1.0, nest.innermost_loops)));
  f.add("register_elements", log2p(nest.register_elements));
  f.add("register_vectors", nest.register_elements / std::max(1, target.vector_lanes));
  f.add("local_bytes", log2p(nest.local_bytes));
  f.add("guards", log2p(nest.guards));
  params.visit_fields([&](const char* name, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::vector<int64_t>>)
      f.add(name, value.empty() ? 0 : static_cast<double>(value.front()));
    else
      f.add(name, log2p(static_cast<double>(value)));
  });
  return f;
}

}  // namespace

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names =
      features(nullptr, target::Target{}, target::ScheduleParams{}, 0).names;
  return names;
}

std::vector<double> kernel_features(const lower::LoweredKernel& kernel,
                                    const target::Target& target,
                                    const target::ScheduleParams& params, int64_t work) {
  std::vector<double> values = features(&kernel, target, params, work).values;
  NAS_CHECK(values.size() == feature_names().size(), "{} features, expected {}", values.size(),
            feature_names().size());
  return values;
}

}  // namespace nas::tune
