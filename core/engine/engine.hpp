// The load engine: drives a weighted mix of prepared HTTP requests against one target and
// classifies every outcome. Knows nothing of plugins: behaviours reach it as indices, their
// prepared requests and a judge.
//
// Files: histogram.hpp (latency histogram), policy.hpp (Random/Repeat selection),
// response.hpp (HTTP/1.x response parser, outcome classification, outcome_key),
// engine.cpp (run_load: Asio, one io_context per thread).
#pragma once

#include <labour/plugin_api.h>  // labour_outcome_kind_t: the outcome taxonomy is part of the ABI

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/histogram.hpp"
#include "engine/policy.hpp"    // Policy, Selector
#include "engine/response.hpp"  // outcome_key, ResponseParser, classify

namespace labour::engine {

struct Target {
  std::string host = "127.0.0.1";  // loopback only unless the caller allowed otherwise
  std::uint16_t port = 0;
};

// An HTTP method as the engine sends it: an upper-case token (GET, POST, ...).
bool valid_method(std::string_view method);

// A client-driven behaviour's connection script (labour_script_t in the ABI): what its own
// connections do, beside the mix. See ScriptConnection (script.cpp) for how it runs.
struct ScriptStep {
  enum class Kind { Send, Trickle, Pause, HalfClose, Reset, Read };
  Kind kind = Kind::Send;
  std::string bytes;                      // Send; Trickle: the pattern it cycles through
  std::uint64_t total = 0;                // Trickle: bytes in all (0: until the load ends)
  std::uint32_t chunk = 1;                // Trickle: bytes per write; Read with a rate: receive buffer
  std::chrono::milliseconds interval{0};  // Trickle: between writes; Pause: how long (0: until the end)
  std::uint64_t rate = 0;                 // Read: bytes per second (0: no cap)
  std::uint32_t count = 1;                // Read: responses
};
struct ConnectionScript {
  std::vector<ScriptStep> steps;
  std::uint32_t connections = 1;  // at once, beside the mix
  std::chrono::milliseconds repeat_after{0};
};

// How long the mix waits for the client-driven connections to connect (Worker::await_scripts),
// and how long each one's first connect may take: long enough for the kernel's SYN
// retransmissions at 1 s and 3 s, the retries a real attacker's connections get from a full
// accept queue. A connection not established by then was not part of the dose.
constexpr std::chrono::milliseconds kScriptSettleBound{4000};

// What is wrong with a script ("" when nothing): empty steps, a step's size or timing outside
// the limits below, ... The host checks a plugin's script with it; run_load again.
std::string check_script(const ConnectionScript& script);
constexpr std::size_t kMaxScriptSteps = 64;
constexpr std::size_t kMaxStepBytes = 16 * 1024 * 1024;
constexpr std::uint64_t kMaxScriptConnections = 100000;  // all scripts of a load together

// One behaviour as the engine sees it.
struct PreparedRequest {
  std::string method = "GET";
  std::string target = "/";  // origin-form
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // the behaviour's own, after Host
  std::uint32_t timeout_ms = 10000;  // whole-request timeout for this behaviour (> 0), from
                                     // the send; the outcome says first-byte or total. A
                                     // script: the limit of each wait for the server's bytes
  // A client-driven behaviour: it runs this on its own connections instead of being picked
  // for the mix (its weight must be 0); method, target and body above are then unused.
  std::optional<ConnectionScript> script;
};

// What the client saw for one request (see labour_outcome_kind_t).
struct Observation {
  labour_outcome_kind_t kind = LABOUR_OUTCOME_OTHER_ERROR;
  int http_status = 0;
  std::string_view body;  // valid only during the judge call; at most 64 KiB
  std::uint64_t body_length = 0;
  std::uint64_t elapsed_us = 0;  // service time: from the start of the attempt (connect
                                 // included when a new connection was needed) to the outcome
  std::uint32_t responses = 0;   // complete responses read (a script may read several)
};

// outcome_key(kind, http_status) -> "http_200", "connect_refused", ...: see response.hpp.

struct Workload {
  std::vector<PreparedRequest> requests;  // index = behaviour index
  // Same size: each behaviour's share of the mix. 0: never picked (a client-driven behaviour,
  // which runs its own connections, or one this load leaves out); a script's is always 0.
  std::vector<std::uint32_t> weights;
  // false: the client-driven behaviours' connections do not run in this load (the baseline and
  // recovery phases measure the server without them).
  bool run_scripts = true;
  Policy policy = Policy::Random;
  std::uint64_t seed = 1;
  // Policy::Spaced: the k-th request of the load (over all connections) is behaviour
  // schedule[k % schedule.size()] (see spaced_schedule). Must be non-empty for Spaced.
  std::vector<std::size_t> schedule;
  // Behaviours whose outcomes tell whether the server serves good requests (same size as
  // requests, or empty: none). Their latency is kept per timeline bucket, and the stall
  // and recovery rules of LoadOptions watch them.
  // When the mix holds both kinds, innocent requests and misbehaviours run on connections of
  // their own: the misbehaviours get their share of `concurrency` (at least one per thread),
  // innocent requests the rest (at concurrency 1, one each). An innocent request never waits
  // behind a misbehaving one on the client's side, nor reads a response a misbehaviour caused. The sequence
  // (policy, schedule) is released by the innocent stream: in the closed model a misbehaviour is sent when
  // the innocent connections reach its place (waiting for a free misbehaviour connection if need be); in the
  // open model at its intended time. A misbehaviour always goes on a fresh connection, closed after its
  // outcome, and is sent exactly once.
  std::vector<bool> innocent;
  // Thread-safe; true when the observation is what the behaviour expects. Empty: expected
  // means a complete HTTP response with a status below 400. A judge that throws is the
  // behaviour's own fault: the outcome counts as unexpected and BehaviourStats::judge_errors
  // says so, so the host can tell the plugin's failure from the server's.
  std::function<bool(std::size_t behaviour, const Observation&)> judge;
};

// A live view of running loads, for progress displays: the engine's threads add their counts
// to it as they go (batched, on their timeout tick, so within 10 ms) and in full before
// run_load returns; any thread may read it at any time. It only grows: one object given to
// several loads sums them (reset() between loads, never during one).
struct LiveCounters {
  std::atomic<std::uint64_t> sent{0};                 // requests started (abandoned ones included)
  std::atomic<std::uint64_t> done{0};                 // outcomes counted: BehaviourStats::sent, summed
  std::atomic<std::uint64_t> innocent_done{0};        // ... of innocent behaviours
  std::atomic<std::uint64_t> innocent_unexpected{0};  // ... of those, the unexpected ones
  void reset() {
    for (auto* c : {&sent, &done, &innocent_done, &innocent_unexpected})
      c->store(0, std::memory_order_relaxed);
  }
};

struct LoadOptions {
  std::uint32_t concurrency = 8;          // connections (closed model) / max in flight (open model)
  std::uint32_t threads = 1;              // one io_context per thread
  std::uint64_t requests = 0;             // stop after this many (0: use duration)
  std::chrono::milliseconds duration{0};  // stop after this long (0: use requests)
  double rate = 0;                        // > 0: open model, requests per second
  bool keep_alive = true;                 // false: one connection per request
  std::uint32_t connect_timeout_ms = 2000;
  std::uint32_t timeline_bucket_ms = 100;
  bool allow_remote = false;  // false: every address of the target must be 127.0.0.0/8 or ::1
  // The timeline's time zero (default: when this load starts), so that several loads of one
  // test (its phases) share one time axis. Must not be later than the start.
  std::optional<std::chrono::steady_clock::time_point> epoch;
  // Early ends; each ends the load as a duration does (requests in flight are abandoned)
  // and is named in LoadResult::ended_by.
  // Asked on every timeout tick (1..10 ms), from the engine's threads: true ends the load,
  // e.g. when the server's main process died. Must be cheap and thread-safe.
  std::function<bool()> end_now;
  // Stalled: innocent requests failed and none succeeded for this long (0: off).
  std::chrono::milliseconds end_when_stalled{0};
  // Recovered: this many innocent outcomes in a row were expected, each within
  // recovered_latency_us (0: any latency) (end_after_successes 0: off).
  std::uint32_t end_after_successes = 0;
  std::uint64_t recovered_latency_us = 0;
  // Optional live view of this load (must outlive the call); null: none, at no cost.
  LiveCounters* live = nullptr;
  // Lifecycle events: another thread fires up to `event_count` of them during the load and
  // counts them in *events_fired; each outcome of the mix counts towards the latest one fired
  // before it arrived (LoadResult::events). Null: none.
  const std::atomic<std::uint32_t>* events_fired = nullptr;
  std::uint32_t event_count = 0;
};

enum class LoadEnd { Requests, Duration, Interrupted, EndNow, Stalled, Recovered };
std::string_view load_end_name(LoadEnd e);  // "requests", "duration", "interrupted", ...

struct BehaviourStats {
  std::uint64_t sent = 0, expected = 0, unexpected = 0;
  std::uint64_t responses = 0;                    // complete HTTP responses, whatever the judgement
  std::uint64_t judge_errors = 0;                 // outcomes the behaviour's judge could not judge (it threw)
  std::uint64_t trailing_bytes = 0;               // responses followed at once by bytes nobody asked for (a
                                                  // second response, a body longer than its length)
  std::map<std::string, std::uint64_t> outcomes;  // outcome_key -> count
  std::map<std::string, std::uint64_t> unexpected_outcomes;  // the unexpected ones among them
  Histogram latency;             // microseconds, expected outcomes only; open model: from the intended
                                 // send time (includes waiting for a free connection)
  Histogram service_latency;     // microseconds, expected outcomes only, from the actual start
  Histogram unexpected_latency;  // microseconds, unexpected outcomes, as `latency`
};

// One bucket of the timeline. By send time: a request counts in the bucket it was sent in
// (open model: its intended send time), whenever its outcome came; `completed` counts
// outcomes by the bucket they arrived in. Abandoned requests are in neither.
struct TimelineBucket {
  explicit TimelineBucket(std::size_t behaviours = 0)
      : sent(behaviours), expected(behaviours), unexpected(behaviours), completed(behaviours) {}
  std::vector<std::uint64_t> sent, expected, unexpected, completed;  // per behaviour
  CoarseHistogram innocent_latency;         // expected innocent requests sent in this bucket
  void merge(const TimelineBucket& other);  // adds other's counts (same behaviours)
};
// Adds `from` into `into` bucket by bucket, growing `into` as needed.
void merge_timeline(std::vector<TimelineBucket>& into, const std::vector<TimelineBucket>& from,
                    std::size_t behaviours);

// The outcomes of the mix (innocent or not; not the client-driven behaviours') that arrived
// after one lifecycle event fired, before the next one did: a slow request a reload drops is
// dropped as much as an innocent one, while a misbehaviour that fails as it should is expected.
struct EventOutcomes {
  std::uint64_t answered = 0;  // expected
  std::uint64_t failed = 0;    // unexpected, by outcome key below
  // A request sent after the event on a kept-alive connection that then closed, whose resend
  // was refused, counts here as connect_refused (the server may never have read it), though
  // its behaviour's outcomes count the close.
  std::map<std::string, std::uint64_t> failures;
  std::uint64_t innocent_failed = 0;      // of the failed, innocent ones
  std::uint64_t innocent_slowest_us = 0;  // the longest an innocent answer took (0: none answered)
  // When the last innocent failure and the last innocent answer arrived, after the epoch.
  std::optional<double> last_innocent_failure_s, last_innocent_answer_s;
};

struct LoadResult {
  std::vector<BehaviourStats> behaviours;  // index = behaviour index
  std::vector<EventOutcomes> events;       // LoadOptions::event_count of them
  std::vector<TimelineBucket> timeline;
  std::uint32_t timeline_bucket_ms = 100;
  double duration_s = 0;
  double start_s = 0;      // when this load started, seconds after the epoch
  double mix_start_s = 0;  // when its mix started (after the client-driven connections connected)
  LoadEnd ended_by = LoadEnd::Requests;
  // Ended by end_after_successes: when the first of those successes was sent (after the epoch).
  std::optional<double> recovered_at_s;
  bool interrupted = false;              // stopped early by `stop`
  std::uint64_t late_sends = 0;          // open model: requests started > 1 ms after their intended time
  std::uint64_t abandoned = 0;           // in flight when the duration ended or `stop` came; not counted
  std::uint64_t innocent_abandoned = 0;  // ... of them, innocent requests
  std::uint64_t connections_opened = 0;  // connect attempts
  std::uint64_t client_errors = 0;       // other_error outcomes labour caused itself (local_failure)
  // Innocent requests sent a second time, on a fresh connection, because the kept-alive one
  // they went out on was closed before any byte of an answer (misbehaviours never are).
  std::uint64_t resends = 0;
  // Per behaviour (index = behaviour index): of a client-driven behaviour's connections, how
  // many were established within kScriptSettleBound of the start, before the mix began.
  std::vector<std::uint32_t> scripts_connected;
};

// Runs the load to completion (or until *stop becomes true) and returns what it measured.
// Ends when `requests` were completed or `duration` passed (counted from when the mix began,
// after the client-driven connections connected), whichever comes first; innocent requests
// still in flight then are abandoned (cancelled, not counted), misbehaviours are recorded as
// `held` (they were sent; what they do to the server goes on after the load). Throws std::invalid_argument
// for a bad target (port 0, unresolvable, not loopback without allow_remote) or bad options
// (requests and duration both 0, concurrency/threads/timeouts 0, weights not matching).
LoadResult run_load(const Target& target, const Workload& workload, const LoadOptions& options,
                    const std::atomic<bool>* stop = nullptr);

}  // namespace labour::engine
