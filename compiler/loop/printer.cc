#include "compiler/loop/printer.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

namespace nas::loop {

namespace {

// Binding strength of an operator; atoms (calls, loads, names, constants) bind tightest.
int precedence(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::Or: return 1;
    case ExprKind::And: return 2;
    case ExprKind::EQ: case ExprKind::NE: return 3;
    case ExprKind::LT: case ExprKind::LE: case ExprKind::GT: case ExprKind::GE: return 4;
    case ExprKind::Add: case ExprKind::Sub: return 5;
    case ExprKind::Mul: case ExprKind::Div: case ExprKind::Mod: return 6;
    case ExprKind::Not: return 7;
    case ExprKind::IntImm: return as_const_int(e) < 0 ? 7 : 8;  // -1 reads as a negation
    case ExprKind::FloatImm: return as_const_float(e) < 0 ? 7 : 8;
    default: return 8;
  }
}

std::string_view infix(ExprKind kind) {
  switch (kind) {
    case ExprKind::Add: return " + ";
    case ExprKind::Sub: return " - ";
    case ExprKind::Mul: return "*";
    case ExprKind::Div: return "/";
    case ExprKind::Mod: return "%";
    case ExprKind::EQ: return " == ";
    case ExprKind::NE: return " != ";
    case ExprKind::LT: return " < ";
    case ExprKind::LE: return " <= ";
    case ExprKind::GT: return " > ";
    case ExprKind::GE: return " >= ";
    case ExprKind::And: return " && ";
    case ExprKind::Or: return " || ";
    default: return "";
  }
}

std::string float_text(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);  // inf, -inf, nan: no suffix
  std::string text = fmt::format("{}", static_cast<float>(value));
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // "2" -> "2.0"
  return text + "f";
}

// Gives distinct objects distinct printed names: the name itself for the first object that
// carries it, then name.1, name.2, ...
template <class Node>
class Names {
 public:
  const std::string& of(const Node* node, const std::string& name) {
    auto it = printed_.find(node);
    if (it != printed_.end()) return it->second;
    int& count = uses_[name];
    std::string text = count == 0 ? name : fmt::format("{}.{}", name, count);
    ++count;
    return printed_.emplace(node, std::move(text)).first->second;
  }

 private:
  std::map<const Node*, std::string> printed_;  // lookups only
  std::map<std::string, int> uses_;
};

class Printer {
 public:
  void expr(const Expr& e) {
    if (!e.defined()) {
      out_ += "<undefined>";
      return;
    }
    switch (e.kind()) {
      case ExprKind::IntImm: {
        const auto* imm = e.as<IntImm>();
        if (e.type().is_bool()) out_ += imm->value ? "true" : "false";
        else if (e.type() == Type::i64()) out_ += fmt::format("i64({})", imm->value);
        else out_ += std::to_string(imm->value);
        return;
      }
      case ExprKind::FloatImm: out_ += float_text(e.as<FloatImm>()->value); return;
      case ExprKind::Variable: {
        const auto* var = e.as<Variable>();
        out_ += vars_.of(var, var->name);
        return;
      }
      case ExprKind::Min: case ExprKind::Max: {
        const auto* op = e.as<BinaryNode>();
        call(e.kind() == ExprKind::Min ? "min" : "max", {op->a, op->b});
        return;
      }
      case ExprKind::Not:
        out_ += "!";
        operand(e.as<Not>()->a, precedence(e) - 1);
        return;
      case ExprKind::Select: {
        const auto* op = e.as<Select>();
        call("select", {op->condition, op->true_value, op->false_value});
        return;
      }
      case ExprKind::Cast: call(e.type().str(), {e.as<Cast>()->value}); return;
      case ExprKind::Load: {
        const auto* op = e.as<Load>();
        out_ += buffers_.of(op->buffer.get(), op->buffer.name());
        out_ += "[";
        expr(op->index);
        out_ += "]";
        return;
      }
      case ExprKind::Ramp: {
        const auto* op = e.as<Ramp>();
        call("ramp", {op->base, op->stride});
        out_.insert(out_.size() - 1, fmt::format(", {}", op->lanes));
        return;
      }
      case ExprKind::Broadcast: {
        const auto* op = e.as<Broadcast>();
        call("broadcast", {op->value});
        out_.insert(out_.size() - 1, fmt::format(", {}", op->lanes));
        return;
      }
      case ExprKind::Call: {
        const auto* op = e.as<Call>();
        call(intrinsic_name(op->op), op->args);
        return;
      }
      default: {
        const auto* op = e.as<BinaryNode>();
        const int p = precedence(e);
        operand(op->a, p - 1);
        out_ += infix(e.kind());
        operand(op->b, p);
        return;
      }
    }
  }

  void stmt(const Stmt& s) {
    if (!s.defined()) {
      line("<undefined>");
      return;
    }
    switch (s.kind()) {
      case StmtKind::For: {
        const auto* op = s.as<For>();
        begin_line();
        out_ += "for (";
        expr(op->var);
        out_ += ", ";
        expr(op->min);
        out_ += ", ";
        expr(op->extent);
        out_ += ")";
        if (op->for_kind != ForKind::Serial) {
          out_ += " ";
          out_ += for_kind_name(op->for_kind);
        }
        out_ += " {\n";
        nested(op->body);
        line("}");
        return;
      }
      case StmtKind::Store: {
        const auto* op = s.as<Store>();
        begin_line();
        out_ += buffers_.of(op->buffer.get(), op->buffer.name());
        out_ += "[";
        expr(op->index);
        out_ += "] = ";
        expr(op->value);
        out_ += "\n";
        return;
      }
      case StmtKind::Block: {
        const auto* op = s.as<Block>();
        if (op->stmts.empty()) line("no_op");
        for (const Stmt& child : op->stmts) stmt(child);
        return;
      }
      case StmtKind::IfThenElse: {
        const auto* op = s.as<IfThenElse>();
        begin_line();
        out_ += "if (";
        expr(op->condition);
        out_ += ") {\n";
        nested(op->then_case);
        if (op->else_case.defined()) {
          line("} else {");
          nested(op->else_case);
        }
        line("}");
        return;
      }
      case StmtKind::Allocate: {
        const auto* op = s.as<Allocate>();
        begin_line();
        out_ += fmt::format("allocate {}: {}[{}] {} {{\n",
                            buffers_.of(op->buffer.get(), op->buffer.name()),
                            op->buffer.element_type().str(), fmt::join(op->buffer.shape(), ", "),
                            memory_scope_name(op->scope));
        nested(op->body);
        line("}");
        return;
      }
      case StmtKind::Evaluate:
        begin_line();
        out_ += "evaluate(";
        expr(s.as<Evaluate>()->value);
        out_ += ")\n";
        return;
      case StmtKind::Prefetch: {
        const auto* op = s.as<Prefetch>();
        begin_line();
        out_ += "prefetch ";
        out_ += buffers_.of(op->buffer.get(), op->buffer.name());
        out_ += "[";
        expr(op->index);
        out_ += "]\n";
        return;
      }
    }
  }

  std::string take() { return std::move(out_); }

 private:
  // Prints an operand, in parentheses if it binds no tighter than `weaker_than` allows.
  void operand(const Expr& e, int weaker_than) {
    const bool parens = precedence(e) <= weaker_than;
    if (parens) out_ += "(";
    expr(e);
    if (parens) out_ += ")";
  }

  void call(std::string_view name, const std::vector<Expr>& args) {
    out_ += name;
    out_ += "(";
    for (size_t i = 0; i < args.size(); ++i) {
      if (i) out_ += ", ";
      expr(args[i]);
    }
    out_ += ")";
  }

  void begin_line() { out_.append(2 * indent_, ' '); }
  void line(std::string_view text) {
    begin_line();
    out_ += text;
    out_ += "\n";
  }
  void nested(const Stmt& body) {
    ++indent_;
    stmt(body);
    --indent_;
  }

  std::string out_;
  int indent_ = 0;
  Names<Variable> vars_;
  Names<BufferNode> buffers_;
};

}  // namespace

std::string print(const Expr& e) {
  Printer printer;
  printer.expr(e);
  return printer.take();
}

std::string print(const Stmt& s) {
  Printer printer;
  printer.stmt(s);
  return printer.take();
}

std::ostream& operator<<(std::ostream& os, const Expr& e) { return os << print(e); }
std::ostream& operator<<(std::ostream& os, const Stmt& s) { return os << print(s); }

}  // namespace nas::loop
