#include "compiler/graph/attributes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::graph {

std::string_view attr_kind_name(AttrKind kind) {
  switch (kind) {
    case AttrKind::Int: return "int";
    case AttrKind::Float: return "float";
    case AttrKind::String: return "string";
    case AttrKind::Ints: return "ints";
    case AttrKind::Floats: return "floats";
  }
  return "?";
}

AttrKind kind_of(const AttrValue& value) { return static_cast<AttrKind>(value.index()); }

std::string attr_value_str(const AttrValue& value) {
  switch (kind_of(value)) {
    case AttrKind::Int: return fmt::format("{}", std::get<int64_t>(value));
    case AttrKind::Float: return fmt::format("{}", std::get<float>(value));
    case AttrKind::String: return fmt::format("\"{}\"", std::get<std::string>(value));
    case AttrKind::Ints: return fmt::format("[{}]", fmt::join(std::get<std::vector<int64_t>>(value), ","));
    case AttrKind::Floats: return fmt::format("[{}]", fmt::join(std::get<std::vector<float>>(value), ","));
  }
  return "?";
}

const AttrValue& Attrs::get(const std::string& name) const {
  auto it = values_.find(name);
  NAS_CHECK(it != values_.end(), "no attribute '{}'", name);
  return it->second;
}

template <class T>
static const T& typed(const Attrs& attrs, const std::string& name) {
  const AttrValue& v = attrs.get(name);
  NAS_CHECK(std::holds_alternative<T>(v), "attribute '{}' has kind {}", name,
            attr_kind_name(kind_of(v)));
  return std::get<T>(v);
}

int64_t Attrs::i(const std::string& name) const { return typed<int64_t>(*this, name); }
float Attrs::f(const std::string& name) const { return typed<float>(*this, name); }
const std::string& Attrs::s(const std::string& name) const { return typed<std::string>(*this, name); }
const std::vector<int64_t>& Attrs::ints(const std::string& name) const {
  return typed<std::vector<int64_t>>(*this, name);
}
const std::vector<float>& Attrs::floats(const std::string& name) const {
  return typed<std::vector<float>>(*this, name);
}

}  // namespace nas::graph
