// The client halves of the six built-in behaviours, through the C ABI of their .so files.
#include <catch2/catch.hpp>
#include <labour/sdk.hpp>

#include <cstring>

#include "plugin_fixture.hpp"

using labour::test::LoadedBehaviour;
using labour::test::view;

namespace {

const labour_param_schema_t* find_param(const labour_plugin_t& p, std::string_view name) {
  for (std::uint32_t i = 0; i < p.param_count; ++i)
    if (const auto* s = LABOUR_ELEMENT(labour_param_schema_t, p.params, p.param_stride, i);
        view(s->name) == name)
      return s;
  return nullptr;
}

}  // namespace

TEST_CASE("every behaviour .so has a descriptor, a schema with help and its worker half") {
  const std::vector<std::pair<std::string, std::string>> plugins = {
      {"plainresponse", "PlainResponse"}, {"sleeping", "Sleeping"},       {"iobound", "IOBound"},
      {"leakmemory", "LeakMemory"},       {"pythonwedge", "PythonWedge"}, {"sigsegv", "SIGSEGV"}};
  for (const auto& [file, name] : plugins) {
    INFO(file);
    LoadedBehaviour b(file);
    const auto& d = b.plugin();
    CHECK(d.struct_size == sizeof(labour_plugin_t));
    CHECK(d.abi_major == LABOUR_ABI_MAJOR);
    REQUIRE(d.behaviour != nullptr);  // the group its file name promises, and only that one
    CHECK(d.server == nullptr);
    CHECK(d.reporter == nullptr);
    CHECK(view(d.behaviour->method) == "GET");
    CHECK(view(d.name) == name);
    CHECK_FALSE(view(d.version).empty());
    CHECK_FALSE(view(d.summary).empty());
    for (std::uint32_t i = 0; i < d.param_count; ++i)
      CHECK_FALSE(view(LABOUR_ELEMENT(labour_param_schema_t, d.params, d.param_stride, i)->help).empty());
    const auto source = view(b.api().worker_source);
    CHECK(source.find("def handle(environ, start_response, params, ctx):") != std::string_view::npos);
  }
}

TEST_CASE("PlainResponse expects exactly its status and body size") {
  LoadedBehaviour b("plainresponse");
  const auto* status = find_param(b.plugin(), "status");
  REQUIRE(status);
  CHECK(status->type == LABOUR_PARAM_INT);
  CHECK(status->min == 100);
  CHECK(status->max == 599);
  const auto* bytes = find_param(b.plugin(), "bytes");
  REQUIRE(bytes);
  CHECK(bytes->max == 100.0 * 1024 * 1024);

  auto plain = b.create();
  CHECK(b.target(plain.get()) == "/PlainResponse?status=200&bytes=6");
  CHECK(b.judge(plain.get(), LABOUR_OUTCOME_HTTP, 200, 6));
  CHECK_FALSE(b.judge(plain.get(), LABOUR_OUTCOME_HTTP, 200, 5));
  CHECK_FALSE(b.judge(plain.get(), LABOUR_OUTCOME_HTTP, 500, 6));
  CHECK_FALSE(b.judge(plain.get(), LABOUR_OUTCOME_RESET_BEFORE_RESPONSE));
  CHECK_FALSE(b.judge(plain.get(), LABOUR_OUTCOME_TRUNCATED_BODY, 0, 3));
  CHECK(b.api().behaviour_on_is_innocent(plain.get()) == 1);
  CHECK(b.api().behaviour_on_timeout_ms(plain.get(), 5000) == 5000);

  auto missing = b.create({{"status", "404"}, {"bytes", "0"}});
  CHECK(b.target(missing.get()) == "/PlainResponse?status=404&bytes=0");
  CHECK(b.judge(missing.get(), LABOUR_OUTCOME_HTTP, 404, 0));
  CHECK_FALSE(b.judge(missing.get(), LABOUR_OUTCOME_HTTP, 200, 0));
  CHECK(b.api().behaviour_on_is_innocent(missing.get()) == 0);

  auto no_content = b.create({{"status", "204"}, {"bytes", "0"}});
  CHECK(b.judge(no_content.get(), LABOUR_OUTCOME_HTTP, 204, 0));
  CHECK_THROWS_WITH(b.create({{"status", "204"}}), Catch::Contains("bytes=0"));
  CHECK_THROWS_WITH(b.create({{"status", "101"}}), Catch::Contains("1xx"));
}

TEST_CASE("Sleeping expects 200 and extends the timeout by its sleep") {
  LoadedBehaviour b("sleeping");
  auto s = b.create({{"seconds", "2.5"}});
  CHECK(b.target(s.get()) == "/Sleeping?seconds=2.5");
  CHECK(b.judge(s.get(), LABOUR_OUTCOME_HTTP, 200, 10));
  CHECK_FALSE(b.judge(s.get(), LABOUR_OUTCOME_HTTP, 500));
  CHECK_FALSE(b.judge(s.get(), LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT));
  CHECK(b.api().behaviour_on_timeout_ms(s.get(), 10000) == 12500);
  CHECK(b.api().behaviour_on_is_innocent(s.get()) == 0);
  auto d = b.create();
  CHECK(b.target(d.get()) == "/Sleeping?seconds=1");
  CHECK(b.api().behaviour_on_timeout_ms(d.get(), 0) == 1000);
}

TEST_CASE("IOBound expects 200 and offers only fixed sources") {
  LoadedBehaviour b("iobound");
  const auto* source = find_param(b.plugin(), "source");
  REQUIRE(source);
  CHECK(source->type == LABOUR_PARAM_ENUM);
  CHECK(view(source->choices) == "zero|file");
  auto io = b.create();
  CHECK(b.target(io.get()) == "/IOBound?bytes=1048576&source=zero&block=65536");
  auto file = b.create({{"source", "file"}, {"bytes", "4096"}, {"block", "512"}});
  CHECK(b.target(file.get()) == "/IOBound?bytes=4096&source=file&block=512");
  CHECK(b.judge(io.get(), LABOUR_OUTCOME_HTTP, 200, 20));
  CHECK_FALSE(b.judge(io.get(), LABOUR_OUTCOME_HTTP, 503));
  CHECK_FALSE(b.judge(io.get(), LABOUR_OUTCOME_EOF_BEFORE_RESPONSE));
  CHECK(b.api().behaviour_on_is_innocent(io.get()) == 0);
}

TEST_CASE("LeakMemory expects 200") {
  LoadedBehaviour b("leakmemory");
  auto leak = b.create({{"bytes", "1024"}});
  CHECK(b.target(leak.get()) == "/LeakMemory?bytes=1024");
  CHECK(b.judge(leak.get(), LABOUR_OUTCOME_HTTP, 200, 30));
  CHECK_FALSE(b.judge(leak.get(), LABOUR_OUTCOME_HTTP, 500));
  CHECK_FALSE(b.judge(leak.get(), LABOUR_OUTCOME_RESET_MID_RESPONSE));
  CHECK(b.api().behaviour_on_is_innocent(leak.get()) == 0);
}

TEST_CASE("PythonWedge: a 200 from a forever wedge is unexpected, failure is expected") {
  LoadedBehaviour b("pythonwedge");
  auto wedge = b.create();
  CHECK(b.target(wedge.get()) == "/PythonWedge?seconds=0");
  CHECK_FALSE(b.judge(wedge.get(), LABOUR_OUTCOME_HTTP, 200, 10));
  CHECK_FALSE(b.judge(wedge.get(), LABOUR_OUTCOME_HTTP, 404, 10));
  CHECK(b.judge(wedge.get(), LABOUR_OUTCOME_HTTP, 500));
  CHECK(b.judge(wedge.get(), LABOUR_OUTCOME_HTTP, 504));
  CHECK(b.judge(wedge.get(), LABOUR_OUTCOME_RESET_BEFORE_RESPONSE));
  CHECK(b.judge(wedge.get(), LABOUR_OUTCOME_EOF_BEFORE_RESPONSE));
  CHECK(b.judge(wedge.get(), LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT));
  CHECK(b.judge(wedge.get(), LABOUR_OUTCOME_TOTAL_TIMEOUT));
  CHECK_FALSE(b.judge(wedge.get(), LABOUR_OUTCOME_CONNECT_REFUSED));
  CHECK_FALSE(b.judge(wedge.get(), LABOUR_OUTCOME_MALFORMED_RESPONSE));
  CHECK(b.api().behaviour_on_timeout_ms(wedge.get(), 3000) == 3000);

  auto bounded = b.create({{"seconds", "0.5"}});
  CHECK(b.target(bounded.get()) == "/PythonWedge?seconds=0.5");
  CHECK(b.judge(bounded.get(), LABOUR_OUTCOME_HTTP, 200, 10));
  CHECK(b.judge(bounded.get(), LABOUR_OUTCOME_HTTP, 500));
  CHECK(b.judge(bounded.get(), LABOUR_OUTCOME_RESET_BEFORE_RESPONSE));
  CHECK(b.api().behaviour_on_timeout_ms(bounded.get(), 3000) == 3500);
  CHECK(b.api().behaviour_on_is_innocent(bounded.get()) == 0);
}

TEST_CASE("SIGSEGV: a 200 is unexpected, a 5xx or a broken connection is expected") {
  LoadedBehaviour b("sigsegv");
  CHECK(b.plugin().param_count == 0);
  auto crash = b.create();
  CHECK(b.target(crash.get()) == "/SIGSEGV");
  CHECK_FALSE(b.judge(crash.get(), LABOUR_OUTCOME_HTTP, 200, 2));
  CHECK(b.judge(crash.get(), LABOUR_OUTCOME_HTTP, 500));
  CHECK(b.judge(crash.get(), LABOUR_OUTCOME_HTTP, 502));
  CHECK(b.judge(crash.get(), LABOUR_OUTCOME_RESET_BEFORE_RESPONSE));
  CHECK(b.judge(crash.get(), LABOUR_OUTCOME_EOF_BEFORE_RESPONSE));
  CHECK(b.judge(crash.get(), LABOUR_OUTCOME_TRUNCATED_BODY));
  CHECK_FALSE(b.judge(crash.get(), LABOUR_OUTCOME_CONNECT_REFUSED));
  CHECK_FALSE(b.judge(crash.get(), LABOUR_OUTCOME_OTHER_ERROR));
  CHECK(b.api().behaviour_on_is_innocent(crash.get()) == 0);
}

TEST_CASE("the default request percent-encodes what a form-style query decoder would change") {
  auto value = [](const char* name, const char* text) {
    labour_param_value_t v{};
    v.struct_size = sizeof v;
    v.name = {name, std::strlen(name)};
    v.value = {text, std::strlen(text)};
    return v;
  };
  const labour_param_value_t values[] = {value("big", "1e+20"), value("n", "-3.5"), value("s", "a b&c=d%")};
  const labour::sdk::Params params(values, 3, sizeof values[0]);
  // The dispatcher reads the query with unquote_plus: a bare '+' would arrive as a space.
  CHECK(labour::sdk::default_target("X", params) == "/X?big=1e%2B20&n=-3.5&s=a%20b%26c%3Dd%25");
}
