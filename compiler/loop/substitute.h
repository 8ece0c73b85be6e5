// Replacing variables by expressions in loop IR (used to remove a loop of extent 1, and by
// later passes that split loops). A loop that rebinds a replaced variable hides it in its
// body, so only the free occurrences are replaced.
#pragma once

#include <map>

#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

// Replacements keyed by variable (lookups only: order never matters).
using Substitutions = std::map<const Variable*, Expr>;

Expr substitute(const Expr& e, const Substitutions& replacements);
Stmt substitute(const Stmt& s, const Substitutions& replacements);
Expr substitute(const Expr& e, const Var& var, const Expr& value);
Stmt substitute(const Stmt& s, const Var& var, const Expr& value);

}  // namespace nas::loop
