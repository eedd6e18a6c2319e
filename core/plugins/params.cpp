#include "plugins/params.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/errors.hpp"

namespace labour::plugins {

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

std::vector<std::string> split_options(std::string_view text) {
  std::vector<std::string> out(1);
  char quote = 0;  // the quote a value is inside of, or 0
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\\' && i + 1 < text.size() && quote != '\'' &&
        (text[i + 1] == ',' || text[i + 1] == '"' || text[i + 1] == '\'' || text[i + 1] == '\\'))
      out.back() += text.substr(i++, 2);  // an escaped comma, quote or backslash: kept, never a separator
    else if (ch == ',' && !quote)
      out.emplace_back();
    else {
      if ((ch == '"' || ch == '\'') && (!quote || quote == ch)) quote = quote ? 0 : ch;
      out.back() += ch;
    }
  }
  // An unclosed quote: split as if there were no quotes, so the error names the piece at fault.
  if (quote) {
    std::vector<std::string> plain(1);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == ',')
        plain.back() += text.substr(i++, 2);
      else if (text[i] == ',')
        plain.emplace_back();
      else
        plain.back() += text[i];
    }
    return plain;
  }
  return out;
}

RawParams parse_assignments(std::string_view text, std::string_view what) {
  RawParams out;
  for (const auto& piece : split_options(text)) {
    std::string item = trim(piece);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(std::string(what) + ": '" + item +
                       "' is not name=value (write e.g. workers=2,timeout=5; a comma inside a value as \\,)");
    std::string value;
    for (std::size_t i = eq + 1; i < item.size(); ++i)
      if (!(item[i] == '\\' && i + 1 < item.size() && item[i + 1] == ',')) value += item[i];
    out.emplace_back(trim(item.substr(0, eq)), trim(value));
  }
  return out;
}

std::string describe_domain(const ParamInfo& p) {
  auto range = [&](const char* noun) {
    std::string s = noun;
    if (p.min && p.max)
      s += " in " + number_text(*p.min) + ".." + number_text(*p.max);
    else if (p.min)
      s += " >= " + number_text(*p.min);
    else if (p.max)
      s += " <= " + number_text(*p.max);
    return s;
  };
  switch (p.type) {
    case LABOUR_PARAM_INT:
      return range("an integer");
    case LABOUR_PARAM_FLOAT:
      return range("a number");
    case LABOUR_PARAM_BOOL:
      return "true or false";
    case LABOUR_PARAM_STRING:
      return "text";
    case LABOUR_PARAM_ENUM:
      return "one of " + join(p.choices, "|");
  }
  return "?";
}

bool canonicalize(const ParamInfo& p, std::string_view text, std::string& out, std::string& why) {
  const std::string t = trim(text);
  auto in_range = [&](double v) {
    if ((p.min && v < *p.min) || (p.max && v > *p.max)) {
      why = "is out of range (expected " + describe_domain(p) + ")";
      return false;
    }
    return true;
  };
  switch (p.type) {
    case LABOUR_PARAM_INT: {
      long long v = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
        why = "is not an integer (expected " + describe_domain(p) + ")";
        return false;
      }
      if (!in_range(static_cast<double>(v))) return false;
      out = std::to_string(v);
      return true;
    }
    case LABOUR_PARAM_FLOAT: {
      double v = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) {
        why = "is not a number (expected " + describe_domain(p) + ")";
        return false;
      }
      if (!in_range(v)) return false;
      out = number_text(v);
      return true;
    }
    case LABOUR_PARAM_BOOL: {
      std::string lower = t;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (lower == "true" || lower == "yes" || lower == "on" || lower == "1")
        out = "true";
      else if (lower == "false" || lower == "no" || lower == "off" || lower == "0")
        out = "false";
      else {
        why = "is not a boolean (expected true or false)";
        return false;
      }
      return true;
    }
    case LABOUR_PARAM_STRING:
      out = std::string(text);
      return true;
    case LABOUR_PARAM_ENUM:
      if (std::find(p.choices.begin(), p.choices.end(), t) == p.choices.end()) {
        why = "is not valid (expected " + describe_domain(p) + ")";
        return false;
      }
      out = t;
      return true;
  }
  why = "has an unknown type";
  return false;
}

ParamValues validate(const PluginInfo& plugin, const RawParams& given, std::string_view what) {
  const std::string noun = plugin.kind == Kind::Behaviour ? "parameter" : "option";
  std::vector<std::string> valid;
  for (const auto& p : plugin.params) valid.push_back(p.name);
  for (std::size_t i = 0; i < given.size(); ++i) {
    const auto& name = given[i].first;
    if (std::none_of(plugin.params.begin(), plugin.params.end(),
                     [&](const ParamInfo& p) { return p.name == name; }))
      throw UsageError(std::string(what) + ": unknown " + noun + " '" + name + "' for " +
                       std::string(kind_name(plugin.kind)) + " " + plugin.name + did_you_mean(name, valid) +
                       (valid.empty() ? " (it takes none)" : " (valid: " + join(valid) + ")"));
    for (std::size_t j = 0; j < i; ++j)
      if (given[j].first == name)
        throw UsageError(std::string(what) + ": " + noun + " '" + name + "' is given twice");
  }
  ParamValues out;
  for (const auto& p : plugin.params) {
    const auto it =
        std::find_if(given.begin(), given.end(), [&](const auto& g) { return g.first == p.name; });
    if (it == given.end() && p.default_value.empty())
      throw UsageError(std::string(what) + ": " + plugin.name + " needs " + noun + " '" + p.name + "' (" +
                       p.help + ")");
    const std::string raw = it == given.end() ? p.default_value : it->second;
    std::string canonical, why;
    if (!canonicalize(p, raw, canonical, why))
      throw UsageError(std::string(what) + ": " + plugin.name + " " + noun + " " + p.name + "='" + raw +
                       "' " + why);
    out.emplace_back(p.name, canonical);
  }
  return out;
}

}  // namespace labour::plugins
