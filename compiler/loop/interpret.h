// A direct evaluator of loop IR: the oracle against which the simplifier, lowering and
// (later) compiled code are checked. Slow and obviously right: loops of every kind run in
// order, vectors lane by lane, following the semantics in expr.h exactly (wrapping integers,
// floor division, division by zero is 0, f32 arithmetic in f32).
//
// Buffers are f32 arrays (integer buffers: read-only i64 arrays) owned by the caller; an index outside a buffer, a read of a
// variable without a value or of an unbound buffer is an internal error.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

// The value of an expression: one entry per lane, in `ints` for bool and integer types and
// in `floats` for f32.
struct Value {
  Type type = Type::i32();
  std::vector<int64_t> ints;
  std::vector<float> floats;
};

class Interpreter {
 public:
  void bind(const Var& var, int64_t value);
  // `data` must hold buffer.numel() elements and outlive the interpreter's use of it.
  void bind(const Buffer& buffer, std::vector<float>& data);
  // An integer buffer (i64 labels), read-only.
  void bind(const Buffer& buffer, const std::vector<int64_t>& data);

  Value evaluate(const Expr& e);
  int64_t evaluate_int(const Expr& e);  // a scalar integer or bool
  float evaluate_float(const Expr& e);  // a scalar f32
  void run(const Stmt& s);

 private:
  Value evaluate_binary(const BinaryNode* op);
  std::vector<float>& data_of(const Buffer& buffer);

  // Lookups only: order never matters.
  std::map<const Variable*, int64_t> vars_;
  std::map<const BufferNode*, std::vector<float>*> buffers_;
  std::map<const BufferNode*, const std::vector<int64_t>*> int_buffers_;
};

}  // namespace nas::loop
