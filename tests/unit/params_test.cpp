// Parameter and option validation against a plugin's schema (one mechanism for behaviours,
// servers and reporters).
#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "plugins/params.hpp"

using namespace labour::plugins;

namespace {
PluginInfo sample() {
  PluginInfo p{};
  p.kind = Kind::Server;
  p.name = "sample";
  p.params = {
      {"workers", LABOUR_PARAM_INT, "1", 1.0, 64.0, {}, "worker processes"},
      {"timeout", LABOUR_PARAM_FLOAT, "30", 0.0, {}, {}, "seconds"},
      {"master", LABOUR_PARAM_BOOL, "true", {}, {}, {}, "run a master"},
      {"worker_class", LABOUR_PARAM_ENUM, "sync", {}, {}, {"sync", "gthread"}, "worker class"},
      {"command", LABOUR_PARAM_STRING, "", {}, {}, {}, "command line"},
  };
  return p;
}
std::string error_of(const RawParams& given) {
  try {
    validate(sample(), given, "--server x");
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("defaults are filled in and values canonicalised, in schema order", "[params]") {
  const auto v = validate(sample(), {{"command", "run me"}, {"timeout", "2.50"}, {"master", "no"}}, "t");
  REQUIRE(v.size() == 5);
  CHECK(v[0] == std::pair<std::string, std::string>{"workers", "1"});
  CHECK(v[1].second == "2.5");
  CHECK(v[2].second == "false");
  CHECK(v[3].second == "sync");
  CHECK(v[4].second == "run me");
}

TEST_CASE("bad values get one line naming the option and what is valid", "[params]") {
  CHECK_THAT(error_of({{"command", "x"}, {"workers", "two"}}),
             Catch::Contains("workers='two' is not an integer (expected an integer in 1..64)"));
  CHECK_THAT(error_of({{"command", "x"}, {"workers", "0"}}), Catch::Contains("is out of range"));
  CHECK_THAT(error_of({{"command", "x"}, {"timeout", "-1"}}), Catch::Contains("expected a number >= 0"));
  CHECK_THAT(error_of({{"command", "x"}, {"master", "maybe"}}), Catch::Contains("true or false"));
  CHECK_THAT(error_of({{"command", "x"}, {"worker_class", "async"}}), Catch::Contains("one of sync|gthread"));
  CHECK_THAT(error_of({{"command", "x"}, {"wrokers", "2"}}),
             Catch::Contains("unknown option 'wrokers'") &&
                 Catch::Contains("valid: workers, timeout, master, worker_class, command"));
  CHECK_THAT(error_of({}), Catch::Contains("needs option 'command'"));
  CHECK_THAT(error_of({{"command", "x"}, {"workers", "2"}, {"workers", "3"}}),
             Catch::Contains("given twice"));
  CHECK(error_of({{"command", "x"}}).empty());
}

TEST_CASE("name=value lists parse, and anything else is refused", "[params]") {
  CHECK(parse_assignments("a=1, b = x ,c=", "t") == RawParams{{"a", "1"}, {"b", "x"}, {"c", ""}});
  CHECK(parse_assignments("", "t").empty());
  CHECK_THROWS_WITH(parse_assignments("a=1,oops", "--server g"), Catch::Contains("'oops' is not name=value"));
  CHECK_THROWS_AS(parse_assignments("=1", "t"), labour::UsageError);
}

TEST_CASE("a comma written as \\, stays inside its value", "[params]") {
  CHECK(split_options("a=1,b=x\\,y,c") == std::vector<std::string>{"a=1", "b=x\\,y", "c"});
  CHECK(split_options("") == std::vector<std::string>{""});
  // Every other backslash is the value's own (a command line's quoting, say).
  CHECK(parse_assignments("command=sh -c \"a\\, b\\\\\",label=x\\,y", "t") ==
        RawParams{{"command", "sh -c \"a, b\\\\\""}, {"label", "x,y"}});
  // An unescaped comma outside quotes starts a piece that is not name=value: refused, with the way out.
  CHECK_THROWS_WITH(
      parse_assignments("command=sh -c exec a, b", "--server command"),
      Catch::Contains("'b' is not name=value") && Catch::Contains("a comma inside a value as \\,"));
}

// Issue 21: a comma before label= inside a command's quotes cut the command there.
TEST_CASE("a comma inside quotes stays inside its value", "[params]") {
  CHECK(parse_assignments("command=sh -c \"echo a, label=b\",label=mine", "t") ==
        RawParams{{"command", "sh -c \"echo a, label=b\""}, {"label", "mine"}});
  CHECK(parse_assignments("command=python3 -c 'print(1, 2)',workers=true", "t") ==
        RawParams{{"command", "python3 -c 'print(1, 2)'"}, {"workers", "true"}});
  // An escaped quote does not open one; a quote of the other kind inside quotes is literal.
  CHECK(split_options("a=x\\\",b=y") == std::vector<std::string>{"a=x\\\"", "b=y"});
  CHECK(split_options("a=\"it's, here\",b=y") == std::vector<std::string>{"a=\"it's, here\"", "b=y"});
  // An unclosed quote splits as if there were none, so the error names the piece at fault.
  CHECK(split_options("a=\"x,b=y") == std::vector<std::string>{"a=\"x", "b=y"});
}
