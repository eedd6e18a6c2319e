// `labour load`: plain GET load against one URL, printed like wrk (or as JSON).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace labour::cli {

// Adds the `load` subcommand to `root`; when it is chosen, sets `action` to a function that
// runs it and returns the exit code: 0 ok, 2 bad input (one line on stderr), 130 stopped
// by Ctrl-C (results measured so far are still printed).
void add_load_command(CLI::App& root, std::function<int()>& action);

}  // namespace labour::cli
