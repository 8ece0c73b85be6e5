// Structural equality and hashing of loop IR, for caches, tuning records and tests.
//
// Two trees are equal when they have the same node kinds, types, constants and operators
// and their variables and buffers correspond according to a VarMatching:
// - Identity: every variable and buffer must be the same object on both sides.
// - BoundVars (alpha-equivalence): variables bound by a For and buffers bound by an Allocate
//   correspond in binding order, so two independently built equal nests compare equal;
//   free variables and buffers must still be the same objects.
// - AllVars: free variables and buffers also correspond, one to one in order of first use
//   (same types and shapes), so that two kernels over different tensors compare equal.
// Names never matter. The hash ignores names and identities (it numbers variables and
// buffers in order of first use), so it is deterministic across runs and equal trees have
// equal hashes under every VarMatching.
#pragma once

#include <cstddef>
#include <cstdint>

#include "compiler/loop/expr.h"
#include "compiler/loop/function.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

enum class VarMatching : uint8_t { Identity, BoundVars, AllVars };

bool structural_equal(const Expr& a, const Expr& b, VarMatching matching = VarMatching::Identity);
bool structural_equal(const Stmt& a, const Stmt& b, VarMatching matching = VarMatching::Identity);

uint64_t structural_hash(const Expr& e);
uint64_t structural_hash(const Stmt& s);

// A function as one statement: its body preceded by a read of each parameter in order.
// Buffers correspond in order of first use under AllVars, so two functions' keys are equal
// only when their parameters match by index (what a kernel cache or a tuning record needs).
Stmt function_key(const LoweredFunc& func);

// Function objects for unordered containers keyed by IR.
struct StructuralHash {
  size_t operator()(const Expr& e) const { return structural_hash(e); }
  size_t operator()(const Stmt& s) const { return structural_hash(s); }
};
struct StructuralEqual {
  VarMatching matching = VarMatching::Identity;
  bool operator()(const Expr& a, const Expr& b) const { return structural_equal(a, b, matching); }
  bool operator()(const Stmt& a, const Stmt& b) const { return structural_equal(a, b, matching); }
};

}  // namespace nas::loop
