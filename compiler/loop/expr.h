// Expressions of the loop IR: immutable nodes behind the `Expr` handle, built through
// checking constructors (`Add::make`, `Load::make`, ...; never construct a node directly),
// so that every expression in existence is well typed.
//
// Semantics, which the interpreter, the simplifier and codegen all follow:
// - Integers wrap (two's complement) at their width; i32 is the default index type.
// - Integer Div and Mod are floor division: x / y rounds towards minus infinity and x % y
//   takes the sign of y (so it lies in [0, y) for y > 0); x / 0 and x % 0 give 0.
// - Floats are f32 and follow IEEE; float constants are rounded to f32 on construction.
// - Vector expressions have lanes > 1; scalars combine with vectors only through Broadcast.
// - Select evaluates both values (no short cut), so a load in either must be in bounds.
//
// Variables and buffers are objects compared by identity: two `Var("x")` are different
// variables. Names only serve the printer.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nas::loop {

enum class ScalarType : uint8_t { Bool, I32, I64, F32 };

// A scalar type and a number of lanes (1 for scalars).
class Type {
 public:
  constexpr Type(ScalarType scalar, int lanes = 1) : scalar_(scalar), lanes_(lanes) {}
  static constexpr Type boolean(int lanes = 1) { return {ScalarType::Bool, lanes}; }
  static constexpr Type i32(int lanes = 1) { return {ScalarType::I32, lanes}; }
  static constexpr Type i64(int lanes = 1) { return {ScalarType::I64, lanes}; }
  static constexpr Type f32(int lanes = 1) { return {ScalarType::F32, lanes}; }

  constexpr ScalarType scalar() const { return scalar_; }
  constexpr int lanes() const { return lanes_; }
  constexpr bool is_bool() const { return scalar_ == ScalarType::Bool; }
  constexpr bool is_int() const { return scalar_ == ScalarType::I32 || scalar_ == ScalarType::I64; }
  constexpr bool is_float() const { return scalar_ == ScalarType::F32; }
  constexpr bool is_scalar() const { return lanes_ == 1; }
  constexpr bool is_vector() const { return lanes_ > 1; }
  constexpr Type element_of() const { return {scalar_, 1}; }
  constexpr Type with_lanes(int lanes) const { return {scalar_, lanes}; }
  int bits() const;           // 1, 32, 64, 32
  std::string str() const;    // "f32", "i32x8", "bool"

  constexpr bool operator==(const Type&) const = default;

 private:
  ScalarType scalar_;
  int lanes_;
};

enum class ExprKind : uint8_t {
  IntImm, FloatImm, Variable,
  // Binary arithmetic: operands and result of one int or float type.
  Add, Sub, Mul, Div, Mod, Min, Max,
  // Comparisons: operands of one type, result bool with their lanes.
  EQ, NE, LT, LE, GT, GE,
  // Logic on bools.
  And, Or, Not,
  Select, Cast, Load, Ramp, Broadcast, Call,
};

constexpr bool is_binary(ExprKind kind) { return kind >= ExprKind::Add && kind <= ExprKind::Or; }
constexpr bool is_arithmetic(ExprKind kind) { return kind >= ExprKind::Add && kind <= ExprKind::Max; }
constexpr bool is_comparison(ExprKind kind) { return kind >= ExprKind::EQ && kind <= ExprKind::GE; }
constexpr bool is_commutative(ExprKind kind) {
  return kind == ExprKind::Add || kind == ExprKind::Mul || kind == ExprKind::Min ||
         kind == ExprKind::Max || kind == ExprKind::EQ || kind == ExprKind::NE ||
         kind == ExprKind::And || kind == ExprKind::Or;
}
std::string_view kind_name(ExprKind kind);  // "Add", "LT", ...

// The base of every expression node. Nodes are owned by shared pointers (make() creates
// them), so a visitor holding `const Add*` can turn it back into an `Expr`.
struct ExprNode : std::enable_shared_from_this<ExprNode> {
  ExprNode(ExprKind kind, Type type) : kind(kind), type(type) {}
  virtual ~ExprNode() = default;
  ExprNode(const ExprNode&) = delete;
  ExprNode& operator=(const ExprNode&) = delete;

  const ExprKind kind;
  const Type type;
};

// A shared handle to an immutable expression node (may be undefined: `Expr()`).
class Expr {
 public:
  Expr() = default;
  template <std::derived_from<ExprNode> T>
  explicit Expr(std::shared_ptr<const T> node) : node_(std::move(node)) {}
  // From a node reached by a visitor (every node is owned by a shared pointer).
  Expr(const ExprNode* node) : node_(node ? node->shared_from_this() : nullptr) {}

  bool defined() const { return node_ != nullptr; }
  const ExprNode* get() const { return node_.get(); }
  const ExprNode* operator->() const { return node_.get(); }
  ExprKind kind() const { return node_->kind; }
  Type type() const { return node_->type; }
  // The same node (not structural equality: see structural.h).
  bool same_as(const Expr& other) const { return node_ == other.node_; }

  // The node as T, or null if it is another kind.
  template <class T>
  const T* as() const {
    return node_ && T::classof(node_.get()) ? static_cast<const T*>(node_.get()) : nullptr;
  }

 private:
  std::shared_ptr<const ExprNode> node_;
};

// ---- Buffers ----------------------------------------------------------------------------

struct BufferNode {
  std::string name;
  Type element_type;            // scalar
  std::vector<int64_t> shape;   // row-major; loads and stores use a flat index
};

// A named array in memory, compared by identity.
class Buffer {
 public:
  Buffer() = default;
  Buffer(std::string name, Type element_type, std::vector<int64_t> shape);

  bool defined() const { return node_ != nullptr; }
  const BufferNode* get() const { return node_.get(); }
  const std::string& name() const { return node_->name; }
  Type element_type() const { return node_->element_type; }
  const std::vector<int64_t>& shape() const { return node_->shape; }
  int64_t numel() const;
  bool same_as(const Buffer& other) const { return node_ == other.node_; }

 private:
  std::shared_ptr<const BufferNode> node_;
};

// ---- Nodes ------------------------------------------------------------------------------

// An integer (i32, i64) or bool (0 or 1) constant; the value is wrapped to the type's width.
struct IntImm final : ExprNode {
  static Expr make(Type type, int64_t value);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::IntImm; }
  const int64_t value;
  IntImm(Type type, int64_t value) : ExprNode(ExprKind::IntImm, type), value(value) {}
};

// An f32 constant (held exactly: the value is rounded to f32 on construction).
struct FloatImm final : ExprNode {
  static Expr make(Type type, double value);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::FloatImm; }
  const double value;
  FloatImm(Type type, double value) : ExprNode(ExprKind::FloatImm, type), value(value) {}
};

// The node of a variable; see `Var`.
struct Variable final : ExprNode {
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Variable; }
  const std::string name;
  Variable(Type type, std::string name) : ExprNode(ExprKind::Variable, type), name(std::move(name)) {}
};

// A variable: an Expr whose node is a Variable. Each constructed Var is a new variable.
class Var : public Expr {
 public:
  Var() = default;
  explicit Var(std::string name, Type type = Type::i32());
  // The variable behind `e`, which must be a Variable node.
  static Var from(const Expr& e);
  const Variable* node() const { return as<Variable>(); }
  const std::string& name() const { return node()->name; }

 private:
  explicit Var(const Expr& e) : Expr(e) {}
};

struct BinaryNode : ExprNode {
  static bool classof(const ExprNode* n) { return is_binary(n->kind); }
  const Expr a, b;
  BinaryNode(ExprKind kind, Type type, Expr a, Expr b)
      : ExprNode(kind, type), a(std::move(a)), b(std::move(b)) {}
};

// Builds any binary node, checking the operand types.
Expr make_binary(ExprKind kind, Expr a, Expr b);

// One node type per binary operator, all sharing BinaryNode's layout.
template <ExprKind K>
struct BinaryOp final : BinaryNode {
  static_assert(is_binary(K));
  using BinaryNode::BinaryNode;
  static Expr make(Expr a, Expr b) { return make_binary(K, std::move(a), std::move(b)); }
  static bool classof(const ExprNode* n) { return n->kind == K; }
};
using Add = BinaryOp<ExprKind::Add>;
using Sub = BinaryOp<ExprKind::Sub>;
using Mul = BinaryOp<ExprKind::Mul>;
using Div = BinaryOp<ExprKind::Div>;
using Mod = BinaryOp<ExprKind::Mod>;
using Min = BinaryOp<ExprKind::Min>;
using Max = BinaryOp<ExprKind::Max>;
using EQ = BinaryOp<ExprKind::EQ>;
using NE = BinaryOp<ExprKind::NE>;
using LT = BinaryOp<ExprKind::LT>;
using LE = BinaryOp<ExprKind::LE>;
using GT = BinaryOp<ExprKind::GT>;
using GE = BinaryOp<ExprKind::GE>;
using And = BinaryOp<ExprKind::And>;
using Or = BinaryOp<ExprKind::Or>;

struct Not final : ExprNode {
  static Expr make(Expr a);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Not; }
  const Expr a;
  Not(Type type, Expr a) : ExprNode(ExprKind::Not, type), a(std::move(a)) {}
};

// condition ? true_value : false_value, lane by lane (a scalar condition selects whole vectors).
struct Select final : ExprNode {
  static Expr make(Expr condition, Expr true_value, Expr false_value);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Select; }
  const Expr condition, true_value, false_value;
  Select(Type type, Expr c, Expr t, Expr f)
      : ExprNode(ExprKind::Select, type), condition(std::move(c)), true_value(std::move(t)),
        false_value(std::move(f)) {}
};

// Conversion to another scalar type with the same lanes (float to int truncates).
struct Cast final : ExprNode {
  static Expr make(Type type, Expr value);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Cast; }
  const Expr value;
  Cast(Type type, Expr value) : ExprNode(ExprKind::Cast, type), value(std::move(value)) {}
};

// buffer[index] at a flat element index; a vector index gathers one element per lane.
struct Load final : ExprNode {
  static Expr make(Buffer buffer, Expr index);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Load; }
  const Buffer buffer;
  const Expr index;
  Load(Type type, Buffer buffer, Expr index)
      : ExprNode(ExprKind::Load, type), buffer(std::move(buffer)), index(std::move(index)) {}
};

// The integer vector base, base + stride, ..., base + (lanes - 1) * stride.
struct Ramp final : ExprNode {
  static Expr make(Expr base, Expr stride, int lanes);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Ramp; }
  const Expr base, stride;
  const int lanes;
  Ramp(Type type, Expr base, Expr stride, int lanes)
      : ExprNode(ExprKind::Ramp, type), base(std::move(base)), stride(std::move(stride)),
        lanes(lanes) {}
};

// A scalar repeated in every lane.
struct Broadcast final : ExprNode {
  static Expr make(Expr value, int lanes);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Broadcast; }
  const Expr value;
  const int lanes;
  Broadcast(Type type, Expr value, int lanes)
      : ExprNode(ExprKind::Broadcast, type), value(std::move(value)), lanes(lanes) {}
};

// Float intrinsics, applied lane by lane.
enum class Intrinsic : uint8_t { Exp, Log, Sqrt, Abs, Fma };
std::string_view intrinsic_name(Intrinsic op);  // "exp", ...
int intrinsic_arity(Intrinsic op);

struct Call final : ExprNode {
  static Expr make(Intrinsic op, std::vector<Expr> args);
  static bool classof(const ExprNode* n) { return n->kind == ExprKind::Call; }
  const Intrinsic op;
  const std::vector<Expr> args;
  Call(Type type, Intrinsic op, std::vector<Expr> args)
      : ExprNode(ExprKind::Call, type), op(op), args(std::move(args)) {}
};

// ---- Constants --------------------------------------------------------------------------

// A constant of `type` (a Broadcast for vector types). Integer values into float types and
// integral float values into integer types are fine; anything lossy is an internal error.
Expr make_const(Type type, int64_t value);
Expr make_const(Type type, double value);
Expr make_zero(Type type);
Expr make_one(Type type);
Expr make_bool(bool value, int lanes = 1);

// The value of a scalar constant (or of a broadcast constant), if `e` is one.
std::optional<int64_t> as_const_int(const Expr& e);
std::optional<double> as_const_float(const Expr& e);
bool is_const(const Expr& e, int64_t value);  // int, bool or float constant equal to value

// ---- Building expressions ---------------------------------------------------------------
// Operators on Expr build nodes; a plain number takes the type of the Expr beside it.
// Equality is `eq`/`ne`, not `==`, which would read as a comparison of expressions.

template <class T>
concept Number = std::integral<T> || std::floating_point<T>;

template <Number T>
Expr constant_like(const Expr& other, T value) {
  if constexpr (std::integral<T>) return make_const(other.type(), static_cast<int64_t>(value));
  else return make_const(other.type(), static_cast<double>(value));
}

Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);
Expr operator%(Expr a, Expr b);
Expr operator<(Expr a, Expr b);
Expr operator<=(Expr a, Expr b);
Expr operator>(Expr a, Expr b);
Expr operator>=(Expr a, Expr b);
Expr operator&&(Expr a, Expr b);
Expr operator||(Expr a, Expr b);
Expr operator!(Expr a);
Expr operator-(Expr a);
Expr eq(Expr a, Expr b);
Expr ne(Expr a, Expr b);
Expr min(Expr a, Expr b);
Expr max(Expr a, Expr b);
Expr select(Expr condition, Expr true_value, Expr false_value);
Expr cast(Type type, Expr value);
Expr exp(Expr x);
Expr log(Expr x);
Expr sqrt(Expr x);
Expr abs(Expr x);
Expr fma(Expr a, Expr b, Expr c);  // a * b + c

#define NAS_LOOP_NUMBER_OPERATOR(name)                                                  \
  template <Number T>                                                                   \
  Expr name(const Expr& a, T b) { return name(a, constant_like(a, b)); }                \
  template <Number T>                                                                   \
  Expr name(T a, const Expr& b) { return name(constant_like(b, a), b); }
NAS_LOOP_NUMBER_OPERATOR(operator+)
NAS_LOOP_NUMBER_OPERATOR(operator-)
NAS_LOOP_NUMBER_OPERATOR(operator*)
NAS_LOOP_NUMBER_OPERATOR(operator/)
NAS_LOOP_NUMBER_OPERATOR(operator%)
NAS_LOOP_NUMBER_OPERATOR(operator<)
NAS_LOOP_NUMBER_OPERATOR(operator<=)
NAS_LOOP_NUMBER_OPERATOR(operator>)
NAS_LOOP_NUMBER_OPERATOR(operator>=)
NAS_LOOP_NUMBER_OPERATOR(eq)
NAS_LOOP_NUMBER_OPERATOR(ne)
NAS_LOOP_NUMBER_OPERATOR(min)
NAS_LOOP_NUMBER_OPERATOR(max)
#undef NAS_LOOP_NUMBER_OPERATOR

}  // namespace nas::loop
