// Registers the `nas` subcommands; each lives in its own cmd_*.cc and runs as a CLI11
// callback, throwing nas::UserError for bad input.
#pragma once

#include <CLI/CLI.hpp>

namespace nas::cli {

void add_commands(CLI::App& app);

// One per subcommand file.
void add_ops_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_compile_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_make_model_command(CLI::App& app);
void add_space_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_search_command(CLI::App& app);

}  // namespace nas::cli
