// Node attributes: a small typed map, ordered by name so printing and hashing are stable.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace nas::graph {

enum class AttrKind { Int, Float, String, Ints, Floats };
std::string_view attr_kind_name(AttrKind kind);

using AttrValue =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;
AttrKind kind_of(const AttrValue& value);
std::string attr_value_str(const AttrValue& value);  // "3", "0.5", "\"same\"", "[1,1]"

class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<const std::string, AttrValue>> init) : values_(init) {}

  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, AttrValue value) { values_[name] = std::move(value); }
  void erase(const std::string& name) { values_.erase(name); }

  // Typed getters; an absent attribute or a wrong kind is an internal error (the
  // registry fills defaults and checks kinds when a node is created).
  int64_t i(const std::string& name) const;
  float f(const std::string& name) const;
  const std::string& s(const std::string& name) const;
  const std::vector<int64_t>& ints(const std::string& name) const;
  const std::vector<float>& floats(const std::string& name) const;
  const AttrValue& get(const std::string& name) const;

  const std::map<std::string, AttrValue>& items() const { return values_; }
  bool operator==(const Attrs&) const = default;

 private:
  std::map<std::string, AttrValue> values_;
};

}  // namespace nas::graph
