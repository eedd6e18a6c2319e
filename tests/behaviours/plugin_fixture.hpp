// Loads a built behaviour .so through its C entry point, as the host does, and makes
// instances with chosen parameter values (the rest from the schema's defaults).
#pragma once

#include <dlfcn.h>

#include <labour/plugin_api.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace labour::test {

inline std::string_view view(labour_str_t s) {
  return s.data ? std::string_view(s.data, s.len) : std::string_view{};
}

class LoadedBehaviour {
 public:
  // `file` is the output name, e.g. "sigsegv" for labour_behaviour_sigsegv.so.
  explicit LoadedBehaviour(const std::string& file) {
    const std::string path = std::string(LABOUR_TEST_PLUGIN_DIR) + "/labour_behaviour_" + file + ".so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error("cannot load " + path + ": " + ::dlerror());
    auto entry = reinterpret_cast<labour_plugin_entry_fn>(::dlsym(handle_, LABOUR_PLUGIN_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error(path + " has no " LABOUR_PLUGIN_ENTRY_SYMBOL);
    plugin_ = entry();
  }
  ~LoadedBehaviour() { ::dlclose(handle_); }
  LoadedBehaviour(const LoadedBehaviour&) = delete;
  LoadedBehaviour& operator=(const LoadedBehaviour&) = delete;

  const labour_plugin_t& plugin() const { return *plugin_; }
  const labour_behaviour_api_t& api() const { return *plugin_->behaviour; }

  struct InstanceDeleter {
    const labour_plugin_t* plugin;
    void operator()(labour_instance_t* p) const { plugin->plugin_on_destroy(p); }
  };
  using Instance = std::unique_ptr<labour_instance_t, InstanceDeleter>;

  // An instance from `values` plus defaults; throws with the plugin's reason on failure.
  Instance create(const std::map<std::string, std::string>& values = {}) const {
    std::vector<std::string> names, texts;
    for (std::uint32_t i = 0; i < plugin_->param_count; ++i) {
      const auto& p = *LABOUR_ELEMENT(labour_param_schema_t, plugin_->params, plugin_->param_stride, i);
      names.emplace_back(view(p.name));
      auto it = values.find(names.back());
      texts.push_back(it != values.end() ? it->second : std::string(view(p.default_value)));
    }
    for (const auto& [k, v] : values)
      if (std::find(names.begin(), names.end(), k) == names.end())
        throw std::invalid_argument("no parameter " + k);
    std::vector<labour_param_value_t> params;
    for (std::size_t i = 0; i < names.size(); ++i)
      params.push_back({sizeof(labour_param_value_t),
                        {names[i].data(), names[i].size()},
                        {texts[i].data(), texts[i].size()}});
    char error[256] = "";
    labour_instance_t* self =
        plugin_->plugin_on_create(nullptr, nullptr, params.data(), static_cast<std::uint32_t>(params.size()),
                                  sizeof(labour_param_value_t), error, sizeof error);
    if (!self) throw std::runtime_error(error);
    return Instance(self, InstanceDeleter{plugin_});
  }

  std::string target(labour_instance_t* self) const {
    labour_request_t out{};
    if (api().behaviour_on_build_request(self, nullptr, &out) != 0)
      throw std::runtime_error("build_request failed");
    if (view(out.method) != "GET") throw std::runtime_error("method is not GET");
    return std::string(view(out.target));
  }

  bool judge(const labour_instance_t* self, labour_outcome_kind_t kind, int status = 0,
             std::uint64_t body_length = 0) const {
    labour_outcome_t o{};
    o.struct_size = sizeof o;
    o.kind = kind;
    o.http_status = status;
    o.body_length = body_length;
    return api().behaviour_on_judge(self, &o) == 1;
  }

 private:
  void* handle_ = nullptr;
  const labour_plugin_t* plugin_ = nullptr;
};

}  // namespace labour::test
