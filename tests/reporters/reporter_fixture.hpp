// Loads a reporter .so through its C descriptor, as the host does, and renders documents
// with an instance made from every declared option (defaults unless a test says otherwise).
// The test is the host here: labour_host_t is its own, and keeps what the plugin logs.
#pragma once

#include <dlfcn.h>
#include <labour/plugin_api.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

// What a reporter's calls act for, in these tests: the warnings it logs.
struct labour_host_t {
  std::vector<std::string> warnings;
};

namespace labour::test {

inline std::string text(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }

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
  const labour_param_schema_t& param(uint32_t i) const {
    return *LABOUR_ELEMENT(labour_param_schema_t, plugin_->params, plugin_->param_stride, i);
  }

 private:
  void* handle_ = nullptr;
  const labour_plugin_t* plugin_ = nullptr;
};

struct Rendered {
  int rc = 0;
  std::string output;
  std::string error;  // last_error when rc != 0
};

inline int32_t collect(void* ctx, labour_str_t bytes) {
  static_cast<std::string*>(ctx)->append(bytes.data, bytes.len);
  return 0;
}
inline int32_t refuse(void*, labour_str_t) { return 5; }

inline void keep_warnings(labour_host_t* host, labour_log_level_t level, labour_str_t message) {
  if (host && level >= LABOUR_LOG_WARN) host->warnings.push_back(text(message));
}

class Instance {
 public:
  Instance(const Library& lib, const std::map<std::string, std::string>& values = {}) : lib_(lib) {
    const auto& plugin = lib.plugin();
    std::vector<std::string> names, texts;
    for (uint32_t i = 0; i < plugin.param_count; ++i) {
      names.push_back(text(lib.param(i).name));
      auto it = values.find(names.back());
      texts.push_back(it != values.end() ? it->second : text(lib.param(i).default_value));
    }
    std::vector<labour_param_value_t> params;
    for (std::size_t i = 0; i < names.size(); ++i)
      params.push_back({sizeof(labour_param_value_t),
                        {names[i].data(), names[i].size()},
                        {texts[i].data(), texts[i].size()}});
    static const labour_host_api_t api{sizeof(labour_host_api_t), &keep_warnings};
    char error[512] = "";
    self_ = plugin.plugin_on_create(&api, &host_, params.data(), static_cast<uint32_t>(params.size()),
                                    sizeof(labour_param_value_t), error, sizeof error);
    create_error_ = error;
  }
  ~Instance() {
    if (self_) lib_.plugin().plugin_on_destroy(self_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool created() const { return self_ != nullptr; }
  const std::string& create_error() const { return create_error_; }
  const std::vector<std::string>& warnings() const { return host_.warnings; }

  Rendered render(const std::string& document, bool sink_fails = false) {
    REQUIRE(self_);
    REQUIRE(lib_.plugin().reporter != nullptr);
    Rendered r;
    const labour_sink_t sink{sizeof(labour_sink_t), &r.output, sink_fails ? &refuse : &collect};
    r.rc =
        lib_.plugin().reporter->reporter_on_render(self_, &host_, {document.data(), document.size()}, &sink);
    if (r.rc != 0) r.error = text(lib_.plugin().plugin_on_last_error(self_));
    return r;
  }

 private:
  const Library& lib_;
  labour_host_t host_;
  labour_instance_t* self_ = nullptr;
  std::string create_error_;
};

}  // namespace labour::test
