#include "compiler/loop/stmt.h"

#include "compiler/support/error.h"

namespace nas::loop {

std::string_view for_kind_name(ForKind kind) {
  switch (kind) {
    case ForKind::Serial: return "serial";
    case ForKind::Parallel: return "parallel";
    case ForKind::Vectorized: return "vectorized";
    case ForKind::Unrolled: return "unrolled";
  }
  return "?";
}

std::string_view memory_scope_name(MemoryScope scope) {
  switch (scope) {
    case MemoryScope::Local: return "local";
    case MemoryScope::Register: return "register";
  }
  return "?";
}

Stmt For::make(Var var, Expr min, Expr extent, ForKind for_kind, Stmt body) {
  NAS_CHECK(var.defined() && min.defined() && extent.defined() && body.defined(),
            "For with an undefined part");
  NAS_CHECK(var.type().is_int(), "loop variable {} of type {}", var.name(), var.type().str());
  NAS_CHECK(min.type() == var.type() && extent.type() == var.type(),
            "loop {} of type {} with min {} and extent {}", var.name(), var.type().str(),
            min.type().str(), extent.type().str());
  NAS_CHECK(for_kind == ForKind::Serial || for_kind == ForKind::Parallel ||
                as_const_int(extent).has_value(),
            "{} loop {} with a non-constant extent", for_kind_name(for_kind), var.name());
  return Stmt(std::make_shared<const For>(std::move(var), std::move(min), std::move(extent),
                                          for_kind, std::move(body)));
}

Stmt Store::make(Buffer buffer, Expr value, Expr index) {
  NAS_CHECK(buffer.defined() && value.defined() && index.defined(), "Store with an undefined part");
  NAS_CHECK(index.type().is_int(), "Store to {} at an index of type {}", buffer.name(),
            index.type().str());
  const Type expected = buffer.element_type().with_lanes(index.type().lanes());
  NAS_CHECK(value.type() == expected, "Store of {} to {} ({} expected)", value.type().str(),
            buffer.name(), expected.str());
  return Stmt(std::make_shared<const Store>(std::move(buffer), std::move(value), std::move(index)));
}

Stmt Block::make(std::vector<Stmt> stmts) {
  for (const Stmt& s : stmts) NAS_CHECK(s.defined(), "Block with an undefined statement");
  if (stmts.size() == 1) return stmts[0];
  return Stmt(std::make_shared<const Block>(std::move(stmts)));
}

Stmt Block::make(Stmt first, Stmt second) {
  return make(std::vector<Stmt>{std::move(first), std::move(second)});
}

Stmt IfThenElse::make(Expr condition, Stmt then_case, Stmt else_case) {
  NAS_CHECK(condition.defined() && then_case.defined(), "IfThenElse with an undefined part");
  NAS_CHECK(condition.type() == Type::boolean(), "IfThenElse condition of type {}",
            condition.type().str());
  return Stmt(std::make_shared<const IfThenElse>(std::move(condition), std::move(then_case),
                                                 std::move(else_case)));
}

Stmt Allocate::make(Buffer buffer, MemoryScope scope, Stmt body) {
  NAS_CHECK(buffer.defined() && body.defined(), "Allocate with an undefined part");
  return Stmt(std::make_shared<const Allocate>(std::move(buffer), scope, std::move(body)));
}

Stmt Evaluate::make(Expr value) {
  NAS_CHECK(value.defined(), "Evaluate of an undefined expression");
  return Stmt(std::make_shared<const Evaluate>(std::move(value)));
}

Stmt Prefetch::make(Buffer buffer, Expr index) {
  NAS_CHECK(buffer.defined() && index.defined(), "Prefetch of an undefined buffer or index");
  NAS_CHECK(index.type().is_scalar() && index.type().is_int(),
            "Prefetch of {} needs a scalar integer index, got {}", buffer.name(),
            index.type().str());
  return Stmt(std::make_shared<const Prefetch>(std::move(buffer), std::move(index)));
}

Stmt no_op() { return Stmt(std::make_shared<const Block>(std::vector<Stmt>{})); }

bool is_no_op(const Stmt& s) {
  const auto* block = s.as<Block>();
  return block != nullptr && block->stmts.empty();
}

}  // namespace nas::loop
