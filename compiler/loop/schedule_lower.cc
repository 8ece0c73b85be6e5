// lower(stages, schedule): applies the steps to the stages' leaf loops (schedule_state.cc),
// emits one nest per stage computed at the root, then runs, each followed by the
// simplifier: loop partitioning (guard-free main parts), unrolling, vectorization.
//
// A reduction stage with leaves l0..ln-1 (first reduction leaf at p) is emitted as
//   loops l0..l(b-1) {                    b = p, or the cache_write loop + 1
//     init:   spatial loops of l(b..)    out = identity
//     main:   loops l(b..)               out = combine(out, value)
//     final:  spatial loops of l(b..)    out = epilogue(out)          (with an epilogue)
//   }
// so spatial loops may sit below reduction loops. With a cache_write, `out` inside is a
// local buffer over the spatial loops of l(b..) (row-major in their order) and `final`
// stores it to the stage's buffer through the epilogue; reduction loops among l0..l(b-1)
// make `init` reload the buffer after their first iterations and `final` store without the
// epilogue before their last. A guard sits right inside the innermost loop it depends on,
// in every copy of the loops that needs it. A producer
// computed at loop x of its consumer is computed, right inside x, into a local buffer over
// the consumer's spatial loops below x, and the consumer reads that buffer instead.
#include "compiler/loop/schedule.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "compiler/loop/mutator.h"
#include "compiler/loop/partition.h"
#include "compiler/loop/schedule_state.h"
#include "compiler/loop/simplify.h"
#include "compiler/loop/structural.h"
#include "compiler/loop/substitute.h"
#include "compiler/loop/unroll.h"
#include "compiler/loop/vectorize.h"
#include "compiler/support/error.h"

namespace nas::loop {

namespace schedule_detail {

namespace {

class VarsUsed : public IRVisitor {
 public:
  std::set<const Variable*> vars;  // membership only
  using IRVisitor::visit;

 protected:
  void visit(const Variable* op) override { vars.insert(op); }
};

bool uses(const Expr& e, const Var& var) {
  VarsUsed used;
  used.include(e);
  return used.vars.contains(var.node());
}

// The per-dimension indices behind a flat index built by Tensor::operator()
// (((i0*s1 + i1)*s2 + i2)...), or floor division and remainder when it has another form.
std::vector<Expr> unflatten(const Expr& flat, const std::vector<int64_t>& shape) {
  std::vector<Expr> indices(shape.size());
  Expr rest = flat;
  bool structured = true;
  for (size_t d = shape.size(); d-- > 1;) {
    const auto* add = rest.as<Add>();
    const auto* mul = add ? add->a.as<Mul>() : nullptr;
    if (!mul || as_const_int(mul->b) != shape[d]) {
      structured = false;
      break;
    }
    indices[d] = add->b;
    rest = mul->a;
  }
  if (structured && !shape.empty()) {
    indices[0] = rest;
    return indices;
  }
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    const Expr q = stride == 1 ? flat : flat / make_const(Type::i32(), stride);
    indices[d] = d == 0 ? q : q % make_const(Type::i32(), shape[d]);
    stride *= shape[d];
  }
  return indices;
}

// Replaces loads of inlined stages by their definitions, and loads of stages computed at
// this one by loads of their local buffers.
class Rewriter : public IRMutator {
 public:
  std::map<const BufferNode*, const ComputeDefinition*> inlined;  // lookups only
  std::map<const BufferNode*, std::pair<Buffer, Expr>> localized;  // buffer -> (local, index)
  using IRMutator::mutate;
  using IRMutator::visit;

 protected:
  Expr visit(const Load* op) override {
    Expr index = mutate(op->index);
    if (auto it = inlined.find(op->buffer.get()); it != inlined.end()) {
      const ComputeDefinition& def = *it->second;
      const std::vector<Expr> indices = unflatten(index, op->buffer.shape());
      Substitutions map;
      for (size_t d = 0; d < def.axes.size(); ++d) map[def.axes[d].var.node()] = indices[d];
      return mutate(substitute(def.value, map));
    }
    if (auto it = localized.find(op->buffer.get()); it != localized.end())
      return Load::make(it->second.first, it->second.second);
    if (index.same_as(op->index)) return op;
    return Load::make(op->buffer, std::move(index));
  }
};

Expr all_of(const std::vector<Expr>& conditions) {
  Expr result;
  for (const Expr& c : conditions) result = result.defined() ? (result && c) : c;
  return result;
}

class Emitter {
 public:
  explicit Emitter(const ScheduleState& state) : state_(state) {
    for (const StageState& s : state.stages())
      if (s.placement == Placement::Inline)
        base_.inlined[s.tensor.buffer().get()] = s.tensor.definition();
  }

  Stmt emit_all() {
    std::vector<Stmt> nests;
    for (size_t i = 0; i < state_.stages().size(); ++i)
      if (state_.stages()[i].placement == Placement::Root) nests.push_back(emit_stage(static_cast<int>(i)));
    return Block::make(std::move(nests));
  }

 private:
  struct Region {
    std::vector<int> leaves;  // spatial leaves, outer first
    int64_t size = 1;
  };

  // The spatial leaves of `s` after position `after`.
  static Region region_after(const StageState& s, int after) {
    Region r;
    for (size_t k = after + 1; k < s.leaves.size(); ++k)
      if (!s.leaves[k].reduce) {
        r.leaves.push_back(static_cast<int>(k));
        r.size *= s.leaves[k].extent;
      }
    return r;
  }

  // Row-major index over the region's leaves (their variables renamed by `rename`).
  static Expr region_index(const StageState& s, const Region& r, const Substitutions& rename) {
    Expr index = make_zero(Type::i32());
    for (int k : r.leaves) {
      const Expr v = substitute(Expr(s.leaves[k].var), rename);
      index = index * make_const(Type::i32(), s.leaves[k].extent) + v;
    }
    return index;
  }

  // Wraps body in the given leaves (outer first); each guard goes right inside the
  // innermost of these leaves it uses (outside all of them if it uses none).
  static Stmt nest(const StageState& s, const std::vector<int>& loops, Stmt body,
                   const std::vector<Expr>& guards, const Substitutions& rename,
                   bool keep_parallel = true) {
    std::map<int, std::vector<Expr>> at;  // position in `loops` -> guards
    for (const Expr& g : guards) {
      int position = -1;
      for (size_t k = 0; k < loops.size(); ++k)
        if (uses(g, s.leaves[loops[k]].var)) position = static_cast<int>(k);
      at[position].push_back(substitute(g, rename));
    }
    for (int k = static_cast<int>(loops.size()) - 1; k >= -1; --k) {
      if (auto it = at.find(k); it != at.end()) body = IfThenElse::make(all_of(it->second), body);
      if (k < 0) break;
      const LeafLoop& leaf = s.leaves[loops[k]];
      ForKind kind = leaf.kind;
      if (kind == ForKind::Parallel && !keep_parallel) kind = ForKind::Serial;
      body = For::make(Var::from(substitute(Expr(leaf.var), rename)), make_zero(Type::i32()),
                       make_const(Type::i32(), leaf.extent), kind, body);
    }
    return body;
  }

  // The update nest over `loops` with the stage's prefetches right inside the innermost of
  // them that is neither unrolled nor vectorized (so once per iteration of the loop around
  // the unrolled register block, not once per unrolled copy).
  static Stmt update_nest(const StageState& s, const std::vector<int>& loops, Stmt update,
                          const std::vector<Expr>& guards, const Expr& value) {
    const Substitutions none;
    if (s.prefetches.empty()) return nest(s, loops, std::move(update), guards, none);
    size_t split = 0;  // loops[split..] are unrolled or vectorized
    for (size_t k = 0; k < loops.size(); ++k) {
      const ForKind kind = s.leaves[loops[k]].kind;
      if (kind != ForKind::Unrolled && kind != ForKind::Vectorized) split = k + 1;
    }
    const std::vector<int> outer(loops.begin(), loops.begin() + static_cast<long>(split));
    const std::vector<int> inner(loops.begin() + static_cast<long>(split), loops.end());
    std::vector<Expr> outer_guards, inner_guards;
    for (const Expr& g : guards) {
      bool in_inner = false;
      for (int k : inner) in_inner = in_inner || uses(g, s.leaves[k].var);
      (in_inner ? inner_guards : outer_guards).push_back(g);
    }
    std::vector<Stmt> stmts;
    for (const PrefetchAhead& p : s.prefetches) stmts.push_back(prefetch(s, p, inner, value));
    stmts.push_back(nest(s, inner, std::move(update), inner_guards, none));
    return nest(s, outer, Block::make(std::move(stmts)), outer_guards, none);
  }

  // One prefetch per distinct index of p.tensor that `value` reads, at p.offset iterations
  // of p.loop ahead, inside those of the unrolled `inner` loops it uses. Vectorized loops
  // are at 0: their lanes lie within a line or two.
  static Stmt prefetch(const StageState& s, const PrefetchAhead& p, const std::vector<int>& inner,
                       const Expr& value) {
    std::vector<const Load*> reads = loads_in(value);
    std::erase_if(reads, [&](const Load* load) { return load->buffer.name() != p.tensor; });
    if (reads.empty())
      throw ScheduleError(fmt::format("prefetch of {} in {}: its reduction does not read it",
                                      p.tensor, s.tensor.name()));
    const LeafLoop& ahead = s.leaves[s.find(p.loop)];
    Substitutions shift;
    shift[ahead.var.node()] = ahead.var + make_const(ahead.var.type(), p.offset);
    for (const LeafLoop& leaf : s.leaves)
      if (leaf.kind == ForKind::Vectorized) shift[leaf.var.node()] = make_zero(leaf.var.type());
    std::vector<Expr> indices;
    std::vector<Stmt> stmts;
    for (const Load* load : reads) {
      const Expr index = simplify(substitute(load->index, shift));
      if (std::ranges::any_of(indices, [&](const Expr& e) { return structural_equal(e, index); }))
        continue;
      indices.push_back(index);
      Stmt body = Prefetch::make(load->buffer, index);
      for (auto k = inner.rbegin(); k != inner.rend(); ++k) {
        const LeafLoop& leaf = s.leaves[*k];
        if (uses(index, leaf.var))
          body = For::make(leaf.var, make_zero(Type::i32()), make_const(Type::i32(), leaf.extent),
                           leaf.kind, body);
      }
      stmts.push_back(body);
    }
    return Block::make(std::move(stmts));
  }

  static Expr out_index(const Tensor& t) {
    std::vector<Expr> point;
    for (const Axis& a : t.definition()->axes) point.push_back(a.var);
    return t(point).as<Load>()->index;
  }

  static std::vector<Var> axis_vars(const ComputeDefinition& def) {
    std::vector<Var> vars;
    for (const Axis& a : def.axes) vars.push_back(a.var);
    return vars;
  }

  // Whether the reduction loops among the first `b` leaves of `s` are at their first and at
  // their last iterations (undefined where there are none). A guard on those loops alone
  // would skip whole chunks, the last among them perhaps: no schedule makes one.
  static std::pair<Expr, Expr> outer_reduction_ends(const StageState& s, int b) {
    std::vector<Expr> first, last;
    for (int k = 0; k < b; ++k) {
      const LeafLoop& leaf = s.leaves[k];
      if (!leaf.reduce) continue;
      for (const Guard& g : s.guards) {
        bool inside = false;
        for (size_t j = b; j < s.leaves.size(); ++j)
          inside = inside || uses(g.condition, s.leaves[j].var);
        if (uses(g.condition, leaf.var) && !inside)
          throw ScheduleError(fmt::format(
              "reduction loop {}.{} outside the cache_write has a guard of its own",
              s.tensor.name(), leaf.name));
      }
      first.push_back(eq(leaf.var, make_zero(Type::i32())));
      last.push_back(eq(leaf.var, make_const(Type::i32(), leaf.extent - 1)));
    }
    if (first.empty()) return {};
    return {all_of(first), all_of(last)};
  }

  Stmt emit_stage(int index) {
    const StageState& s = state_.stages()[index];
    const Tensor& t = s.tensor;
    const ComputeDefinition& def = *t.definition();
    const int n = static_cast<int>(s.leaves.size());
    const int p = s.first_reduce();
    const int cw = s.cache_write_at ? s.find(*s.cache_write_at) : -1;
    const int b = def.reduction ? (cw >= 0 ? cw + 1 : p) : n;
    const Substitutions none;

    // Producers computed inside this stage, by leaf.
    Rewriter rewriter = base_;
    std::map<int, std::vector<int>> producers_at;
    std::map<int, Buffer> local_of;
    for (size_t i = 0; i < state_.stages().size(); ++i) {
      const StageState& prod = state_.stages()[i];
      if (prod.placement != Placement::At || prod.at_consumer != index) continue;
      const int at = s.find(prod.at_loop);
      const Region r = region_after(s, at);
      Buffer local(prod.tensor.name() + ".local", prod.tensor.type(), {r.size});
      rewriter.localized[prod.tensor.buffer().get()] = {local, region_index(s, r, none)};
      producers_at[at].push_back(static_cast<int>(i));
      local_of[static_cast<int>(i)] = local;
    }
    auto finish = [&](const Expr& e) { return substitute(rewriter.mutate(e), s.root_values); };

    const Expr out_idx = substitute(out_index(t), s.root_values);
    std::vector<Expr> outer_guards, spatial_guards, all_guards;
    for (const Guard& g : s.guards) {
      int deepest = -1;
      for (int k = 0; k < n; ++k)
        if (uses(g.condition, s.leaves[k].var)) deepest = k;
      if (deepest < b) outer_guards.push_back(g.condition);
      else {
        all_guards.push_back(g.condition);
        if (!g.reduce) spatial_guards.push_back(g.condition);
      }
    }

    Stmt body;
    if (!def.reduction) {
      body = Store::make(t.buffer(), finish(def.value), out_idx);
    } else {
      const Reduction& r = *def.reduction;
      std::vector<int> inner, inner_spatial;
      for (int k = b; k < n; ++k) {
        inner.push_back(k);
        if (!s.leaves[k].reduce) inner_spatial.push_back(k);
      }
      Buffer acc = t.buffer();
      Expr acc_idx = out_idx;
      if (cw >= 0) {
        const Region region = region_after(s, cw);
        acc = Buffer(t.name() + ".acc", t.type(), {region.size});
        acc_idx = region_index(s, region, none);
      }
      Stmt init = nest(s, inner_spatial, Store::make(acc, reduce_identity(r.kind, t.type()), acc_idx),
                       cw >= 0 ? std::vector<Expr>{} : spatial_guards, none);
      const Expr value = finish(r.value);
      const Stmt combine =
          Store::make(acc, reduce_combine(r.kind, Load::make(acc, acc_idx), value), acc_idx);
      const Stmt update = update_nest(s, inner, combine, all_guards, value);
      const Expr reduced = Load::make(acc, acc_idx);
      Stmt final;
      if (def.epilogue || cw >= 0) {
        const Expr value = def.epilogue ? finish(def.epilogue(reduced, axis_vars(def))) : reduced;
        final = nest(s, inner_spatial, Store::make(t.buffer(), value, out_idx), spatial_guards, none);
      }
      // Reduction loops outside the cache_write (the reduction split into chunks): the
      // stage's buffer holds the partial result between chunks, reloaded on all but the
      // first and stored without the epilogue on all but the last.
      if (const auto [first, last] = outer_reduction_ends(s, b); first.defined()) {
        const Stmt reload =
            nest(s, inner_spatial, Store::make(acc, Load::make(t.buffer(), out_idx), acc_idx),
                 spatial_guards, none);
        init = IfThenElse::make(first, init, reload);
        if (def.epilogue)
          final = IfThenElse::make(
              last, final,
              nest(s, inner_spatial, Store::make(t.buffer(), reduced, out_idx), spatial_guards, none));
      }
      std::vector<Stmt> parts = {init, update};
      if (final.defined()) parts.push_back(final);
      body = Block::make(std::move(parts));
      if (cw >= 0) body = Allocate::make(acc, s.cache_scope, body);
    }

    for (int k = b - 1; k >= 0; --k) {
      if (auto it = producers_at.find(k); it != producers_at.end())
        for (auto pi = it->second.rbegin(); pi != it->second.rend(); ++pi)
          body = Allocate::make(local_of.at(*pi), MemoryScope::Local,
                                Block::make(emit_producer(s, k, *pi, local_of.at(*pi), s.guards), body));
      std::vector<Expr> here;
      for (const Expr& g : outer_guards) {
        int deepest = -1;
        for (int j = 0; j < n; ++j)
          if (uses(g, s.leaves[j].var)) deepest = j;
        if (deepest == k) here.push_back(g);
      }
      if (!here.empty()) body = IfThenElse::make(all_of(here), body);
      const LeafLoop& leaf = s.leaves[k];
      body = For::make(leaf.var, make_zero(Type::i32()), make_const(Type::i32(), leaf.extent),
                       leaf.kind, body);
    }
    return body;
  }


  // Producer `pi` computed inside leaf `at` of consumer `c` over the spatial leaves below it.
  Stmt emit_producer(const StageState& c, int at, int pi, const Buffer& local,
                     const std::vector<Guard>& guards) {
    const StageState& prod = state_.stages()[pi];
    const ComputeDefinition& def = *prod.tensor.definition();
    const ComputeDefinition& cdef = *c.tensor.definition();
    const Region region = region_after(c, at);
    Substitutions rename;
    for (int k : region.leaves) rename[c.leaves[k].var.node()] = Var(c.leaves[k].name);
    const Expr idx = region_index(c, region, rename);
    // The producer's axes are the consumer's (same shape, read pointwise).
    Substitutions axes;
    for (size_t d = 0; d < def.axes.size(); ++d)
      axes[def.axes[d].var.node()] =
          substitute(c.root_values.at(cdef.axes[d].var.node()), rename);
    auto finish = [&](const Expr& e) { return substitute(base_.mutate(e), axes); };
    Stmt body;
    if (!def.reduction) {
      body = Store::make(local, finish(def.value), idx);
    } else {
      const Reduction& r = *def.reduction;
      Stmt update = Store::make(local, reduce_combine(r.kind, Load::make(local, idx), finish(r.value)), idx);
      for (auto it = r.axes.rbegin(); it != r.axes.rend(); ++it)
        update = For::make(it->var, make_zero(Type::i32()), make_const(Type::i32(), it->extent),
                           ForKind::Serial, update);
      std::vector<Stmt> parts = {Store::make(local, reduce_identity(r.kind, prod.tensor.type()), idx),
                                 update};
      if (def.epilogue) {
        std::vector<Var> vars;
        for (const Axis& a : def.axes) vars.push_back(a.var);
        parts.push_back(Store::make(local, finish(def.epilogue(Load::make(local, idx), vars)), idx));
      }
      body = Block::make(std::move(parts));
    }
    std::vector<Expr> needed;  // the consumer's spatial guards below `at`
    for (const Guard& g : guards) {
      if (g.reduce) continue;
      bool inside = false;
      for (int k : region.leaves) inside = inside || uses(g.condition, c.leaves[k].var);
      if (inside) needed.push_back(g.condition);
    }
    return nest(c, region.leaves, body, needed, rename, /*keep_parallel=*/false);
  }

  const ScheduleState& state_;
  Rewriter base_;
};

}  // namespace

Stmt emit(const ScheduleState& state) { return Emitter(state).emit_all(); }

}  // namespace schedule_detail

namespace {

schedule_detail::ScheduleState applied(const std::vector<Tensor>& stages, const Schedule& schedule) {
  schedule_detail::ScheduleState state(stages);
  for (size_t i = 0; i < schedule.steps.size(); ++i) {
    try {
      state.apply(schedule.steps[i]);
    } catch (const ScheduleError& e) {
      Schedule one;
      one.steps.push_back(schedule.steps[i]);
      std::string text = one.str();
      if (!text.empty() && text.back() == '\n') text.pop_back();
      throw ScheduleError(fmt::format("schedule step {} ({}): {}", i, text, e.what()));
    }
  }
  state.validate();
  return state;
}

}  // namespace

std::vector<std::string> loop_names(const std::vector<Tensor>& stages, const Schedule& schedule,
                                    const std::string& stage) {
  const schedule_detail::ScheduleState state = applied(stages, schedule);
  const int index = state.find_stage(stage);
  if (index < 0) throw ScheduleError(fmt::format("no stage {}", stage));
  std::vector<std::string> names;
  for (const schedule_detail::LeafLoop& l : state.stages()[index].leaves) names.push_back(l.name);
  return names;
}

Stmt lower(const std::vector<Tensor>& stages, const Schedule& schedule) {
  const schedule_detail::ScheduleState state = applied(stages, schedule);
  Stmt nest = simplify(schedule_detail::emit(state));
  nest = simplify(partition_loops(nest));
  nest = simplify(unroll_loops(nest));
  return simplify(vectorize_loops(nest));
}

}  // namespace nas::loop
