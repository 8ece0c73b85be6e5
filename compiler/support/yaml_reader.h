// The one YAML reading layer under the experiment config (search/config.cc), the space files
// (space/space_file_reader.cc) and the target files (compiler/target/target_file.cc), so
// that a mistake in any of them reads the same way. Every problem is a UserError located
// "FILE:LINE:COL:" (or "--set KEY:" for a config value given on the command line), worded:
//
//   FILE:4:10: key 'budget.candidates': expected an integer >= 1, got 'many'
//   FILE:5:19: unknown key 'final.epoch' (did you mean 'final.epochs'?); known: top_k, ...
//   FILE:7:1: key 'seed' appears twice (first at line 3)
//   FILE:1:1: missing key 'space'
//
// yaml-cpp keeps both entries of a repeated key and looks up the first, silently; reading a
// document here refuses repeated keys anywhere in it, free-form sections included.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "compiler/support/error.h"

namespace nas::yaml {

// How the path of a list item is spelled in messages: "targets.0" (the config, as --set
// addresses it) or "stages[0]" (space files).
enum class ItemStyle { Dotted, Bracketed };

// The closest of `known` to `word` by edit distance, when it is close enough to be a likely
// typo (at most a third of the word's letters, and at least one, differ).
std::optional<std::string> closest_word(const std::string& word,
                                        const std::vector<std::string>& known);
// Edit distance: insertions, deletions, substitutions of one letter and swaps of two
// neighbouring letters ("widht" is one from "width"), each counting one.
size_t edit_distance(const std::string& a, const std::string& b);

class YamlReader {
 public:
  // `what` names the kind of file in messages ("config file", "space file", "target file").
  YamlReader(std::string file, std::string what, ItemStyle style = ItemStyle::Dotted);

  const std::string& file() const { return file_; }

  // Reads and parses the file. A missing file, a folder, an empty document, invalid YAML
  // and a key given twice in one map are UserErrors naming the file.
  YAML::Node load();
  // Parses `text` as if read from the file (same checks as load()).
  YAML::Node parse(const std::string& text);

  // Values set on the command line (`--set KEY=VALUE`), by path: messages about them (and
  // about what lies under them) are located "--set KEY" instead of in the file.
  void set_command_line_keys(std::set<std::string> paths) { command_line_ = std::move(paths); }

  // "FILE:LINE:COL" of `node` (the value at `path`). An empty value (`key:`) is placed at
  // its key, since yaml-cpp marks it at the next token.
  std::string where(const YAML::Node& node, const std::string& path = "") const;

  // Paths: "a" + "b" -> "a.b"; ("a", 2) -> "a.2" or "a[2]" by the item style.
  static std::string key_path(const std::string& parent, const std::string& key);
  std::string item_path(const std::string& list, size_t index) const;

  // "WHERE: MESSAGE".
  template <class... Args>
  [[noreturn]] void fail(const YAML::Node& at, const std::string& path,
                         fmt::format_string<Args...> format, Args&&... args) const {
    throw UserError(where(at, path) + ": " + fmt::format(format, std::forward<Args>(args)...));
  }
  // "WHERE: key 'PATH': expected EXPECTED, got WHAT NODE IS".
  [[noreturn]] void fail_expected(const YAML::Node& node, const std::string& path,
                                  const std::string& expected) const;

  // `node` (the section at `path`, "" for the whole file) must be a map whose keys are all
  // in `keys`, the first `required` of them present.
  void check_map(const YAML::Node& node, const std::string& path,
                 const std::vector<std::string>& keys, size_t required = 0) const;
  // `node[key]` if `node` is a map that has it.
  static std::optional<YAML::Node> child(const YAML::Node& node, const std::string& key);
  // `node[key]`, which must be there ("missing key 'PATH.KEY'", located at `node`).
  YAML::Node required(const YAML::Node& node, const std::string& path,
                      const std::string& key) const;

  // Typed scalars; each error is a fail_expected naming the kind and range.
  std::string text(const YAML::Node& node, const std::string& path) const;
  std::string non_empty_text(const YAML::Node& node, const std::string& path) const;
  int64_t integer(const YAML::Node& node, const std::string& path,
                  int64_t min = INT64_MIN) const;
  double number(const YAML::Node& node, const std::string& path, double min) const;
  bool boolean(const YAML::Node& node, const std::string& path) const;
  // One of `options` ("expected a, b or c").
  std::string one_of(const YAML::Node& node, const std::string& path,
                     const std::vector<std::string>& options) const;
  // A list of at least `min_items` items; `expected` describes it for the message.
  void check_list(const YAML::Node& node, const std::string& path, size_t min_items,
                  const std::string& expected) const;

  // "'5'", "a map", "a list", "nothing": what a node is, for "got ..." in messages.
  static std::string describe(const YAML::Node& node);

 private:
  // Walks the document: refuses repeated keys, remembers the keys of empty values.
  void check_document(const YAML::Node& node, const std::string& path);

  std::string file_;
  std::string what_;
  ItemStyle style_;
  std::set<std::string> command_line_;
  // Empty values, each with its key's mark (see where()).
  std::vector<std::pair<YAML::Node, YAML::Mark>> empty_values_;
};

}  // namespace nas::yaml
