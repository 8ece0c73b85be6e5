#include "compiler/loop/interpret.h"

#include <cmath>
#include <optional>

#include "compiler/loop/arith.h"
#include "compiler/support/error.h"

namespace nas::loop {

namespace {

using namespace arith;

Value make_value(Type type) {
  Value v;
  v.type = type;
  if (type.is_float()) v.floats.resize(type.lanes());
  else v.ints.resize(type.lanes());
  return v;
}

}  // namespace

void Interpreter::bind(const Var& var, int64_t value) { vars_[var.node()] = wrap(var.type(), value); }

void Interpreter::bind(const Buffer& buffer, std::vector<float>& data) {
  NAS_CHECK(buffer.element_type() == Type::f32(), "the interpreter holds f32 buffers only, not {} {}",
            buffer.element_type().str(), buffer.name());
  NAS_CHECK(static_cast<int64_t>(data.size()) == buffer.numel(), "buffer {} of {} elements bound to {}",
            buffer.name(), buffer.numel(), data.size());
  buffers_[buffer.get()] = &data;
}

void Interpreter::bind(const Buffer& buffer, const std::vector<int64_t>& data) {
  NAS_CHECK(buffer.element_type().is_int(), "an integer array bound to {} buffer {}",
            buffer.element_type().str(), buffer.name());
  NAS_CHECK(static_cast<int64_t>(data.size()) == buffer.numel(), "buffer {} of {} elements bound to {}",
            buffer.name(), buffer.numel(), data.size());
  int_buffers_[buffer.get()] = &data;
}

std::vector<float>& Interpreter::data_of(const Buffer& buffer) {
  auto it = buffers_.find(buffer.get());
  NAS_CHECK(it != buffers_.end(), "buffer {} is not bound", buffer.name());
  return *it->second;
}

int64_t Interpreter::evaluate_int(const Expr& e) {
  NAS_CHECK(e.type().is_scalar() && !e.type().is_float(), "evaluate_int of {}", e.type().str());
  return evaluate(e).ints[0];
}

float Interpreter::evaluate_float(const Expr& e) {
  NAS_CHECK(e.type() == Type::f32(), "evaluate_float of {}", e.type().str());
  return evaluate(e).floats[0];
}

Value Interpreter::evaluate(const Expr& e) {
  NAS_CHECK(e.defined(), "evaluating an undefined expression");
  const Type type = e.type();
  const int lanes = type.lanes();
  Value result = make_value(type);
  switch (e.kind()) {
    case ExprKind::IntImm: result.ints[0] = e.as<IntImm>()->value; return result;
    case ExprKind::FloatImm: result.floats[0] = static_cast<float>(e.as<FloatImm>()->value); return result;
    case ExprKind::Variable: {
      const auto* var = e.as<Variable>();
      auto it = vars_.find(var);
      NAS_CHECK(it != vars_.end(), "variable {} has no value", var->name);
      result.ints[0] = it->second;
      return result;
    }
    case ExprKind::Not: {
      const Value a = evaluate(e.as<Not>()->a);
      for (int i = 0; i < lanes; ++i) result.ints[i] = !a.ints[i];
      return result;
    }
    case ExprKind::Select: {
      const auto* op = e.as<Select>();
      const Value c = evaluate(op->condition);
      const Value t = evaluate(op->true_value), f = evaluate(op->false_value);
      for (int i = 0; i < lanes; ++i) {
        const bool take_true = c.ints[c.ints.size() == 1 ? 0 : i] != 0;
        if (type.is_float()) result.floats[i] = take_true ? t.floats[i] : f.floats[i];
        else result.ints[i] = take_true ? t.ints[i] : f.ints[i];
      }
      return result;
    }
    case ExprKind::Cast: {
      const Value v = evaluate(e.as<Cast>()->value);
      for (int i = 0; i < lanes; ++i) {
        if (type.is_float()) {
          result.floats[i] = v.type.is_float() ? v.floats[i] : static_cast<float>(v.ints[i]);
        } else if (v.type.is_float()) {
          const float x = v.floats[i];
          NAS_CHECK(float_fits_int(x), "cast of {} to {}", x, type.str());
          result.ints[i] = wrap(type, static_cast<int64_t>(x));
        } else {
          result.ints[i] = wrap(type, v.ints[i]);
        }
      }
      return result;
    }
    case ExprKind::Load: {
      const auto* op = e.as<Load>();
      const Value index = evaluate(op->index);
      if (auto ints = int_buffers_.find(op->buffer.get()); ints != int_buffers_.end()) {
        const std::vector<int64_t>& data = *ints->second;
        for (int i = 0; i < lanes; ++i) {
          const int64_t at = index.ints[i];
          NAS_CHECK(at >= 0 && at < static_cast<int64_t>(data.size()),
                    "load from {} at {} outside [0, {})", op->buffer.name(), at, data.size());
          result.ints[i] = wrap(type, data[at]);
        }
        return result;
      }
      const std::vector<float>& data = data_of(op->buffer);
      for (int i = 0; i < lanes; ++i) {
        const int64_t at = index.ints[i];
        NAS_CHECK(at >= 0 && at < static_cast<int64_t>(data.size()),
                  "load from {} at {} outside [0, {})", op->buffer.name(), at, data.size());
        result.floats[i] = data[at];
      }
      return result;
    }
    case ExprKind::Ramp: {
      const auto* op = e.as<Ramp>();
      const int64_t base = evaluate_int(op->base), stride = evaluate_int(op->stride);
      for (int i = 0; i < lanes; ++i)
        result.ints[i] = wrap(type, static_cast<int64_t>(static_cast<uint64_t>(base) +
                                                         static_cast<uint64_t>(stride) * i));
      return result;
    }
    case ExprKind::Broadcast: {
      const Value v = evaluate(e.as<Broadcast>()->value);
      if (type.is_float()) result.floats.assign(lanes, v.floats[0]);
      else result.ints.assign(lanes, v.ints[0]);
      return result;
    }
    case ExprKind::Call: {
      const auto* op = e.as<Call>();
      std::vector<Value> args;
      for (const Expr& arg : op->args) args.push_back(evaluate(arg));
      for (int i = 0; i < lanes; ++i) {
        float lane[3];
        for (size_t k = 0; k < args.size(); ++k) lane[k] = args[k].floats[i];
        result.floats[i] = intrinsic(op->op, lane);
      }
      return result;
    }
    default: return evaluate_binary(e.as<BinaryNode>());
  }
}

Value Interpreter::evaluate_binary(const BinaryNode* op) {
  const Value a = evaluate(op->a), b = evaluate(op->b);
  Value result = make_value(op->type);
  const int lanes = op->type.lanes();
  const ExprKind kind = op->kind;
  for (int i = 0; i < lanes; ++i) {
    if (is_arithmetic(kind)) {
      if (op->type.is_float()) result.floats[i] = float_arithmetic(kind, a.floats[i], b.floats[i]);
      else result.ints[i] = wrap(op->type, int_arithmetic(kind, a.ints[i], b.ints[i]));
    } else if (is_comparison(kind)) {
      result.ints[i] = a.type.is_float() ? compare(kind, a.floats[i], b.floats[i])
                                         : compare(kind, a.ints[i], b.ints[i]);
    } else if (kind == ExprKind::And) {
      result.ints[i] = a.ints[i] && b.ints[i];
    } else {
      result.ints[i] = a.ints[i] || b.ints[i];
    }
  }
  return result;
}

void Interpreter::run(const Stmt& s) {
  NAS_CHECK(s.defined(), "running an undefined statement");
  switch (s.kind()) {
    case StmtKind::For: {
      const auto* op = s.as<For>();
      const int64_t min = evaluate_int(op->min), extent = evaluate_int(op->extent);
      const Variable* var = op->var.node();
      auto outer = vars_.find(var);
      const std::optional<int64_t> saved =
          outer == vars_.end() ? std::nullopt : std::optional(outer->second);
      for (int64_t i = min; i < min + extent; ++i) {
        vars_[var] = i;
        run(op->body);
      }
      if (saved) vars_[var] = *saved;
      else vars_.erase(var);
      return;
    }
    case StmtKind::Store: {
      const auto* op = s.as<Store>();
      const Value value = evaluate(op->value), index = evaluate(op->index);
      std::vector<float>& data = data_of(op->buffer);
      for (size_t i = 0; i < index.ints.size(); ++i) {
        const int64_t at = index.ints[i];
        NAS_CHECK(at >= 0 && at < static_cast<int64_t>(data.size()),
                  "store to {} at {} outside [0, {})", op->buffer.name(), at, data.size());
        data[at] = value.floats[i];
      }
      return;
    }
    case StmtKind::Block:
      for (const Stmt& child : s.as<Block>()->stmts) run(child);
      return;
    case StmtKind::IfThenElse: {
      const auto* op = s.as<IfThenElse>();
      if (evaluate_int(op->condition)) run(op->then_case);
      else if (op->else_case.defined()) run(op->else_case);
      return;
    }
    case StmtKind::Allocate: {
      const auto* op = s.as<Allocate>();
      // NaN-filled, so that a read before a write shows in the results.
      std::vector<float> data(op->buffer.numel(), std::nanf(""));
      NAS_CHECK(!buffers_.contains(op->buffer.get()), "buffer {} allocated twice", op->buffer.name());
      bind(op->buffer, data);
      run(op->body);
      buffers_.erase(op->buffer.get());
      return;
    }
    case StmtKind::Evaluate: evaluate(s.as<Evaluate>()->value); return;
    case StmtKind::Prefetch: return;  // a hint: its index may lie outside the buffer
  }
}

}  // namespace nas::loop
