#include "workerapp/worker_app.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string_view>

extern "C" const char labour_dispatcher_source[];
extern "C" const unsigned long labour_dispatcher_source_size;

namespace labour::workerapp {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

std::string errno_text(int err) { return std::strerror(err); }

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [A-Za-z][A-Za-z0-9_-]*: safe as a route, a file name and a Python module suffix.
bool valid_behaviour_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || !is_alpha(n[0])) return false;
  for (char c : n)
    if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-') return false;
  return true;
}

// [a-z_][a-z0-9_]*, as the ABI declares parameter names.
bool valid_param_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || !((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_')) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_')) return false;
  return true;
}

const char* type_name(labour_param_type_t t) {
  switch (t) {
    case LABOUR_PARAM_INT:
      return "int";
    case LABOUR_PARAM_FLOAT:
      return "float";
    case LABOUR_PARAM_BOOL:
      return "bool";
    case LABOUR_PARAM_STRING:
      return "string";
    case LABOUR_PARAM_ENUM:
      return "enum";
  }
  return nullptr;
}

// Integer bounds of int parameters are written as JSON integers, so Python compares ints.
nlohmann::json bound(const std::optional<double>& b, labour_param_type_t type) {
  if (!b) return nullptr;
  if (!std::isfinite(*b)) fail("parameter bounds must be finite numbers");
  if (type == LABOUR_PARAM_INT && std::trunc(*b) == *b && std::fabs(*b) < 9.0e18)
    return static_cast<std::int64_t>(*b);
  return *b;
}

void check(const std::vector<BehaviourSource>& behaviours) {
  std::set<std::string> seen;
  for (const auto& b : behaviours) {
    if (!valid_behaviour_name(b.name))
      fail("behaviour name '" + b.name + "' is not valid: use [A-Za-z][A-Za-z0-9_-]*, at most 64 characters");
    if (!seen.insert(b.name).second)
      fail("behaviour '" + b.name + "' is given twice; list each behaviour once");
    if (b.source.empty()) fail("behaviour '" + b.name + "' has an empty worker half; rebuild its plugin");
    if (b.method.empty() ||
        !std::all_of(b.method.begin(), b.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      fail("behaviour '" + b.name + "' declares method '" + b.method + "'; use an HTTP method such as GET");
    for (const auto& [path, content] : b.files)
      if (path.empty() || fs::path(path).is_absolute() || path.find("..") != std::string::npos)
        fail("behaviour '" + b.name + "' declares data file '" + path + "' outside its folder");
    std::set<std::string> params;
    for (const auto& p : b.params) {
      const std::string where = "parameter '" + p.name + "' of behaviour '" + b.name + "'";
      if (!valid_param_name(p.name)) fail(where + " has an invalid name: use [a-z_][a-z0-9_]*");
      if (!params.insert(p.name).second) fail(where + " is declared twice");
      if (!type_name(p.type)) fail(where + " has unknown type " + std::to_string(int(p.type)));
      if (p.type == LABOUR_PARAM_ENUM && p.choices.empty()) fail(where + " is an enum without choices");
      if (p.type != LABOUR_PARAM_ENUM && !p.choices.empty()) fail(where + " has choices but is not an enum");
      if ((p.min || p.max) && p.type != LABOUR_PARAM_INT && p.type != LABOUR_PARAM_FLOAT)
        fail(where + " has bounds but is not a number");
      if (p.min && p.max && *p.min > *p.max) fail(where + " has min > max");
    }
  }
}

// Creates `path` (must not exist) with `mode` and writes all of `bytes`.
void write_file(const fs::path& path, std::string_view bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail("cannot create '" + path.string() + "': " + errno_text(errno));
  ::fchmod(fd, mode);  // the umask may have removed bits the server needs
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      fail("cannot write '" + path.string() + "': " + errno_text(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) fail("cannot write '" + path.string() + "': " + errno_text(errno));
}

void make_dir(const fs::path& path) {
  if (::mkdir(path.c_str(), 0700) != 0 || ::chmod(path.c_str(), 0700) != 0)
    fail("cannot create folder '" + path.string() + "': " + errno_text(errno));
}

}  // namespace

std::string dispatcher_source() {
  return std::string(labour_dispatcher_source, labour_dispatcher_source_size);
}

fs::path make_run_dir() {
  const char* env = std::getenv("TMPDIR");
  const std::string base = (env && *env) ? env : "/tmp";
  std::string templ = (fs::path(base) / "labour-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr)
    fail("cannot create a run folder under '" + base + "': " + errno_text(errno) +
         "; set TMPDIR to a writable folder");
  // mkdtemp already uses 0700; say so explicitly in case a platform differs.
  if (::chmod(templ.c_str(), 0700) != 0) fail("cannot make '" + templ + "' private: " + errno_text(errno));
  return templ;
}

std::string behaviours_json(const std::vector<BehaviourSource>& behaviours) {
  check(behaviours);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : behaviours) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : b.params) {
      params.push_back({{"name", p.name},
                        {"type", type_name(p.type)},
                        {"min", bound(p.min, p.type)},
                        {"max", bound(p.max, p.type)},
                        {"choices", p.choices}});
    }
    list.push_back({{"name", b.name},
                    {"module", "labour_behaviours/" + b.name + ".py"},
                    {"method", b.method},
                    {"files_dir", "labour_files/" + b.name},
                    {"params", params}});
  }
  const nlohmann::json doc = {{"format", 2}, {"behaviours", list}};
  return doc.dump(2) + "\n";
}

AppLayout write_worker_app(const fs::path& run_dir, const std::vector<BehaviourSource>& behaviours) {
  const std::string json = behaviours_json(behaviours);  // validates before anything is written
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec))
    fail("run folder '" + run_dir.string() + "' does not exist; create it with make_run_dir()");
  AppLayout layout;
  layout.app_dir = run_dir / "app";
  make_dir(layout.app_dir);
  make_dir(layout.app_dir / "labour_behaviours");
  write_file(layout.app_dir / "labour_app.py", dispatcher_source(), 0600);
  make_dir(layout.app_dir / "labour_files");
  for (const auto& b : behaviours) {
    write_file(layout.app_dir / "labour_behaviours" / (b.name + ".py"), b.source, 0600);
    const fs::path files_dir = layout.app_dir / "labour_files" / b.name;
    make_dir(files_dir);
    for (const auto& [path, content] : b.files) {
      std::error_code ec;  // inside the app folder, which is private (0700)
      fs::create_directories((files_dir / path).parent_path(), ec);
      write_file(files_dir / path, content, 0600);
    }
  }
  write_file(layout.app_dir / "behaviours.json", json, 0600);
  return layout;
}

}  // namespace labour::workerapp
