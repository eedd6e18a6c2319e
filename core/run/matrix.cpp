#include "run/matrix.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stop_token>
#include <thread>

#include <spdlog/spdlog.h>
#include <labour/printable.hpp>

#include "common/errors.hpp"
#include "common/input_file.hpp"
#include "common/output_file.hpp"
#include "plugins/params.hpp"
#include "run/serialize.hpp"

namespace labour::run {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // the document keeps the order it is written in
using Clock = std::chrono::steady_clock;

namespace {

// Appends one finished cell to <out>/cells.jsonl at once, so an interrupted matrix keeps it.
class ResultsFile {
 public:
  ResultsFile(const std::string& dir, bool resume, const json& plan) {
    if (dir.empty()) return;
    path_ = fs::path(dir) / "cells.jsonl";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw UsageError("--out '" + dir + "': cannot create the folder (" + ec.message() + ")");
    const fs::path plan_path = fs::path(dir) / "plan.json";
    if (resume) check_same_plan(dir, plan_path, plan);
    if (resume) {
      if (fs::exists(path_))
        for (auto& cell : read_cells_file(path_, "remove it or start without --resume"))
          if (cell.value("status", "") != "interrupted") kept_.push_back(std::move(cell));
    } else if (fs::exists(path_)) {
      throw UsageError("--out '" + dir +
                       "' already holds results (add --resume to finish them, or choose another folder)");
    }
    // Rewrite without interrupted cells: they will be run again.
    std::string kept_lines;
    for (const auto& c : kept_) kept_lines += c.dump() + "\n";
    write_output_file(path_, kept_lines, "--out " + dir);
    const json started = {{"fingerprint", plan["fingerprint"]}, {"shard", plan["shard"]}};
    write_output_file(plan_path, started.dump(2) + "\n", "--out " + dir);
  }
  const std::vector<json>& kept() const { return kept_; }
  // A whole line or an error: a line cut short (a full disk) is taken back, and the matrix
  // stops, since every later cell would be lost the same way.
  void append(const json& cell) {
    if (path_.empty()) return;
    std::lock_guard lock(mutex_);
    const std::string line = cell.dump() + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    const auto fail = [&](int error) {
      return RunError("--out " + path_.parent_path().string() + ": cannot add a finished cell to " +
                      path_.string() + " (" + std::strerror(error) +
                      "); the matrix stops: make room, then finish it with --resume");
    };
    if (fd < 0) throw fail(errno);
    struct stat st {};
    const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int error = n < 0 ? errno : ENOSPC;
        // Taken back; should even that fail, --resume names the cut line by its number.
        [[maybe_unused]] const int kept = before >= 0 ? ::ftruncate(fd, before) : 0;
        ::close(fd);
        throw fail(error);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
      const int error = errno;
      [[maybe_unused]] const int kept = before >= 0 ? ::ftruncate(fd, before) : 0;
      ::close(fd);
      throw fail(error);
    }
    if (::close(fd) != 0) throw fail(errno);
  }
  void write_document(const json& document) {
    if (path_.empty()) return;
    const fs::path file = path_.parent_path() / "results.json";
    write_output_file(file, document.dump(2) + "\n", "--out " + path_.parent_path().string());
  }

 private:
  // A --resume finishes the matrix the folder was started for, never another one: cells of
  // other servers, scenarios or load options would be mixed in without a word.
  static void check_same_plan(const std::string& dir, const fs::path& plan_path, const json& plan) {
    std::error_code ec;
    if (!fs::exists(plan_path, ec)) {
      const auto cells = fs::path(dir) / "cells.jsonl";
      if (fs::exists(cells, ec) && fs::file_size(cells, ec) > 0)
        throw UsageError("--resume: '" + dir +
                         "' holds cells but no plan.json, so nothing says which plan they belong to "
                         "(start a new --out)");
      return;  // nothing was run there yet
    }
    const json started =
        json::parse(read_input_file(plan_path, "--resume: plan", kMaxPlanBytes), nullptr, false);
    if (started.is_discarded() || !started.is_object() || !started.contains("fingerprint") ||
        !started["fingerprint"].is_string() || !started.contains("shard"))
      throw UsageError(plan_path.string() + ": not a labour plan file (remove it or start a new --out)");
    if (started["fingerprint"] != plan["fingerprint"])
      throw UsageError(
          "--resume: '" + dir + "' holds a matrix of other servers, scenarios or load options (plan " +
          started["fingerprint"].get<std::string>() + ", now " + plan["fingerprint"].get<std::string>() +
          "); give the options it was started with, or choose another --out");
    if (started["shard"] != plan["shard"])
      throw UsageError("--resume: '" + dir + "' holds shard " + started["shard"].dump() + ", not shard " +
                       plan["shard"].dump() + " (give the same --shard)");
  }

  fs::path path_;
  std::vector<json> kept_;
  std::mutex mutex_;  // jobs append side by side
};

// 1234567 -> "1 234 567"
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return out;
}

// "cell 3/8  gunicorn x SIGSEGV  elapsed 0:42  eta 1:10" per cell on stderr, plain lines
// when it is not a terminal. On a terminal (one job) the line is redrawn twice a second
// while the cell runs, with its phase and that phase's load so far:
// "cell 3/8  gunicorn x SIGSEGV  fault 4.1 s  1 234 requests  innocent failures 12.5 %  ..."
// (`labour run`: only the live line, without cell and eta). Side by side jobs each print a
// line of their own: one redrawn line would hide the others. --quiet: nothing at all.
// The ETA learns from the cells that finished: the time they took against what they were
// expected to cost (expected_cost_s), applied to the expected cost of the rest; during a
// cell it counts down.
class Progress {
 public:
  Progress(std::vector<double> costs, bool one_job, bool single, bool quiet)
      : costs_(std::move(costs)),
        tty_(one_job && !quiet && ::isatty(STDERR_FILENO)),
        lines_(!quiet && !single),
        single_(single),
        start_(Clock::now()) {
    for (double c : costs_) remaining_ += c;
  }
  ~Progress() { stop_live(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A cell begins: its line, and on a terminal the redraws until finished(). The answer
  // (null: no live line) is for run_test to report into.
  TestProgress* begin(std::size_t index, const std::string& server, const std::string& scenario) {
    stop_live();  // the previous cell's, if finished() was not called
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    index_ = index;
    server_ = printable(server);  // no control characters reach the terminal
    scenario_ = printable(scenario);
    cell_start_ = now;
    eta_s_ = finished_ > 0 ? std::optional<double>(elapsed / finished_ * remaining_) : std::nullopt;
    if (!tty_) {
      if (lines_) {
        std::fprintf(stderr, "%s\n", line(now, nullptr).c_str());
        std::fflush(stderr);
      }
      return nullptr;
    }
    cell_ = std::make_unique<TestProgress>();
    draw(now);
    ticker_ = std::jthread([this](std::stop_token stop) {
      std::unique_lock ticker_lock(mutex_);
      for (;;) {
        wake_.wait_for(ticker_lock, stop, kRedraw, [] { return false; });
        if (stop.stop_requested()) return;
        draw(Clock::now());
      }
    });
    return cell_.get();
  }
  // The cell ended: no more redraws (joined here), and its live line is cleared.
  void finished(std::size_t index) {
    stop_live();
    std::lock_guard lock(mutex_);
    finished_ += costs_.at(index);
    remaining_ -= costs_.at(index);
  }
  void done() {
    stop_live();
    std::lock_guard lock(mutex_);
    clear();
  }

 private:
  static constexpr auto kRedraw = std::chrono::milliseconds(500);

  static std::string clock(double seconds) {
    const long s = static_cast<long>(std::max(0.0, seconds));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
  }
  static bool load_phase(const std::string& phase) {
    return phase != "starting" && phase != "idle" && phase != "stopping";
  }

  // The cell's line as of `now`, with the running test's phase and counts if given.
  std::string line(Clock::time_point now, const TestProgress::Snapshot* live) const {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string text;
    if (!single_) text += "cell " + std::to_string(index_ + 1) + "/" + std::to_string(costs_.size()) + "  ";
    text += server_ + " x " + scenario_;
    if (live && !live->phase.empty()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %s %.1f s", live->phase.c_str(), live->phase_s);
      text += buf;
      if (load_phase(live->phase)) text += "  " + grouped(live->done) + " requests";
      if (live->innocent_done > 0) {
        std::snprintf(buf, sizeof buf, "  innocent failures %.1f %%",
                      100.0 * static_cast<double>(live->innocent_unexpected) /
                          static_cast<double>(live->innocent_done));
        text += buf;
      }
    }
    text += "  elapsed " + clock(elapsed);
    if (!single_) {
      const double in_cell = std::chrono::duration<double>(now - cell_start_).count();
      text += "  eta " + (eta_s_ ? clock(*eta_s_ - in_cell) : std::string("?"));
    }
    return text;
  }

  // Redraws the live line, cut to the terminal's width (a wrapped line cannot be redrawn).
  // Called with mutex_ held.
  void draw(Clock::time_point now) {
    const TestProgress::Snapshot snap = cell_ ? cell_->snapshot() : TestProgress::Snapshot{};
    std::string text = line(now, &snap);
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) {
      std::size_t columns = 0, i = 0;
      for (; i < text.size(); ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80 && ++columns == ws.ws_col) break;
      text.resize(i);  // ws_col - 1 characters: the cursor stays on the line
    }
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void clear() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
  // Ends the redraws of the current cell, if any, and clears its line. Not with mutex_ held.
  void stop_live() {
    if (!tty_ || !ticker_.joinable()) return;  // (jobs side by side: never a ticker)
    ticker_.request_stop();                    // wakes the ticker's wait
    ticker_.join();
    std::lock_guard lock(mutex_);
    clear();
    cell_.reset();
  }

  std::vector<double> costs_;  // expected, of the cells to run
  double finished_ = 0, remaining_ = 0;
  const bool tty_;     // stderr is a terminal: one live line, redrawn (one job only)
  const bool lines_;   // a line per cell when not a terminal (not for `labour run`)
  const bool single_;  // `labour run`: no "cell 1/1", no eta
  Clock::time_point start_;
  // The current cell's, set by begin().
  std::size_t index_ = 0;
  std::string server_, scenario_;
  Clock::time_point cell_start_{};
  std::optional<double> eta_s_;
  std::unique_ptr<TestProgress> cell_;
  bool drawn_ = false;  // the terminal's current line holds ours
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread ticker_;  // last: stopped before the rest goes
};

}  // namespace

std::vector<json> read_cells_file(const fs::path& file, const std::string& fix) {
  const std::string text = read_input_file(file, "cells file", kMaxCellsFileBytes);
  std::istringstream in(text);
  std::vector<json> cells;
  std::string line;
  int number = 0;
  std::size_t read = 0;
  while (std::getline(in, line)) {
    ++number;
    read += line.size() + 1;
    if (line.empty()) continue;
    json cell = json::parse(line, nullptr, false);
    const bool whole = cell.is_object() && cell.contains("label") && cell["label"].is_string() &&
                       cell.contains("scenario") && cell["scenario"].is_object() &&
                       cell["scenario"].contains("name") && cell["scenario"]["name"].is_string();
    // Every cell is appended as one line with its newline: a last line without one is a cell
    // whose append was cut short (labour killed, a full disk). It is left out, and a --resume
    // runs that cell again; every line before it is whole.
    if (!whole && read > text.size()) {
      spdlog::warn("{}:{}: the last line is cut short (labour was stopped while it wrote it); left out",
                   file.string(), number);
      break;
    }
    if (!whole)
      throw UsageError(file.string() + ":" + std::to_string(number) + ": not a labour results line (" + fix +
                       ")");
    cells.push_back(std::move(cell));
  }
  return cells;
}

MatrixPlan plan_matrix(const plugins::Registry& registry, const MatrixRequest& request,
                       const Settings& settings) {
  MatrixPlan plan;
  plan.repeat = request.repeat;
  plan.repeat_auto = request.repeat_auto;
  plan.repeat_budget_s = request.repeat_budget_s;
  plan.single = request.single;
  plan.shard = request.shard;
  plan.jobs = request.jobs;
  if (request.repeat == 0) throw UsageError("--repeat 0: give the number of runs of each cell (1 or more)");
  if (request.jobs == 0) throw UsageError("--jobs 0: give the number of cells run side by side (1 or more)");
  std::set<std::string> labels;
  for (const auto& spec : request.servers) {
    plan.servers.push_back(parse_server_spec(registry, spec));
    if (!labels.insert(plan.servers.back().label).second)
      throw UsageError("--server '" + spec + "': label '" + plan.servers.back().label +
                       "' is used twice (add label=NAME)");
  }
  std::set<std::string> names;
  for (const auto& name : request.scenarios) {
    scenario::Scenario sc = scenario::load(name);
    if (!names.insert(sc.name).second)
      throw UsageError("--scenarios: scenario name '" + sc.name +
                       "' appears twice (results are kept by server label and scenario name)");
    request.overrides.apply(sc);
    scenario::check_events(sc);  // -d or -n may have moved the phase's end under an event
    auto prepared = prepare_scenario(registry, sc);
    // Innocent requests are the instrument: without one a test measures nothing, and says so
    // only after its servers ran.
    if (!prepared->has_innocent && !request.allow_no_innocent)
      throw UsageError(
          "scenario " + sc.name +
          ": no behaviour is innocent, so nothing would measure what happens to good requests; add "
          "[[behaviour]] name = \"PlainResponse\" beside it (or pass --no-innocent to watch the "
          "behaviour alone: its tests are then inconclusive)");
    // Every connection is one of labour's descriptors (the mix's, plus one where concurrency 1
    // gives innocent requests and misbehaviours one each, and the client-driven behaviours'),
    // every client thread's event loop a few (times the cells run side by side).
    const std::uint64_t scripts = prepared->script_connections;
    supervisor::check_descriptors(
        (std::uint64_t{sc.concurrency} + 1 + scripts + 4 * std::uint64_t{sc.threads}) *
            std::max<std::uint32_t>(request.jobs, 1),
        "scenario " + sc.name + " at concurrency " + std::to_string(sc.concurrency) +
            (scripts ? " with " + std::to_string(scripts) + " client-driven connections" : "") +
            (request.jobs > 1 ? " x " + std::to_string(request.jobs) + " jobs" : ""));
    plan.scenarios.push_back(std::move(prepared));
  }

  json measured = {{"servers", json::array()},
                   {"scenarios", json::array()},
                   {"repeat", plan.repeat_auto ? json("auto") : json(plan.repeat)},
                   {"python", settings.python},
                   {"monitor_interval_ms", settings.monitor_interval.count()}};
  for (const auto& server : plan.servers) {
    json options = json::object();
    for (const auto& [k, v] : server.options) options[k] = v;
    measured["servers"].push_back(
        {{"label", server.label}, {"adapter", server.adapter->name}, {"options", options}});
  }
  std::vector<double> costs;
  for (std::size_t i = 0; i < plan.servers.size(); ++i)
    for (std::size_t j = 0; j < plan.scenarios.size(); ++j) {
      plan.cells.push_back({i, j, 0, expected_cost_s(plan.scenarios[j]->scenario, plan.repeat)});
      costs.push_back(plan.cells.back().cost_s);
    }
  for (const auto& sc : plan.scenarios) {
    json as_run = scenario_json(sc->scenario);
    as_run.erase("source");  // where the file was is not what it asks for
    measured["scenarios"].push_back(as_run);
  }
  plan.fingerprint = fingerprint(measured.dump());
  const auto figures = gate_figures();
  for (const auto& text : request.fail_on)
    plan.gates.push_back(parse_gate(text, figures, "--fail-on " + quote_input(text)));
  for (const auto& sc : plan.scenarios)
    for (const auto& g : sc->scenario.gates) {
      plan.gates.push_back(
          parse_gate(g.expression, figures, g.where + ": [thresholds] " + quote_input(g.expression)));
      plan.gates.back().scenario = sc->scenario.name;
    }
  const auto shards = assign_shards(costs, plan.shard.count);
  for (std::size_t i = 0; i < plan.cells.size(); ++i) plan.cells[i].shard = shards[i];
  return plan;
}

std::vector<std::string> gate_figures() {
  std::vector<std::string> names;
  for (const auto& f : kFigures) names.push_back(f.name);
  return names;
}

json plan_json(const MatrixPlan& plan) {
  json cells = json::array();
  for (const auto& c : plan.cells)
    cells.push_back({{"label", plan.label(c)},
                     {"scenario", plan.scenario_name(c)},
                     {"shard", c.shard + 1},
                     {"expected_cost_s", std::round(c.cost_s * 10) / 10}});
  return {{"fingerprint", plan.fingerprint},
          {"shard", {{"index", plan.shard.index}, {"count", plan.shard.count}}},
          {"cells", cells}};
}

TestResult run_repeated(const ServerConfig& server, const Availability& availability,
                        const PreparedScenario& scenario, const Settings& settings, std::uint32_t repeat,
                        const std::atomic<bool>& stop, TestProgress* progress, AutoRepeat* automatic) {
  TestResult first = run_test(server, availability, scenario, settings, stop, progress);
  if (first.status != "completed" || !first.summary) return first;
  // Another run is wanted: the next of `repeat`, or (auto) while the last was borderline.
  auto wanted = [&](const std::vector<Summary>& runs) {
    if (!automatic) return runs.size() < repeat;
    return runs.back().verdict.borderline && runs.size() < kAutoRepeatMaxRuns &&
           automatic->budget_s.load() > 0;
  };
  std::vector<Summary> runs{*first.summary};
  if (!wanted(runs)) return first;
  std::string ended = "interrupted", why;  // what ended the repetitions early
  bool cut_short = false;
  while (wanted(runs) && !(cut_short = stop.load())) {
    const auto started = std::chrono::steady_clock::now();
    TestResult next = run_test(server, availability, scenario, settings, stop, progress);
    if (automatic)
      automatic->budget_s.fetch_sub(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (next.status != "completed") {  // an interrupted run is not a repetition
      ended = next.status;
      why = next.error;
      cut_short = true;
      break;
    }
    runs.push_back(*next.summary);
  }
  Repeats repeats;
  repeats.automatic = automatic != nullptr;
  first.summary = combine(runs, repeats);
  first.repeats = std::move(repeats);
  // A cell is completed only when all its runs are: one that Ctrl-C (or a run that failed)
  // cut short keeps the runs it has but says so, and --resume runs it again.
  if (cut_short) {
    first.status = ended == "completed" ? "interrupted" : ended;
    first.error = std::string(first.status == "interrupted" ? "interrupted" : "ended") + " after " +
                  std::to_string(runs.size()) + (automatic ? "" : " of " + std::to_string(repeat)) + " runs" +
                  (why.empty() ? "" : ": " + why);
  }
  return first;
}

MatrixOutcome execute_matrix(const MatrixPlan& plan, const Settings& settings, const std::string& out_dir,
                             bool resume, const std::atomic<bool>& stop, bool quiet) {
  // No more jobs than cells: a shard of one cell needs no second slice of CPUs.
  const auto in_shard = static_cast<std::uint32_t>(
      std::count_if(plan.cells.begin(), plan.cells.end(),
                    [&](const PlannedCell& c) { return c.shard + 1 == plan.shard.index; }));
  const std::uint32_t jobs = std::max<std::uint32_t>(1, std::min(plan.jobs, in_shard));
  const std::vector<Pinning> pinnings = job_pinnings(settings.pinning, jobs);
  const json plan_block = plan_json(plan);
  ResultsFile results(out_dir, resume, plan_block);
  MatrixOutcome outcome;
  outcome.document = document_header(settings);
  // Cells side by side share the machine (its memory bandwidth, caches, and CPUs without
  // pinning): a kind of run of its own, which merge tells apart.
  if (!plan.single) outcome.document["environment"]["jobs"] = jobs;
  if (!plan.single) outcome.document["plan"] = plan_block;

  // This shard's cells in the plan's order; each slot is filled by the cell's result.
  std::vector<const PlannedCell*> cells;
  std::vector<std::optional<json>> entries;
  for (const auto& cell : plan.cells) {
    if (cell.shard + 1 != plan.shard.index) continue;
    cells.push_back(&cell);
    entries.emplace_back();
    for (const auto& kept : results.kept())
      if (kept["label"] == plan.label(cell) && kept["scenario"]["name"] == plan.scenario_name(cell))
        entries.back() = kept;
  }
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (!entries[i]) todo.push_back(i);

  std::vector<double> todo_costs;
  for (std::size_t i : todo) todo_costs.push_back(cells[i]->cost_s);
  Progress progress(todo_costs, jobs == 1, plan.single, quiet);
  std::mutex mutex;  // guards availability, next, entries and any_failed
  AutoRepeat automatic{plan.repeat_budget_s};
  std::map<std::string, Availability> availability;  // probe each server once
  std::size_t next = 0;
  const auto job = [&](const Settings& job_settings) {
    for (;;) {
      std::size_t n, index;
      const ServerConfig* server;
      const Availability* available;
      TestProgress* live = nullptr;
      {
        std::lock_guard lock(mutex);
        if (stop.load() || next == todo.size()) return;
        n = next++;
        index = todo[n];
        server = &plan.servers[cells[index]->server];
        live = progress.begin(n, server->label, plan.scenario_name(*cells[index]));
        auto it = availability.find(server->label);
        if (it == availability.end()) {
          it = availability.emplace(server->label, probe(*server, job_settings)).first;
          if (!it->second.available) {
            if (plan.single)
              throw UsageError("server '" + server->label + "' is not available: " + it->second.reason);
            spdlog::warn("skipping {}: {}", server->label, it->second.reason);
          }
        }
        available = &it->second;  // std::map: stays valid while others are added
      }
      const auto& scenario = *plan.scenarios[cells[index]->scenario];
      const TestResult test = run_repeated(*server, *available, scenario, job_settings, plan.repeat, stop,
                                           live, plan.repeat_auto ? &automatic : nullptr);
      progress.finished(n);  // its live line ends with the cell
      const json entry = to_json(test);
      results.append(entry);
      std::lock_guard lock(mutex);
      if (test.status == "failed") {
        outcome.any_failed = true;
        spdlog::error("{} x {}: {}", server->label, scenario.scenario.name, test.error);
      }
      entries[index] = entry;
    }
  };
  if (jobs == 1) {
    job(settings);
  } else {
    // A job that throws (a bad --server in `labour run` cannot happen here: single is one
    // job) ends the others at their next cell; its error is the matrix's.
    std::vector<std::thread> threads;
    std::exception_ptr error;
    std::mutex error_mutex;
    for (std::uint32_t j = 0; j < jobs; ++j) {
      Settings job_settings = settings;
      job_settings.pinning = pinnings[j];
      threads.emplace_back([&, job_settings] {
        try {
          job(job_settings);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
          std::lock_guard guard(mutex);
          next = todo.size();
        }
      });
    }
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
  }
  progress.done();
  for (auto& entry : entries)
    if (entry) outcome.document["tests"].push_back(std::move(*entry));
  if (!plan.gates.empty()) {
    outcome.gates = check_gates(plan.gates, outcome.document);
    outcome.document["gates"] = gates_json(outcome.gates);
  }
  results.write_document(outcome.document);
  outcome.interrupted = stop.load();
  for (const auto& t : outcome.document["tests"])
    if (t.value("status", "") != "interrupted") ++outcome.finished;
  return outcome;
}

}  // namespace labour::run
