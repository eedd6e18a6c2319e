// labour C++ SDK: write a plugin as a plain class plus one macro.
//
//   struct Sleeping : labour::sdk::Behaviour {
//     static constexpr const char* name = "Sleeping";
//     static constexpr const char* version = "1.0.0";
//     static constexpr const char* summary = "sleeps in the worker, then answers";
//     static std::vector<labour::sdk::Param> params() { return {labour::sdk::Param::real(...)}; }
//     Sleeping(const labour::sdk::Params& p, const labour::sdk::Host& host);
//     labour::sdk::Request request() override;
//     bool judge(const labour::sdk::Outcome& o) const override;
//   };
//   LABOUR_BEHAVIOUR_PLUGIN(Sleeping)
//
// A behaviour may also declare `static constexpr const char* method = "POST";` (default
// GET: the only method its route then accepts) and `static std::vector<labour::sdk::File>
// files()` (data its worker half reads from ctx.files_dir).
//
// A client-driven behaviour (one that shapes its connection itself: slow clients, resets,
// pipelining, malformed bytes) derives from labour::sdk::ClientBehaviour and returns a
// Script from script(): plain data the host's engine runs on its own connections.
//
// The macro exports the C entry point of <labour/plugin_api.h>, catches every exception at
// the boundary (reported through last_error / the create error buffer) and keeps every
// string it hands to the host alive for as long as the ABI promises. Header-only; needs
// nothing but the C++ standard library.
#pragma once

#include <labour/plugin_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace labour::sdk {

inline labour_str_t to_c(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view from_c(labour_str_t s) {
  return s.data ? std::string_view{s.data, s.len} : std::string_view{};
}

// ------------------------------------------------------------------- parameters ----

// A declared parameter (behaviour) or option (server, reporter).
struct Param {
  std::string name;
  labour_param_type_t type = LABOUR_PARAM_STRING;
  std::string default_value;  // empty: required
  std::optional<double> min, max;
  std::string choices;  // ENUM: "a|b|c"
  std::string help;

  static Param integer(std::string name, std::int64_t def, std::optional<double> min,
                       std::optional<double> max, std::string help) {
    return {std::move(name), LABOUR_PARAM_INT, std::to_string(def), min, max, {}, std::move(help)};
  }
  static Param real(std::string name, double def, std::optional<double> min, std::optional<double> max,
                    std::string help) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", def);
    return {std::move(name), LABOUR_PARAM_FLOAT, buf, min, max, {}, std::move(help)};
  }
  static Param boolean(std::string name, bool def, std::string help) {
    return {std::move(name), LABOUR_PARAM_BOOL, def ? "true" : "false", {}, {}, {}, std::move(help)};
  }
  static Param text(std::string name, std::string def, std::string help) {
    return {std::move(name), LABOUR_PARAM_STRING, std::move(def), {}, {}, {}, std::move(help)};
  }
  static Param choice(std::string name, std::string def, std::string choices, std::string help) {
    return {std::move(name), LABOUR_PARAM_ENUM, std::move(def), {}, {}, std::move(choices), std::move(help)};
  }
};

// The validated values an instance is created with (every declared parameter present).
class Params {
 public:
  Params(const labour_param_value_t* values, std::uint32_t count, std::uint32_t stride) {
    for (std::uint32_t i = 0; i < count; ++i) {
      const auto& v = *LABOUR_ELEMENT(labour_param_value_t, values, stride, i);
      items_.emplace_back(std::string(from_c(v.name)), std::string(from_c(v.value)));
    }
  }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  const std::string& text(std::string_view name) const {
    for (const auto& [k, v] : items_)
      if (k == name) return v;
    throw std::invalid_argument("no parameter named '" + std::string(name) + "'");
  }
  std::int64_t integer(std::string_view name) const { return std::stoll(text(name)); }
  double real(std::string_view name) const { return std::stod(text(name)); }
  bool boolean(std::string_view name) const { return text(name) == "true"; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Host services for the call in progress (the host's handle says which test it is for).
class Host {
 public:
  Host() = default;
  Host(const labour_host_api_t* api, labour_host_t* handle) : api_(api), handle_(handle) {}
  void log(labour_log_level_t level, std::string_view message) const {
    if (api_ && api_->log_callback) api_->log_callback(handle_, level, to_c(message));
  }

 private:
  const labour_host_api_t* api_ = nullptr;
  labour_host_t* handle_ = nullptr;
};

// A file a plugin asks the host to write (path relative, content as bytes).
struct File {
  std::string path;
  std::string content;
};

namespace detail {
struct Access;
}

// What every plugin class shares: host() is the host of the call in progress (in the
// constructor: the Host it is given). Not for judge(), which runs on many threads at once.
class PluginBase {
 public:
  virtual ~PluginBase() = default;

 protected:
  const Host& host() const { return host_; }

 private:
  friend struct detail::Access;
  Host host_;
};

// ------------------------------------------------------------------- behaviours ----

struct Request {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
};

struct Outcome {
  labour_outcome_kind_t kind;
  int http_status;
  std::string_view body;
  std::uint64_t body_length;
  std::uint64_t elapsed_us;
  std::uint32_t responses = 0;  // complete responses read (ABI 2.1; a script may read several)

  bool http() const { return kind == LABOUR_OUTCOME_HTTP; }
  bool server_error() const { return http() && http_status >= 500 && http_status <= 599; }
  // What a request the application failed should get: a 5xx, or a connection that broke or
  // stalled. Anything else is an answer the client may take for one.
  bool failed() const { return server_error() || broken_or_stalled(); }
  // A client error status: the server refused the request (400, 408, 413, 431, ...).
  bool refused() const { return http() && http_status >= 400 && http_status <= 499; }
  // The server closed or reset the connection before any response byte.
  bool closed_before_response() const {
    return kind == LABOUR_OUTCOME_EOF_BEFORE_RESPONSE || kind == LABOUR_OUTCOME_RESET_BEFORE_RESPONSE;
  }
  // The server did not take the connection: nobody listened, or its accept queue was full.
  bool not_accepted() const {
    return kind == LABOUR_OUTCOME_CONNECT_REFUSED || kind == LABOUR_OUTCOME_CONNECT_TIMEOUT;
  }
  // A client-driven behaviour's connection was still open when its script or phase ended.
  bool held() const { return kind == LABOUR_OUTCOME_HELD; }
  // A timeout waiting for the server's bytes.
  bool timed_out() const {
    return kind == LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT || kind == LABOUR_OUTCOME_TOTAL_TIMEOUT;
  }
  // The connection died or stalled instead of answering: what a crashed or wedged worker
  // looks like from outside.
  bool broken_or_stalled() const {
    switch (kind) {
      case LABOUR_OUTCOME_RESET_BEFORE_RESPONSE:
      case LABOUR_OUTCOME_RESET_MID_RESPONSE:
      case LABOUR_OUTCOME_EOF_BEFORE_RESPONSE:
      case LABOUR_OUTCOME_TRUNCATED_BODY:
      case LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT:
      case LABOUR_OUTCOME_TOTAL_TIMEOUT:
        return true;
      default:
        return false;
    }
  }
};

// The scenario's per-request timeout plus the `seconds` a behaviour takes on purpose (a
// sleep, a bounded wedge), capped at what the ABI carries: for timeout_ms().
inline std::uint32_t timeout_plus(std::uint32_t scenario_timeout_ms, double seconds) {
  const double total = static_cast<double>(scenario_timeout_ms) + seconds * 1000.0;
  return static_cast<std::uint32_t>(std::min(total, double(std::numeric_limits<std::uint32_t>::max())));
}

// "/Name?k=v&k=v" from the instance's parameters: the route the worker app dispatches.
inline std::string default_target(std::string_view behaviour, const Params& params) {
  std::string t = "/" + std::string(behaviour);
  char sep = '?';
  for (const auto& [k, v] : params.items()) {
    t += sep;
    t += k;
    t += '=';
    // Percent-encoded past the unreserved characters: a '+' (as in "1e+20") would reach the
    // dispatcher, which decodes the query form-style, as a space.
    for (const unsigned char c : v) {
      if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
          c == '.' || c == '_' || c == '~') {
        t += static_cast<char>(c);
      } else {
        static constexpr char hex[] = "0123456789ABCDEF";
        t += {'%', hex[c >> 4], hex[c & 15]};
      }
    }
    sep = '&';
  }
  return t;
}

class Behaviour : public PluginBase {
 public:
  // The request this behaviour sends. By default its declared method (GET) on its route in
  // the worker app, "/<Name>?<every parameter>", which the dispatcher serves; override for
  // a body or headers.
  virtual Request request() { return {method_, route_, {}, {}}; }
  // Thread-safe: called from many load threads at once.
  virtual bool judge(const Outcome& outcome) const = 0;
  virtual std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const { return scenario_timeout_ms; }
  virtual bool innocent() const { return false; }

 protected:
  const std::string& route() const { return route_; }

 private:
  friend struct detail::Access;
  std::string route_;   // set by the SDK right after construction
  std::string method_;  // the class's declared method
};

// ------------------------------------------------------------- client-driven -------

// One step of a connection script (labour_step_t).
struct Step {
  labour_step_kind_t kind = LABOUR_STEP_SEND;
  std::string bytes;
  std::uint64_t total = 0;
  std::uint32_t chunk = 0;
  std::uint32_t interval_ms = 0;
  std::uint64_t rate = 0;
  std::uint32_t count = 0;

  static Step send(std::string bytes) {
    Step s;
    s.bytes = std::move(bytes);
    return s;
  }
  // `total` bytes (0: until the phase ends) cycling through `pattern`, `chunk` every `interval_ms`.
  static Step trickle(std::string pattern, std::uint64_t total, std::uint32_t chunk,
                      std::uint32_t interval_ms) {
    Step s = of(LABOUR_STEP_TRICKLE);
    s.bytes = std::move(pattern);
    s.total = total;
    s.chunk = chunk;
    s.interval_ms = interval_ms;
    return s;
  }
  static Step pause(std::uint32_t ms) {  // 0: until the phase ends
    Step s = of(LABOUR_STEP_PAUSE);
    s.interval_ms = ms;
    return s;
  }
  static Step half_close() { return of(LABOUR_STEP_HALF_CLOSE); }
  static Step reset() { return of(LABOUR_STEP_RESET); }
  // `count` responses; `rate` bytes/s at most (0: no cap) through a `window`-byte receive buffer.
  static Step read(std::uint32_t count = 1, std::uint64_t rate = 0, std::uint32_t window = 4096) {
    Step s = of(LABOUR_STEP_READ);
    s.count = count;
    s.rate = rate;
    s.chunk = rate > 0 ? window : 0;
    return s;
  }

 private:
  static Step of(labour_step_kind_t kind) {
    Step s;
    s.kind = kind;
    return s;
  }
};

struct Script {
  std::vector<Step> steps;
  std::uint32_t connections = 1;
  std::uint32_t repeat_after_ms = 0;
};

// The head of a request as a client writes it, without the blank line that ends it: a
// script adds that itself (or never does). Host is "localhost": the servers labour starts
// serve every name on their loopback port.
inline std::string request_head(std::string_view method, std::string_view target,
                                const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string s = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
  s += "User-Agent: labour\r\n";
  for (const auto& [name, value] : headers) s += name + ": " + value + "\r\n";
  return s;
}

// A behaviour that shapes its connection itself. Its script runs on its own connections beside
// the mix; request() still describes its route (what `labour serve` lists).
class ClientBehaviour : public Behaviour {
 public:
  virtual Script script() = 0;
};

// The method a behaviour class declares (`static constexpr const char* method`), or GET.
template <class Plugin, class = void>
struct declared_method {
  static constexpr const char* value = "GET";
};
template <class Plugin>
struct declared_method<Plugin, std::void_t<decltype(Plugin::method)>> {
  static constexpr const char* value = Plugin::method;
};

// The files a behaviour class declares (`static std::vector<File> files()`), or none.
template <class Plugin, class = void>
struct declared_files {
  static std::vector<File> get() { return {}; }
};
template <class Plugin>
struct declared_files<Plugin, std::void_t<decltype(Plugin::files())>> {
  static std::vector<File> get() { return Plugin::files(); }
};

// ------------------------------------------------------------------- servers -------

struct LaunchContext {
  std::string python, app_dir, app_module, app_callable, host, run_dir;
  std::uint32_t port = 0;
};

struct LaunchPlan {
  std::vector<std::string> argv;
  std::vector<std::string> env;                            // NAME=value
  std::vector<std::pair<std::string, std::string>> files;  // run_dir-relative path, content
  std::string workdir;
};

// What can be done to the running server (labour_lifecycle_t): signals 0 = not supported, and
// each note says what the server does or why it cannot, from its own documentation.
struct Lifecycle {
  int reload_signal = 0;
  std::string reload_note;
  int graceful_stop_signal = 0;
  std::string graceful_stop_note;
  bool has_workers = false;
  std::string workers_note;
  std::string worker_cmdline;  // among the main process's children, workers carry this; "": all
};

class ServerAdapter : public PluginBase {
 public:
  virtual LaunchPlan launch(const LaunchContext& ctx) = 0;
  virtual LaunchPlan probe(const LaunchContext& ctx) = 0;
  // With this instance's options. Default: nothing supported.
  virtual Lifecycle lifecycle() { return {}; }
};

// ------------------------------------------------------------------- reporters -----

class Sink {
 public:
  explicit Sink(const labour_sink_t* sink) : sink_(sink) {}
  Sink& operator<<(std::string_view s) {
    if (sink_->write_callback(sink_->sink_ctx, to_c(s)) != 0)
      throw std::runtime_error("cannot write the report");
    return *this;
  }

 private:
  const labour_sink_t* sink_;
};

class Reporter : public PluginBase {
 public:
  virtual void render(std::string_view results_json, Sink& out) = 0;
};

// ------------------------------------------------------------------- glue ----------
namespace detail {

// The SDK's own way into what plugin classes keep private from their authors.
struct Access {
  static void set_host(PluginBase& p, Host h) { p.host_ = h; }
  static void set_route(Behaviour& b, std::string route, std::string method) {
    b.route_ = std::move(route);
    b.method_ = std::move(method);
  }
};

// What labour_instance_t* points to: the object plus storage for what crosses the ABI.
template <class Base>
struct Box {
  std::unique_ptr<Base> object;
  const labour_host_api_t* host_api = nullptr;
  std::string last_error;
  Request request;
  std::vector<labour_header_t> headers;
  Script script;
  std::vector<labour_step_t> steps;
  Lifecycle lifecycle;
  LaunchPlan plan;
  std::vector<labour_str_t> argv, env;
  std::vector<labour_file_t> files;
};

template <class Base>
Box<Base>* unbox(labour_instance_t* p) {
  return reinterpret_cast<Box<Base>*>(p);
}
template <class Base>
const Box<Base>* unbox(const labour_instance_t* p) {
  return reinterpret_cast<const Box<Base>*>(p);
}

// Points into `path` and `content`: they must outlive what is handed to the host.
inline labour_file_t file_to_c(const std::string& path, const std::string& content) {
  labour_file_t c{};
  c.struct_size = sizeof c;
  c.path = to_c(path);
  c.content = to_c(content);
  return c;
}

// Runs `f` with host() set to this call's host, turning any exception into last_error and
// a non-zero return.
template <class Base, class F>
int32_t guarded(labour_instance_t* self, labour_host_t* host, F&& f) {
  auto* box = unbox<Base>(self);
  try {
    Access::set_host(*box->object, Host(box->host_api, host));
    f(*box);
    return 0;
  } catch (const std::exception& e) {
    box->last_error = e.what();
  } catch (...) {
    box->last_error = "unknown exception";
  }
  return 1;
}

template <class Plugin, class Base>
struct Common {
  static const std::vector<Param>& declared() {
    static const std::vector<Param> p = Plugin::params();
    return p;
  }
  static const std::vector<labour_param_schema_t>& schema() {
    static const std::vector<labour_param_schema_t> s = [] {
      std::vector<labour_param_schema_t> out;
      for (const auto& p : declared()) {
        labour_param_schema_t c{};
        c.struct_size = sizeof c;
        c.name = to_c(p.name);
        c.type = p.type;
        c.default_value = to_c(p.default_value);
        c.has_min = p.min.has_value();
        c.has_max = p.max.has_value();
        c.min = p.min.value_or(0);
        c.max = p.max.value_or(0);
        c.choices = to_c(p.choices);
        c.help = to_c(p.help);
        out.push_back(c);
      }
      return out;
    }();
    return s;
  }
  static labour_instance_t* create(const labour_host_api_t* api, labour_host_t* host,
                                   const labour_param_value_t* values, uint32_t count, uint32_t stride,
                                   char* error_buf, size_t error_buf_len) {
    auto fail = [&](const char* why) {
      if (error_buf && error_buf_len) std::snprintf(error_buf, error_buf_len, "%s", why);
      return nullptr;
    };
    try {
      auto box = std::make_unique<Box<Base>>();
      box->host_api = api;
      const Params params(values, count, stride);
      auto object = std::make_unique<Plugin>(params, Host(api, host));
      if constexpr (std::is_base_of_v<Behaviour, Plugin>)
        Access::set_route(*object, default_target(Plugin::name, params), declared_method<Plugin>::value);
      box->object = std::move(object);
      return reinterpret_cast<labour_instance_t*>(box.release());
    } catch (const std::exception& e) {
      return fail(e.what());
    } catch (...) {
      return fail("unknown exception");
    }
  }
  static void destroy(labour_instance_t* self) { delete unbox<Base>(self); }
  static labour_str_t last_error(const labour_instance_t* self) {
    return to_c(unbox<Base>(self)->last_error);
  }

  static labour_plugin_t descriptor() {
    labour_plugin_t d{};
    d.struct_size = sizeof d;
    d.abi_major = LABOUR_ABI_MAJOR;
    d.abi_minor = LABOUR_ABI_MINOR;
    d.name = to_c(Plugin::name);
    d.version = to_c(Plugin::version);
    d.summary = to_c(Plugin::summary);
    d.params = schema().empty() ? nullptr : schema().data();
    d.param_count = static_cast<uint32_t>(schema().size());
    d.param_stride = sizeof(labour_param_schema_t);
    d.plugin_on_create = &create;
    d.plugin_on_destroy = &destroy;
    d.plugin_on_last_error = &last_error;
    return d;
  }
};

template <class Plugin>
struct BehaviourGlue : Common<Plugin, Behaviour> {
  using B = Box<Behaviour>;
  static int32_t build(labour_instance_t* self, labour_host_t* host, labour_request_t* out) {
    return guarded<Behaviour>(self, host, [&](B& box) {
      box.request = box.object->request();
      box.headers.clear();
      for (const auto& [name, value] : box.request.headers) {
        labour_header_t h{};
        h.struct_size = sizeof h;
        h.name = to_c(name);
        h.value = to_c(value);
        box.headers.push_back(h);
      }
      out->struct_size = sizeof *out;
      out->method = to_c(box.request.method);
      out->target = to_c(box.request.target);
      out->body = to_c(box.request.body);
      out->headers = box.headers.empty() ? nullptr : box.headers.data();
      out->header_count = static_cast<uint32_t>(box.headers.size());
      out->header_stride = sizeof(labour_header_t);
    });
  }
  // Only for client-driven behaviours (the macro leaves the pointer NULL otherwise).
  static int32_t build_script(labour_instance_t* self, labour_host_t* host, labour_script_t* out) {
    return guarded<Behaviour>(self, host, [&](B& box) {
      if constexpr (std::is_base_of_v<ClientBehaviour, Plugin>)
        box.script = static_cast<Plugin&>(*box.object).script();
      box.steps.clear();
      for (const auto& st : box.script.steps) {
        labour_step_t c{};
        c.struct_size = sizeof c;
        c.kind = st.kind;
        c.bytes = to_c(st.bytes);
        c.total = st.total;
        c.chunk = st.chunk;
        c.interval_ms = st.interval_ms;
        c.rate = st.rate;
        c.count = st.count;
        box.steps.push_back(c);
      }
      out->struct_size = sizeof *out;
      out->steps = box.steps.empty() ? nullptr : box.steps.data();
      out->step_count = static_cast<uint32_t>(box.steps.size());
      out->step_stride = sizeof(labour_step_t);
      out->connections = box.script.connections;
      out->repeat_after_ms = box.script.repeat_after_ms;
    });
  }
  static int32_t judge(const labour_instance_t* self, const labour_outcome_t* o) {
    try {
      Outcome out{o->kind, o->http_status, from_c(o->body), o->body_length, o->elapsed_us};
      if (o->struct_size >= offsetof(labour_outcome_t, responses) + sizeof o->responses)
        out.responses = o->responses;
      return unbox<Behaviour>(self)->object->judge(out) ? 1 : 0;
    } catch (...) {
      return -1;  // the plugin failed, not the server: the host says so (ABI: neither 1 nor 0)
    }
  }
  static uint32_t timeout(const labour_instance_t* self, uint32_t scenario_ms) {
    try {
      return unbox<Behaviour>(self)->object->timeout_ms(scenario_ms);
    } catch (...) {
      return scenario_ms;
    }
  }
  static int32_t innocent(const labour_instance_t* self) {
    try {
      return unbox<Behaviour>(self)->object->innocent() ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }
  // The declared files, made once and kept for as long as the library is loaded.
  static const std::vector<labour_file_t>& files() {
    static const std::vector<File> declared = declared_files<Plugin>::get();
    static const std::vector<labour_file_t> c = [] {
      std::vector<labour_file_t> out;
      for (const auto& f : declared) out.push_back(file_to_c(f.path, f.content));
      return out;
    }();
    return c;
  }
};

template <class Plugin>
struct ServerGlue : Common<Plugin, ServerAdapter> {
  using B = Box<ServerAdapter>;
  static LaunchContext context(const labour_launch_context_t* c) {
    LaunchContext x;
    x.python = from_c(c->python);
    x.app_dir = from_c(c->app_dir);
    x.app_module = from_c(c->app_module);
    x.app_callable = from_c(c->app_callable);
    x.host = from_c(c->host);
    x.run_dir = from_c(c->run_dir);
    x.port = c->port;
    return x;
  }
  static void expose(B& box, labour_launch_plan_t* out) {
    box.argv.clear();
    box.env.clear();
    box.files.clear();
    for (const auto& a : box.plan.argv) box.argv.push_back(to_c(a));
    for (const auto& e : box.plan.env) box.env.push_back(to_c(e));
    for (const auto& [path, content] : box.plan.files) box.files.push_back(file_to_c(path, content));
    out->struct_size = sizeof *out;
    out->argv = box.argv.data();
    out->argc = static_cast<uint32_t>(box.argv.size());
    out->env = box.env.data();
    out->envc = static_cast<uint32_t>(box.env.size());
    out->files = box.files.data();
    out->filec = static_cast<uint32_t>(box.files.size());
    out->file_stride = sizeof(labour_file_t);
    out->workdir = to_c(box.plan.workdir);
  }
  static int32_t launch(labour_instance_t* self, labour_host_t* host, const labour_launch_context_t* c,
                        labour_launch_plan_t* out) {
    return guarded<ServerAdapter>(self, host, [&](B& box) {
      box.plan = box.object->launch(context(c));
      expose(box, out);
    });
  }
  static int32_t probe(labour_instance_t* self, labour_host_t* host, const labour_launch_context_t* c,
                       labour_launch_plan_t* out) {
    return guarded<ServerAdapter>(self, host, [&](B& box) {
      box.plan = box.object->probe(context(c));
      expose(box, out);
    });
  }
  static int32_t lifecycle(labour_instance_t* self, labour_host_t* host, labour_lifecycle_t* out) {
    return guarded<ServerAdapter>(self, host, [&](B& box) {
      box.lifecycle = box.object->lifecycle();
      const Lifecycle& l = box.lifecycle;
      *out = labour_lifecycle_t{};
      out->struct_size = sizeof *out;
      out->reload_signal = l.reload_signal;
      out->reload_note = to_c(l.reload_note);
      out->graceful_stop_signal = l.graceful_stop_signal;
      out->graceful_stop_note = to_c(l.graceful_stop_note);
      out->has_workers = l.has_workers ? 1 : 0;
      out->workers_note = to_c(l.workers_note);
      out->worker_cmdline = to_c(l.worker_cmdline);
    });
  }
};

template <class Plugin>
struct ReporterGlue : Common<Plugin, Reporter> {
  static int32_t render(labour_instance_t* self, labour_host_t* host, labour_str_t json,
                        const labour_sink_t* sink) {
    return guarded<Reporter>(self, host, [&](Box<Reporter>& box) {
      Sink out(sink);
      box.object->render(from_c(json), out);
    });
  }
};

}  // namespace detail
}  // namespace labour::sdk

// The worker half of a behaviour, embedded by labour_add_plugin(... WORKER file.py).
extern "C" const char labour_embedded_worker_source[];
extern "C" const unsigned long labour_embedded_worker_source_size;

#define LABOUR_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

#define LABOUR_BEHAVIOUR_PLUGIN(Class)                                                       \
  LABOUR_PLUGIN_EXPORT const labour_plugin_t* labour_plugin_entry(void) {                    \
    using Glue = ::labour::sdk::detail::BehaviourGlue<Class>;                                \
    static const labour_behaviour_api_t api = [] {                                           \
      labour_behaviour_api_t a{};                                                            \
      a.struct_size = sizeof a;                                                              \
      a.worker_source = {labour_embedded_worker_source, labour_embedded_worker_source_size}; \
      a.method = ::labour::sdk::to_c(::labour::sdk::declared_method<Class>::value);          \
      a.files = Glue::files().empty() ? nullptr : Glue::files().data();                      \
      a.file_count = static_cast<uint32_t>(Glue::files().size());                            \
      a.file_stride = sizeof(labour_file_t);                                                 \
      a.behaviour_on_build_request = &Glue::build;                                           \
      a.behaviour_on_judge = &Glue::judge;                                                   \
      a.behaviour_on_timeout_ms = &Glue::timeout;                                            \
      a.behaviour_on_is_innocent = &Glue::innocent;                                          \
      if constexpr (std::is_base_of_v<::labour::sdk::ClientBehaviour, Class>)                \
        a.behaviour_on_build_script = &Glue::build_script;                                   \
      return a;                                                                              \
    }();                                                                                     \
    static const labour_plugin_t d = [] {                                                    \
      labour_plugin_t p = Glue::descriptor();                                                \
      p.behaviour = &api;                                                                    \
      return p;                                                                              \
    }();                                                                                     \
    return &d;                                                                               \
  }

#define LABOUR_SERVER_PLUGIN(Class, install_hint_text)                    \
  LABOUR_PLUGIN_EXPORT const labour_plugin_t* labour_plugin_entry(void) { \
    using Glue = ::labour::sdk::detail::ServerGlue<Class>;                \
    static const labour_server_api_t api = [] {                           \
      labour_server_api_t a{};                                            \
      a.struct_size = sizeof a;                                           \
      a.install_hint = ::labour::sdk::to_c(install_hint_text);            \
      a.server_on_plan_launch = &Glue::launch;                            \
      a.server_on_plan_probe = &Glue::probe;                              \
      a.server_on_lifecycle = &Glue::lifecycle;                           \
      return a;                                                           \
    }();                                                                  \
    static const labour_plugin_t d = [] {                                 \
      labour_plugin_t p = Glue::descriptor();                             \
      p.server = &api;                                                    \
      return p;                                                           \
    }();                                                                  \
    return &d;                                                            \
  }

#define LABOUR_REPORTER_PLUGIN(Class)                                     \
  LABOUR_PLUGIN_EXPORT const labour_plugin_t* labour_plugin_entry(void) { \
    using Glue = ::labour::sdk::detail::ReporterGlue<Class>;              \
    static const labour_reporter_api_t api = [] {                         \
      labour_reporter_api_t a{};                                          \
      a.struct_size = sizeof a;                                           \
      a.reporter_on_render = &Glue::render;                               \
      return a;                                                           \
    }();                                                                  \
    static const labour_plugin_t d = [] {                                 \
      labour_plugin_t p = Glue::descriptor();                             \
      p.reporter = &api;                                                  \
      return p;                                                           \
    }();                                                                  \
    return &d;                                                            \
  }
