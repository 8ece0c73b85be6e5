// Hardware a target may require (`requires:`): parsing, matching, the resume key, and the
// single-process search refusing a machine that does not match.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/target/target.h"
#include "search/config.h"
#include "search/hardware.h"
#include "tests/cli/cli_util.h"

namespace nas::search {
namespace {

using nas::testing::TempDir;
using nas::testing::user_error_message;
using ::testing::HasSubstr;

HardwareInfo machine(std::string cpu, std::set<std::string> features, int threads) {
  return {.host = "node7", .triple = "x86_64-pc-linux-gnu", .cpu = std::move(cpu),
          .features = std::move(features), .threads = threads};
}

TEST(Hardware, RequirementsMatchOnCpuFeaturesAndThreads) {
  const HardwareInfo m = machine("znver4", {"avx2", "avx512f", "fma"}, 8);
  EXPECT_TRUE(matches({}, m));
  EXPECT_TRUE(matches({.cpu = "znver4", .cpu_features = {"avx512f"}, .min_threads = 8}, m));
  EXPECT_EQ(why_not_matching({.cpu = "skylake"}, m), "its cpu is znver4, not skylake");
  EXPECT_EQ(why_not_matching({.cpu_features = {"avx2", "amx-tile", "neon"}}, m),
            "it lacks amx-tile, neon");
  EXPECT_EQ(why_not_matching({.cpu_features = {"avx512f"}, .min_threads = 16},
                             machine("znver4", {}, 1)),
            "it lacks avx512f; it has 1 thread, not 16");
}

TEST(Hardware, RequirementsCombineAndRefuseTwoCpus) {
  const HardwareRequirement a{.cpu = "znver4", .cpu_features = {"avx2"}, .min_threads = 2};
  const HardwareRequirement b{.cpu_features = {"fma"}, .min_threads = 4};
  const std::optional<HardwareRequirement> both = a.and_also(b);
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, (HardwareRequirement{.cpu = "znver4", .cpu_features = {"avx2", "fma"},
                                        .min_threads = 4}));
  EXPECT_EQ(both->str(), "cpu znver4, features [avx2, fma], at least 4 threads");
  EXPECT_FALSE(a.and_also({.cpu = "skylake"}));
  EXPECT_EQ(HardwareRequirement{}.str(), "any machine");
}

TEST(Hardware, InfoRoundTripsThroughJsonAndDescribesThisMachine) {
  const HardwareInfo m = machine("znver4", {"avx2"}, 8);
  const HardwareInfo back = HardwareInfo::from_json(m.to_json());
  EXPECT_EQ(back.to_json(), m.to_json());
  EXPECT_EQ(m.str(), "node7: x86_64 znver4, 1 feature, 8 threads");
  EXPECT_THAT(user_error_message([] { HardwareInfo::from_json({{"host", "x"}}); }),
              HasSubstr("malformed hardware record"));
  const HardwareInfo here = this_machine();
  EXPECT_EQ(here.cpu, target::host_target().cpu);
  EXPECT_GE(here.threads, 1);
  EXPECT_FALSE(here.host.empty());
  EXPECT_TRUE(matches({.cpu = here.cpu, .cpu_features = here.features}, here));
}

class HardwareConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(dir_ / "space.yaml") << "name: tiny\n"; }
  ExperimentConfig parse(const std::string& requires_yaml) {
    return parse_config("name: tiny\nspace: space.yaml\nobjectives: [{metric: params, goal: "
                        "minimize}]\ntargets:\n  - name: host\n    requires: " +
                            requires_yaml + "\n",
                        dir_ / "exp.yaml");
  }
  std::string error(const std::string& requires_yaml) {
    return user_error_message([&] { parse(requires_yaml); });
  }
  TempDir dir_;
};

TEST_F(HardwareConfigTest, ReadsRequiresAndKeepsItInTheResumeKey) {
  const ExperimentConfig c =
      parse("{cpu: znver4, cpu_features: [avx512f, fma], min_threads: 4}");
  const HardwareRequirement expected{.cpu = "znver4", .cpu_features = {"avx512f", "fma"},
                                     .min_threads = 4};
  EXPECT_EQ(c.targets.at(0).requirement, expected);
  EXPECT_EQ(c.hardware_requirement(), expected);
  EXPECT_EQ(c.resume_key().at("targets.0.requires.cpu"), "znver4");
  EXPECT_EQ(c.resume_key().at("targets.0.requires.min_threads"), 4);
  // Without `requires`, the key (and so the hash of existing searches) is unchanged.
  const ExperimentConfig plain = parse("{}");
  EXPECT_TRUE(plain.hardware_requirement().empty());
  const nlohmann::json key = plain.resume_key();  // items() would outlive a temporary
  ASSERT_FALSE(key.empty());
  for (const auto& [name, value] : key.items())
    EXPECT_EQ(name.find("requires"), std::string::npos) << name;
}

TEST_F(HardwareConfigTest, ReportsBadRequirementsWithTheirLocation) {
  EXPECT_THAT(error("{cpus: znver4}"),
              HasSubstr("unknown key 'targets.0.requires.cpus' (did you mean "
                        "'targets.0.requires.cpu'?); known: cpu, cpu_features, min_threads"));
  EXPECT_THAT(error("{cpu_features: avx2}"),
              HasSubstr("key 'targets.0.requires.cpu_features': expected a list of CPU "
                        "features such as [avx2, fma], got 'avx2'"));
  EXPECT_THAT(error("{cpu_features: [avx2, avx-512]}"),
              HasSubstr("exp.yaml:6:37: key 'targets.0.requires.cpu_features.1': unknown CPU "
                        "feature 'avx-512'"));
  EXPECT_THAT(error("{min_threads: 0}"), HasSubstr("targets.0.requires.min_threads"));
}

TEST(HardwareSearch, OneProcessRefusesAMachineThatDoesNotMatch) {
  TempDir dir;
  const testing::Result r =
      testing::run_nas("search " + std::string(NAS_SOURCE_DIR) +
                       "/configs/synthetic_smoke.yaml --set output=" + (dir / "out").string() +
                       " --set 'targets.0.requires={cpu: cortex-a76, min_threads: 100000}'");
  testing::expect_user_error(
      r, "the targets of 'synthetic_smoke' require cpu cortex-a76, at least 100000 threads, but "
         "this machine does not match (its cpu is ");
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "experiment.db"));
}

}  // namespace
}  // namespace nas::search
