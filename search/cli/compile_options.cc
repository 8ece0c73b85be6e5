#include "search/cli/compile_options.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/onnx/onnx_import.h"
#include "compiler/support/error.h"
#include "compiler/target/target.h"
#include "compiler/tune/records.h"

namespace nas::cli {

namespace {

// "1x3x28x28" -> {1, 3, 28, 28}.
graph::Shape parse_shape(const std::string& text, const std::string& arg) {
  graph::Shape shape;
  std::stringstream in(text);
  for (std::string dim; std::getline(in, dim, 'x');) {
    size_t used = 0;
    int64_t n = -1;
    try {
      n = std::stoll(dim, &used);
    } catch (const std::exception&) {
    }
    if (used != dim.size() || n < 1)
      user_error("--shape {}: '{}' is not a positive dimension (expected e.g. 1x3x28x28)", arg,
                 dim);
    shape.push_back(n);
  }
  if (shape.empty()) user_error("--shape {}: no dimensions (expected e.g. 1x3x28x28)", arg);
  return shape;
}

// The dims of a declared type "f32[N,3,28,28]"; "" for unknown ones.
std::vector<std::string> declared_dims(const std::string& type) {
  const size_t open = type.find('['), close = type.rfind(']');
  std::vector<std::string> dims;
  if (open == std::string::npos || close == std::string::npos || close <= open + 1) return dims;
  std::stringstream in(type.substr(open + 1, close - open - 1));
  for (std::string d; std::getline(in, d, ',');) dims.push_back(d);
  return dims;
}

bool is_number(const std::string& s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void add_target_options(CLI::App* cmd, TargetArgs& args) {
  cmd->add_option("--target,-t", args.target,
                  "Target: host, host-sse4, host-avx2, host-avx512, aarch64[-CPU], or a "
                  "target .yaml file")
      ->capture_default_str();
  cmd->add_option("--threads", args.threads,
                  "Threads the model runs on (default: the target's; 1 for a named target)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--schedule", args.schedule,
                  "Kernel schedules: default (per op family and target) or naive (plain loops)")
      ->capture_default_str();
  cmd->add_option("--layout", args.layout,
                  "Activations between kernels: blocked (NCHW[x]c where the layout pass "
                  "chooses it) or nchw (all NCHW)")
      ->capture_default_str();
  cmd->add_option("--winograd", args.winograd,
                  "3x3 convolutions of stride 1: on (Winograd's algorithm where the target's "
                  "schedule constants winograd_tile and winograd_min_channels select it) or off "
                  "(all direct)")
      ->capture_default_str();
  cmd->add_option("--records", args.records,
                  "Tuning records (nas tune): each kernel whose workload they hold for this "
                  "target takes the fastest schedule measured");
}

compiler::CompileOptions compile_options(const TargetArgs& args) {
  compiler::CompileOptions options;
  options.target = target::parse_target(args.target);
  if (args.threads > 0) options.target.threads = args.threads;
  if (args.schedule == "default")
    options.lowering.schedule = lower::ScheduleChoice::Default;
  else if (args.schedule == "naive")
    options.lowering.schedule = lower::ScheduleChoice::Naive;
  else
    user_error("--schedule {}: expected default or naive", args.schedule);
  if (args.layout != "blocked" && args.layout != "nchw")
    user_error("--layout {}: expected blocked or nchw", args.layout);
  options.lowering.blocked_layout = args.layout == "blocked";
  if (args.winograd != "on" && args.winograd != "off")
    user_error("--winograd {}: expected on or off", args.winograd);
  options.lowering.winograd = args.winograd == "on";
  if (!args.records.empty()) {
    if (!std::filesystem::exists(args.records))
      user_error("--records {}: no such tuning records file (nas tune writes one)", args.records);
    const tune::TuningRecords records(args.records);
    options.target.schedule = records.fitted_schedule(options.target);
    options.lowering.tuned_params = records.best_params(options.target);
    options.lowering.winograd_direct = records.direct_convolutions(options.target);
  }
  if (const char* dump = std::getenv("NAS_DUMP_IR")) options.dump = compiler::parse_ir_dump(dump);
  return options;
}

void require_runnable(const target::Target& target) {
  if (!target::can_run_here(target)) throw UserError(target::why_not_runnable(target));
}

graph::Graph import_with_shapes(const std::string& path, const std::vector<std::string>& shapes) {
  const std::vector<onnx_io::OnnxInputInfo> declared = onnx_io::onnx_graph_inputs(path);
  std::vector<std::string> names;
  for (const auto& in : declared) names.push_back(in.name);
  onnx_io::ImportOptions options;
  for (const std::string& arg : shapes) {
    const size_t eq = arg.find('=');
    std::string name;
    if (eq == std::string::npos) {
      if (declared.size() != 1)
        user_error("--shape {}: the model has {} inputs ({}); name one as NAME=SHAPE", arg,
                   declared.size(), fmt::join(names, ", "));
      name = declared[0].name;
    } else {
      name = arg.substr(0, eq);
      if (std::ranges::find(names, name) == names.end())
        user_error("--shape {}: the model has no input '{}' (inputs: {})", arg, name,
                   fmt::join(names, ", "));
    }
    if (options.input_shapes.count(name))
      user_error("--shape {}: input '{}' is given twice", arg, name);
    options.input_shapes[name] = parse_shape(eq == std::string::npos ? arg : arg.substr(eq + 1), arg);
  }
  for (const auto& in : declared) {
    if (options.input_shapes.count(in.name)) continue;
    const std::vector<std::string> dims = declared_dims(in.type);
    if (in.type.ends_with("[]")) {  // a scalar
      options.input_shapes[in.name] = {};
      continue;
    }
    const bool rest_static =
        !dims.empty() && std::all_of(dims.begin() + 1, dims.end(), is_number);
    if (!rest_static)
      user_error("input '{}' ({}) has no static shape; pass --shape {}=DxDx...", in.name,
                 in.type, in.name);
    graph::Shape shape{is_number(dims[0]) ? std::stoll(dims[0]) : 1};
    for (size_t d = 1; d < dims.size(); ++d) shape.push_back(std::stoll(dims[d]));
    options.input_shapes[in.name] = shape;
  }
  return onnx_io::import_onnx(path, options);
}

}  // namespace nas::cli
