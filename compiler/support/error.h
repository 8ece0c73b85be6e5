// Two channels for errors (see docs): UserError is what a user can cause (bad file,
// unsupported op, wrong shape) and carries a message naming the user's object; it maps
// to exit code 2. Broken internal invariants use NAS_CHECK, which throws InternalError
// (exit code 1) with the failing condition and location.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace nas {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

template <class... Args>
[[noreturn]] void user_error(fmt::format_string<Args...> format, Args&&... args) {
  throw UserError(fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] void internal_error(const char* file, int line, const std::string& message);

}  // namespace nas

#define NAS_CHECK(cond, ...)                                                        \
  do {                                                                              \
    if (!(cond))                                                                    \
      ::nas::internal_error(__FILE__, __LINE__,                                     \
                            std::string("check failed: " #cond " ") +               \
                                ::fmt::format("" __VA_ARGS__));                     \
  } while (0)
