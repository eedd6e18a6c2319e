// The two kinds of failure the CLI turns into exit codes (docs/cli.md):
// UsageError = the user's input is wrong (exit 2); RunError = the run could not be done (exit 1).
// Both carry one line that names the input, what is wrong and how to fix it.
#pragma once

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>
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

// A value from the user as a one-line error quotes it: whole when short, else its first 60
// characters and its length, so that a 200 KB value is not repeated in the message.
inline std::string quote_input(std::string_view text, std::size_t keep = 60) {
  if (text.size() <= keep) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, keep)) + "...' (" + std::to_string(text.size()) + " characters)";
}

// "; did you mean 'gunicorn'?" when one of `known` is close to `name` (a typo: at most a third
// of its letters changed, added, dropped or swapped, case aside), else "". Every message about
// an unknown name or key ends with it, so there is one rule for what "close" is.
inline std::string did_you_mean(std::string_view name, const std::vector<std::string>& known) {
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string a = lower(name);
  if (a.empty() || a.size() > 200) return "";
  std::size_t best = std::string::npos, best_distance = std::max<std::size_t>(1, a.size() / 3) + 1;
  for (std::size_t k = 0; k < known.size(); ++k) {
    const std::string b = lower(known[k]);
    if (b.size() > 200) continue;
    // Optimal string alignment distance: edits and swaps of neighbours.
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    if (d[a.size()][b.size()] < best_distance) {
      best_distance = d[a.size()][b.size()];
      best = k;
    }
  }
  return best == std::string::npos ? "" : "; did you mean '" + known[best] + "'?";
}

}  // namespace labour
