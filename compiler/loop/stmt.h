// Statements of the loop IR: immutable nodes behind the `Stmt` handle, built through
// checking constructors like expressions (see expr.h).
//
// The empty Block is the statement that does nothing (`no_op()`); passes remove it where
// they can. A For's variable and an Allocate's buffer are bound by that statement: they
// are in scope in its body only.
#pragma once

#include <memory>
#include <vector>

#include "compiler/loop/expr.h"

namespace nas::loop {

enum class StmtKind : uint8_t { For, Store, Block, IfThenElse, Allocate, Evaluate, Prefetch };

struct StmtNode : std::enable_shared_from_this<StmtNode> {
  explicit StmtNode(StmtKind kind) : kind(kind) {}
  virtual ~StmtNode() = default;
  StmtNode(const StmtNode&) = delete;
  StmtNode& operator=(const StmtNode&) = delete;

  const StmtKind kind;
};

// A shared handle to an immutable statement node (may be undefined: `Stmt()`).
class Stmt {
 public:
  Stmt() = default;
  template <std::derived_from<StmtNode> T>
  explicit Stmt(std::shared_ptr<const T> node) : node_(std::move(node)) {}
  Stmt(const StmtNode* node) : node_(node ? node->shared_from_this() : nullptr) {}

  bool defined() const { return node_ != nullptr; }
  const StmtNode* get() const { return node_.get(); }
  const StmtNode* operator->() const { return node_.get(); }
  StmtKind kind() const { return node_->kind; }
  bool same_as(const Stmt& other) const { return node_ == other.node_; }

  template <class T>
  const T* as() const {
    return node_ && T::classof(node_.get()) ? static_cast<const T*>(node_.get()) : nullptr;
  }

 private:
  std::shared_ptr<const StmtNode> node_;
};

// How the iterations of a loop run. Vectorized and unrolled loops have a constant extent.
enum class ForKind : uint8_t { Serial, Parallel, Vectorized, Unrolled };
std::string_view for_kind_name(ForKind kind);  // "serial", "parallel", ...

// for (var = min; var < min + extent; ++var) body
struct For final : StmtNode {
  static Stmt make(Var var, Expr min, Expr extent, ForKind for_kind, Stmt body);
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::For; }
  const Var var;
  const Expr min, extent;
  const ForKind for_kind;
  const Stmt body;
  For(Var var, Expr min, Expr extent, ForKind for_kind, Stmt body)
      : StmtNode(StmtKind::For), var(std::move(var)), min(std::move(min)),
        extent(std::move(extent)), for_kind(for_kind), body(std::move(body)) {}
};

// buffer[index] = value; a vector index scatters one lane per element.
struct Store final : StmtNode {
  static Stmt make(Buffer buffer, Expr value, Expr index);
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::Store; }
  const Buffer buffer;
  const Expr value, index;
  Store(Buffer buffer, Expr value, Expr index)
      : StmtNode(StmtKind::Store), buffer(std::move(buffer)), value(std::move(value)),
        index(std::move(index)) {}
};

// Statements run in order. make() of a single statement returns it unchanged.
struct Block final : StmtNode {
  static Stmt make(std::vector<Stmt> stmts);
  static Stmt make(Stmt first, Stmt second);
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::Block; }
  const std::vector<Stmt> stmts;
  explicit Block(std::vector<Stmt> stmts) : StmtNode(StmtKind::Block), stmts(std::move(stmts)) {}
};

// if (condition) then_case else else_case; else_case may be undefined.
struct IfThenElse final : StmtNode {
  static Stmt make(Expr condition, Stmt then_case, Stmt else_case = Stmt());
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::IfThenElse; }
  const Expr condition;
  const Stmt then_case, else_case;
  IfThenElse(Expr condition, Stmt then_case, Stmt else_case)
      : StmtNode(StmtKind::IfThenElse), condition(std::move(condition)),
        then_case(std::move(then_case)), else_case(std::move(else_case)) {}
};

// Where an allocation lives: a local array, or registers (small, indexed by constants once
// the loops around its uses are unrolled).
enum class MemoryScope : uint8_t { Local, Register };
std::string_view memory_scope_name(MemoryScope scope);  // "local", "register"

// A buffer that exists (uninitialised) while body runs.
struct Allocate final : StmtNode {
  static Stmt make(Buffer buffer, MemoryScope scope, Stmt body);
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::Allocate; }
  const Buffer buffer;
  const MemoryScope scope;
  const Stmt body;
  Allocate(Buffer buffer, MemoryScope scope, Stmt body)
      : StmtNode(StmtKind::Allocate), buffer(std::move(buffer)), scope(scope),
        body(std::move(body)) {}
};

// An expression evaluated for its effects (none yet: kept for calls with side effects).
struct Evaluate final : StmtNode {
  static Stmt make(Expr value);
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::Evaluate; }
  const Expr value;
  explicit Evaluate(Expr value) : StmtNode(StmtKind::Evaluate), value(std::move(value)) {}
};

// A hint that buffer[index] (a scalar index) will be read soon: codegen asks the cache for
// the line that holds it. It has no effect on any result, and the index may lie outside
// the buffer (the prefetch of the last iteration's successor): nothing reads it.
struct Prefetch final : StmtNode {
  static Stmt make(Buffer buffer, Expr index);
  static bool classof(const StmtNode* n) { return n->kind == StmtKind::Prefetch; }
  const Buffer buffer;
  const Expr index;
  Prefetch(Buffer buffer, Expr index)
      : StmtNode(StmtKind::Prefetch), buffer(std::move(buffer)), index(std::move(index)) {}
};

Stmt no_op();  // the empty Block
bool is_no_op(const Stmt& s);

}  // namespace nas::loop
