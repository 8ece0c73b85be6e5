// The `nas` command line. Exit codes: 0 success, 2 bad usage or bad input (one line on
// stderr), 1 internal error.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "compiler/support/error.h"
#include "search/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"nas: hardware-aware neural architecture search with its own compiler"};
  app.set_version_flag("--version", std::string("nas ") + NAS_VERSION);
  app.require_subcommand(1);
  nas::cli::add_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "nas: " << e.what() << " (see nas --help)\n";
    return 2;
  } catch (const nas::UserError& e) {
    std::cerr << "nas: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "nas: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
