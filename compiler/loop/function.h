// A kernel in loop IR: a loop nest over buffers that the caller passes as pointers.
//
// Code generation emits each function as
//   extern "C" void <name>(void* const* args);
// where args[i] points at the data of params[i] (elements of its element type, row-major,
// 64-byte aligned, not overlapping any other argument). Buffers the body allocates
// (Allocate) are not parameters.
#pragma once

#include <string>
#include <vector>

#include "compiler/loop/expr.h"
#include "compiler/loop/stmt.h"

namespace nas::loop {

struct LoweredFunc {
  std::string name;            // a C identifier, unique within one module
  std::vector<Buffer> params;  // every buffer the body reads or writes but does not allocate
  Stmt body;
};

}  // namespace nas::loop
