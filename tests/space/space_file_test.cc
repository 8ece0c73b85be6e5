// Space files: the shipped ones load; each mistake in a file gets its own message naming the
// file, line and column, the key and what was expected.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "space/space_file.h"
#include "tests/test_util.h"

namespace nas::space {
namespace {

using nas::testing::test_temp_dir;
using nas::testing::user_error_message;

std::string shipped(const std::string& name) {
  return std::string(NAS_SOURCE_DIR) + "/configs/spaces/" + name;
}

// Writes `text` as a space file in the test's folder and returns its path.
std::string write_space(const std::string& text) {
  const std::string path = (test_temp_dir() / "space.yaml").string();
  std::ofstream(path) << text;
  return path;
}

// A small valid macro space; tests replace one line of it.
const std::string kBase = R"(name: toy
input: [1, 8, 8]
classes: 3
choices:
  k: [3, 5]
  d: {range: [1, 2]}
network:
  template: macro
  stem: {width: 8, act: relu, stride: 1}
  stages:
    - {depth: $d, kernel: $k, expand: 2, width: 8, act: relu, se: off, stride: 1}
  head: {width: 16, act: hswish}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// The message of loading kBase with one replacement, without the "FILE:" prefix.
std::string error_of(const std::string& from, const std::string& to) {
  const std::string path = write_space(replace(kBase, from, to));
  const std::string message = user_error_message([&] { load_space(path); });
  if (message.rfind(path + ":", 0) != 0) return "(no file prefix) " + message;
  return message.substr(path.size() + 1);
}

TEST(SpaceFile, ShippedSpacesLoad) {
  const SearchSpace mobilenet = load_space(shipped("mobilenet_28.yaml"));
  EXPECT_EQ(mobilenet.name(), "mobilenet_28");
  EXPECT_EQ(mobilenet.decisions().size(), 20u);
  EXPECT_GT(mobilenet.size(), 1e8);
  const SearchSpace nb201 = load_space(shipped("nb201_28.yaml"));
  EXPECT_EQ(nb201.name(), "nb201_28");
  EXPECT_EQ(nb201.decisions().size(), 6u);
  EXPECT_NEAR(nb201.size(), 15625.0, 1e-6);
}

TEST(SpaceFile, DecisionsFromListsAndRanges) {
  std::string text = replace(kBase, "  k: [3, 5]\n",
                             "  k: [3, 5]\n  a: [relu, hswish]\n  w: {range: [4, 12], step: 4}\n");
  text = replace(text, "act: relu, se", "act: $a, se");
  text = replace(text, "head: {width: 16", "head: {width: $w");
  const SearchSpace s = load_space(write_space(text));
  ASSERT_EQ(s.decisions().size(), 4u);
  const Decision& k = s.decisions()[0];
  EXPECT_EQ(k.name, "k");
  EXPECT_EQ(k.labels, (std::vector<std::string>{"3", "5"}));
  EXPECT_EQ(k.values, (std::vector<double>{3, 5}));
  EXPECT_TRUE(k.ordered);
  const Decision& a = s.decisions()[1];
  EXPECT_EQ(a.labels, (std::vector<std::string>{"relu", "hswish"}));
  EXPECT_FALSE(a.ordered);
  const Decision& w = s.decisions()[2];
  EXPECT_EQ(w.labels, (std::vector<std::string>{"4", "8", "12"}));
  EXPECT_TRUE(w.ordered);
  EXPECT_EQ(s.decisions()[3].labels, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(s.name(), "toy");
  EXPECT_NEAR(s.size(), 24.0, 1e-9);
}

TEST(SpaceFile, NameDefaultsToTheFileName) {
  const SearchSpace s = load_space(write_space(replace(kBase, "name: toy\n", "")));
  EXPECT_EQ(s.name(), "space");
}

TEST(SpaceFile, ReportsUnknownAndMissingKeys) {
  EXPECT_EQ(error_of("classes: 3", "classes: 3\nfoo: 1"),
            "4:1: unknown key 'foo'; known: input, classes, choices, network, name");
  EXPECT_EQ(error_of("se: off, stride: 1}", "se: off, stride: 1, dilation: 2}"),
            "11:83: unknown key 'network.stages[0].dilation'; known: depth, kernel, expand, "
            "width, act, se, stride");
  EXPECT_EQ(error_of("act: relu, se: off, ", ""),
            "11:7: missing key 'network.stages[0].act'");
  EXPECT_EQ(error_of("{range: [1, 2]}", "{range: [1, 2], steps: 1}"),
            "6:22: unknown key 'choices.d.steps' (did you mean 'choices.d.step'?); known: range, "
            "step");
  EXPECT_EQ(error_of("  head: {width: 16, act: hswish}\n", ""),
            "8:3: missing key 'network.head'");
  EXPECT_EQ(error_of("template: macro", "template: resnet"),
            "8:13: key 'network.template': expected macro or cell, got 'resnet'");
}

TEST(SpaceFile, ReportsBadChoices) {
  EXPECT_EQ(error_of("k: [3, 5]", "k: 3"),
            "5:6: key 'choices.k': expected a list of options or a {range, step} map, got "
            "'3'");
  EXPECT_EQ(error_of("k: [3, 5]", "k:"),
            "5:3: key 'choices.k': expected a list of options or a {range, step} map, got "
            "nothing");
  EXPECT_EQ(error_of("k: [3, 5]", "k: []"), "5:6: choice 'k' has an empty list of options");
  EXPECT_EQ(error_of("k: [3, 5]", "k: [3, [5]]"),
            "5:10: key 'choices.k[1]': expected a value such as 3 or relu, got a list");
  EXPECT_EQ(error_of("k: [3, 5]", "k: [3, 5, 3]"), "5:13: choice 'k' lists option '3' twice");
  EXPECT_EQ(error_of("k: [3, 5]", "k: [3, \"5,7\"]"),
            "5:10: choice 'k': option '5,7' contains a comma");
  EXPECT_EQ(error_of("  k: [3, 5]\n", "  k: [3, 5]\n  k: [7]\n"),
            "6:3: key 'choices.k' appears twice (first at line 5)");
  EXPECT_EQ(error_of("  k: [3, 5]\n", "  k: [3, 5]\n  2k: [7]\n"),
            "6:3: choice name '2k' must start with a letter or '_' and contain only letters, "
            "digits, '_' and '.'");
}

TEST(SpaceFile, ReportsBadRanges) {
  EXPECT_EQ(error_of("{range: [1, 2]}", "{range: [3, 2]}"),
            "6:14: choice 'd': range [3, 2] is empty (lo > hi)");
  EXPECT_EQ(error_of("{range: [1, 2]}", "{range: [1, 2], step: 0}"),
            "6:28: key 'choices.d.step': expected an integer >= 1, got '0'");
  EXPECT_EQ(error_of("{range: [1, 2]}", "{range: [1, 2], step: -1}"),
            "6:28: key 'choices.d.step': expected an integer >= 1, got '-1'");
  EXPECT_EQ(error_of("{range: [1, 2]}", "{range: [1, 2.5]}"),
            "6:14: key 'choices.d.range': expected [lo, hi] with integers lo <= hi, got a list");
  EXPECT_EQ(error_of("{range: [1, 2]}", "{range: 3}"),
            "6:14: key 'choices.d.range': expected [lo, hi] with integers lo <= hi, got '3'");
  EXPECT_EQ(error_of("{range: [1, 2]}", "{step: 1}"), "6:6: missing key 'choices.d.range'");
}

TEST(SpaceFile, ReportsBadReferencesAndValues) {
  EXPECT_EQ(error_of("kernel: $k", "kernel: $kernel"),
            "11:27: key 'network.stages[0].kernel': '$kernel' is not a choice; choices: k, d");
  EXPECT_EQ(error_of("kernel: $k", "kernel: $kk"),
            "11:27: key 'network.stages[0].kernel': '$kk' is not a choice (did you mean '$k'?); "
            "choices: k, d");
  EXPECT_EQ(error_of("kernel: $k", "kernel: 4"),
            "11:27: key 'network.stages[0].kernel': expected an odd integer from 1 to 15 or a "
            "$choice, got '4'");
  EXPECT_EQ(error_of("k: [3, 5]", "k: [3, 4]"),
            "5:10: option '4' of choice 'k' is not valid for 'network.stages[0].kernel' "
            "(expected an odd integer from 1 to 15)");
  EXPECT_EQ(error_of("d: {range: [1, 2]}", "d: {range: [0, 2]}"),
            "6:3: option '0' of choice 'd' is not valid for 'network.stages[0].depth' (expected "
            "a positive integer)");
  EXPECT_EQ(error_of("act: relu, se", "act: gelu, se"),
            "11:57: key 'network.stages[0].act': expected one of relu, hswish or a $choice, got "
            "'gelu'");
  EXPECT_EQ(error_of("se: off", "se: maybe"),
            "11:67: key 'network.stages[0].se': expected on, off, true or false or a $choice, "
            "got 'maybe'");
  EXPECT_EQ(error_of("width: 8, act: relu, stride", "width: [8], act: relu, stride"),
            "9:17: key 'network.stem.width': expected a positive integer or a $choice, got a "
            "list");
  EXPECT_EQ(error_of("  k: [3, 5]\n", "  k: [3, 5]\n  unused: [1, 2]\n"),
            "6:3: choice 'unused' is not used by the network (refer to it as $unused)");
}

TEST(SpaceFile, ReportsBadTopLevelValues) {
  EXPECT_EQ(error_of("input: [1, 8, 8]", "input: [1, 8]"),
            "2:8: key 'input': expected an image shape [channels, height, width], got a list");
  EXPECT_EQ(error_of("input: [1, 8, 8]", "input: [1, 0, 8]"),
            "2:12: key 'input[1]': expected an integer >= 1, got '0'");
  EXPECT_EQ(error_of("classes: 3", "classes: ten"),
            "3:10: key 'classes': expected an integer >= 1, got 'ten'");
  EXPECT_EQ(error_of("  stages:\n    - ", "  stages: []\n    # "),
            "10:11: key 'network.stages': expected a non-empty list of stages, got an empty "
            "list");
  // An empty value is placed at its key.
  EXPECT_EQ(error_of("  stem: {width: 8, act: relu, stride: 1}", "  stem:"),
            "9:3: key 'network.stem': expected a map with keys width, act, stride, got nothing");
  EXPECT_EQ(error_of("classes: 3", "classes: [3"), "4:8: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(user_error_message([] { load_space("/nonexistent/space.yaml"); }),
            "cannot read space file '/nonexistent/space.yaml'");
}

TEST(SpaceFile, RefusesASpaceWhoseNetworksCannotBeBuilt) {
  // The cell template's two reductions need at least 4x4 inputs.
  const std::string path = write_space(R"(input: [1, 2, 2]
classes: 3
choices:
  e: [skip, conv3x3]
network:
  template: cell
  channels: 4
  cells: 1
  edges: {0->1: $e, 0->2: none, 1->2: skip, 0->3: none, 1->3: none, 2->3: skip}
)");
  EXPECT_EQ(user_error_message([&] { load_space(path); }),
            path + ":6:3: the network of architecture 'skip' (the first option of every "
                   "choice) cannot be built: space: the cell template's two reductions need an "
                   "input of at least 4x4, got 2x2");
}

// Found by fuzzing: a mistyped width (9664128) made load build a 2.3 GB layer. Networks
// stop at 2^28 parameters, with the layer named.
TEST(SpaceFile, RefusesANetworkPastTheParameterLimit) {
  const std::string path = write_space(R"(input: [1, 8, 8]
classes: 3
choices:
  w: [8, 9664128]
network:
  template: macro
  stem: {width: 8, act: relu, stride: 2}
  stages:
    - {depth: 1, kernel: 3, expand: 1, width: 64, act: relu, se: off, stride: 1}
  head: {width: $w, act: relu}
)");
  EXPECT_EQ(user_error_message([&] { load_space(path); }),
            path + ":6:3: the network of architecture '9664128' (the last option of every "
                   "choice) cannot be built: 'head.conv.weight' [9664128,64,1,1] brings the "
                   "network past 268435456 parameters (1 GiB of weights); is a width or an "
                   "expansion a typo?");
}

TEST(SpaceFile, ReportsBadCellEdges) {
  const std::string text = R"(input: [1, 8, 8]
classes: 3
choices:
  e: [skip, conv3x3]
network:
  template: cell
  channels: 4
  cells: 1
  edges: {0->1: $e, 0->2: none, 1->2: skip, 0->3: none, 1->3: none, 2->3: skip}
)";
  const std::string path = write_space(replace(text, "1->3: none", "1->3: conv5x5"));
  EXPECT_EQ(user_error_message([&] { load_space(path); }),
            path + ":9:63: key 'network.edges.1->3': expected one of none, skip, conv1x1, "
                   "conv3x3, avgpool3x3 or a $choice, got 'conv5x5'");
  const std::string path2 = write_space(replace(text, "0->2: none", "0->4: none"));
  EXPECT_EQ(user_error_message([&] { load_space(path2); }),
            path2 + ":9:21: unknown key 'network.edges.0->4' (did you mean "
                    "'network.edges.0->1'?); known: 0->1, 0->2, 1->2, 0->3, 1->3, 2->3");
}

}  // namespace
}  // namespace nas::space
