// User-given parameters and options, checked against a plugin's declared schema. The same
// checks serve behaviour parameters (scenarios), server options (--server) and reporter
// options (--report), so every plugin gets the same errors and the same canonical values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/registry.hpp"

namespace labour::plugins {

using RawParams = std::vector<std::pair<std::string, std::string>>;  // as the user wrote them

// "a=1,b=x" -> {"a=1", "b=x"}: the text split at each comma not written as \, and not inside
// quotes ('...' or "...", as a command line quotes its words: `sh -c "a, label=b"` stays one
// value). Pieces keep their \, and quotes, so they can be split again.
std::vector<std::string> split_options(std::string_view text);

// "a=1,b=x" -> {{"a","1"},{"b","x"}}; "msg=a\,b" -> {{"msg","a,b"}}. `what` names the input
// in errors.
RawParams parse_assignments(std::string_view text, std::string_view what);

// Checks every given parameter against `plugin`'s schema and fills in defaults. Throws
// UsageError naming `what`, the parameter, what is wrong and what is valid.
ParamValues validate(const PluginInfo& plugin, const RawParams& given, std::string_view what);

// Canonical text for one value of `param` (e.g. "0.50" -> "0.5", "yes" -> "true"), or an
// explanation of what is expected.
bool canonicalize(const ParamInfo& param, std::string_view text, std::string& out, std::string& why);

// "an integer in 1..64", "one of sync|gthread", ... for errors and `labour list`.
std::string describe_domain(const ParamInfo& param);

}  // namespace labour::plugins
