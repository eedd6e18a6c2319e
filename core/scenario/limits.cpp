#include "scenario/limits.hpp"

#include <cctype>
#include <cmath>
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
std::string error_for(double value, const SettingLimit& limit, const std::string& shown) {
  const std::string range = limit_text(limit.min) + " to " + limit_text(limit.max) + limit.unit;
  if (!std::isfinite(value)) return "must be a finite number, " + range + ", not " + shown;
  if (limit.integer && value != std::floor(value))
    return "must be a whole number, " + range + ", not " + shown;
  if (value < limit.min || value > limit.max) return "must be " + range + ", not " + shown;
  return "";
}

}  // namespace

std::string setting_error(double value, const SettingLimit& limit) {
  return error_for(value, limit, limit_text(value));
}

std::string setting_error(const std::string& text, const SettingLimit& limit) {
  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::out_of_range&) {
    value = std::numeric_limits<double>::infinity();  // beyond any double: named as not finite
    used = text.size();
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || std::isspace(static_cast<unsigned char>(text[0])))
    return std::string("'") + text + "' is not a number; write " +
           (limit.integer ? "a whole number " : "a number ") + limit_text(limit.min) + " to " +
           limit_text(limit.max) + limit.unit;
  return error_for(value, limit, text);
}

double check_setting(double value, const SettingLimit& limit, const std::string& what) {
  if (const std::string error = setting_error(value, limit); !error.empty())
    throw UsageError(what + ": " + error);
  return value;
}

}  // namespace labour::scenario
