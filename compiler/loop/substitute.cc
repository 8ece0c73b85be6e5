#include "compiler/loop/substitute.h"

#include <set>

#include "compiler/loop/mutator.h"
#include "compiler/support/error.h"

namespace nas::loop {

namespace {

class Substituter : public IRMutator {
 public:
  explicit Substituter(const Substitutions& replacements) : replacements_(replacements) {}
  using IRMutator::visit;

 protected:
  Expr visit(const Variable* op) override {
    if (hidden_.contains(op)) return op;
    auto it = replacements_.find(op);
    if (it == replacements_.end()) return op;
    NAS_CHECK(it->second.type() == op->type, "substituting {} for {} of type {}",
              it->second.type().str(), op->name, op->type.str());
    return it->second;
  }

  Stmt visit(const For* op) override {
    if (!replacements_.contains(op->var.node()) || hidden_.contains(op->var.node()))
      return IRMutator::visit(op);
    Expr min = mutate(op->min), extent = mutate(op->extent);
    hidden_.insert(op->var.node());
    Stmt body = mutate(op->body);
    hidden_.erase(op->var.node());
    if (min.same_as(op->min) && extent.same_as(op->extent) && body.same_as(op->body)) return op;
    return For::make(op->var, std::move(min), std::move(extent), op->for_kind, std::move(body));
  }

 private:
  const Substitutions& replacements_;
  std::set<const Variable*> hidden_;  // rebound by an enclosing loop
};

}  // namespace

Expr substitute(const Expr& e, const Substitutions& replacements) {
  return Substituter(replacements).mutate(e);
}
Stmt substitute(const Stmt& s, const Substitutions& replacements) {
  return Substituter(replacements).mutate(s);
}
Expr substitute(const Expr& e, const Var& var, const Expr& value) {
  return substitute(e, Substitutions{{var.node(), value}});
}
Stmt substitute(const Stmt& s, const Var& var, const Expr& value) {
  return substitute(s, Substitutions{{var.node(), value}});
}

}  // namespace nas::loop
