// The console and json reporters, loaded from their .so files through the C descriptor the
// way the host loads them, rendering results documents built here.
#include <dlfcn.h>
#include <labour/plugin_api.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;  // ordered, so a round trip must keep the field order too

// ------------------------------------------------------------------ loading ----------

class Library {
 public:
  explicit Library(const std::string& name) {
    const std::string path =
        std::string(LABOUR_REPORTER_TEST_PLUGIN_DIR) + "/labour_reporter_" + name + ".so";
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) FAIL("cannot load " << path << ": " << dlerror());
    auto entry = reinterpret_cast<labour_plugin_entry_fn>(dlsym(handle_, LABOUR_PLUGIN_ENTRY_SYMBOL));
    if (!entry) FAIL(path << " has no " << LABOUR_PLUGIN_ENTRY_SYMBOL);
    plugin_ = entry();
  }
  ~Library() {
    if (handle_) dlclose(handle_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  const labour_plugin_t& plugin() const { return *plugin_; }

 private:
  void* handle_ = nullptr;
  const labour_plugin_t* plugin_ = nullptr;
};

std::string text(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }

struct Rendered {
  int rc = 0;
  std::string output;
  std::string error;  // last_error when rc != 0
};

int32_t collect(void* ctx, labour_str_t bytes) {
  static_cast<std::string*>(ctx)->append(bytes.data, bytes.len);
  return 0;
}
int32_t refuse(void*, labour_str_t) { return 5; }

void ignore_log(void*, labour_log_level_t, labour_str_t) {}

// One instance, created from every declared parameter in schema order (defaults unless
// `values` says otherwise), as the host does after validation.
class Instance {
 public:
  Instance(const Library& lib, const std::map<std::string, std::string>& values = {})
      : plugin_(lib.plugin()) {
    std::vector<std::string> names, texts;
    for (uint32_t i = 0; i < plugin_.param_count; ++i) {
      const std::string name = text(plugin_.params[i].name);
      auto it = values.find(name);
      names.push_back(name);
      texts.push_back(it != values.end() ? it->second : text(plugin_.params[i].default_value));
    }
    std::vector<labour_param_value_t> params;
    for (std::size_t i = 0; i < names.size(); ++i)
      params.push_back({{names[i].data(), names[i].size()}, {texts[i].data(), texts[i].size()}});
    host_ = {sizeof host_, nullptr, &ignore_log};
    char error[512] = "";
    self_ = plugin_.plugin_on_create(&host_, params.data(), static_cast<uint32_t>(params.size()), error,
                                     sizeof error);
    create_error_ = error;
  }
  ~Instance() {
    if (self_) plugin_.plugin_on_destroy(self_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool created() const { return self_ != nullptr; }
  const std::string& create_error() const { return create_error_; }

  Rendered render(const std::string& document, bool sink_fails = false) {
    REQUIRE(self_);
    Rendered r;
    const labour_sink_t sink{&r.output, sink_fails ? &refuse : &collect};
    const auto* api = static_cast<const labour_reporter_api_t*>(plugin_.kind_api);
    r.rc = api->reporter_on_render(self_, {document.data(), document.size()}, &sink);
    if (r.rc != 0) r.error = text(plugin_.plugin_on_last_error(self_));
    return r;
  }

 private:
  const labour_plugin_t& plugin_;
  labour_host_api_t host_{};
  labour_instance_t* self_ = nullptr;
  std::string create_error_;
};

// ------------------------------------------------------------------ patterns ---------
// Expected lines are regular expressions (whole line) with placeholders for numbers that
// vary or do not matter: %int, %float.

std::regex pattern(const std::string& p) {
  std::string re;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p.compare(i, 4, "%int") == 0) {
      re += "[0-9]+";
      i += 3;
    } else if (p.compare(i, 6, "%float") == 0) {
      re += "[0-9]+\\.[0-9]+";
      i += 5;
    } else {
      re += p[i];
    }
  }
  return std::regex(re);
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Index of the first line at or after `from` that matches, or -1.
long find_line(const std::string& output, const std::string& p, std::size_t from = 0) {
  const std::regex re = pattern(p);
  const auto all = lines(output);
  for (std::size_t i = from; i < all.size(); ++i)
    if (std::regex_match(all[i], re)) return static_cast<long>(i);
  return -1;
}

#define CHECK_LINE(output, p)             \
  do {                                    \
    INFO("pattern: " << (p));             \
    CHECK(find_line((output), (p)) >= 0); \
  } while (false)

// ------------------------------------------------------------------ documents --------

Json behaviour(const std::string& name, Json params, int weight, bool innocent, uint64_t sent,
               uint64_t unexpected, Json outcomes) {
  return Json{{"name", name},
              {"params", std::move(params)},
              {"weight", weight},
              {"innocent", innocent},
              {"sent", sent},
              {"expected", sent - unexpected},
              {"unexpected", unexpected},
              {"outcomes", std::move(outcomes)},
              {"latency_us",
               {{"count", sent - unexpected},
                {"min", 90},
                {"p50", 412},
                {"p90", 900},
                {"p99", 1203},
                {"p999", 4000},
                {"max", 5100},
                {"mean", 450.5}}}};
}

// A completed test: half PlainResponse (all fine), half SIGSEGV with `unexpected` failures.
Json completed(const std::string& label, const std::string& version, const std::string& scenario,
               uint64_t sent, uint64_t unexpected, double rps) {
  const uint64_t half = sent / 2;
  const double pct = 100.0 * static_cast<double>(unexpected) / static_cast<double>(sent);
  return Json{
      {"label", label},
      {"server", {{"name", label}, {"label", label}, {"version", version}, {"options", {{"workers", "2"}}}}},
      {"scenario",
       {{"name", scenario},
        {"source", "builtin"},
        {"policy", "random"},
        {"requests", sent},
        {"duration_s", 0},
        {"concurrency", 8},
        {"rate", 0},
        {"timeout_ms", 10000},
        {"seed", 1}}},
      {"status", "completed"},
      {"duration_s", static_cast<double>(sent) / rps},
      {"requests_per_second", rps},
      {"totals",
       {{"sent", sent},
        {"expected", sent - unexpected},
        {"unexpected", unexpected},
        {"failure_pct", pct},
        {"innocent_sent", half},
        {"innocent_unexpected", 0}}},
      {"verdict", pct > 10.0 ? "failed" : "passed"},
      {"behaviours",
       {behaviour("PlainResponse", {{"status", "200"}, {"bytes", "6"}}, 50, true, half, 0,
                  {{"http_200", half}}),
        behaviour("SIGSEGV", Json::object(), 50, false, sent - half, unexpected,
                  {{"http_500", unexpected}, {"reset_before_response", sent - half - unexpected}})}},
      {"timeline",
       {{"bucket_ms", 100}, {"sent", {{1, 2}}}, {"expected", {{1, 2}}}, {"unexpected", {{0, 0}}}}},
      {"supervision",
       {{"port", 40123},
        {"start_seconds", 0.4},
        {"stop_signal", "SIGINT"},
        {"stop_seconds", 0.1},
        {"orphans", 0},
        {"exit", "exit status 0"}}}};
}

// A test that did not complete: only the fields such a test is guaranteed to have.
Json incomplete(const std::string& label, const std::string& scenario, const std::string& status,
                const std::string& error) {
  return Json{{"label", label},
              {"server", {{"name", label}, {"label", label}, {"version", "2.1.2"}}},
              {"scenario", {{"name", scenario}}},
              {"status", status},
              {"error", error}};
}

Json document(Json tests) {
  return Json{{"schema_version", 1},
              {"tool", {{"name", "labour"}, {"version", "0.1.0"}}},
              {"environment",
               {{"hostname", "testhost"},
                {"kernel", "Linux 6.1 x86_64"},
                {"cpus", 2},
                {"python", "/usr/bin/python3"},
                {"python_version", "3.11.2"},
                {"started_at", "2026-11-25T17:00:00Z"}}},
              {"tests", std::move(tests)}};
}

// gunicorn x {Plain, SIGSEGV} completed (SIGSEGV above 10 % failures); waitress x Plain
// completed, waitress x SIGSEGV failed before any load.
Json matrix_document() {
  return document(Json::array(
      {completed("gunicorn", "20.1.0", "Plain", 200, 0, 812.4),
       completed("gunicorn", "20.1.0", "SIGSEGV", 200, 90, 150.0),
       completed("waitress", "2.1.2", "Plain", 300, 3, 45.3),
       incomplete("waitress", "SIGSEGV", "failed", "waitress exited before it was ready: exit status 1")}));
}

}  // namespace

// ------------------------------------------------------------------ descriptors ------

TEST_CASE("reporter descriptors declare their kind, name and options", "[reporters]") {
  Library console("console"), json("json");
  CHECK(console.plugin().kind == LABOUR_KIND_REPORTER);
  CHECK(console.plugin().abi_major == LABOUR_ABI_MAJOR);
  CHECK(text(console.plugin().name) == "console");
  REQUIRE(console.plugin().param_count == 2);
  CHECK(text(console.plugin().params[0].name) == "color");
  CHECK(console.plugin().params[0].type == LABOUR_PARAM_ENUM);
  CHECK(text(console.plugin().params[0].choices) == "auto|always|never");
  CHECK(text(console.plugin().params[0].default_value) == "never");
  CHECK(text(console.plugin().params[1].name) == "matrix");
  CHECK(text(console.plugin().params[1].default_value) == "auto");

  CHECK(json.plugin().kind == LABOUR_KIND_REPORTER);
  CHECK(text(json.plugin().name) == "json");
  REQUIRE(json.plugin().param_count == 1);
  CHECK(text(json.plugin().params[0].name) == "indent");
  CHECK(json.plugin().params[0].type == LABOUR_PARAM_INT);
  CHECK(json.plugin().params[0].min == 0);
  CHECK(json.plugin().params[0].max == 8);
}

// ------------------------------------------------------------------ console ----------

TEST_CASE("console prints the summary of every test", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  REQUIRE(console.created());
  const Rendered r = console.render(matrix_document().dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  const std::string& out = r.output;

  CHECK_LINE(out,
             "labour 0\\.1\\.0 on testhost \\(Linux 6\\.1 x86_64, 2 cpus\\), python 3\\.11\\.2 "
             "\\(/usr/bin/python3\\), started 2026-11-25T17:00:00Z");

  // A test that went well.
  const long plain = find_line(out, "gunicorn 20\\.1\\.0, scenario Plain: completed");
  REQUIRE(plain >= 0);
  CHECK(find_line(out, "  server options: workers=2", plain) == plain + 1);
  CHECK(find_line(out,
                  "  scenario: builtin, random policy, 200 requests, concurrency 8, timeout 10000 ms, seed 1",
                  plain) == plain + 2);
  CHECK(find_line(out, "  sent 200 requests in %float s: 812\\.4 req/s", plain) == plain + 3);
  CHECK(find_line(out,
                  "  expected 200, unexpected 0 \\(0\\.0 % failures\\); innocent: 100 sent, 0 unexpected",
                  plain) == plain + 4);
  CHECK(find_line(out, "  verdict: passed", plain) == plain + 5);
  CHECK(find_line(out, "  behaviour +weight +sent +expected +unexpected +p50 ms +p99 ms +max ms", plain) ==
        plain + 6);
  CHECK(find_line(out,
                  "  PlainResponse\\(status=200, bytes=6\\) \\[innocent\\] +50 +100 +100 +0 +0\\.412 "
                  "+1\\.203 +5\\.100",
                  plain) == plain + 7);
  CHECK(find_line(out, "      outcomes: http 100 \\(200 x100\\)", plain) == plain + 8);
  CHECK(find_line(out, "  SIGSEGV\\(\\) +50 +100 +100 +0 +%float +%float +%float", plain) == plain + 9);
  CHECK(find_line(out, "      outcomes: broken 100 \\(reset_before_response 100\\)", plain) == plain + 10);
  CHECK(find_line(
            out,
            "  supervision: port 40123, ready in 0\\.40 s, stopped by SIGINT in 0\\.10 s, exit status 0, 0 "
            "orphans",
            plain) == plain + 11);

  // A test above Labour's 10 % line.
  const long segv = find_line(out, "gunicorn 20\\.1\\.0, scenario SIGSEGV: completed");
  REQUIRE(segv >= 0);
  CHECK(
      find_line(out,
                "  expected 110, unexpected 90 \\(45\\.0 % failures\\); innocent: %int sent, %int unexpected",
                segv) == segv + 4);
  CHECK(find_line(out, "  verdict: failed", segv) == segv + 5);
  CHECK(find_line(out, "  SIGSEGV\\(\\) +50 +100 +10 +90 +%float +%float +%float", segv) == segv + 9);
  CHECK(find_line(out, "      outcomes: http 90 \\(500 x90\\); broken 10 \\(reset_before_response 10\\)",
                  segv) == segv + 10);

  // A test that failed before any load has only its error.
  const long failed = find_line(out, "waitress 2\\.1\\.2, scenario SIGSEGV: failed");
  REQUIRE(failed >= 0);
  CHECK(find_line(out, "  error: waitress exited before it was ready: exit status 1", failed) == failed + 1);
  CHECK(find_line(out, "  verdict: .*", failed) == -1);
}

TEST_CASE("console prints Labour's matrix with content-sized columns", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  const Rendered r = console.render(matrix_document().dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);

  const long title = find_line(r.output, "matrix: failure % and requests/s; \"Failed\" above 10 % failures");
  REQUIRE(title >= 0);
  const auto all = lines(r.output);
  REQUIRE(all.size() >= static_cast<std::size_t>(title) + 4);
  const std::string& header = all[title + 1];
  const std::string& gunicorn = all[title + 2];
  const std::string& waitress = all[title + 3];
  CHECK(std::regex_match(header, pattern("  server +Plain +SIGSEGV")));
  CHECK(std::regex_match(gunicorn, pattern("  gunicorn +0\\.0% 812/s +Failed 45\\.0%")));
  CHECK(std::regex_match(waitress, pattern("  waitress +1\\.0% 45\\.3/s +error")));

  // Every column starts at the same offset on every line.
  CHECK(header.find("Plain") == gunicorn.find("0.0%"));
  CHECK(header.find("Plain") == waitress.find("1.0%"));
  CHECK(header.find("SIGSEGV") == gunicorn.find("Failed"));
  CHECK(header.find("SIGSEGV") == waitress.find("error"));
  CHECK(header.find("SIGSEGV") == header.find("Plain") + std::string("1.0% 45.3/s").size() + 2);
}

TEST_CASE("console adds a table of what the servers' processes went through", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = matrix_document();
  const Rendered without = console.render(doc.dump());
  CHECK(find_line(without.output, "server processes: .*") == -1);  // no monitor data, no table

  doc["tests"][0]["monitor"] = {{"exits", {{"total", 0}}},
                                {"rss_bytes", {{"start", 50 * 1048576}, {"end", 251 * 1048576}}}};
  doc["tests"][1]["monitor"] = {{"exits", {{"total", 101}}},
                                {"rss_bytes", {{"start", 53 * 1048576}, {"end", 47 * 1048576 + 524288}}}};
  doc["tests"][2]["monitor"] = {{"exits", {{"total", 1}}},
                                {"rss_bytes", {{"start", 10 * 1048576}, {"end", 10 * 1048576}}}};
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  const long title =
      find_line(r.output, "server processes: exits during the load, and RSS growth \\(end - start\\)");
  REQUIRE(title >= 0);
  CHECK(find_line(r.output, "  server +Plain +SIGSEGV", title) == title + 1);
  CHECK(find_line(r.output, "  gunicorn +RSS \\+201 MiB +101 exits, RSS -5\\.5 MiB", title) == title + 2);
  CHECK(find_line(r.output, "  waitress +1 exit, RSS \\+0\\.0 MiB +-", title) == title + 3);
}

TEST_CASE("console matrix: exactly 10 % is not Failed and skipped or absent cells are marked",
          "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  const Rendered r =
      console.render(document(Json::array({completed("uwsgi", "2.0.21", "Plain", 100, 10, 500.0),
                                           incomplete("cheroot", "SIGSEGV", "skipped",
                                                      "cheroot is not installed: apt-get install "
                                                      "python3-cheroot")}))
                         .dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "  server +Plain +SIGSEGV");
  CHECK_LINE(r.output, "  uwsgi +10\\.0% 500/s +-");
  CHECK_LINE(r.output, "  cheroot +- +skipped");
  CHECK_LINE(r.output, "cheroot 2\\.1\\.2, scenario SIGSEGV: skipped");
  CHECK_LINE(r.output, "  error: cheroot is not installed: apt-get install python3-cheroot");
}

TEST_CASE("console matrix option: auto, always, never", "[reporters][console]") {
  Library lib("console");
  const std::string one =
      document(Json::array({completed("gunicorn", "20.1.0", "Plain", 200, 0, 812.4)})).dump();
  const std::string two = matrix_document().dump();
  const std::string title = "matrix: .*";
  {
    Instance console(lib, {{"matrix", "auto"}});
    CHECK(find_line(console.render(one).output, title) == -1);
    CHECK(find_line(console.render(two).output, title) >= 0);
  }
  {
    Instance console(lib, {{"matrix", "always"}});
    const std::string out = console.render(one).output;
    CHECK(find_line(out, title) >= 0);
    CHECK_LINE(out, "  gunicorn +0\\.0% 812/s");
  }
  {
    Instance console(lib, {{"matrix", "never"}});
    CHECK(find_line(console.render(two).output, title) == -1);
  }
}

TEST_CASE("console colours only when asked", "[reporters][console]") {
  Library lib("console");
  const std::string doc = matrix_document().dump();
  Instance plain(lib, {{"color", "never"}});
  Instance coloured(lib, {{"color", "always"}});
  const std::string p = plain.render(doc).output;
  const std::string c = coloured.render(doc).output;
  CHECK(p.find('\033') == std::string::npos);
  CHECK(c.find("\033[31mFailed 45.0%\033[0m") != std::string::npos);
  CHECK(c.find("\033[32mpassed\033[0m") != std::string::npos);
  // Colour never changes the layout: without the escapes both outputs are the same text.
  CHECK(std::regex_replace(c, std::regex("\033\\[[0-9;]*m"), "") == p);
}

TEST_CASE("console shows the judged split of unexpected outcomes when the document has it",
          "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = document(Json::array({completed("gunicorn", "20.1.0", "SIGSEGV", 200, 90, 150.0)}));
  doc["tests"][0]["behaviours"][1]["unexpected_outcomes"] = {
      {"http_500", 80}, {"http_502", 9}, {"eof_before_response", 1}};
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output,
             "      unexpected: http 89 \\(500 x80, 502 x9\\); broken 1 \\(eof_before_response 1\\)");
}

TEST_CASE("console sums up what the monitor saw of the server's processes", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = document(Json::array({completed("gunicorn", "20.1.0", "SIGSEGV", 200, 90, 150.0)}));
  doc["tests"][0]["monitor"] = {
      {"interval_ms", 100},
      {"processes", {{"start", 3}, {"end", 2}, {"peak", 3}}},
      {"joined", 41},
      {"exits", {{"total", 42}, {"causes", {{"exit status 0", 2}, {"killed by SIGSEGV", 40}}}}},
      {"rss_bytes", {{"start", 52428800}, {"end", 62914560}, {"peak", 73400320}}},
      {"cpu_seconds", 1.234}};
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(
      r.output,
      "  server: 2 processes \\(peak 3\\), 41 joined, 42 exited \\(exit status 0 x2, killed by SIGSEGV "
      "x40\\); RSS 50\\.0 -> 60\\.0 MiB \\(peak 70\\.0\\); CPU 1\\.23 s");

  doc["tests"][0]["monitor"]["rss_bytes"]["peak"] = -1;
  const Rendered bad = console.render(doc.dump());
  CHECK(bad.rc != 0);
  CHECK(bad.error.find("tests[0].monitor.rss_bytes.peak") != std::string::npos);
}

TEST_CASE("console says which CPUs the server and the client were pinned to", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = matrix_document();
  doc["tests"][0]["supervision"]["server_cpus"] = "0-2";
  doc["tests"][0]["supervision"]["client_cpus"] = "3";
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output,
             "  supervision: port 40123, ready in 0\\.40 s, stopped by SIGINT in 0\\.10 s, exit status 0, 0 "
             "orphans, server on CPU 0-2, client on CPU 3");
}

TEST_CASE("console ignores unknown fields and survives missing sections", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = matrix_document();
  doc["future_section"] = {{"anything", Json::array({1, 2})}};
  doc["tests"][0]["future_field"] = "x";
  doc["tests"][0]["behaviours"][0]["future_field"] = 3;
  doc.erase("environment");
  doc.erase("tool");
  doc["tests"][1].erase("supervision");
  doc["tests"][1].erase("behaviours");
  doc["tests"][1]["totals"].erase("failure_pct");  // the matrix computes it from the counts
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "labour");
  CHECK_LINE(r.output, "  gunicorn +0\\.0% 812/s +Failed 45\\.0%");

  const Rendered empty = console.render(document(Json::array()).dump());
  REQUIRE(empty.rc == 0);
  CHECK_LINE(empty.output, "no tests in this document");
}

// ------------------------------------------------------------------ json -------------

TEST_CASE("json writes the document back, indented, and it reads back equal", "[reporters][json]") {
  Library lib("json");
  const Json doc = matrix_document();
  {
    Instance json(lib);
    const Rendered r = json.render(doc.dump());
    REQUIRE(r.rc == 0);
    CHECK(r.output.rfind("{\n  \"schema_version\": 1,\n  \"tool\": {\n    \"name\": \"labour\"", 0) == 0);
    CHECK(r.output.back() == '\n');
    CHECK(Json::parse(r.output) == doc);  // ordered: same fields, same values, same order
  }
  {
    Instance json(lib, {{"indent", "0"}});
    const Rendered r = json.render(doc.dump(4));
    REQUIRE(r.rc == 0);
    CHECK(r.output == doc.dump() + "\n");
  }
  {
    Instance json(lib, {{"indent", "4"}});
    const Rendered r = json.render(doc.dump());
    REQUIRE(r.rc == 0);
    CHECK(r.output == doc.dump(4) + "\n");
  }
}

TEST_CASE("json rejects an indent outside 0..8 at create", "[reporters][json]") {
  Library lib("json");
  Instance json(lib, {{"indent", "9"}});
  CHECK_FALSE(json.created());
  CHECK(json.create_error().find("indent") != std::string::npos);
}

// ------------------------------------------------------------------ bad input --------

// ------------------------------------------------------------------ html -------------

namespace {
std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("html is one page with both matrices, every test, its charts, and nothing unescaped",
          "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  REQUIRE(html.created());
  Json doc = matrix_document();
  doc["tests"][1]["monitor"] = {
      {"processes", {{"start", 3}, {"end", 3}, {"peak", 3}}},
      {"joined", 2},
      {"exits",
       {{"total", 2},
        {"causes", {{"killed by SIGSEGV", 2}}},
        {"first",
         Json::array({{{"t_s", 0.5}, {"pid", 10}, {"leader", false}, {"cause", "killed by SIGSEGV"}},
                      {{"t_s", 0.7}, {"pid", 11}, {"leader", false}, {"cause", "killed by SIGSEGV"}}})}}},
      {"rss_bytes", {{"start", 1048576}, {"end", 3145728}, {"peak", 3145728}}},
      {"cpu_seconds", 0.5},
      {"series",
       {{"t_s", {0, 0.5, 1}},
        {"processes", {3, 2, 3}},
        {"rss_bytes", {1048576, 2097152, 3145728}},
        {"cpu_s", {0, 0.2, 0.5}}}}};
  doc["tests"][3]["error"] = "exited: <script>alert(1)</script> & \"quotes\"";
  const Rendered r = html.render(doc.dump());
  REQUIRE(r.rc == 0);
  const std::string& page = r.output;
  INFO(page);
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(page.find("<title>labour results</title>") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("exited: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;") !=
        std::string::npos);
  for (const std::string element : {"section", "svg", "table", "tr", "h2", "p"})
    CHECK(occurrences(page, "<" + element + ">") + occurrences(page, "<" + element + " ") ==
          occurrences(page, "</" + element + ">"));
  CHECK(occurrences(page, "<section id=\"test-") == 4);
  // Labour's matrix links each cell to its test; the second matrix has the monitor's figures.
  CHECK(page.find("<td class=\"failed\"><a href=\"#test-1\">Failed 45.0%</a></td>") != std::string::npos);
  CHECK(page.find("<td><a href=\"#test-1\">2 exits, RSS +2.0 MiB</a></td>") != std::string::npos);
  // Charts: the timeline's bars, the monitor's lines, one mark per exit with its cause.
  CHECK(occurrences(page, "<rect class=\"ok\"") == 3 * 1);  // three completed tests, one bucket each
  CHECK(occurrences(page, "<polyline class=\"rss\"") == 1);
  CHECK(occurrences(page, "<line class=\"exit\"") == 2);
  CHECK(page.find("<title>0.500 s: killed by SIGSEGV</title>") != std::string::npos);
  CHECK(page.find("server: 3 processes, 2 joined, 2 exited (killed by SIGSEGV x2)") != std::string::npos);

  Instance titled(lib, {{"title", "A & B"}});
  CHECK(titled.render(matrix_document().dump()).output.find("<title>A &amp; B</title>") != std::string::npos);
  const Rendered bad = html.render("{\"schema_version\": 2, \"tests\": []}");
  CHECK(bad.rc != 0);
  CHECK(bad.error.find("unsupported results schema_version 2") != std::string::npos);
}

TEST_CASE("html charts stay inside their frame whatever the numbers", "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  Json doc = document(Json::array({completed("gunicorn", "20.1.0", "Plain", 200, 0, 812.4)}));
  doc["tests"][0]["timeline"]["expected"] = Json::array({Json::array({-5, 2}), Json::array({1e300, 0})});
  doc["tests"][0]["monitor"] = {
      {"series",
       {{"t_s", {0, 2, 1}}, {"processes", {1, -1, 2}}, {"rss_bytes", {-1, 5e300, 0}}, {"cpu_s", {0, 0, 0}}}},
      {"exits",
       {{"total", 1}, {"first", Json::array({{{"t_s", 9}, {"leader", true}, {"cause", "exit status 1"}}})}}}};
  const Rendered r = html.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK(r.output.find("nan") == std::string::npos);
  CHECK(r.output.find("inf") == std::string::npos);
  const std::regex coordinate("(?:x|y|x1|x2|y1|y2|width|height)=\"(-?[0-9.]+)\"");
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), coordinate);
       it != std::sregex_iterator(); ++it) {
    const double v = std::stod((*it)[1]);
    CHECK((v >= 0 && v <= 760));
  }
  const std::regex point("(-?[0-9.]+),(-?[0-9.]+) ");
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), point); it != std::sregex_iterator();
       ++it) {
    CHECK((std::stod((*it)[1]) >= 60 && std::stod((*it)[1]) <= 700));
    CHECK((std::stod((*it)[2]) >= 14 && std::stod((*it)[2]) <= 156));
  }
}

TEST_CASE("a malformed document or another schema_version fails with a one-line reason", "[reporters]") {
  const std::string name = GENERATE(as<std::string>{}, "console", "json");
  Library lib(name);
  Instance reporter(lib);
  INFO("reporter: " << name);

  const auto one_line = [](const Rendered& r) {
    CHECK(r.rc != 0);
    CHECK_FALSE(r.error.empty());
    CHECK(r.error.find('\n') == std::string::npos);
  };

  const Rendered garbage = reporter.render("{\"schema_version\": 1,\n \"tests\": [ oops");
  one_line(garbage);
  CHECK(garbage.error.rfind("results document is not valid JSON: ", 0) == 0);

  Json v2 = matrix_document();
  v2["schema_version"] = 2;
  const Rendered wrong = reporter.render(v2.dump());
  one_line(wrong);
  CHECK(wrong.error == "unsupported results schema_version 2 (this reporter reads 1)");

  Json none = matrix_document();
  none.erase("schema_version");
  const Rendered missing = reporter.render(none.dump());
  one_line(missing);
  CHECK(missing.error.find("schema_version") != std::string::npos);

  const Rendered array = reporter.render("[1, 2]");
  one_line(array);
}

TEST_CASE("console names the field that has the wrong type", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = matrix_document();
  doc["tests"][2]["totals"]["sent"] = "three hundred";
  const Rendered r = console.render(doc.dump());
  CHECK(r.rc != 0);
  CHECK(r.error.find("tests[2].totals.sent") != std::string::npos);
  CHECK(r.error.find('\n') == std::string::npos);

  Json no_tests = matrix_document();
  no_tests.erase("tests");
  const Rendered r2 = console.render(no_tests.dump());
  CHECK(r2.rc != 0);
  CHECK(r2.error.find("tests") != std::string::npos);
}

TEST_CASE("a sink that refuses the bytes makes render fail", "[reporters]") {
  const std::string name = GENERATE(as<std::string>{}, "console", "json");
  Library lib(name);
  Instance reporter(lib);
  const Rendered r = reporter.render(matrix_document().dump(), /*sink_fails=*/true);
  CHECK(r.rc != 0);
  CHECK(r.error == "cannot write the report");
}
