#include "compiler/target/target_file.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "compiler/support/error.h"

namespace nas::target {

namespace {

const std::vector<std::string> kKeys = {"name", "triple", "cpu", "features", "threads"};
constexpr size_t kRequiredKeys = 3;

class TargetFileReader {
 public:
  explicit TargetFileReader(std::string path) : path_(std::move(path)) {}

  Target read() {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path_);
    } catch (const YAML::BadFile&) {
      user_error("target file '{}' cannot be read", path_);
    } catch (const YAML::ParserException& e) {
      fail(e.mark, "invalid YAML: {}", e.msg);
    }
    check_keys(root);
    Target target;
    target.name = scalar(root["name"], "name");
    target.triple = scalar(root["triple"], "triple");
    if (!is_known_triple(target.triple))
      fail(root["triple"].Mark(), "key 'triple': LLVM does not know the architecture of '{}' "
           "(e.g. x86_64-pc-linux-gnu, aarch64-linux-gnu)", target.triple);
    target.cpu = scalar(root["cpu"], "cpu");
    std::optional<std::set<std::string>> cpu_has = cpu_features(target.triple, target.cpu);
    if (!cpu_has && (target.arch() == "x86_64" || target.arch() == "aarch64"))
      fail(root["cpu"].Mark(), "key 'cpu': LLVM does not know the {} CPU '{}'", target.arch(),
           target.cpu);
    if (root["features"]) {
      target.features = features(root["features"], target.triple);
    } else if (cpu_has) {
      target.features = *cpu_has;
    } else {
      fail(root.Mark(), "missing key 'features': LLVM cannot list the features of cpu '{}' "
           "for {}", target.cpu, target.triple);
    }
    if (root["threads"]) target.threads = threads(root["threads"]);
    return target;
  }

 private:
  template <class... Args>
  [[noreturn]] void fail(const YAML::Mark& mark, fmt::format_string<Args...> format,
                         Args&&... args) const {
    const std::string where = mark.line < 0 ? path_
                                            : fmt::format("{}:{}:{}", path_, mark.line + 1,
                                                          mark.column + 1);
    user_error("{}: {}", where, fmt::format(format, std::forward<Args>(args)...));
  }

  void check_keys(const YAML::Node& root) const {
    if (!root.IsMap())
      fail(root.Mark(), "a target file is a map with the keys {}", fmt::join(kKeys, ", "));
    std::vector<std::string> seen;
    for (const auto& entry : root) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      if (std::ranges::find(kKeys, key) == kKeys.end())
        fail(entry.first.Mark(), "unknown key '{}' (expected {})", key, fmt::join(kKeys, ", "));
      if (std::ranges::find(seen, key) != seen.end())
        fail(entry.first.Mark(), "key '{}' appears twice", key);
      seen.push_back(key);
    }
    for (size_t i = 0; i < kRequiredKeys; ++i)
      if (std::ranges::find(seen, kKeys[i]) == seen.end())
        fail(root.Mark(), "missing key '{}' (a target file needs {})", kKeys[i],
             fmt::join(std::span(kKeys).first(kRequiredKeys), ", "));
  }

  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || node.Scalar().empty())
      fail(node.Mark(), "key '{}': expected a non-empty string", key);
    return node.Scalar();
  }

  std::set<std::string> features(const YAML::Node& node, const std::string& triple) const {
    if (!node.IsSequence())
      fail(node.Mark(), "key 'features': expected a list of feature names, e.g. [avx2, fma]");
    std::set<std::string> out;
    for (const YAML::Node& item : node) {
      const std::string feature = scalar(item, "features");
      if (!is_known_feature(triple, feature))
        fail(item.Mark(), "key 'features': LLVM does not know the feature '{}' for {}", feature,
             triple);
      out.insert(feature);
    }
    return out;
  }

  int threads(const YAML::Node& node) const {
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1)
      fail(node.Mark(), "key 'threads': expected an integer >= 1, got '{}'", text);
    return value;
  }

  std::string path_;
};

}  // namespace

Target read_target_file(const std::string& path) { return TargetFileReader(path).read(); }

}  // namespace nas::target
