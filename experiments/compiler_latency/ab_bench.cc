// Two compilations of one model timed in alternation in one process: A's run, then B's,
// over and over, so that a drift of the machine's speed (seconds to minutes on a shared VM,
// up to 30% here) falls on both alike. Reports each one's median and the median of B/A
// over the pairs of runs.
//
//   ./build/ab_bench MODEL.onnx [--threads N] [--seconds S] --a OPTIONS --b OPTIONS
//
// OPTIONS: comma-separated, each layout=blocked|nchw, winograd=on|off, scale=on|off (the
// scale_into_weights pass), pad=on|off (the pad_channels pass) or NAME=VALUE (a field of
// target::ScheduleParams); "" for the defaults. Prints one JSON line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/compile.h"
#include "compiler/onnx/onnx_import.h"
#include "compiler/runtime/compiled_model.h"
#include "compiler/target/target.h"

namespace {

using namespace nas;

compiler::CompileOptions options_of(const std::string& spec, const target::Target& target) {
  compiler::CompileOptions o;
  o.target = target;
  nlohmann::json params = nlohmann::json::object();
  // Items split at the commas outside brackets, so a list value such as
  // conv_channel_vectors=[4,3,2] stays whole.
  std::vector<std::string> items{""};
  int depth = 0;
  for (char c : spec) {
    depth += (c == '[') - (c == ']');
    if (c == ',' && depth == 0) items.emplace_back();
    else items.back() += c;
  }
  for (const std::string& item : items) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "layout") o.lowering.blocked_layout = value == "blocked";
    else if (key == "winograd") o.lowering.winograd = value == "on";
    else if (key == "scale") o.lowering.scale_into_weights = value == "on";
    else if (key == "pad") o.lowering.pad_channels = value == "on";
    else params[key] = nlohmann::json::parse(value);
  }
  o.lowering.schedule_params = target.schedule.with_json(params);
  return o;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [--threads N] [--seconds S] --a OPTIONS --b OPTIONS\n",
                 argv[0]);
    return 2;
  }
  int threads = 1;
  double seconds = 10;
  std::string spec_a, spec_b;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--threads") threads = std::stoi(value);
    if (key == "--seconds") seconds = std::stod(value);
    if (key == "--a") spec_a = value;
    if (key == "--b") spec_b = value;
  }
  target::Target target = target::host_target();
  target.threads = threads;
  const graph::Graph g = onnx_io::import_onnx(argv[1]);
  const std::unique_ptr<runtime::CompiledModel> a = compiler::compile_model(g, options_of(spec_a, target));
  const std::unique_ptr<runtime::CompiledModel> b = compiler::compile_model(g, options_of(spec_b, target));
  std::vector<graph::Tensor> inputs, outputs;
  for (graph::ValueId v : g.inputs()) inputs.emplace_back(g.type(v));
  for (graph::ValueId v : g.outputs()) outputs.emplace_back(g.type(v));
  std::vector<const graph::Tensor*> in;
  std::vector<graph::Tensor*> out;
  for (const graph::Tensor& t : inputs) in.push_back(&t);
  for (graph::Tensor& t : outputs) out.push_back(&t);
  using Clock = std::chrono::steady_clock;
  const auto time_ms = [&](runtime::CompiledModel& m) {
    const auto start = Clock::now();
    m.run(in, out);
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  for (int i = 0; i < 5; ++i) time_ms(*a), time_ms(*b);
  std::vector<double> ms_a, ms_b, ratios;
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds || ms_a.size() < 10) {
    // Alternate which goes first, so neither always runs after the other's cache traffic.
    const bool a_first = ms_a.size() % 2 == 0;
    const double first = time_ms(a_first ? *a : *b), second = time_ms(a_first ? *b : *a);
    ms_a.push_back(a_first ? first : second);
    ms_b.push_back(a_first ? second : first);
    ratios.push_back(ms_b.back() / ms_a.back());
  }
  nlohmann::json j{{"model", argv[1]}, {"threads", threads}, {"a", spec_a}, {"b", spec_b},
                   {"pairs", ms_a.size()}, {"a_median_ms", median(ms_a)},
                   {"b_median_ms", median(ms_b)}, {"b_over_a", median(ratios)},
                   {"a_min_ms", *std::ranges::min_element(ms_a)},
                   {"b_min_ms", *std::ranges::min_element(ms_b)}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
