// command: bring your own server command line, with placeholders for what the host provides.
//
//   --server 'command:command={python} -m mywsgi --bind {host}:{port} {app_module}:{app_callable}'
//
// The text is split into argv here (no shell): whitespace separates words; '...' is literal;
// "..." allows \" and \\; a backslash outside quotes escapes the next character. Placeholders
// are replaced inside each word after splitting, so a value with spaces stays one argument.
// {{ and }} stand for literal braces.
#include <array>

#include "server_support.hpp"

namespace labour::servers {

class Command : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "command";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "any server, started by a command line you give (no shell)";
  static constexpr std::array<const char*, 7> placeholders = {
      "python", "app_dir", "app_module", "app_callable", "host", "port", "run_dir"};

  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::text("command", "",
                         "command line that serves the app in the foreground on {host}:{port}; placeholders "
                         "{python} {app_dir} {app_module} {app_callable} {host} {port} {run_dir}"),
        sdk::Param::text("reload_signal", "none",
                         "the signal that reloads your server gracefully, e.g. SIGHUP"),
        sdk::Param::text("graceful_stop_signal", "none",
                         "the signal that stops your server gracefully, e.g. SIGTERM"),
        sdk::Param::boolean("workers", false, "requests run in worker processes, children of the main one"),
        sdk::Param::text(
            "worker_cmdline", "any",
            "text in a worker's command line that tells it from the main process's other children "
            "(any: every child is a worker)"),
    };
  }

  // Splits and checks the command at once, so a typo fails before anything is started.
  Command(const sdk::Params& p, const sdk::Host&) : words_(split(p.text("command"))) {
    lifecycle_.reload_signal = signal_option(p, "reload_signal");
    lifecycle_.graceful_stop_signal = signal_option(p, "graceful_stop_signal");
    lifecycle_.has_workers = p.boolean("workers");
    lifecycle_.worker_cmdline = p.text("worker_cmdline") == "any" ? "" : p.text("worker_cmdline");
    const char* yours = "as declared by the command's options (reload_signal, graceful_stop_signal, workers)";
    lifecycle_.reload_note = lifecycle_.reload_signal ? yours : "no reload_signal given";
    lifecycle_.graceful_stop_note = lifecycle_.graceful_stop_signal ? yours : "no graceful_stop_signal given";
    lifecycle_.workers_note = lifecycle_.has_workers ? yours : "workers=false";
    if (words_.empty())
      throw std::invalid_argument(
          "command option 'command' is empty; give the server's command line, e.g. "
          "'{python} -m waitress --listen={host}:{port} {app_module}:{app_callable}'");
    LaunchContext sample;
    sample.python = sample.app_dir = sample.app_module = sample.app_callable = sample.host = sample.run_dir =
        "x";
    sample.port = 1;
    LaunchContext other = sample;
    other.port = 2;
    bool takes_port = false;
    for (const auto& w : words_) takes_port = substitute(w, sample) != substitute(w, other) || takes_port;
    // labour picks a free port for each test and waits for the server there: a command that
    // does not take it would listen elsewhere, and each try would look like a taken port.
    if (!takes_port)
      throw std::invalid_argument(
          "command option 'command' has no {port}: labour picks the port of each test, so put {port} where "
          "your server takes its port, e.g. --bind {host}:{port}");
  }

  sdk::Lifecycle lifecycle() override { return lifecycle_; }

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    for (const auto& w : words_) p.argv.push_back(substitute(w, c));
    p.env = python_env();
    return p;
  }

  // A free-form command has no version to ask for; what can be checked is that its program
  // exists and is executable (looked up in PATH like the launch will be). Prints
  // "unknown (command: <resolved path>)"; exits 1 naming the program otherwise.
  LaunchPlan probe(const LaunchContext& c) override {
    LaunchPlan p;
    p.argv = {c.python, "-c",
              "import os, shutil, sys\n"
              "prog = sys.argv[1]\n"
              "path = prog if '/' in prog else shutil.which(prog)\n"
              "if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):\n"
              "    sys.exit('command: %s is not an executable file (nor found in PATH)' % prog)\n"
              "print('unknown (command: %s)' % path)\n",
              substitute(words_.front(), c)};
    p.env = python_env();
    return p;
  }

 private:
  static std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char ch = text[i];
      if (ch == ' ' || ch == '\t' || ch == '\n') {
        if (in_word) out.push_back(std::move(word)), word.clear(), in_word = false;
      } else if (ch == '\'') {
        const auto end = text.find('\'', i + 1);
        if (end == std::string::npos) throw unterminated("'", i);
        word.append(text, i + 1, end - i - 1);
        i = end;
        in_word = true;
      } else if (ch == '"') {
        std::size_t j = i + 1;
        for (; j < text.size() && text[j] != '"'; ++j) {
          if (text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) ++j;
          word += text[j];
        }
        if (j >= text.size()) throw unterminated("\"", i);
        i = j;
        in_word = true;
      } else if (ch == '\\') {
        if (i + 1 >= text.size())
          throw std::invalid_argument(
              "command option 'command' ends with a lone backslash; remove it or write \\\\");
        word += text[++i];
        in_word = true;
      } else {
        word += ch;
        in_word = true;
      }
    }
    if (in_word) out.push_back(std::move(word));
    return out;
  }

  static int signal_option(const sdk::Params& p, const char* option) {
    const std::string& text = p.text(option);
    if (text == "none") return 0;
    if (const int s = signal_by_name(text)) return s;
    throw std::invalid_argument(std::string("command option '") + option + "' is '" + text +
                                "', not a signal's name; write e.g. SIGHUP, SIGTERM or SIGUSR1 (or none)");
  }

  static std::invalid_argument unterminated(const char* quote, std::size_t at) {
    return std::invalid_argument(std::string("command option 'command' has an unterminated ") + quote +
                                 " quote at character " + std::to_string(at + 1) + "; close it");
  }

  static std::string valid_list() {
    std::string s;
    for (const char* p : placeholders) s += (s.empty() ? "{" : " {") + std::string(p) + "}";
    return s;
  }

  static std::string value_of(std::string_view key, const LaunchContext& c) {
    if (key == "python") return c.python;
    if (key == "app_dir") return c.app_dir;
    if (key == "app_module") return c.app_module;
    if (key == "app_callable") return c.app_callable;
    if (key == "host") return c.host;
    if (key == "port") return std::to_string(c.port);
    if (key == "run_dir") return c.run_dir;
    throw std::invalid_argument("command option 'command' uses unknown placeholder {" + std::string(key) +
                                "}; valid: " + valid_list() + " ({{ and }} for literal braces)");
  }

  static std::string substitute(const std::string& word, const LaunchContext& c) {
    std::string out;
    for (std::size_t i = 0; i < word.size(); ++i) {
      const char ch = word[i];
      if ((ch == '{' || ch == '}') && i + 1 < word.size() && word[i + 1] == ch) {
        out += ch;
        ++i;
      } else if (ch == '{') {
        const auto end = word.find('}', i);
        if (end == std::string::npos)
          throw std::invalid_argument("command option 'command' has a '{' without '}' in \"" + word +
                                      "\"; write {{ for a literal brace");
        out += value_of(std::string_view(word).substr(i + 1, end - i - 1), c);
        i = end;
      } else if (ch == '}') {
        throw std::invalid_argument("command option 'command' has a '}' without '{' in \"" + word +
                                    "\"; write }} for a literal brace");
      } else {
        out += ch;
      }
    }
    return out;
  }

  std::vector<std::string> words_;
  sdk::Lifecycle lifecycle_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Command,
                     "nothing to install: the command names the server you installed")
