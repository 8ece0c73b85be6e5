// `nas export DIR [--top K]`: trains the experiment's winners (the best within each of its
// final.budgets, then its top-K feasible architectures) with the final recipe and exports
// them to DIR/winners/*.onnx with their test accuracy (DIR/winners/winners.json).
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "compiler/support/error.h"
#include "search/cli/commands.h"
#include "search/report.h"
#include "search/report_html.h"
#include "search/winners.h"

namespace nas::cli {

void add_export_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto top = std::make_shared<std::optional<int>>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Train the experiment's winners with the final recipe, export ONNX");
  cmd->add_option("dir", *dir, "The experiment folder")->required();
  cmd->add_option("--top", *top,
                  "How many of the best to export, beside the best within each of the "
                  "config's final.budgets (default: the config's final.top_k, else 3)");
  cmd->callback([dir, top] {
    if (*top && **top < 1)
      user_error("--top: the number of winners to export must be at least 1 (got {})", **top);
    const search::Experiment e = search::load_experiment(*dir);
    if (!e.space.network() || !e.final_recipe)
      user_error("{}: the experiment does not say how to build and train its architectures "
                 "(no search space file or final recipe)",
                 *dir);
    const search::FinalRecipe recipe = e.final_recipe();
    search::WinnerSelection selection = e.final_selection;
    if (*top) selection.top_k = **top;
    else if (selection.top_k == 0 && selection.budgets.empty()) selection.top_k = 3;
    const std::vector<search::Winner> winners =
        search::export_winners(*dir, e.records, e.space, e.objectives, e.constraints, recipe,
                               selection);
    search::write_report_html(*dir, e.records, e.space, e.objectives, e.constraints);
    for (const search::Winner& w : winners) {
      const std::string outcome =
          w.file.empty() ? fmt::format("{}: {}", evaluator::status_name(w.final_result.status),
                                       w.final_result.reason)
                         : fmt::format("{} epochs  test accuracy {:.4f}  winners/{}", w.epochs,
                                       w.final_result.test_accuracy.value_or(0), w.file);
      std::cout << fmt::format("{}. trial {} ({})  {}  {}\n", w.rank, w.trial, w.picked_for,
                               outcome, w.arch);
    }
  });
}

}  // namespace nas::cli
