// One value of a network template: a literal written in the space file or a reference to a
// choice ("$s1_kernel"), resolved per architecture. Settings remember where they were
// written, so a template that finds a value unusable while building names the file, line
// and column, the key and (for a reference) the choice.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "space/search_space.h"

namespace nas::space {

// What a setting accepts: a test on labels and how to say what was expected.
struct ValueKind {
  std::string expected;  // e.g. "an odd integer from 1 to 15"
  std::function<bool(const std::string&)> accepts;

  static ValueKind positive_integer();
  static ValueKind odd_kernel();                       // 1, 3, 5, ..., 15
  static ValueKind one_of(std::vector<std::string> labels);  // e.g. relu, hswish
  static ValueKind switch_value();                     // on/off, true/false
};

// A label as an integer; nullopt unless it is all digits (an optional leading minus).
std::optional<int64_t> parse_integer(const std::string& label);
// "on"/"true" -> true, "off"/"false" -> false.
bool switch_is_on(const std::string& label);

struct Setting {
  std::string path;       // the key, e.g. "network.stages[1].kernel"
  std::string location;   // "FILE:LINE:COL" of its value in the space file
  int64_t decision = -1;  // index of the choice it refers to; -1 for a literal
  std::string literal;    // the value as written, for a literal

  const std::string& label(const SearchSpace& space, const Architecture& arch) const;
  // The label as an integer (validated at load, so a failure here is an internal error).
  int64_t integer(const SearchSpace& space, const Architecture& arch) const;
  bool is_on(const SearchSpace& space, const Architecture& arch) const;
  // For messages: "FILE:L:C: 'network.stages[1].stride' = 2 (choice 's2_stride')".
  std::string describe(const SearchSpace& space, const Architecture& arch) const;
};

}  // namespace nas::space
