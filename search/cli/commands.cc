#include "search/cli/commands.h"

namespace nas::cli {

void add_commands(CLI::App& app) {
  add_ops_command(app);
  add_run_command(app);
  add_compile_command(app);
  add_bench_command(app);
  add_tune_command(app);
  add_train_command(app);
  add_make_model_command(app);
  add_space_command(app);
  add_report_command(app);
  add_export_command(app);
  add_search_command(app);
}

}  // namespace nas::cli
