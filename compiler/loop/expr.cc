#include "compiler/loop/expr.h"

#include <cmath>

#include <fmt/format.h>

#include "compiler/loop/arith.h"
#include "compiler/support/error.h"

namespace nas::loop {

int Type::bits() const {
  switch (scalar_) {
    case ScalarType::Bool: return 1;
    case ScalarType::I32: return 32;
    case ScalarType::I64: return 64;
    case ScalarType::F32: return 32;
  }
  return 0;
}

std::string Type::str() const {
  std::string_view base;
  switch (scalar_) {
    case ScalarType::Bool: base = "bool"; break;
    case ScalarType::I32: base = "i32"; break;
    case ScalarType::I64: base = "i64"; break;
    case ScalarType::F32: base = "f32"; break;
  }
  return lanes_ == 1 ? std::string(base) : fmt::format("{}x{}", base, lanes_);
}

std::string_view kind_name(ExprKind kind) {
  switch (kind) {
    case ExprKind::IntImm: return "IntImm";
    case ExprKind::FloatImm: return "FloatImm";
    case ExprKind::Variable: return "Variable";
    case ExprKind::Add: return "Add";
    case ExprKind::Sub: return "Sub";
    case ExprKind::Mul: return "Mul";
    case ExprKind::Div: return "Div";
    case ExprKind::Mod: return "Mod";
    case ExprKind::Min: return "Min";
    case ExprKind::Max: return "Max";
    case ExprKind::EQ: return "EQ";
    case ExprKind::NE: return "NE";
    case ExprKind::LT: return "LT";
    case ExprKind::LE: return "LE";
    case ExprKind::GT: return "GT";
    case ExprKind::GE: return "GE";
    case ExprKind::And: return "And";
    case ExprKind::Or: return "Or";
    case ExprKind::Not: return "Not";
    case ExprKind::Select: return "Select";
    case ExprKind::Cast: return "Cast";
    case ExprKind::Load: return "Load";
    case ExprKind::Ramp: return "Ramp";
    case ExprKind::Broadcast: return "Broadcast";
    case ExprKind::Call: return "Call";
  }
  return "?";
}

Buffer::Buffer(std::string name, Type element_type, std::vector<int64_t> shape) {
  NAS_CHECK(element_type.is_scalar(), "buffer {} of vector type {}", name, element_type.str());
  for (int64_t extent : shape) NAS_CHECK(extent > 0, "buffer {} has extent {}", name, extent);
  node_ = std::make_shared<const BufferNode>(
      BufferNode{std::move(name), element_type, std::move(shape)});
}

int64_t Buffer::numel() const {
  int64_t n = 1;
  for (int64_t extent : shape()) n *= extent;
  return n;
}

namespace {

void check_defined(const Expr& e, std::string_view what) {
  NAS_CHECK(e.defined(), "undefined operand of {}", what);
}

}  // namespace

Expr IntImm::make(Type type, int64_t value) {
  NAS_CHECK(type.is_scalar() && (type.is_int() || type.is_bool()), "IntImm of type {}",
            type.str());
  return Expr(std::make_shared<const IntImm>(type, arith::wrap(type, value)));
}

Expr FloatImm::make(Type type, double value) {
  NAS_CHECK(type.is_scalar() && type.is_float(), "FloatImm of type {}", type.str());
  const double rounded = static_cast<float>(value);
  return Expr(std::make_shared<const FloatImm>(type, rounded));
}

Var::Var(std::string name, Type type)
    : Expr(std::make_shared<const Variable>(type, std::move(name))) {
  NAS_CHECK(type.is_scalar(), "variable {} of vector type {}", this->name(), type.str());
}

Var Var::from(const Expr& e) {
  NAS_CHECK(e.as<Variable>() != nullptr, "not a variable");
  return Var(e);
}

Expr make_binary(ExprKind kind, Expr a, Expr b) {
  NAS_CHECK(is_binary(kind), "{} is not a binary operator", kind_name(kind));
  check_defined(a, kind_name(kind));
  check_defined(b, kind_name(kind));
  const Type type = a.type();
  NAS_CHECK(type == b.type(), "{} of {} and {}", kind_name(kind), type.str(), b.type().str());
  Type result = type;
  if (is_arithmetic(kind)) {
    NAS_CHECK(!type.is_bool(), "{} of bools", kind_name(kind));
    NAS_CHECK(kind != ExprKind::Mod || type.is_int(), "Mod of {}", type.str());
  } else if (is_comparison(kind)) {
    NAS_CHECK(!type.is_bool() || kind == ExprKind::EQ || kind == ExprKind::NE,
              "{} of bools", kind_name(kind));
    result = Type::boolean(type.lanes());
  } else {
    NAS_CHECK(type.is_bool(), "{} of {}", kind_name(kind), type.str());
  }
  switch (kind) {
#define NAS_LOOP_MAKE(K) \
  case ExprKind::K: return Expr(std::make_shared<const K>(kind, result, std::move(a), std::move(b)));
    NAS_LOOP_MAKE(Add) NAS_LOOP_MAKE(Sub) NAS_LOOP_MAKE(Mul) NAS_LOOP_MAKE(Div)
    NAS_LOOP_MAKE(Mod) NAS_LOOP_MAKE(Min) NAS_LOOP_MAKE(Max) NAS_LOOP_MAKE(EQ)
    NAS_LOOP_MAKE(NE) NAS_LOOP_MAKE(LT) NAS_LOOP_MAKE(LE) NAS_LOOP_MAKE(GT)
    NAS_LOOP_MAKE(GE) NAS_LOOP_MAKE(And) NAS_LOOP_MAKE(Or)
#undef NAS_LOOP_MAKE
    default: break;
  }
  NAS_CHECK(false, "unreachable");
  return {};
}

Expr Not::make(Expr a) {
  check_defined(a, "Not");
  NAS_CHECK(a.type().is_bool(), "Not of {}", a.type().str());
  const Type type = a.type();
  return Expr(std::make_shared<const Not>(type, std::move(a)));
}

Expr Select::make(Expr condition, Expr true_value, Expr false_value) {
  check_defined(condition, "Select");
  check_defined(true_value, "Select");
  check_defined(false_value, "Select");
  const Type type = true_value.type();
  NAS_CHECK(type == false_value.type(), "Select of {} and {}", type.str(),
            false_value.type().str());
  const Type c = condition.type();
  NAS_CHECK(c.is_bool() && (c.is_scalar() || c.lanes() == type.lanes()),
            "Select condition of type {} for values of type {}", c.str(), type.str());
  return Expr(std::make_shared<const Select>(type, std::move(condition), std::move(true_value),
                                        std::move(false_value)));
}

Expr Cast::make(Type type, Expr value) {
  check_defined(value, "Cast");
  NAS_CHECK(type.lanes() == value.type().lanes(), "Cast of {} to {}", value.type().str(),
            type.str());
  return Expr(std::make_shared<const Cast>(type, std::move(value)));
}

Expr Load::make(Buffer buffer, Expr index) {
  NAS_CHECK(buffer.defined(), "Load from an undefined buffer");
  check_defined(index, "Load");
  NAS_CHECK(index.type().is_int(), "Load from {} at an index of type {}", buffer.name(),
            index.type().str());
  const Type type = buffer.element_type().with_lanes(index.type().lanes());
  return Expr(std::make_shared<const Load>(type, std::move(buffer), std::move(index)));
}

Expr Ramp::make(Expr base, Expr stride, int lanes) {
  check_defined(base, "Ramp");
  check_defined(stride, "Ramp");
  NAS_CHECK(base.type().is_int() && base.type().is_scalar(), "Ramp base of type {}",
            base.type().str());
  NAS_CHECK(stride.type() == base.type(), "Ramp stride of type {} for base {}",
            stride.type().str(), base.type().str());
  NAS_CHECK(lanes > 1, "Ramp of {} lanes", lanes);
  const Type type = base.type().with_lanes(lanes);
  return Expr(std::make_shared<const Ramp>(type, std::move(base), std::move(stride), lanes));
}

Expr Broadcast::make(Expr value, int lanes) {
  check_defined(value, "Broadcast");
  NAS_CHECK(value.type().is_scalar(), "Broadcast of {}", value.type().str());
  NAS_CHECK(lanes > 1, "Broadcast to {} lanes", lanes);
  const Type type = value.type().with_lanes(lanes);
  return Expr(std::make_shared<const Broadcast>(type, std::move(value), lanes));
}

std::string_view intrinsic_name(Intrinsic op) {
  switch (op) {
    case Intrinsic::Exp: return "exp";
    case Intrinsic::Log: return "log";
    case Intrinsic::Sqrt: return "sqrt";
    case Intrinsic::Abs: return "abs";
    case Intrinsic::Fma: return "fma";
  }
  return "?";
}

int intrinsic_arity(Intrinsic op) { return op == Intrinsic::Fma ? 3 : 1; }

Expr Call::make(Intrinsic op, std::vector<Expr> args) {
  NAS_CHECK(static_cast<int>(args.size()) == intrinsic_arity(op), "{} with {} arguments",
            intrinsic_name(op), args.size());
  for (const Expr& arg : args) check_defined(arg, intrinsic_name(op));
  const Type type = args[0].type();
  NAS_CHECK(type.is_float(), "{} of {}", intrinsic_name(op), type.str());
  for (const Expr& arg : args)
    NAS_CHECK(arg.type() == type, "{} of {} and {}", intrinsic_name(op), type.str(),
              arg.type().str());
  return Expr(std::make_shared<const Call>(type, op, std::move(args)));
}

// ---- Constants --------------------------------------------------------------------------

namespace {

Expr broadcast_if_vector(Type type, Expr scalar) {
  return type.is_vector() ? Broadcast::make(std::move(scalar), type.lanes()) : scalar;
}

}  // namespace

Expr make_const(Type type, int64_t value) {
  const Type element = type.element_of();
  Expr scalar = element.is_float() ? FloatImm::make(element, static_cast<double>(value))
                                   : IntImm::make(element, value);
  return broadcast_if_vector(type, std::move(scalar));
}

Expr make_const(Type type, double value) {
  const Type element = type.element_of();
  if (element.is_float()) return broadcast_if_vector(type, FloatImm::make(element, value));
  NAS_CHECK(std::trunc(value) == value, "{} is not an integer constant of type {}", value,
            type.str());
  return make_const(type, static_cast<int64_t>(value));
}

Expr make_zero(Type type) { return make_const(type, int64_t{0}); }
Expr make_one(Type type) { return make_const(type, int64_t{1}); }
Expr make_bool(bool value, int lanes) {
  return make_const(Type::boolean(lanes), int64_t{value ? 1 : 0});
}

std::optional<int64_t> as_const_int(const Expr& e) {
  if (!e.defined()) return std::nullopt;
  if (const auto* b = e.as<Broadcast>()) return as_const_int(b->value);
  if (const auto* i = e.as<IntImm>()) return i->value;
  return std::nullopt;
}

std::optional<double> as_const_float(const Expr& e) {
  if (!e.defined()) return std::nullopt;
  if (const auto* b = e.as<Broadcast>()) return as_const_float(b->value);
  if (const auto* f = e.as<FloatImm>()) return f->value;
  return std::nullopt;
}

bool is_const(const Expr& e, int64_t value) {
  if (auto i = as_const_int(e)) return *i == value;
  if (auto f = as_const_float(e)) return *f == static_cast<double>(value);
  return false;
}

// ---- Building expressions ---------------------------------------------------------------

Expr operator+(Expr a, Expr b) { return Add::make(std::move(a), std::move(b)); }
Expr operator-(Expr a, Expr b) { return Sub::make(std::move(a), std::move(b)); }
Expr operator*(Expr a, Expr b) { return Mul::make(std::move(a), std::move(b)); }
Expr operator/(Expr a, Expr b) { return Div::make(std::move(a), std::move(b)); }
Expr operator%(Expr a, Expr b) { return Mod::make(std::move(a), std::move(b)); }
Expr operator<(Expr a, Expr b) { return LT::make(std::move(a), std::move(b)); }
Expr operator<=(Expr a, Expr b) { return LE::make(std::move(a), std::move(b)); }
Expr operator>(Expr a, Expr b) { return GT::make(std::move(a), std::move(b)); }
Expr operator>=(Expr a, Expr b) { return GE::make(std::move(a), std::move(b)); }
Expr operator&&(Expr a, Expr b) { return And::make(std::move(a), std::move(b)); }
Expr operator||(Expr a, Expr b) { return Or::make(std::move(a), std::move(b)); }
Expr operator!(Expr a) { return Not::make(std::move(a)); }
Expr operator-(Expr a) {
  Expr zero = make_zero(a.type());
  return Sub::make(std::move(zero), std::move(a));
}
Expr eq(Expr a, Expr b) { return EQ::make(std::move(a), std::move(b)); }
Expr ne(Expr a, Expr b) { return NE::make(std::move(a), std::move(b)); }
Expr min(Expr a, Expr b) { return Min::make(std::move(a), std::move(b)); }
Expr max(Expr a, Expr b) { return Max::make(std::move(a), std::move(b)); }
Expr select(Expr condition, Expr true_value, Expr false_value) {
  return Select::make(std::move(condition), std::move(true_value), std::move(false_value));
}
Expr cast(Type type, Expr value) { return Cast::make(type, std::move(value)); }
Expr exp(Expr x) { return Call::make(Intrinsic::Exp, {std::move(x)}); }
Expr log(Expr x) { return Call::make(Intrinsic::Log, {std::move(x)}); }
Expr sqrt(Expr x) { return Call::make(Intrinsic::Sqrt, {std::move(x)}); }
Expr abs(Expr x) { return Call::make(Intrinsic::Abs, {std::move(x)}); }
Expr fma(Expr a, Expr b, Expr c) {
  return Call::make(Intrinsic::Fma, {std::move(a), std::move(b), std::move(c)});
}

}  // namespace nas::loop
