// Loads every server adapter .so through the C ABI, as the host does, and checks what it
// declares and the command lines it plans.
#define CATCH_CONFIG_MAIN
#include <dlfcn.h>
#include <labour/plugin_api.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kAdapters = {
    "wsgiref", "gunicorn", "uwsgi", "waitress", "mod_wsgi", "gevent",  "eventlet",  "twisted",
    "cheroot", "cherrypy", "paste", "werkzeug", "tornado",  "uvicorn", "hypercorn", "command"};

std::string str(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }

struct Library {
  void* handle = nullptr;
  const labour_plugin_t* plugin = nullptr;
  const labour_server_api_t* api = nullptr;

  explicit Library(const std::string& adapter) {
    const std::string path = std::string(LABOUR_TEST_PLUGIN_DIR) + "/labour_server_" + adapter + ".so";
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    INFO("dlopen " << path << ": " << (handle ? "ok" : dlerror()));
    REQUIRE(handle != nullptr);
    auto entry = reinterpret_cast<labour_plugin_entry_fn>(dlsym(handle, LABOUR_PLUGIN_ENTRY_SYMBOL));
    REQUIRE(entry != nullptr);
    plugin = entry();
    REQUIRE(plugin != nullptr);
    api = plugin->server;
    REQUIRE(api != nullptr);
  }
  ~Library() {
    if (handle) dlclose(handle);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

struct Plan {
  std::vector<std::string> argv, env;
  std::map<std::string, std::string> files;
  std::string workdir;

  bool has(const std::string& arg) const { return std::find(argv.begin(), argv.end(), arg) != argv.end(); }
  // `flag` immediately followed by `value`.
  bool has_pair(const std::string& flag, const std::string& value) const {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == flag && argv[i + 1] == value) return true;
    return false;
  }
  bool mentions(const std::string& text) const {
    for (const auto& a : argv)
      if (a.find(text) != std::string::npos) return true;
    for (const auto& [path, content] : files)
      if (content.find(text) != std::string::npos) return true;
    return false;
  }
};

Plan copy(const labour_launch_plan_t& p) {
  Plan out;
  for (uint32_t i = 0; i < p.argc; ++i) out.argv.push_back(str(p.argv[i]));
  for (uint32_t i = 0; i < p.envc; ++i) out.env.push_back(str(p.env[i]));
  for (uint32_t i = 0; i < p.filec; ++i) {
    const auto& f = *LABOUR_ELEMENT(labour_file_t, p.files, p.file_stride, i);
    out.files[str(f.path)] = str(f.content);
  }
  out.workdir = str(p.workdir);
  return out;
}

struct Context {
  std::string python = "/usr/bin/python3", app_dir = "/tmp/labour-test/app", app_module = "labour_app",
              app_callable = "application", host = "127.0.0.1", run_dir = "/tmp/labour-test";
  uint32_t port = 43127;

  labour_launch_context_t c_struct() const {
    auto s = [](const std::string& v) { return labour_str_t{v.data(), v.size()}; };
    return {sizeof(labour_launch_context_t),
            s(python),
            s(app_dir),
            s(app_module),
            s(app_callable),
            s(host),
            port,
            s(run_dir)};
  }
};

// An instance made from the schema's defaults plus `options`, through plugin_on_create.
class Instance {
 public:
  Instance(const Library& lib, const std::map<std::string, std::string>& options) : lib_(lib) {
    std::map<std::string, std::string> unused = options;
    for (uint32_t i = 0; i < lib.plugin->param_count; ++i) {
      const auto& p = *LABOUR_ELEMENT(labour_param_schema_t, lib.plugin->params, lib.plugin->param_stride, i);
      const std::string name = str(p.name);
      auto it = options.find(name);
      names_.push_back(name);
      values_.push_back(it != options.end() ? it->second : str(p.default_value));
      unused.erase(name);
    }
    INFO("options the adapter does not declare: " << (unused.empty() ? "" : unused.begin()->first));
    REQUIRE(unused.empty());
    std::vector<labour_param_value_t> values;
    for (std::size_t i = 0; i < names_.size(); ++i)
      values.push_back({sizeof(labour_param_value_t),
                        {names_[i].data(), names_[i].size()},
                        {values_[i].data(), values_[i].size()}});
    static const labour_host_api_t host{sizeof(labour_host_api_t),
                                        [](labour_host_t*, labour_log_level_t, labour_str_t) {}};
    char error[512] = "";
    self_ = lib.plugin->plugin_on_create(&host, nullptr, values.data(), static_cast<uint32_t>(values.size()),
                                         sizeof(labour_param_value_t), error, sizeof error);
    error_ = error;
  }
  ~Instance() {
    if (self_) lib_.plugin->plugin_on_destroy(self_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool created() const { return self_ != nullptr; }
  const std::string& create_error() const { return error_; }

  Plan launch(const Context& ctx = {}) { return plan(ctx, lib_.api->server_on_plan_launch); }
  Plan probe(const Context& ctx = {}) { return plan(ctx, lib_.api->server_on_plan_probe); }
  // The last_error of a launch plan that is expected to fail; empty if it succeeded.
  std::string launch_error(const Context& ctx) {
    REQUIRE(self_ != nullptr);
    const auto c = ctx.c_struct();
    labour_launch_plan_t out{};
    if (lib_.api->server_on_plan_launch(self_, nullptr, &c, &out) == 0) return {};
    return str(lib_.plugin->plugin_on_last_error(self_));
  }

 private:
  template <class Fn>
  Plan plan(const Context& ctx, Fn fn) {
    REQUIRE(self_ != nullptr);
    const auto c = ctx.c_struct();
    labour_launch_plan_t out{};
    const int32_t rc = fn(self_, nullptr, &c, &out);
    INFO("plan failed: " << str(lib_.plugin->plugin_on_last_error(self_)));
    REQUIRE(rc == 0);
    REQUIRE(out.struct_size == sizeof(labour_launch_plan_t));
    return copy(out);
  }

  const Library& lib_;
  std::vector<std::string> names_, values_;
  labour_instance_t* self_ = nullptr;
  std::string error_;
};

std::map<std::string, std::string> minimal_options(const std::string& adapter) {
  if (adapter == "command")
    return {{"command", "{python} -m waitress --listen={host}:{port} {app_module}:{app_callable}"}};
  return {};
}

// Runs /usr/bin/python3 to parse `source` (no bytecode written); true if it is valid Python.
bool python_parses(const std::string& source) {
  const fs::path file =
      fs::temp_directory_path() / ("labour-servers-test-" + std::to_string(getpid()) + ".py");
  std::ofstream(file) << source;
  std::vector<std::string> args = {"/usr/bin/python3", "-c",
                                   "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
                                   file.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int status = -1;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0) waitpid(pid, &status, 0);
  fs::remove(file);
  return status == 0;
}

}  // namespace

TEST_CASE("every server adapter has a complete server descriptor") {
  const std::regex param_name("[a-z_][a-z0-9_]*");
  for (const auto& adapter : kAdapters) {
    INFO("adapter " << adapter);
    Library lib(adapter);
    const labour_plugin_t& d = *lib.plugin;
    CHECK(d.struct_size == sizeof(labour_plugin_t));
    CHECK(d.abi_major == LABOUR_ABI_MAJOR);
    CHECK(d.abi_minor <= LABOUR_ABI_MINOR);
    CHECK(d.server != nullptr);
    CHECK(d.behaviour == nullptr);
    CHECK(str(d.name) == adapter);
    CHECK_FALSE(str(d.version).empty());
    CHECK_FALSE(str(d.summary).empty());
    CHECK(d.plugin_on_create);
    CHECK(d.plugin_on_destroy);
    CHECK(d.plugin_on_last_error);
    REQUIRE(lib.api != nullptr);
    CHECK(lib.api->struct_size == sizeof(labour_server_api_t));
    CHECK_FALSE(str(lib.api->install_hint).empty());
    CHECK(lib.api->server_on_plan_launch);
    CHECK(lib.api->server_on_plan_probe);
    for (uint32_t i = 0; i < d.param_count; ++i) {
      const labour_param_schema_t& p = *LABOUR_ELEMENT(labour_param_schema_t, d.params, d.param_stride, i);
      const std::string name = str(p.name), def = str(p.default_value);
      INFO("option " << name);
      CHECK(p.struct_size == sizeof(labour_param_schema_t));
      CHECK(std::regex_match(name, param_name));
      CHECK_FALSE(str(p.help).empty());
      if (p.type == LABOUR_PARAM_ENUM) {
        const std::string choices = "|" + str(p.choices) + "|";
        CHECK(choices.find("|" + def + "|") != std::string::npos);
      }
      if (p.type == LABOUR_PARAM_INT) {
        const double v = std::stod(def);
        if (p.has_min) CHECK(v >= p.min);
        if (p.has_max) CHECK(v <= p.max);
      }
      if (p.type == LABOUR_PARAM_BOOL) CHECK((def == "true" || def == "false"));
    }
  }
}

TEST_CASE("every adapter plans a shell-free launch on the given host and port") {
  for (const auto& adapter : kAdapters) {
    INFO("adapter " << adapter);
    Library lib(adapter);
    Instance instance(lib, minimal_options(adapter));
    INFO("create error: " << instance.create_error());
    REQUIRE(instance.created());
    const Context ctx;
    const Plan plan = instance.launch(ctx);
    REQUIRE_FALSE(plan.argv.empty());
    const std::string program = fs::path(plan.argv[0]).filename().string();
    for (const char* shell : {"sh", "bash", "dash", "zsh", "env"}) CHECK(program != shell);
    CHECK(plan.mentions(std::to_string(ctx.port)));
    CHECK(plan.mentions(ctx.host));
    if (adapter != "command")  // a free-form command need not mention it
      CHECK((plan.mentions(ctx.app_dir) || plan.workdir == ctx.app_dir));
    for (const auto& [path, content] : plan.files) {
      CHECK_FALSE(path.empty());
      CHECK(path.front() != '/');
      CHECK(path.find("..") == std::string::npos);
      CHECK_FALSE(content.empty());
      if (path.size() > 3 && path.substr(path.size() - 3) == ".py") {
        INFO("bootstrap " << path);
        CHECK(python_parses(content));
        if (path == "labour_prelude.py") {  // the shared prelude: imported by the bootstrap beside it
          CHECK(std::any_of(plan.files.begin(), plan.files.end(), [](const auto& f) {
            return f.second.find("\nimport labour_prelude\n") != std::string::npos;
          }));
        } else {
          CHECK(plan.has(ctx.run_dir + "/" + path));  // run from where the host writes it
        }
      }
    }
    for (const auto& e : plan.env) CHECK(e.find('=') != std::string::npos);
    const Plan probe = instance.probe(ctx);
    CHECK_FALSE(probe.argv.empty());
    CHECK(probe.files.empty());
  }
}

TEST_CASE("python servers run the context's interpreter") {
  for (const auto& adapter : kAdapters) {
    if (adapter == "uwsgi") continue;  // embeds its own libpython through the python3 plugin
    INFO("adapter " << adapter);
    Library lib(adapter);
    Instance instance(lib, adapter == "command"
                               ? std::map<std::string, std::string>{{"command", "{python} -V {port}"}}
                               : minimal_options(adapter));
    Context ctx;
    ctx.python = "/opt/some/python3.11";
    CHECK(instance.launch(ctx).argv.front() == ctx.python);
    CHECK(instance.probe(ctx).argv.front() == ctx.python);
  }
}

TEST_CASE("a launch context without a port is an error, not a broken command") {
  for (const auto& adapter : kAdapters) {
    INFO("adapter " << adapter);
    Library lib(adapter);
    Instance instance(lib, minimal_options(adapter));
    Context ctx;
    ctx.port = 0;
    CHECK_THAT(instance.launch_error(ctx), Catch::Contains("port"));
  }
}

TEST_CASE("gunicorn passes worker class and limits, and probes the worker class") {
  Library lib("gunicorn");
  {
    Instance defaults(lib, {});
    const Plan plan = defaults.launch();
    CHECK(plan.argv[1] == "-m");
    CHECK(plan.argv[2] == "gunicorn");
    CHECK(plan.has_pair("--bind", "127.0.0.1:43127"));
    CHECK(plan.has_pair("--worker-class", "sync"));
    CHECK(plan.has_pair("--workers", "1"));
    CHECK(plan.has_pair("--chdir", "/tmp/labour-test/app"));
    CHECK(plan.argv.back() == "labour_app:application");
    CHECK_FALSE(plan.has("-D"));  // never daemonize
    CHECK_FALSE(plan.has("--daemon"));
  }
  Instance gevent(lib, {{"worker_class", "gevent"},
                        {"workers", "3"},
                        {"threads", "4"},
                        {"timeout", "7"},
                        {"graceful_timeout", "2"},
                        {"max_requests", "500"},
                        {"max_requests_jitter", "50"}});
  const Plan plan = gevent.launch();
  CHECK(plan.has_pair("--worker-class", "gevent"));
  CHECK(plan.has_pair("--workers", "3"));
  CHECK(plan.has_pair("--threads", "4"));
  CHECK(plan.has_pair("--timeout", "7"));
  CHECK(plan.has_pair("--graceful-timeout", "2"));
  CHECK(plan.has_pair("--max-requests", "500"));
  CHECK(plan.has_pair("--max-requests-jitter", "50"));
  CHECK(gevent.probe().mentions("gunicorn.workers.ggevent"));
  Instance eventlet(lib, {{"worker_class", "eventlet"}});
  CHECK(eventlet.probe().mentions("gunicorn.workers.geventlet"));
  Context v6;
  v6.host = "::1";
  CHECK(eventlet.launch(v6).has_pair("--bind", "[::1]:43127"));
}

TEST_CASE("uwsgi runs the python3 plugin on an HTTP socket and stops on SIGTERM") {
  Library lib("uwsgi");
  Instance defaults(lib, {});
  const Plan plan = defaults.launch();
  CHECK(plan.argv[0] == "uwsgi");
  CHECK(plan.has_pair("--need-plugin", "python3"));
  CHECK(plan.has_pair("--http-socket", "127.0.0.1:43127"));
  CHECK(plan.has_pair("--module", "labour_app:application"));
  CHECK(plan.has_pair("--pythonpath", "/tmp/labour-test/app"));
  CHECK(plan.has("--need-app"));
  CHECK(plan.has("--die-on-term"));
  CHECK(plan.has("--master"));
  CHECK_FALSE(plan.has("--harakiri"));  // 0 = off: not passed at all
  CHECK_FALSE(plan.has("--daemonize"));

  Instance tuned(lib, {{"processes", "2"},
                       {"threads", "3"},
                       {"harakiri", "20"},
                       {"max_requests", "1000"},
                       {"reload_on_rss", "256"},
                       {"evil_reload_on_rss", "512"}});
  const Plan t = tuned.launch();
  CHECK(t.has_pair("--processes", "2"));
  CHECK(t.has_pair("--threads", "3"));
  CHECK(t.has_pair("--harakiri", "20"));
  CHECK(t.has_pair("--max-requests", "1000"));
  CHECK(t.has_pair("--reload-on-rss", "256"));
  CHECK(t.has_pair("--evil-reload-on-rss", "512"));

  Instance no_master(lib, {{"master", "false"}});
  CHECK_FALSE(no_master.launch().has("--master"));

  Instance invalid(lib, {{"master", "false"}, {"harakiri", "30"}});
  CHECK_FALSE(invalid.created());
  CHECK_THAT(invalid.create_error(), Catch::Contains("harakiri=30") && Catch::Contains("master=true"));

  CHECK(defaults.probe().has_pair("--need-plugin", "python3"));
  CHECK(defaults.probe().has("--version"));
}

TEST_CASE("mod_wsgi writes an httpd.conf with Listen and the daemon process options") {
  Library lib("mod_wsgi");
  Instance tuned(lib, {{"processes", "2"},
                       {"threads", "7"},
                       {"request_timeout", "9"},
                       {"maximum_requests", "100"},
                       {"restart_interval", "600"},
                       {"inactivity_timeout", "30"},
                       {"graceful_timeout", "4"},
                       {"queue_timeout", "11"}});
  const Plan plan = tuned.launch();
  CHECK(plan.has("/usr/sbin/apache2"));
  CHECK(plan.has_pair("-f", "/tmp/labour-test/httpd.conf"));
  CHECK(plan.has("-DFOREGROUND"));
  REQUIRE(plan.files.count("httpd.conf") == 1);
  REQUIRE(plan.files.count("labour_mod_wsgi_launch.py") == 1);
  const std::string conf = plan.files.at("httpd.conf");
  CHECK_THAT(conf, Catch::Contains("\nListen 127.0.0.1:43127\n"));
  CHECK_THAT(conf, Catch::Contains("WSGIDaemonProcess labour processes=2 threads=7 request-timeout=9 "
                                   "maximum-requests=100 restart-interval=600 inactivity-timeout=30 "
                                   "graceful-timeout=4 queue-timeout=11 "));
  CHECK_THAT(conf, Catch::Contains("python-path=/tmp/labour-test/app"));
  CHECK_THAT(conf, Catch::Contains("WSGIProcessGroup labour"));
  CHECK_THAT(conf, Catch::Contains("WSGIScriptAlias / /tmp/labour-test/app/labour_app.py"));
  CHECK_THAT(conf, Catch::Contains("WSGICallableObject application"));
  CHECK_THAT(conf, Catch::Contains("WSGISocketPrefix /tmp/labour-test/wsgi"));
  CHECK_THAT(conf, Catch::Contains("PidFile /tmp/labour-test/apache.pid"));
  CHECK_THAT(conf, Catch::Contains("LoadModule wsgi_module"));

  Instance defaults(lib, {});
  const std::string plain = defaults.launch().files.at("httpd.conf");
  CHECK_THAT(plain, Catch::Contains("WSGIDaemonProcess labour processes=1 threads=15 home="));
  CHECK_THAT(plain, !Catch::Contains("request-timeout"));  // 0 = off: not written
  CHECK(defaults.probe().mentions("mod_wsgi.so"));
}

TEST_CASE("waitress and uvicorn bind exactly host:port") {
  Library waitress("waitress");
  Instance w(waitress, {{"threads", "6"}, {"channel_timeout", "30"}, {"connection_limit", "50"}});
  const Plan wp = w.launch();
  CHECK(wp.has("--listen=127.0.0.1:43127"));
  CHECK(wp.has("--threads=6"));
  CHECK(wp.has("--channel-timeout=30"));
  CHECK(wp.has("--connection-limit=50"));
  CHECK(wp.workdir == "/tmp/labour-test/app");

  Library uvicorn("uvicorn");
  Instance u(uvicorn, {{"workers", "2"}});
  const Plan up = u.launch();
  CHECK(up.has_pair("--interface", "wsgi"));
  CHECK(up.has_pair("--host", "127.0.0.1"));
  CHECK(up.has_pair("--port", "43127"));
  CHECK(up.has_pair("--workers", "2"));
  CHECK(up.has_pair("--app-dir", "/tmp/labour-test/app"));
}

TEST_CASE("bootstrapped servers pass their options to the bootstrap") {
  struct Case {
    std::string adapter;
    std::map<std::string, std::string> options;
    std::string flag, value, must_contain;
  };
  const std::vector<Case> cases = {
      {"wsgiref", {}, "--host", "127.0.0.1", "make_server"},
      {"gevent", {{"monkey_patch", "true"}}, "--monkey-patch", "true", "patch_all"},
      {"eventlet", {{"max_size", "77"}}, "--max-size", "77", "eventlet.wsgi.server"},
      {"twisted", {{"threads", "5"}}, "--threads", "5", "WSGIResource"},
      {"cheroot", {{"numthreads", "6"}}, "--numthreads", "6", "numthreads="},
      {"cherrypy", {{"thread_pool", "8"}}, "--thread-pool", "8", "tree.graft"},
      {"paste", {{"threadpool", "9"}}, "--threadpool", "9", "httpserver.serve"},
      {"werkzeug", {{"threaded", "true"}}, "--threaded", "true", "run_simple"},
      {"tornado", {}, "--port", "43127", "WSGIContainer"},
      {"hypercorn", {{"wrapper", "asgiref"}}, "--wrapper", "asgiref", "WsgiToAsgi"},
  };
  for (const auto& c : cases) {
    INFO("adapter " << c.adapter);
    Library lib(c.adapter);
    Instance instance(lib, c.options);
    const Plan plan = instance.launch();
    CHECK(plan.has_pair(c.flag, c.value));
    CHECK(plan.has_pair("--port", "43127"));
    CHECK(plan.has_pair("--app-dir", "/tmp/labour-test/app"));
    CHECK(plan.has_pair("--module", "labour_app"));
    CHECK(plan.has_pair("--callable", "application"));
    // The bootstrap, and the shared prelude it imports for the arguments and the app.
    REQUIRE(plan.files.size() == 2);
    REQUIRE(plan.files.count("labour_prelude.py") == 1);
    const auto bootstrap = std::find_if(plan.files.begin(), plan.files.end(),
                                        [](const auto& f) { return f.first != "labour_prelude.py"; });
    const std::string& source = bootstrap->second;
    CHECK_THAT(source, Catch::Contains(c.must_contain) && Catch::Contains("labour_prelude.arguments("));
    // Every bootstrap must end cleanly on SIGINT: it handles KeyboardInterrupt or signals
    // itself, or lets the prelude turn SIGINT into KeyboardInterrupt.
    CHECK((source.find("KeyboardInterrupt") != std::string::npos ||
           source.find("SIGINT") != std::string::npos ||
           source.find("labour_prelude.load_app(args)") != std::string::npos));
  }
}

TEST_CASE("werkzeug refuses threaded together with processes") {
  Library lib("werkzeug");
  Instance both(lib, {{"threaded", "true"}, {"processes", "2"}});
  CHECK_FALSE(both.created());
  CHECK_THAT(both.create_error(), Catch::Contains("threaded") && Catch::Contains("processes"));
  Instance forking(lib, {{"processes", "3"}});
  CHECK(forking.launch().has_pair("--processes", "3"));
}

TEST_CASE("command substitutes placeholders word by word, without a shell") {
  Library lib("command");
  Instance instance(lib,
                    {{"command",
                      "{python} -m srv --bind '{host}:{port}' --dir \"{app_dir}\" "
                      "{app_module}:{app_callable}  --pid={run_dir}/srv.pid --json='{{\"a\":1}}' it\\'s"}});
  INFO(instance.create_error());
  REQUIRE(instance.created());
  Context ctx;
  ctx.app_dir = "/tmp/dir with space/app";
  const Plan plan = instance.launch(ctx);
  const std::vector<std::string> expected = {"/usr/bin/python3",
                                             "-m",
                                             "srv",
                                             "--bind",
                                             "127.0.0.1:43127",
                                             "--dir",
                                             "/tmp/dir with space/app",
                                             "labour_app:application",
                                             "--pid=/tmp/labour-test/srv.pid",
                                             "--json={\"a\":1}",
                                             "it's"};
  CHECK(plan.argv == expected);
  const Plan probe = instance.probe(ctx);
  CHECK(probe.argv.back() == "/usr/bin/python3");  // the program the probe checks
}

TEST_CASE("command rejects unknown placeholders and broken quoting with one line") {
  Library lib("command");
  Instance unknown(lib, {{"command", "{python} serve.py {hots}:{port}"}});
  CHECK_FALSE(unknown.created());
  CHECK_THAT(unknown.create_error(), Catch::Contains("{hots}"));
  for (const char* placeholder :
       {"{python}", "{app_dir}", "{app_module}", "{app_callable}", "{host}", "{port}", "{run_dir}"})
    CHECK_THAT(unknown.create_error(), Catch::Contains(placeholder));
  CHECK(unknown.create_error().find('\n') == std::string::npos);

  Instance unterminated(lib, {{"command", "{python} -c 'print(1)"}});
  CHECK_FALSE(unterminated.created());
  CHECK_THAT(unterminated.create_error(), Catch::Contains("unterminated"));

  Instance brace(lib, {{"command", "{python} {port"}});
  CHECK_FALSE(brace.created());

  Instance empty(lib, {{"command", "   "}});
  CHECK_FALSE(empty.created());
}
