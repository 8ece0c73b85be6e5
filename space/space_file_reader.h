// Reading a search-space YAML file with precise errors: every problem is a UserError that
// starts "FILE:LINE:COL:" and names the key and what was expected. The reader also owns the
// file's choices while the network section is read, so template keys can refer to them
// ("$name") and unused choices can be reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "compiler/support/error.h"
#include "compiler/support/yaml_reader.h"
#include "space/search_space.h"
#include "space/template_setting.h"

namespace nas::space {

// The network's input image shape and class count (the space file's `input` and `classes`).
struct NetworkIo {
  int64_t channels = 1, height = 28, width = 28;
  int64_t classes = 10;
};

class SpaceFileReader {
 public:
  explicit SpaceFileReader(std::string file)
      : yaml_(std::move(file), "space file", yaml::ItemStyle::Bracketed) {}

  const std::string& file() const { return yaml_.file(); }
  // Reads and parses the file (see yaml::YamlReader::load: repeated keys are refused).
  YAML::Node load() { return yaml_.load(); }
  // The YAML reading layer, for typed values and located messages.
  const yaml::YamlReader& yaml() const { return yaml_; }
  std::string where(const YAML::Node& node) const { return yaml_.where(node); }

  template <class... Args>
  [[noreturn]] void fail(const YAML::Node& at, fmt::format_string<Args...> format,
                         Args&&... args) const {
    yaml_.fail(at, "", format, std::forward<Args>(args)...);
  }

  // `node` (at `path`, e.g. "network.stages[1]") must be a map whose keys are all in
  // `keys`, the first `required` of them present.
  void expect_map(const YAML::Node& node, const std::string& path,
                  const std::vector<std::string>& keys, size_t required) const {
    yaml_.check_map(node, path, keys, required);
  }
  // Scalars with their expected type; errors name `path`.
  std::string scalar(const YAML::Node& node, const std::string& path) const {
    return yaml_.non_empty_text(node, path);
  }
  int64_t positive_integer(const YAML::Node& node, const std::string& path) const {
    return yaml_.integer(node, path, 1);
  }

  // Choices. Decisions are kept in the order they are added (the file's order).
  void add_choice(const YAML::Node& key, const YAML::Node& value);
  const std::vector<Decision>& decisions() const { return decisions_; }
  // A template key's value: a literal of the given kind, or "$choice" whose every option
  // is of that kind. Marks the choice used.
  Setting setting(const YAML::Node& value, const std::string& path, const ValueKind& kind);
  // A choice that no template key refers to is an error (it would only inflate the space).
  void check_choices_used() const;

 private:
  struct ChoiceSource {
    YAML::Node key;
    std::vector<YAML::Node> options;  // empty for a range
    bool used = false;
  };
  void add_range_choice(const std::string& name, const YAML::Node& key, const YAML::Node& map);

  yaml::YamlReader yaml_;
  std::vector<Decision> decisions_;
  std::vector<ChoiceSource> sources_;
};

}  // namespace nas::space
