// The limits of the load settings (requests, duration, concurrency, ...), one set of rules for
// the command line and scenario files alike.
#pragma once

#include <cstdint>
#include <string>

namespace labour::scenario {

// The limits of a load setting, the same on the command line and in a scenario file
// (docs/scenarios.md, "Limits"): a value outside them is refused with the limit named, never
// clamped or wrapped; infinities and NaNs are refused too.
struct SettingLimit {
  const char* name;  // as a scenario file spells it
  double min, max;
  bool integer;
  const char* unit;  // "" or " s", " requests/s"
  // > 0: a value above `min` must be at least this (rate: 0 is the closed model, and a rate
  // so small that its period overflows the engine's clock would never send its next request).
  double min_nonzero = 0;
  const char* zero_means = "";  // what `min` means when min_nonzero is set, e.g. "the closed model"
};
namespace limits {
constexpr SettingLimit requests{"requests", 1, 1e12, true, ""};
constexpr SettingLimit duration{"duration", 0.001, 86400, false, " s"};
constexpr SettingLimit concurrency{"concurrency", 1, 10000, true, ""};
constexpr SettingLimit threads{"threads", 1, 64, true, ""};
// One request every 1000 s at the least: the engine's schedule (k * threads / rate, in 64-bit
// nanoseconds) stays far from overflowing, for every thread count.
constexpr SettingLimit rate{"rate", 0, 1e7, false, " requests/s", 0.001, "the closed model"};
constexpr SettingLimit timeout{"timeout", 0.001, 3600, false, " s"};
constexpr SettingLimit seed{"seed", 0, 9007199254740992.0, true, ""};  // 2^53: kept exact in JSON

constexpr SettingLimit timeout_ms{"timeout", 1, 3600000, true, " ms"};  // the command line's unit
}  // namespace limits

// Why a value is not within `limit` ("must be 1 to 1e+12, not 1e+23"), or "" when it is. The
// text form is a command-line value: the whole text must be the number; a whole number is
// read exactly and `text` rewritten in plain decimal, the form the option then converts
// ("010" -> "10", "1e6" -> "1000000").
std::string setting_error(double value, const SettingLimit& limit);
std::string setting_error(std::string& text, const SettingLimit& limit);
// An integer as a scenario file holds it, compared exactly (2^53 + 1 is not 2^53).
std::string setting_error(std::int64_t value, const SettingLimit& limit);
// `value` if it is within `limit`; else throws UsageError "<what>: <setting_error>".
double check_setting(double value, const SettingLimit& limit, const std::string& what);

// Limits of other numbers labour reads (CLI options, scenario keys), checked the same way.
namespace limits {
constexpr SettingLimit tolerance{"tolerance", 0, 10000, false, " %"};
constexpr SettingLimit ready_timeout{"ready-timeout", 0.1, 600, false, " s"};
}  // namespace limits

}  // namespace labour::scenario
