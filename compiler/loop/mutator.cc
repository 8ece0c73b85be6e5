#include "compiler/loop/mutator.h"

namespace nas::loop {

// ---- IRVisitor ----------------------------------------------------------------------------

void IRVisitor::include(const Expr& e) {
  if (!e.defined()) return;
  switch (e.kind()) {
    case ExprKind::IntImm: return visit(e.as<IntImm>());
    case ExprKind::FloatImm: return visit(e.as<FloatImm>());
    case ExprKind::Variable: return visit(e.as<Variable>());
    case ExprKind::Not: return visit(e.as<Not>());
    case ExprKind::Select: return visit(e.as<Select>());
    case ExprKind::Cast: return visit(e.as<Cast>());
    case ExprKind::Load: return visit(e.as<Load>());
    case ExprKind::Ramp: return visit(e.as<Ramp>());
    case ExprKind::Broadcast: return visit(e.as<Broadcast>());
    case ExprKind::Call: return visit(e.as<Call>());
    default: return visit(e.as<BinaryNode>());
  }
}

void IRVisitor::include(const Stmt& s) {
  if (!s.defined()) return;
  switch (s.kind()) {
    case StmtKind::For: return visit(s.as<For>());
    case StmtKind::Store: return visit(s.as<Store>());
    case StmtKind::Block: return visit(s.as<Block>());
    case StmtKind::IfThenElse: return visit(s.as<IfThenElse>());
    case StmtKind::Allocate: return visit(s.as<Allocate>());
    case StmtKind::Evaluate: return visit(s.as<Evaluate>());
    case StmtKind::Prefetch: return visit(s.as<Prefetch>());
  }
}

void IRVisitor::visit(const BinaryNode* op) {
  include(op->a);
  include(op->b);
}
void IRVisitor::visit(const Not* op) { include(op->a); }
void IRVisitor::visit(const Select* op) {
  include(op->condition);
  include(op->true_value);
  include(op->false_value);
}
void IRVisitor::visit(const Cast* op) { include(op->value); }
void IRVisitor::visit(const Load* op) { include(op->index); }
void IRVisitor::visit(const Ramp* op) {
  include(op->base);
  include(op->stride);
}
void IRVisitor::visit(const Broadcast* op) { include(op->value); }
void IRVisitor::visit(const Call* op) {
  for (const Expr& arg : op->args) include(arg);
}
void IRVisitor::visit(const For* op) {
  include(op->var);
  include(op->min);
  include(op->extent);
  include(op->body);
}
void IRVisitor::visit(const Store* op) {
  include(op->value);
  include(op->index);
}
void IRVisitor::visit(const Block* op) {
  for (const Stmt& s : op->stmts) include(s);
}
void IRVisitor::visit(const IfThenElse* op) {
  include(op->condition);
  include(op->then_case);
  include(op->else_case);
}
void IRVisitor::visit(const Allocate* op) { include(op->body); }
void IRVisitor::visit(const Evaluate* op) { include(op->value); }
void IRVisitor::visit(const Prefetch* op) { include(op->index); }

// ---- IRMutator ----------------------------------------------------------------------------

Expr IRMutator::mutate(const Expr& e) {
  if (!e.defined()) return e;
  switch (e.kind()) {
    case ExprKind::IntImm: return visit(e.as<IntImm>());
    case ExprKind::FloatImm: return visit(e.as<FloatImm>());
    case ExprKind::Variable: return visit(e.as<Variable>());
    case ExprKind::Not: return visit(e.as<Not>());
    case ExprKind::Select: return visit(e.as<Select>());
    case ExprKind::Cast: return visit(e.as<Cast>());
    case ExprKind::Load: return visit(e.as<Load>());
    case ExprKind::Ramp: return visit(e.as<Ramp>());
    case ExprKind::Broadcast: return visit(e.as<Broadcast>());
    case ExprKind::Call: return visit(e.as<Call>());
    default: return visit(e.as<BinaryNode>());
  }
}

Stmt IRMutator::mutate(const Stmt& s) {
  if (!s.defined()) return s;
  switch (s.kind()) {
    case StmtKind::For: return visit(s.as<For>());
    case StmtKind::Store: return visit(s.as<Store>());
    case StmtKind::Block: return visit(s.as<Block>());
    case StmtKind::IfThenElse: return visit(s.as<IfThenElse>());
    case StmtKind::Allocate: return visit(s.as<Allocate>());
    case StmtKind::Evaluate: return visit(s.as<Evaluate>());
    case StmtKind::Prefetch: return visit(s.as<Prefetch>());
  }
  return s;
}

Expr IRMutator::visit(const BinaryNode* op) {
  Expr a = mutate(op->a), b = mutate(op->b);
  if (a.same_as(op->a) && b.same_as(op->b)) return op;
  return make_binary(op->kind, std::move(a), std::move(b));
}

Expr IRMutator::visit(const Not* op) {
  Expr a = mutate(op->a);
  if (a.same_as(op->a)) return op;
  return Not::make(std::move(a));
}

Expr IRMutator::visit(const Select* op) {
  Expr c = mutate(op->condition), t = mutate(op->true_value), f = mutate(op->false_value);
  if (c.same_as(op->condition) && t.same_as(op->true_value) && f.same_as(op->false_value))
    return op;
  return Select::make(std::move(c), std::move(t), std::move(f));
}

Expr IRMutator::visit(const Cast* op) {
  Expr value = mutate(op->value);
  if (value.same_as(op->value)) return op;
  return Cast::make(op->type, std::move(value));
}

Expr IRMutator::visit(const Load* op) {
  Expr index = mutate(op->index);
  if (index.same_as(op->index)) return op;
  return Load::make(op->buffer, std::move(index));
}

Expr IRMutator::visit(const Ramp* op) {
  Expr base = mutate(op->base), stride = mutate(op->stride);
  if (base.same_as(op->base) && stride.same_as(op->stride)) return op;
  return Ramp::make(std::move(base), std::move(stride), op->lanes);
}

Expr IRMutator::visit(const Broadcast* op) {
  Expr value = mutate(op->value);
  if (value.same_as(op->value)) return op;
  return Broadcast::make(std::move(value), op->lanes);
}

Expr IRMutator::visit(const Call* op) {
  std::vector<Expr> args;
  bool changed = false;
  for (const Expr& arg : op->args) {
    args.push_back(mutate(arg));
    changed = changed || !args.back().same_as(arg);
  }
  if (!changed) return op;
  return Call::make(op->op, std::move(args));
}

Stmt IRMutator::visit(const For* op) {
  Expr min = mutate(op->min), extent = mutate(op->extent);
  Stmt body = mutate(op->body);
  if (min.same_as(op->min) && extent.same_as(op->extent) && body.same_as(op->body)) return op;
  return For::make(op->var, std::move(min), std::move(extent), op->for_kind, std::move(body));
}

Stmt IRMutator::visit(const Store* op) {
  Expr value = mutate(op->value), index = mutate(op->index);
  if (value.same_as(op->value) && index.same_as(op->index)) return op;
  return Store::make(op->buffer, std::move(value), std::move(index));
}

Stmt IRMutator::visit(const Block* op) {
  std::vector<Stmt> stmts;
  bool changed = false;
  for (const Stmt& s : op->stmts) {
    stmts.push_back(mutate(s));
    changed = changed || !stmts.back().same_as(s);
  }
  if (!changed) return op;
  return Block::make(std::move(stmts));
}

Stmt IRMutator::visit(const IfThenElse* op) {
  Expr condition = mutate(op->condition);
  Stmt then_case = mutate(op->then_case), else_case = mutate(op->else_case);
  if (condition.same_as(op->condition) && then_case.same_as(op->then_case) &&
      else_case.same_as(op->else_case))
    return op;
  return IfThenElse::make(std::move(condition), std::move(then_case), std::move(else_case));
}

Stmt IRMutator::visit(const Allocate* op) {
  Stmt body = mutate(op->body);
  if (body.same_as(op->body)) return op;
  return Allocate::make(op->buffer, op->scope, std::move(body));
}

Stmt IRMutator::visit(const Evaluate* op) {
  Expr value = mutate(op->value);
  if (value.same_as(op->value)) return op;
  return Evaluate::make(std::move(value));
}

Stmt IRMutator::visit(const Prefetch* op) {
  Expr index = mutate(op->index);
  if (index.same_as(op->index)) return op;
  return Prefetch::make(op->buffer, std::move(index));
}

}  // namespace nas::loop
