#include "compiler/target/target_file.h"

#include <set>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "compiler/support/error.h"
#include "compiler/support/yaml_reader.h"

namespace nas::target {

namespace {

// The first three are required.
const std::vector<std::string> kKeys = {"name", "triple", "cpu", "features", "threads"};
constexpr size_t kRequiredKeys = 3;

class TargetFileReader {
 public:
  explicit TargetFileReader(const std::string& path) : yaml_(path, "target file") {}

  Target read() {
    const YAML::Node root = yaml_.load();
    yaml_.check_map(root, "", kKeys, kRequiredKeys);
    Target target;
    target.name = yaml_.non_empty_text(root["name"], "name");
    target.triple = yaml_.non_empty_text(root["triple"], "triple");
    if (!is_known_triple(target.triple))
      yaml_.fail(root["triple"], "triple",
                 "key 'triple': LLVM does not know the architecture of '{}' (e.g. "
                 "x86_64-pc-linux-gnu, aarch64-linux-gnu)",
                 target.triple);
    target.cpu = yaml_.non_empty_text(root["cpu"], "cpu");
    std::optional<std::set<std::string>> cpu_has = cpu_features(target.triple, target.cpu);
    if (!cpu_has && (target.arch() == "x86_64" || target.arch() == "aarch64"))
      yaml_.fail(root["cpu"], "cpu", "key 'cpu': LLVM does not know the {} CPU '{}'",
                 target.arch(), target.cpu);
    if (root["features"]) {
      target.features = features(root["features"], target.triple);
    } else if (cpu_has) {
      target.features = *cpu_has;
    } else {
      yaml_.fail(root, "", "missing key 'features': LLVM cannot list the features of cpu '{}' "
                 "for {}", target.cpu, target.triple);
    }
    if (root["threads"]) target.threads = static_cast<int>(yaml_.integer(root["threads"], "threads", 1));
    return target;
  }

 private:
  std::set<std::string> features(const YAML::Node& node, const std::string& triple) const {
    yaml_.check_list(node, "features", 0, "a list of feature names such as [avx2, fma]");
    std::set<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = yaml_.item_path("features", i);
      const std::string feature = yaml_.non_empty_text(node[i], path);
      if (!is_known_feature(triple, feature))
        yaml_.fail(node[i], path, "key '{}': LLVM does not know the feature '{}' for {}", path,
                   feature, triple);
      out.insert(feature);
    }
    return out;
  }

  yaml::YamlReader yaml_;
};

}  // namespace

Target read_target_file(const std::string& path) { return TargetFileReader(path).read(); }

}  // namespace nas::target
