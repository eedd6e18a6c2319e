// The two kinds of failure the CLI turns into exit codes (docs/cli.md):
// UsageError = the user's input is wrong (exit 2); RunError = the run could not be done (exit 1).
// Both carry one line that names the input, what is wrong and how to fix it.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace labour {

// Exit codes of every command (docs/cli.md).
constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;  // RunError
constexpr int kExitUsage = 2;      // UsageError
constexpr int kExitInterrupted = 130;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// SIGINT or SIGTERM arrived while a step that cannot be resumed ran (exit 130); what labour
// started for it has been stopped.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "a, b, c" for messages that list the valid choices.
inline std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

}  // namespace labour
