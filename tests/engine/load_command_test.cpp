// `labour load` through its CLI11 definition: bad input gives exit 2 and one line; a real
// run prints JSON with the counts.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/load_command.hpp"
#include "test_server.hpp"

namespace {

// Runs `labour load ARGS...` in-process; returns the exit code, stdout and stderr.
struct Ran {
  int code = -1;
  std::string out, err;
};

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Ran run_load_command(std::vector<std::string> args) {
  CLI::App app{"labour"};
  app.require_subcommand(1);
  std::function<int()> action;
  labour::cli::add_load_command(app, action);
  args.insert(args.begin(), {"labour", "load"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Ran ran;
  app.parse(static_cast<int>(argv.size()), argv.data());
  REQUIRE(action);
  char out_path[] = "/tmp/labour-load-out.XXXXXX";
  char err_path[] = "/tmp/labour-load-err.XXXXXX";
  const int out_fd = ::mkstemp(out_path), err_fd = ::mkstemp(err_path);
  std::fflush(stdout);
  std::fflush(stderr);
  const int saved_out = ::dup(1), saved_err = ::dup(2);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ran.code = action();
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  ::close(out_fd);
  ::close(err_fd);
  ran.out = slurp(out_path);
  ran.err = slurp(err_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return ran;
}

}  // namespace

TEST_CASE("labour load: bad input is exit 2 with one line naming it") {
  const std::vector<std::vector<std::string>> bad = {
      {"--url", "ftp://127.0.0.1/", "-n", "1"},
      {"--url", "http://127.0.0.1:0/", "-n", "1"},
      {"--url", "http://127.0.0.1:70000/", "-n", "1"},
      {"--url", "http://:80/", "-n", "1"},
      {"--url", "http://127.0.0.1:8080/"},  // neither -n nor -d
      {"--url", "http://127.0.0.1:8080/", "-d", "soon"},
      {"--url", "http://10.9.8.7:80/", "-n", "1"},  // not loopback
  };
  for (const auto& args : bad) {
    INFO(args[1]);
    const Ran ran = run_load_command(args);
    REQUIRE(ran.code == 2);
    REQUIRE(ran.err.rfind("labour load: ", 0) == 0);
    REQUIRE(std::count(ran.err.begin(), ran.err.end(), '\n') == 1);
    REQUIRE(ran.out.empty());
  }
  // Numbers are checked while parsing, by the limits run and scenario files have too.
  for (const auto& [flag, value, limit] : std::vector<std::array<std::string, 3>>{
           {"-c", "0", "--connections: must be 1 to 10000, not 0"},
           {"-n", "1e99", "--requests: must be 1 to 1000000000000, not 1e99"},
           {"--rate", "inf", "--rate: must be a finite number"},
           {"-t", "-1", "--threads: must be 1 to 64, not -1"},
           {"--timeout", "1.5", "--timeout: must be a whole number"}}) {
    INFO(flag << " " << value);
    CHECK_THROWS_WITH(run_load_command({"--url", "http://127.0.0.1:8080/", flag, value}),
                      Catch::Contains(limit));
  }
  const Ran url = run_load_command({"--url", "https://127.0.0.1/", "-n", "1"});
  REQUIRE(url.err.find("--url 'https://127.0.0.1/'") != std::string::npos);
  REQUIRE(url.err.find("use http://127.0.0.1:PORT/path") != std::string::npos);
}

TEST_CASE("labour load: a run prints JSON with the counts") {
  labour::test::TestServer server(labour::test::answer_all());
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hello?x=1";
  const Ran ran = run_load_command({"--url", url, "-c", "3", "-n", "300", "--threads", "2", "--json"});
  REQUIRE(ran.code == 0);
  const auto doc = nlohmann::json::parse(ran.out);
  REQUIRE(doc.at("requests") == 300);
  REQUIRE(doc.at("outcomes").at("http_200") == 300);
  REQUIRE(doc.at("errors") == 0);
  REQUIRE(doc.at("interrupted") == false);
  // The results document's names (run::latency_json, docs/results-schema.md).
  REQUIRE(doc.at("requests_per_second") > 0);
  REQUIRE_FALSE(doc.contains("requests_per_sec"));
  const auto& latency = doc.at("latency_us");
  REQUIRE(latency.at("count") == 300);
  for (const char* key : {"min", "p50", "p90", "p99", "p999", "max", "mean"}) REQUIRE(latency.contains(key));
  REQUIRE_FALSE(latency.contains("p99_9"));

  const Ran text = run_load_command({"--url", url, "-c", "2", "-n", "50"});
  REQUIRE(text.code == 0);
  REQUIRE(text.out.find("Requests/sec:") != std::string::npos);
  REQUIRE(text.out.find("50 requests in") != std::string::npos);
}

TEST_CASE("labour load: errors are the engine's unexpected outcomes") {
  labour::test::TestServer failing(
      labour::test::answer_all("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"));
  const std::string url = "http://127.0.0.1:" + std::to_string(failing.port()) + "/";
  const Ran ran = run_load_command({"--url", url, "-c", "2", "-n", "40", "--json"});
  REQUIRE(ran.code == 0);
  const auto doc = nlohmann::json::parse(ran.out);
  REQUIRE(doc.at("outcomes").at("http_500") == 40);
  REQUIRE(doc.at("errors") == 40);
  REQUIRE(doc.at("latency_us") == nlohmann::json{{"count", 0}});  // only expected outcomes are timed
  const Ran text = run_load_command({"--url", url, "-c", "2", "-n", "40"});
  REQUIRE(text.out.find("Errors:       40: http_500 40\n") != std::string::npos);

  // A redirect is a complete response below 400: not an error.
  labour::test::TestServer redirect(
      labour::test::answer_all("HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n"));
  const Ran moved = run_load_command(
      {"--url", "http://127.0.0.1:" + std::to_string(redirect.port()) + "/", "-n", "10", "--json"});
  REQUIRE(nlohmann::json::parse(moved.out).at("errors") == 0);

  // A port bound but not listening refuses connections, and stays ours meanwhile.
  const int bound = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof address;
  REQUIRE(::bind(bound, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(bound, reinterpret_cast<sockaddr*>(&address), &len) == 0);
  const Ran refused = run_load_command(
      {"--url", "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/", "-c", "1", "-n", "3"});
  ::close(bound);
  // No request got an HTTP response: the figures are printed, and the run failed (exit 1).
  REQUIRE(refused.code == 1);
  REQUIRE(refused.out.find("Errors:       3: connect_refused 3\n") != std::string::npos);
  REQUIRE(refused.err.find("no request got an HTTP response (connect_refused 3); is a server answering at") !=
          std::string::npos);
}
