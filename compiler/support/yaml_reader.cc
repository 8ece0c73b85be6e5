#include "compiler/support/yaml_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/ranges.h>

namespace nas::yaml {

namespace {

YAML::Mark mark_of(const YAML::Node& node) {
  // An undefined node (a lookup that found nothing) has no mark; asking throws.
  return node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
}

// "a, b or c".
std::string alternatives(const std::vector<std::string>& options) {
  if (options.size() < 2) return fmt::format("{}", fmt::join(options, ""));
  return fmt::format("{} or {}", fmt::join(options.begin(), options.end() - 1, ", "),
                     options.back());
}

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  // d[i][j]: the distance between the first i letters of a and the first j of b.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest_word(const std::string& word,
                                        const std::vector<std::string>& known) {
  const size_t limit = std::max<size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const std::string& k : known) {  // the first of equally close ones: the file's order
    const size_t d = edit_distance(word, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

YamlReader::YamlReader(std::string file, std::string what, ItemStyle style)
    : file_(std::move(file)), what_(std::move(what)), style_(style) {}

YAML::Node YamlReader::load() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(file_, ec)) user_error("cannot read {} '{}': it is a folder", what_, file_);
  std::ifstream in(file_, std::ios::binary);
  if (!in) user_error("cannot read {} '{}'", what_, file_);
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

YAML::Node YamlReader::parse(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const std::string at = e.mark.is_null() ? file_
                                            : fmt::format("{}:{}:{}", file_, e.mark.line + 1,
                                                          e.mark.column + 1);
    user_error("{}: invalid YAML: {}", at, e.msg);
  }
  if (root.IsNull()) user_error("{}: the {} is empty", file_, what_);
  empty_values_.clear();
  check_document(root, "");
  return root;
}

void YamlReader::check_document(const YAML::Node& node, const std::string& path) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) check_document(node[i], item_path(path, i));
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    const std::string name = key.IsScalar() ? key.Scalar() : describe(key);
    const std::string p = key_path(path, name);
    const auto [it, first] = seen.emplace(name, key.Mark());
    if (!first)
      fail(key, p, "key '{}' appears twice (first at line {})", p, it->second.line + 1);
    if (entry.second.IsNull()) empty_values_.emplace_back(entry.second, key.Mark());
    check_document(entry.second, p);
  }
}

std::string YamlReader::where(const YAML::Node& node, const std::string& path) const {
  // The most specific command-line key that covers `path`; else one under it (a section
  // the command line created); else the file.
  const std::string* set = nullptr;
  for (const std::string& key : command_line_)
    if ((path == key || path.starts_with(key + ".")) && (!set || key.size() > set->size()))
      set = &key;
  YAML::Mark mark = mark_of(node);
  if (node.IsDefined() && node.IsNull())
    for (const auto& [value, key_mark] : empty_values_)
      if (value.is(node)) mark = key_mark;
  if (!set && mark.is_null() && !path.empty())
    for (const std::string& key : command_line_)
      if (key.starts_with(path + ".")) {
        set = &key;
        break;
      }
  if (set) return "--set " + *set;
  if (mark.is_null()) return file_;
  return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
}

std::string YamlReader::key_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string YamlReader::item_path(const std::string& list, size_t index) const {
  return style_ == ItemStyle::Dotted ? fmt::format("{}.{}", list, index)
                                     : fmt::format("{}[{}]", list, index);
}

void YamlReader::fail_expected(const YAML::Node& node, const std::string& path,
                               const std::string& expected) const {
  if (path.empty()) fail(node, path, "expected {}, got {}", expected, describe(node));
  fail(node, path, "key '{}': expected {}, got {}", path, expected, describe(node));
}

void YamlReader::check_map(const YAML::Node& node, const std::string& path,
                           const std::vector<std::string>& keys, size_t required) const {
  if (!node.IsMap())
    fail_expected(node, path, fmt::format("a map with keys {}", fmt::join(keys, ", ")));
  std::vector<std::string> seen;
  for (const auto& entry : node) {
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "?";
    if (std::ranges::find(keys, name) != keys.end()) {
      seen.push_back(name);
      continue;
    }
    const std::string p = key_path(path, name);
    const std::optional<std::string> near = closest_word(name, keys);
    fail(entry.first, p, "unknown key '{}'{}; known: {}", p,
         near ? fmt::format(" (did you mean '{}'?)", key_path(path, *near)) : "",
         fmt::join(keys, ", "));
  }
  for (size_t i = 0; i < required && i < keys.size(); ++i)
    if (std::ranges::find(seen, keys[i]) == seen.end())
      fail(node, path, "missing key '{}'", key_path(path, keys[i]));
}

std::optional<YAML::Node> YamlReader::child(const YAML::Node& node, const std::string& key) {
  if (!node.IsMap()) return std::nullopt;
  YAML::Node value = node[key];
  if (!value.IsDefined()) return std::nullopt;
  return value;
}

YAML::Node YamlReader::required(const YAML::Node& node, const std::string& path,
                                const std::string& key) const {
  std::optional<YAML::Node> value = child(node, key);
  if (!value) fail(node, key_path(path, key), "missing key '{}'", key_path(path, key));
  return *value;
}

std::string YamlReader::text(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar()) fail_expected(node, path, "text");
  return node.Scalar();
}

std::string YamlReader::non_empty_text(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar() || node.Scalar().empty()) fail_expected(node, path, "a non-empty string");
  return node.Scalar();
}

int64_t YamlReader::integer(const YAML::Node& node, const std::string& path, int64_t min) const {
  const std::string expected =
      min == INT64_MIN ? "an integer" : fmt::format("an integer >= {}", min);
  int64_t value = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value) || value < min)
    fail_expected(node, path, expected);
  return value;
}

double YamlReader::number(const YAML::Node& node, const std::string& path, double min) const {
  double value = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !(value >= min))
    fail_expected(node, path, fmt::format("a number >= {}", min));
  return value;
}

bool YamlReader::boolean(const YAML::Node& node, const std::string& path) const {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    fail_expected(node, path, "true or false");
  return value;
}

std::string YamlReader::one_of(const YAML::Node& node, const std::string& path,
                               const std::vector<std::string>& options) const {
  if (!node.IsScalar() || std::ranges::find(options, node.Scalar()) == options.end())
    fail_expected(node, path, alternatives(options));
  return node.Scalar();
}

void YamlReader::check_list(const YAML::Node& node, const std::string& path, size_t min_items,
                            const std::string& expected) const {
  if (!node.IsSequence() || node.size() < min_items) fail_expected(node, path, expected);
}

std::string YamlReader::describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return node.size() == 0 ? "an empty map" : "a map";
  if (node.IsSequence()) return node.size() == 0 ? "an empty list" : "a list";
  return "'" + node.Scalar() + "'";
}

}  // namespace nas::yaml
