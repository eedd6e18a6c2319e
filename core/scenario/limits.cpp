#include "scenario/limits.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "common/errors.hpp"

namespace labour::scenario {

namespace {

std::string limit_text(double v) {
  std::ostringstream out;
  out.precision(16);
  out << v;
  return out.str();
}

// `shown`: the value as the user wrote it.
std::string range_text(const SettingLimit& limit) {
  std::string range = limit_text(limit.min) + " to " + limit_text(limit.max) + limit.unit;
  if (limit.min_nonzero > 0)
    range += std::string(" (") + limit_text(limit.min) + ": " + limit.zero_means + "; otherwise at least " +
             limit_text(limit.min_nonzero) + ")";
  return range;
}

// A value as an error shows it: at most 40 characters of it (a 200 KB value is not repeated).
std::string shown_text(const std::string& text) {
  if (text.size() <= 60) return text;
  return text.substr(0, 60) + "... (" + std::to_string(text.size()) + " characters)";
}

std::string error_for(double value, const SettingLimit& limit, const std::string& shown_given) {
  const std::string range = range_text(limit);
  const std::string shown = shown_text(shown_given);
  if (!std::isfinite(value)) return "must be a finite number, " + range + ", not " + shown;
  if (limit.integer && value != std::floor(value))
    return "must be a whole number, " + range + ", not " + shown;
  if (value < limit.min || value > limit.max || (value != limit.min && value < limit.min_nonzero))
    return "must be " + range + ", not " + shown;
  return "";
}

}  // namespace

std::string setting_error(double value, const SettingLimit& limit) {
  return error_for(value, limit, limit_text(value));
}

std::string setting_error(std::string& text, const SettingLimit& limit) {
  const std::string not_a_number = std::string("'") + shown_text(text) + "' is not a number; write " +
                                   (limit.integer ? "a whole number " : "a number ") + limit_text(limit.min) +
                                   " to " + limit_text(limit.max) + limit.unit;
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return not_a_number;
  // Whole numbers in decimal digits are read exactly (2^53 + 1 is not 2^53, 010 is ten).
  const bool negative = text[0] == '-';
  if (limit.integer && text.size() > (negative ? 1u : 0u) &&
      text.find_first_not_of("0123456789", negative ? 1 : 0) == std::string::npos) {
    std::uint64_t magnitude = 0;
    const auto [end, error] =
        std::from_chars(text.data() + (negative ? 1 : 0), text.data() + text.size(), magnitude);
    const std::string range = range_text(limit);
    if (error != std::errc() || end != text.data() + text.size() ||
        (negative && magnitude > 0 && limit.min >= 0) ||
        static_cast<long double>(magnitude) > static_cast<long double>(limit.max) ||
        static_cast<long double>(magnitude) < static_cast<long double>(limit.min))
      return "must be " + range + ", not " + shown_text(text);
    text = std::to_string(magnitude);  // what the option converts: decimal, never octal
    return "";
  }
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);  // underflow is 0, overflow infinite
  if (end != text.c_str() + text.size()) return not_a_number;
  if (const std::string error = error_for(value, limit, text); !error.empty()) return error;
  if (limit.integer) text = std::to_string(static_cast<std::uint64_t>(value));  // 1e6 -> 1000000
  return "";
}

std::string setting_error(std::int64_t value, const SettingLimit& limit) {
  if (!limit.integer) return setting_error(static_cast<double>(value), limit);
  // The limits of whole numbers are whole and below 2^63: compared as integers.
  const auto min = static_cast<std::int64_t>(limit.min), max = static_cast<std::int64_t>(limit.max);
  if (value < min || value > max) return "must be " + range_text(limit) + ", not " + std::to_string(value);
  return "";
}

double check_setting(double value, const SettingLimit& limit, const std::string& what) {
  if (const std::string error = setting_error(value, limit); !error.empty())
    throw UsageError(what + ": " + error);
  return value;
}

}  // namespace labour::scenario
