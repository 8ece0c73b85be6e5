#include "compiler/loop/structural.h"

#include <bit>
#include <map>
#include <optional>
#include <utility>

#include "compiler/support/random.h"

namespace nas::loop {

namespace {

// A one-to-one correspondence between objects of the two sides (variables or buffers).
template <class Node>
class Correspondence {
 public:
  bool mapped(const Node* a, const Node* b) const {
    auto ia = forward_.find(a);
    auto ib = backward_.find(b);
    if (ia == forward_.end() && ib == backward_.end()) return false;
    return ia != forward_.end() && ia->second == b && ib != backward_.end() && ib->second == a;
  }
  bool has_either(const Node* a, const Node* b) const {
    return forward_.contains(a) || backward_.contains(b);
  }
  // Binds a to b and returns what it replaced, for restore().
  std::pair<const Node*, const Node*> bind(const Node* a, const Node* b) {
    std::pair<const Node*, const Node*> previous{lookup(forward_, a), lookup(backward_, b)};
    forward_[a] = b;
    backward_[b] = a;
    return previous;
  }
  void restore(const Node* a, const Node* b, std::pair<const Node*, const Node*> previous) {
    set_or_erase(forward_, a, previous.first);
    set_or_erase(backward_, b, previous.second);
  }

 private:
  using Map = std::map<const Node*, const Node*>;  // lookups only: order never reaches output
  static const Node* lookup(const Map& map, const Node* key) {
    auto it = map.find(key);
    return it == map.end() ? nullptr : it->second;
  }
  static void set_or_erase(Map& map, const Node* key, const Node* value) {
    if (value) map[key] = value;
    else map.erase(key);
  }
  Map forward_, backward_;
};

bool same_float(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

class EqualityChecker {
 public:
  explicit EqualityChecker(VarMatching matching) : matching_(matching) {}

  bool equal(const Expr& a, const Expr& b) {
    if (a.same_as(b) && matching_ == VarMatching::Identity) return true;
    if (!a.defined() || !b.defined()) return a.defined() == b.defined();
    if (a.kind() != b.kind() || a.type() != b.type()) return false;
    switch (a.kind()) {
      case ExprKind::IntImm: return a.as<IntImm>()->value == b.as<IntImm>()->value;
      case ExprKind::FloatImm:
        return same_float(a.as<FloatImm>()->value, b.as<FloatImm>()->value);
      case ExprKind::Variable: return equal_var(a.as<Variable>(), b.as<Variable>());
      case ExprKind::Not: return equal(a.as<Not>()->a, b.as<Not>()->a);
      case ExprKind::Select: {
        const auto *x = a.as<Select>(), *y = b.as<Select>();
        return equal(x->condition, y->condition) && equal(x->true_value, y->true_value) &&
               equal(x->false_value, y->false_value);
      }
      case ExprKind::Cast: return equal(a.as<Cast>()->value, b.as<Cast>()->value);
      case ExprKind::Load: {
        const auto *x = a.as<Load>(), *y = b.as<Load>();
        return equal_buffer(x->buffer, y->buffer) && equal(x->index, y->index);
      }
      case ExprKind::Ramp: {
        const auto *x = a.as<Ramp>(), *y = b.as<Ramp>();
        return x->lanes == y->lanes && equal(x->base, y->base) && equal(x->stride, y->stride);
      }
      case ExprKind::Broadcast: {
        const auto *x = a.as<Broadcast>(), *y = b.as<Broadcast>();
        return x->lanes == y->lanes && equal(x->value, y->value);
      }
      case ExprKind::Call: {
        const auto *x = a.as<Call>(), *y = b.as<Call>();
        if (x->op != y->op || x->args.size() != y->args.size()) return false;
        for (size_t i = 0; i < x->args.size(); ++i)
          if (!equal(x->args[i], y->args[i])) return false;
        return true;
      }
      default: {
        const auto *x = a.as<BinaryNode>(), *y = b.as<BinaryNode>();
        return equal(x->a, y->a) && equal(x->b, y->b);
      }
    }
  }

  bool equal(const Stmt& a, const Stmt& b) {
    if (a.same_as(b) && matching_ == VarMatching::Identity) return true;
    if (!a.defined() || !b.defined()) return a.defined() == b.defined();
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
      case StmtKind::For: {
        const auto *x = a.as<For>(), *y = b.as<For>();
        if (x->for_kind != y->for_kind || x->var.type() != y->var.type() ||
            !equal(x->min, y->min) || !equal(x->extent, y->extent))
          return false;
        const Variable *vx = x->var.node(), *vy = y->var.node();
        if (matching_ == VarMatching::Identity) return vx == vy && equal(x->body, y->body);
        auto previous = vars_.bind(vx, vy);
        const bool result = equal(x->body, y->body);
        vars_.restore(vx, vy, previous);
        return result;
      }
      case StmtKind::Store: {
        const auto *x = a.as<Store>(), *y = b.as<Store>();
        return equal_buffer(x->buffer, y->buffer) && equal(x->index, y->index) &&
               equal(x->value, y->value);
      }
      case StmtKind::Block: {
        const auto *x = a.as<Block>(), *y = b.as<Block>();
        if (x->stmts.size() != y->stmts.size()) return false;
        for (size_t i = 0; i < x->stmts.size(); ++i)
          if (!equal(x->stmts[i], y->stmts[i])) return false;
        return true;
      }
      case StmtKind::IfThenElse: {
        const auto *x = a.as<IfThenElse>(), *y = b.as<IfThenElse>();
        return equal(x->condition, y->condition) && equal(x->then_case, y->then_case) &&
               equal(x->else_case, y->else_case);
      }
      case StmtKind::Allocate: {
        const auto *x = a.as<Allocate>(), *y = b.as<Allocate>();
        if (x->scope != y->scope || !same_layout(x->buffer, y->buffer)) return false;
        if (matching_ == VarMatching::Identity)
          return x->buffer.same_as(y->buffer) && equal(x->body, y->body);
        auto previous = buffers_.bind(x->buffer.get(), y->buffer.get());
        const bool result = equal(x->body, y->body);
        buffers_.restore(x->buffer.get(), y->buffer.get(), previous);
        return result;
      }
      case StmtKind::Evaluate: return equal(a.as<Evaluate>()->value, b.as<Evaluate>()->value);
      case StmtKind::Prefetch: {
        const auto *x = a.as<Prefetch>(), *y = b.as<Prefetch>();
        return equal_buffer(x->buffer, y->buffer) && equal(x->index, y->index);
      }
    }
    return false;
  }

 private:
  static bool same_layout(const Buffer& a, const Buffer& b) {
    return a.element_type() == b.element_type() && a.shape() == b.shape();
  }

  bool equal_var(const Variable* a, const Variable* b) {
    if (vars_.mapped(a, b)) return true;
    if (vars_.has_either(a, b)) return false;
    if (matching_ != VarMatching::AllVars) return a == b;
    vars_.bind(a, b);  // a free variable: corresponds from now on
    return true;
  }

  bool equal_buffer(const Buffer& a, const Buffer& b) {
    if (buffers_.mapped(a.get(), b.get())) return true;
    if (buffers_.has_either(a.get(), b.get())) return false;
    if (matching_ != VarMatching::AllVars) return a.same_as(b);
    if (!same_layout(a, b)) return false;
    buffers_.bind(a.get(), b.get());
    return true;
  }

  VarMatching matching_;
  Correspondence<Variable> vars_;
  Correspondence<BufferNode> buffers_;
};

// Hashes a tree without looking at names or addresses: a bound variable or buffer is
// numbered by its binding (in traversal order, so alpha-equivalent trees agree), a free one
// in order of first use.
class Hasher {
 public:
  uint64_t hash(const Expr& e) {
    if (!e.defined()) return word(0xdead);
    uint64_t h = combine(word(static_cast<uint64_t>(e.kind())), hash_type(e.type()));
    switch (e.kind()) {
      case ExprKind::IntImm: return combine(h, static_cast<uint64_t>(e.as<IntImm>()->value));
      case ExprKind::FloatImm: return combine(h, std::bit_cast<uint64_t>(e.as<FloatImm>()->value));
      case ExprKind::Variable: return combine(h, number(vars_, e.as<Variable>()));
      case ExprKind::Not: return combine(h, hash(e.as<Not>()->a));
      case ExprKind::Select: {
        const auto* x = e.as<Select>();
        return combine(h, hash(x->condition), hash(x->true_value), hash(x->false_value));
      }
      case ExprKind::Cast: return combine(h, hash(e.as<Cast>()->value));
      case ExprKind::Load: {
        const auto* x = e.as<Load>();
        return combine(h, hash_buffer(x->buffer), hash(x->index));
      }
      case ExprKind::Ramp: {
        const auto* x = e.as<Ramp>();
        return combine(h, hash(x->base), hash(x->stride), static_cast<uint64_t>(x->lanes));
      }
      case ExprKind::Broadcast: {
        const auto* x = e.as<Broadcast>();
        return combine(h, hash(x->value), static_cast<uint64_t>(x->lanes));
      }
      case ExprKind::Call: {
        const auto* x = e.as<Call>();
        h = combine(h, static_cast<uint64_t>(x->op));
        for (const Expr& arg : x->args) h = combine(h, hash(arg));
        return h;
      }
      default: {
        const auto* x = e.as<BinaryNode>();
        return combine(h, hash(x->a), hash(x->b));
      }
    }
  }

  uint64_t hash(const Stmt& s) {
    if (!s.defined()) return word(0xdead);
    uint64_t h = word(0x100 + static_cast<uint64_t>(s.kind()));
    switch (s.kind()) {
      case StmtKind::For: {
        const auto* x = s.as<For>();
        h = combine(h, static_cast<uint64_t>(x->for_kind), hash(x->min), hash(x->extent),
                    hash_type(x->var.type()));
        return combine(h, hash_bound(vars_, x->var.node(), x->body));
      }
      case StmtKind::Store: {
        const auto* x = s.as<Store>();
        return combine(h, hash_buffer(x->buffer), hash(x->index), hash(x->value));
      }
      case StmtKind::Block:
        for (const Stmt& child : s.as<Block>()->stmts) h = combine(h, hash(child));
        return h;
      case StmtKind::IfThenElse: {
        const auto* x = s.as<IfThenElse>();
        return combine(h, hash(x->condition), hash(x->then_case), hash(x->else_case));
      }
      case StmtKind::Allocate: {
        const auto* x = s.as<Allocate>();
        h = combine(h, static_cast<uint64_t>(x->scope), hash_layout(x->buffer));
        return combine(h, hash_bound(buffers_, x->buffer.get(), x->body));
      }
      case StmtKind::Evaluate: return combine(h, hash(s.as<Evaluate>()->value));
      case StmtKind::Prefetch: {
        const auto* x = s.as<Prefetch>();
        return combine(h, hash_buffer(x->buffer), hash(x->index));
      }
    }
    return h;
  }

 private:
  static uint64_t word(uint64_t w) { return mix64(w); }
  template <class... Words>
  static uint64_t combine(uint64_t h, Words... words) {
    ((h = mix64(h ^ mix64(words))), ...);
    return h;
  }
  static uint64_t hash_type(Type t) {
    return combine(static_cast<uint64_t>(t.scalar()), static_cast<uint64_t>(t.lanes()));
  }
  // Numbers of the variables (or buffers) in scope: bound ones and free ones seen so far.
  template <class Node>
  struct Numbering {
    std::map<const Node*, uint64_t> bound, free;  // lookups only: never iterated
    uint64_t next_binding = 0;
  };

  template <class Node>
  uint64_t number(Numbering<Node>& numbering, const Node* node) {
    if (auto it = numbering.bound.find(node); it != numbering.bound.end())
      return combine(1, it->second);
    auto [it, inserted] = numbering.free.try_emplace(node, numbering.free.size());
    return combine(2, it->second);
  }

  template <class Node>
  uint64_t hash_bound(Numbering<Node>& numbering, const Node* node, const Stmt& body) {
    auto it = numbering.bound.find(node);
    const std::optional<uint64_t> previous =
        it == numbering.bound.end() ? std::nullopt : std::optional(it->second);
    numbering.bound[node] = numbering.next_binding++;
    const uint64_t h = hash(body);
    if (previous) numbering.bound[node] = *previous;
    else numbering.bound.erase(node);
    return h;
  }

  static uint64_t hash_layout(const Buffer& b) {
    uint64_t h = hash_type(b.element_type());
    for (int64_t extent : b.shape()) h = combine(h, static_cast<uint64_t>(extent));
    return h;
  }
  uint64_t hash_buffer(const Buffer& b) {
    return combine(hash_layout(b), number(buffers_, b.get()));
  }

  Numbering<Variable> vars_;
  Numbering<BufferNode> buffers_;
};

}  // namespace

bool structural_equal(const Expr& a, const Expr& b, VarMatching matching) {
  return EqualityChecker(matching).equal(a, b);
}
bool structural_equal(const Stmt& a, const Stmt& b, VarMatching matching) {
  return EqualityChecker(matching).equal(a, b);
}
uint64_t structural_hash(const Expr& e) { return Hasher().hash(e); }
uint64_t structural_hash(const Stmt& s) { return Hasher().hash(s); }

Stmt function_key(const LoweredFunc& func) {
  std::vector<Stmt> stmts;
  const Expr zero = make_const(Type::i32(), int64_t{0});
  for (const Buffer& param : func.params) stmts.push_back(Evaluate::make(Load::make(param, zero)));
  stmts.push_back(func.body);
  return Block::make(std::move(stmts));
}

}  // namespace nas::loop
