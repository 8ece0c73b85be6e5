// The YAML reading layer (compiler/support/yaml_reader.h) and the one wording it gives the
// three kinds of YAML file: experiment configs, space files and target files. Each message
// is checked whole: a repeated key, an unknown key with the closest known one, a value of
// the wrong type, and a file that is empty, missing or a folder.
#include <fstream>

#include <gtest/gtest.h>

#include "compiler/support/yaml_reader.h"
#include "compiler/target/target.h"
#include "search/config.h"
#include "space/space_file.h"
#include "tests/test_util.h"

namespace nas {
namespace {

using testing::TempDir;
using testing::user_error_message;

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(YamlReader, EditDistanceAndTheClosestWord) {
  EXPECT_EQ(yaml::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(yaml::edit_distance("", "abc"), 3u);
  EXPECT_EQ(yaml::edit_distance("epochs", "epochs"), 0u);
  EXPECT_EQ(yaml::edit_distance("widht", "width"), 1u);  // a swap of neighbours
  const std::vector<std::string> keys = {"epochs", "batch", "lr", "optimizer"};
  EXPECT_EQ(yaml::closest_word("epoch", keys), "epochs");
  EXPECT_EQ(yaml::closest_word("optimiser", keys), "optimizer");
  EXPECT_EQ(yaml::closest_word("lr", keys), "lr");
  // Too far from every key to be a typo of one.
  EXPECT_EQ(yaml::closest_word("seed", keys), std::nullopt);
  EXPECT_EQ(yaml::closest_word("x", keys), std::nullopt);
}

TEST(YamlReader, RefusesRepeatedKeysAnywhereNamingBothLines) {
  yaml::YamlReader r("f.yaml", "config file");
  EXPECT_EQ(user_error_message([&] { r.parse("a:\n  b: 1\n  c: 2\n  b: 3\n"); }),
            "f.yaml:4:3: key 'a.b' appears twice (first at line 2)");
  EXPECT_EQ(user_error_message([&] { r.parse("l:\n  - {x: 1, x: 2}\n"); }),
            "f.yaml:2:12: key 'l.0.x' appears twice (first at line 2)");
  yaml::YamlReader brackets("s.yaml", "space file", yaml::ItemStyle::Bracketed);
  EXPECT_EQ(user_error_message([&] { brackets.parse("l:\n  - {x: 1, x: 2}\n"); }),
            "s.yaml:2:12: key 'l[0].x' appears twice (first at line 2)");
}

TEST(YamlReader, LocatesEmptyValuesAtTheirKeyAndCommandLineValuesAtTheirSet) {
  yaml::YamlReader r("f.yaml", "config file");
  const YAML::Node root = r.parse("a: 1\nb:\nc: 2\n");
  EXPECT_EQ(user_error_message([&] { r.integer(root["b"], "b"); }),
            "f.yaml:2:1: key 'b': expected an integer, got nothing");
  r.set_command_line_keys({"c"});
  EXPECT_EQ(user_error_message([&] { r.boolean(root["c"], "c"); }),
            "--set c: key 'c': expected true or false, got '2'");
  EXPECT_EQ(user_error_message([&] { r.one_of(root["a"], "a", {"x", "y", "z"}); }),
            "f.yaml:1:4: key 'a': expected x, y or z, got '1'");
}

TEST(YamlReader, ReadingAFileNamesIt) {
  TempDir dir;
  yaml::YamlReader missing((dir / "none.yaml").string(), "space file");
  EXPECT_EQ(user_error_message([&] { missing.load(); }),
            "cannot read space file '" + (dir / "none.yaml").string() + "'");
  yaml::YamlReader folder(dir.path().string(), "space file");
  EXPECT_EQ(user_error_message([&] { folder.load(); }),
            "cannot read space file '" + dir.path().string() + "': it is a folder");
  const std::string empty = write_file(dir, "empty.yaml", "\n# only a comment\n");
  yaml::YamlReader reader(empty, "target file");
  EXPECT_EQ(user_error_message([&] { reader.load(); }), empty + ": the target file is empty");
}

// Experiment configs.
class ConfigErrors : public ::testing::Test {
 protected:
  void SetUp() override { write_file(dir_, "space.yaml", "name: tiny\n"); }
  std::string error(const std::string& text) {
    const std::string path = write_file(dir_, "exp.yaml", text);
    return user_error_message([&] { search::load_config(path); });
  }
  std::string file() const { return (dir_ / "exp.yaml").string(); }
  TempDir dir_;
};

const char* kConfig = "name: x\nspace: space.yaml\nobjectives: [{metric: params, goal: minimize}]\n";

TEST_F(ConfigErrors, RepeatedKey) {
  EXPECT_EQ(error(std::string(kConfig) + "seed: 1\nseed: 2\n"),
            file() + ":5:1: key 'seed' appears twice (first at line 4)");
  EXPECT_EQ(error(std::string(kConfig) + "budget:\n  candidates: 4\n  candidates: 8\n"),
            file() + ":6:3: key 'budget.candidates' appears twice (first at line 5)");
}

TEST_F(ConfigErrors, UnknownKeySuggestsTheClosest) {
  EXPECT_EQ(error(std::string(kConfig) + "training: {epoch: 2}\n"),
            file() + ":4:12: unknown key 'training.epoch' (did you mean 'training.epochs'?); "
                     "known: epochs, batch, lr, optimizer, momentum, weight_decay, schedule, "
                     "warmup_epochs, augment, label_smoothing, time_limit_seconds, trainer");
}

TEST_F(ConfigErrors, UnknownTrainerNamesTheChoices) {
  EXPECT_EQ(error(std::string(kConfig) + "training: {trainer: fast}\n"),
            file() + ":4:21: key 'training.trainer': unknown trainer 'fast' (expected compiled "
                     "or reference)");
}

TEST_F(ConfigErrors, WrongType) {
  EXPECT_EQ(error(std::string(kConfig) + "parallel: {workers: [2]}\n"),
            file() + ":4:21: key 'parallel.workers': expected an integer >= 1, got a list");
}

TEST_F(ConfigErrors, EmptyFileAndFolderNameTheFile) {
  EXPECT_EQ(error(""), file() + ": the config file is empty");
  EXPECT_EQ(user_error_message([&] { search::load_config(dir_.path(), {"name=x"}); }),
            "cannot read config file '" + dir_.path().string() + "': it is a folder");
}

TEST_F(ConfigErrors, CommandLineValuesAreLocatedAtTheirSet) {
  const std::string path = write_file(dir_, "exp.yaml", kConfig);
  EXPECT_EQ(user_error_message([&] { search::load_config(path, {"training.epoch=2"}); }),
            "--set training.epoch: unknown key 'training.epoch' (did you mean "
            "'training.epochs'?); known: epochs, batch, lr, optimizer, momentum, weight_decay, "
            "schedule, warmup_epochs, augment, label_smoothing, time_limit_seconds, trainer");
  EXPECT_EQ(user_error_message([&] { search::load_config(path, {"timing={warmup: x}"}); }),
            "--set timing: key 'timing.warmup': expected an integer >= 0, got 'x'");
}

// Space files.
const std::string kSpace = R"(name: toy
input: [1, 8, 8]
classes: 3
choices:
  k: [3, 5]
network:
  template: macro
  stem: {width: 8, act: relu, stride: 1}
  stages:
    - {depth: 1, kernel: $k, expand: 2, width: 8, act: relu, se: off, stride: 1}
  head: {width: 16, act: hswish}
)";

std::string space_error(const TempDir& dir, const std::string& from, const std::string& to) {
  std::string text = kSpace;
  text.replace(text.find(from), from.size(), to);
  const std::string path = write_file(dir, "space.yaml", text);
  return user_error_message([&] { space::load_space(path); });
}

TEST(SpaceFileErrors, RepeatedKeyUnknownKeyAndWrongType) {
  TempDir dir;
  const std::string file = (dir / "space.yaml").string();
  EXPECT_EQ(space_error(dir, "  stem: {width: 8,", "  stem: {width: 8, width: 4,"),
            file + ":8:20: key 'network.stem.width' appears twice (first at line 8)");
  EXPECT_EQ(space_error(dir, "classes: 3", "clases: 3"),
            file + ":3:1: unknown key 'clases' (did you mean 'classes'?); known: input, "
                   "classes, choices, network, name");
  EXPECT_EQ(space_error(dir, "  head: {width: 16,", "  head: {widht: 16,"),
            file + ":11:10: unknown key 'network.head.widht' (did you mean "
                   "'network.head.width'?); known: width, act");
  EXPECT_EQ(space_error(dir, "classes: 3", "classes: [3]"),
            file + ":3:10: key 'classes': expected an integer >= 1, got a list");
  EXPECT_EQ(space_error(dir, "name: toy\n", ""), "(no error)");
}

// Target files.
TEST(TargetFileErrors, RepeatedKeyUnknownKeyAndWrongType) {
  TempDir dir;
  const std::string head = "name: t\ntriple: aarch64-linux-gnu\ncpu: generic\n";
  auto error = [&](const std::string& text) {
    const std::string path = write_file(dir, "t.yaml", text);
    return user_error_message([&] { target::parse_target(path); });
  };
  const std::string file = (dir / "t.yaml").string();
  EXPECT_EQ(error(head + "threads: 2\nthreads: 4\n"),
            file + ":5:1: key 'threads' appears twice (first at line 4)");
  EXPECT_EQ(error(head + "feature: [avx2]\n"),
            file + ":4:1: unknown key 'feature' (did you mean 'features'?); known: name, "
                   "triple, cpu, features, threads, vector_lanes, vector_registers, l1d_bytes, "
                   "l2_bytes, l3_bytes, cores, schedule");
  EXPECT_EQ(error(head + "threads: [4]\n"),
            file + ":4:10: key 'threads': expected an integer >= 1, got a list");
  EXPECT_EQ(error("\n"), file + ": the target file is empty");
}

}  // namespace
}  // namespace nas
