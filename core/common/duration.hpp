// Durations on the command line: "10s", "500ms", "2m", "1h", or plain seconds ("2.5").
#pragma once

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

#include "common/errors.hpp"

namespace labour {

// `what` names the input in the error, e.g. "-d '3x'".
inline std::chrono::milliseconds parse_duration(const std::string& text, const std::string& what) {
  const UsageError bad(what + ": not a duration (use e.g. 10s, 500ms, 2m, or seconds)");
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) throw bad;
  double value = 0;
  try {
    value = std::stod(text.substr(0, i));
  } catch (...) {
    throw bad;
  }
  const std::string unit = text.substr(i);
  double ms;
  if (unit.empty() || unit == "s")
    ms = value * 1000;
  else if (unit == "ms")
    ms = value;
  else if (unit == "m" || unit == "min")
    ms = value * 60000;
  else if (unit == "h")
    ms = value * 3600000;
  else
    throw bad;
  if (!(ms >= 1) || ms > 1e12) throw UsageError(what + ": must be between 1ms and ~30 years");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

}  // namespace labour
