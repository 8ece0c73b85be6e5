// Small helpers shared by the unit tests.
#pragma once

#include <string>

#include "compiler/support/error.h"

namespace nas::testing {

// Runs f and returns the message of the UserError it throws, or "(no error)".
template <class F>
std::string user_error_message(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace nas::testing
