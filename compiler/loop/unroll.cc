#include "compiler/loop/unroll.h"

#include "compiler/loop/mutator.h"
#include "compiler/loop/substitute.h"
#include "compiler/support/error.h"

namespace nas::loop {

namespace {

class Unroller : public IRMutator {
 public:
  using IRMutator::mutate;
  using IRMutator::visit;

 protected:
  Stmt visit(const For* op) override {
    Stmt s = IRMutator::visit(op);  // inner loops first
    const auto* loop = s.as<For>();
    if (loop->for_kind != ForKind::Unrolled) return s;
    const std::optional<int64_t> extent = as_const_int(loop->extent);
    NAS_CHECK(extent.has_value(), "unrolled loop {} without a constant extent", loop->var.name());
    std::vector<Stmt> copies;
    for (int64_t i = 0; i < *extent; ++i)
      copies.push_back(substitute(loop->body, loop->var, loop->min + make_const(loop->min.type(), i)));
    return copies.empty() ? no_op() : Block::make(std::move(copies));
  }
};

}  // namespace

Stmt unroll_loops(const Stmt& s) { return Unroller().mutate(s); }

}  // namespace nas::loop
