// Base classes of passes over loop IR (Halide's IRVisitor and IRMutator).
//
// IRVisitor walks a tree: `include(e)` dispatches on the node kind to a `visit` overload,
// whose default visits the children. IRMutator rebuilds a tree: `mutate(e)` dispatches to a
// `visit` overload, whose default mutates the children and returns the same node when none
// changed, so that unchanged subtrees stay shared and `same_as` tells a pass whether anything
// happened. Loop variables and buffers are not mutated (they are objects, not subtrees).
// A subclass that overrides some `visit` overloads should add `using IRMutator::visit;`.
#pragma once

#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

class IRVisitor {
 public:
  virtual ~IRVisitor() = default;
  // Visits e (or s); an undefined one is skipped.
  void include(const Expr& e);
  void include(const Stmt& s);

 protected:
  virtual void visit(const IntImm*) {}
  virtual void visit(const FloatImm*) {}
  virtual void visit(const Variable*) {}
  virtual void visit(const BinaryNode* op);  // all binary operators
  virtual void visit(const Not* op);
  virtual void visit(const Select* op);
  virtual void visit(const Cast* op);
  virtual void visit(const Load* op);
  virtual void visit(const Ramp* op);
  virtual void visit(const Broadcast* op);
  virtual void visit(const Call* op);

  virtual void visit(const For* op);
  virtual void visit(const Store* op);
  virtual void visit(const Block* op);
  virtual void visit(const IfThenElse* op);
  virtual void visit(const Allocate* op);
  virtual void visit(const Evaluate* op);
  virtual void visit(const Prefetch* op);
};

class IRMutator {
 public:
  virtual ~IRMutator() = default;
  // The rewritten e (or s); an undefined one stays undefined.
  virtual Expr mutate(const Expr& e);
  virtual Stmt mutate(const Stmt& s);

 protected:
  virtual Expr visit(const IntImm* op) { return op; }
  virtual Expr visit(const FloatImm* op) { return op; }
  virtual Expr visit(const Variable* op) { return op; }
  virtual Expr visit(const BinaryNode* op);  // all binary operators
  virtual Expr visit(const Not* op);
  virtual Expr visit(const Select* op);
  virtual Expr visit(const Cast* op);
  virtual Expr visit(const Load* op);
  virtual Expr visit(const Ramp* op);
  virtual Expr visit(const Broadcast* op);
  virtual Expr visit(const Call* op);

  virtual Stmt visit(const For* op);
  virtual Stmt visit(const Store* op);
  virtual Stmt visit(const Block* op);
  virtual Stmt visit(const IfThenElse* op);
  virtual Stmt visit(const Allocate* op);
  virtual Stmt visit(const Evaluate* op);
  virtual Stmt visit(const Prefetch* op);
};

}  // namespace nas::loop
