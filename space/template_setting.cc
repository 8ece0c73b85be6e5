#include "space/template_setting.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::space {

ValueKind ValueKind::positive_integer() {
  return {"a positive integer", [](const std::string& s) {
            const auto v = parse_integer(s);
            return v && *v > 0;
          }};
}

ValueKind ValueKind::odd_kernel() {
  return {"an odd integer from 1 to 15", [](const std::string& s) {
            const auto v = parse_integer(s);
            return v && *v >= 1 && *v <= 15 && *v % 2 == 1;
          }};
}

ValueKind ValueKind::one_of(std::vector<std::string> labels) {
  std::string expected = fmt::format("one of {}", fmt::join(labels, ", "));
  return {std::move(expected), [labels = std::move(labels)](const std::string& s) {
            return std::find(labels.begin(), labels.end(), s) != labels.end();
          }};
}

ValueKind ValueKind::switch_value() {
  return {"on, off, true or false",
          [](const std::string& s) { return s == "on" || s == "off" || s == "true" || s == "false"; }};
}

std::optional<int64_t> parse_integer(const std::string& label) {
  int64_t v = 0;
  const char* end = label.data() + label.size();
  const auto [ptr, ec] = std::from_chars(label.data(), end, v);
  if (ec != std::errc() || ptr != end || label.empty()) return std::nullopt;
  return v;
}

bool switch_is_on(const std::string& label) { return label == "on" || label == "true"; }

const std::string& Setting::label(const SearchSpace& space, const Architecture& arch) const {
  if (decision < 0) return literal;
  return space.decisions()[decision].labels[arch.choices[decision]];
}

int64_t Setting::integer(const SearchSpace& space, const Architecture& arch) const {
  const auto v = parse_integer(label(space, arch));
  NAS_CHECK(v.has_value(), "{} is not an integer", describe(space, arch));
  return *v;
}

bool Setting::is_on(const SearchSpace& space, const Architecture& arch) const {
  return switch_is_on(label(space, arch));
}

std::string Setting::describe(const SearchSpace& space, const Architecture& arch) const {
  std::string s = fmt::format("{}: '{}' = {}", location, path, label(space, arch));
  if (decision >= 0) s += fmt::format(" (choice '{}')", space.decisions()[decision].name);
  return s;
}

}  // namespace nas::space
