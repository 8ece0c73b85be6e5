#include "compiler/target/target_file.h"

#include <set>
#include <type_traits>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "compiler/support/error.h"
#include "compiler/support/yaml_reader.h"

namespace nas::target {

namespace {

// The first three are required.
const std::vector<std::string> kKeys = {
    "name",      "triple",   "cpu",      "features", "threads",  "vector_lanes",
    "vector_registers", "l1d_bytes", "l2_bytes", "l3_bytes", "cores", "schedule"};
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
    derive_machine_facts(target);
    machine_facts(root, target);
    if (root["schedule"]) schedule_params(root["schedule"], target.schedule);
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

  // What the file says of the machine, over what derive_machine_facts derived; the schedule
  // constants follow the vector registers the file gives.
  void machine_facts(const YAML::Node& root, Target& target) const {
    auto set = [&](const char* key, auto& fact, int64_t min) {
      if (root[key]) fact = static_cast<std::remove_reference_t<decltype(fact)>>(
                         yaml_.integer(root[key], key, min));
    };
    if (root["vector_lanes"])
      target.vector_lanes = std::stoi(yaml_.one_of(root["vector_lanes"], "vector_lanes", {"4", "8", "16"}));
    set("vector_registers", target.vector_registers, 8);
    set("l1d_bytes", target.l1d_bytes, 1);
    set("l2_bytes", target.l2_bytes, 1);
    set("l3_bytes", target.l3_bytes, 0);
    set("cores", target.cores, 1);
    if (root["vector_registers"]) target.schedule = default_schedule_params(target.vector_registers);
  }

  // `schedule:` sets any field of ScheduleParams by its name.
  void schedule_params(const YAML::Node& node, ScheduleParams& params) const {
    std::vector<std::string> names;
    params.visit_fields([&](const char* name, const auto&) { names.emplace_back(name); });
    yaml_.check_map(node, "schedule", names);
    params.visit_fields([&](const char* name, auto& value) {
      const YAML::Node item = node[name];
      if (!item) return;
      const std::string path = yaml::YamlReader::key_path("schedule", name);
      using Value = std::remove_reference_t<decltype(value)>;
      if constexpr (std::is_same_v<Value, double>) {
        value = yaml_.number(item, path, 0);
      } else if constexpr (std::is_same_v<Value, int64_t>) {
        value = name == std::string_view("winograd_tile")
                    ? std::stoi(yaml_.one_of(item, path, {"0", "2", "4"}))
                    : yaml_.integer(item, path, 0);
      } else {
        yaml_.check_list(item, path, 1, "a list of whole numbers >= 1 such as [4, 3, 2]");
        value.clear();
        for (size_t i = 0; i < item.size(); ++i)
          value.push_back(yaml_.integer(item[i], yaml_.item_path(path, i), 1));
      }
    });
  }

  yaml::YamlReader yaml_;
};

}  // namespace

Target read_target_file(const std::string& path) { return TargetFileReader(path).read(); }

}  // namespace nas::target
