// `nas ops [--json]`: the op registry as a table or JSON (the outside checker reads it to
// know which ops it must cover), with whether the compiler lowers each op or why not.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/graph/op_registry.h"
#include "compiler/lower/op_lowering.h"
#include "search/cli/commands.h"

namespace nas::cli {

void add_ops_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ops", "List the registered ops");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json] {
    using graph::OpRegistry;
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const graph::OpDef* op : OpRegistry::instance().ops()) {
        const lower::OpLowering& lowering = lower::op_lowering(*op);
        out.push_back({{"name", op->name},
                       {"doc", op->doc},
                       {"fusion", graph::fusion_class_name(op->fusion)},
                       {"onnx_op", op->onnx.op_type},
                       {"differentiable", static_cast<bool>(op->gradient)},
                       {"gradient_of", op->gradient_of},
                       {"compiled", lowering.lowered()},
                       {"not_compiled_because", lowering.not_lowered}});
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const graph::OpDef* op : OpRegistry::instance().ops())
      std::cout << fmt::format("{:<26} {:<15} {:<20} {:<9} {}\n", op->name,
                               graph::fusion_class_name(op->fusion),
                               op->onnx.op_type.empty() ? "(internal)" : op->onnx.op_type,
                               lower::op_lowering(*op).lowered() ? "compiled" : "-", op->doc);
  });
}

}  // namespace nas::cli
