// `nas space FILE [--sample N] [--seed S]`: loads a search-space file (checking it, see
// configs/spaces/README.md) and prints its name, decisions and size, then N architectures
// drawn with the seed, each with its parameter count and FLOPs at batch 1.
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "search/cli/commands.h"
#include "space/space_file.h"

namespace nas::cli {

namespace {

struct SpaceArgs {
  std::string file;
  int64_t sample = 0;
  uint64_t seed = 0;
};

// Exact below a million, scientific above.
std::string size_text(const space::SearchSpace& s) {
  const double size = s.size();
  return size < 1e6 ? fmt::format("{:.0f}", size) : fmt::format("{:.2e}", size);
}

void run_space(const SpaceArgs& a) {
  const space::SearchSpace s = space::load_space(a.file);
  std::vector<std::string> names;
  for (const space::Decision& d : s.decisions()) names.push_back(d.name);
  std::cout << fmt::format("name: {}\n", s.name());
  std::cout << fmt::format("decisions: {} ({})\n", names.size(), fmt::join(names, ","));
  std::cout << fmt::format("size: {} architectures\n", size_text(s));
  SplitMix64 rng(a.seed);
  for (int64_t i = 0; i < a.sample; ++i) {
    const space::Architecture arch = s.sample(rng);
    const graph::Graph g = s.decode(arch);
    std::cout << fmt::format("{}  {} parameters  {} FLOPs\n", s.to_string(arch),
                             g.parameter_count(), g.flops());
  }
}

}  // namespace

void add_space_command(CLI::App& app) {
  auto a = std::make_shared<SpaceArgs>();
  auto* cmd = app.add_subcommand("space", "Check a search-space file; print its size and samples");
  cmd->add_option("file", a->file, "Search-space YAML file")->required();
  cmd->add_option("--sample", a->sample, "Architectures to draw and print")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", a->seed, "Seeds the draws")->capture_default_str();
  cmd->callback([a] { run_space(*a); });
}

}  // namespace nas::cli
