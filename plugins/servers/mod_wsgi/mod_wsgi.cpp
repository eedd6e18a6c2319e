// mod_wsgi: Apache (event MPM) in the foreground, the app in mod_wsgi daemon processes.
#include <cstdio>

#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_mod_wsgi_bootstrap)

namespace labour::servers {

class ModWsgi : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "mod_wsgi";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "Apache + mod_wsgi in daemon mode: Apache threads proxy to daemon processes";
  static constexpr const char* apache = "/usr/sbin/apache2";
  static constexpr const char* modules = "/usr/lib/apache2/modules";
  // Apache's children and the daemon processes run as this user when Apache starts as root.
  static constexpr const char* user = "www-data";
  static constexpr const char* group = "www-data";

  // Each option is a key=value word of WSGIDaemonProcess (mod_wsgi's configuration
  // directives); 0 leaves the key out, so mod_wsgi's own default applies.
  static const Options& options() {
    using sdk::Param;
    using Emit = Option::Emit;
    static const Options table{{
        {Param::integer("processes", 1, 1, 64, "daemon processes running the app (processes=)"), "processes",
         Emit::Joined},
        {Param::integer("threads", 15, 1, 256, "threads per daemon process (threads=)"), "threads",
         Emit::Joined},
        {Param::integer(
             "request_timeout", 0, 0, 86400,
             "seconds after which a daemon with a stuck request is restarted (request-timeout=; 0 = off)"),
         "request-timeout", Emit::JoinedUnlessZero},
        {Param::integer("maximum_requests", 0, 0, 100000000,
                        "restart a daemon process after this many requests (maximum-requests=; 0 = never)"),
         "maximum-requests", Emit::JoinedUnlessZero},
        {Param::integer("restart_interval", 0, 0, 86400,
                        "restart daemon processes every this many seconds (restart-interval=; 0 = never)"),
         "restart-interval", Emit::JoinedUnlessZero},
        {Param::integer(
             "inactivity_timeout", 0, 0, 86400,
             "restart a daemon process idle for this many seconds (inactivity-timeout=; 0 = never)"),
         "inactivity-timeout", Emit::JoinedUnlessZero},
        {Param::integer("graceful_timeout", 0, 0, 86400,
                        "seconds a daemon may finish requests on a graceful restart (graceful-timeout=; 0 = "
                        "mod_wsgi's default)"),
         "graceful-timeout", Emit::JoinedUnlessZero},
        {Param::integer("queue_timeout", 0, 0, 86400,
                        "fail requests that waited this many seconds for a daemon (queue-timeout=; 0 = off)"),
         "queue-timeout", Emit::JoinedUnlessZero},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  ModWsgi(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    const std::string conf = in_dir(c.run_dir, "httpd.conf");
    p.argv = {c.python,      in_dir(c.run_dir, "labour_mod_wsgi_launch.py"),
              "--run-dir",   c.run_dir,
              "--app-dir",   c.app_dir,
              "--user",      user,
              "--group",     group,
              "--",          apache,
              "-f",          conf,
              "-DFOREGROUND"};
    p.env = python_env();
    p.files.emplace_back(
        "labour_mod_wsgi_launch.py",
        std::string(embedded(labour_server_mod_wsgi_bootstrap, labour_server_mod_wsgi_bootstrap_size)));
    p.files.emplace_back("httpd.conf", httpd_conf(c));
    return p;
  }

  // Apache's signals (httpd docs: stopping.html); the app runs in mod_wsgi's daemon processes,
  // which carry the display-name given in httpd_conf(); the MPM child beside them only proxies.
  sdk::Lifecycle lifecycle() override {
    sdk::Lifecycle l;
    l.reload_signal = SIGUSR1;
    l.reload_note =
        "SIGUSR1: Apache's graceful restart; mod_wsgi's daemon processes restart too, with 3 s to finish "
        "(httpd docs: stopping; mod_wsgi docs: WSGIDaemonProcess shutdown-timeout)";
    l.graceful_stop_signal = SIGWINCH;
    l.graceful_stop_note = "SIGWINCH: Apache's graceful-stop, running requests finish (httpd docs: stopping)";
    l.has_workers = true;
    l.workers_note = "the mod_wsgi daemon processes (processes=N), children of Apache's parent";
    l.worker_cmdline = "labour-wsgi";
    return l;
  }

  // Prints "<mod_wsgi version> (Apache/<version>)". mod_wsgi's version is the string the
  // module stores next to its "mod_wsgi/%s" banner format; dpkg is the fallback.
  LaunchPlan probe(const LaunchContext& c) override {
    LaunchPlan p;
    p.argv = {
        c.python, "-c",
        "import re, subprocess, sys\n"
        "so = '" +
            std::string(modules) +
            "/mod_wsgi.so'\n"
            "try:\n"
            "    found = re.search(rb'\\0([0-9]+[.][0-9]+[.][0-9]+)\\0+mod_wsgi/%s', open(so, 'rb').read())\n"
            "except OSError as e:\n"
            "    sys.exit('mod_wsgi is not installed: %s' % e)\n"
            "wsgi = found.group(1).decode() if found else subprocess.run(['dpkg-query', '-W', "
            "'-f=${Version}',"
            " 'libapache2-mod-wsgi-py3'], capture_output=True, text=True).stdout or 'unknown'\n"
            "out = subprocess.run(['" +
            std::string(apache) +
            "', '-v'], capture_output=True, text=True,"
            " check=True).stdout\n"
            "apache = re.search(r'Apache/[^ ]+', out).group(0)\n"
            "print('%s (%s)' % (wsgi, apache))\n"};
    p.env = python_env();
    return p;
  }

 private:
  // Apache words with spaces must be quoted; run folders normally have none.
  static std::string word(const std::string& s) {
    if (s.find_first_of(" \t\"") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') q += '\\';
      q += ch;
    }
    return q + "\"";
  }

  std::string daemon_options(const LaunchContext& c) const {
    std::string o;
    for (const auto& option : options().flags(values_)) o += (o.empty() ? "" : " ") + option;
    o += " " + word("home=" + c.app_dir) + " " + word("python-path=" + c.app_dir);
    o += " display-name=labour-wsgi";
    return o;
  }

  std::string httpd_conf(const LaunchContext& c) const {
    const std::string m = modules;
    const std::string script = in_dir(c.app_dir, c.app_module + ".py");
    std::string s;
    s += "# Generated by labour's mod_wsgi adapter for one run.\n";
    s += "ServerRoot " + word(c.run_dir) + "\n";
    s += "ServerName " + c.host + "\n";
    s += "PidFile " + word(in_dir(c.run_dir, "apache.pid")) + "\n";
    s += "DefaultRuntimeDir " + word(c.run_dir) + "\n";
    s += "Listen " + endpoint(c) + "\n";
    s += "LoadModule mpm_event_module " + m + "/mod_mpm_event.so\n";
    s += "LoadModule authz_core_module " + m + "/mod_authz_core.so\n";
    s += "LoadModule wsgi_module " + m + "/mod_wsgi.so\n";
    s += "User " + std::string(user) + "\nGroup " + std::string(group) + "\n";
    s += "ErrorLog /dev/stderr\n";
    s += "LogLevel warn wsgi:info\n";
    // One fixed Apache child so the process tree only changes when mod_wsgi's daemons do.
    s += "StartServers 1\nServerLimit 1\nThreadLimit 64\nThreadsPerChild 64\nMaxRequestWorkers 64\n";
    s += "MinSpareThreads 1\nMaxSpareThreads 64\nMaxConnectionsPerChild 0\n";
    s += "KeepAlive On\nMaxKeepAliveRequests 0\nKeepAliveTimeout 5\n";
    s += "WSGIRestrictEmbedded On\n";
    s += "WSGISocketPrefix " + word(in_dir(c.run_dir, "wsgi")) + "\n";
    s += "WSGIDaemonProcess labour " + daemon_options(c) + "\n";
    s += "WSGIProcessGroup labour\n";
    s += "WSGIApplicationGroup %{GLOBAL}\n";
    s += "WSGICallableObject " + c.app_callable + "\n";
    s += "WSGIScriptAlias / " + word(script) + "\n";
    // Nothing but the app is served, and no .htaccess lookups on every request.
    s += "<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n";
    s += "<Directory " + word(c.app_dir) + ">\n  Require all granted\n</Directory>\n";
    return s;
  }

  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::ModWsgi, "apt-get install apache2 libapache2-mod-wsgi-py3")
