// Internal to the engine (nothing outside core/engine includes it): the per-thread state of
// run_load (Worker), its two kinds of connection (Connection: the mix's requests, picked by the
// policy; ScriptConnection: a client-driven behaviour's own connections, running its script
// beside the mix), and what the threads share. engine.cpp implements Worker and Connection,
// script.cpp ScriptConnection.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/engine.hpp"

namespace labour::engine::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr auto kLateThreshold = std::chrono::milliseconds(1);
// A kept-alive connection idle this long is checked for a close from the server before it
// is reused, so a server's idle timeout is not counted against the next request.
constexpr auto kStaleCheckAfter = std::chrono::milliseconds(20);
constexpr std::size_t kReadBufferSize = 16 * 1024;
constexpr int kStatusSlots = 1000;
// Requests released to a pool whose connections are all busy wait in its queue; past this many
// (all pools of a thread together) the sequence pauses, so a stalled server costs no memory.
constexpr std::size_t kMaxPending = std::size_t{1} << 20;

inline std::uint64_t micros(Clock::duration d) {
  return static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
}

inline int errno_of(const error_code& ec) {
  return ec.category() == boost::system::system_category() ? ec.value() : 0;
}

// ------------------------------------------------------------------ per-thread state --

// Outcomes counted in fixed slots on the hot path, turned into outcome keys at the end.
// A slot per outcome kind the ABI defines; a kind beyond them (none is made today) is counted
// as other_error, never in another kind's slot.
struct OutcomeCounts {
  static constexpr std::size_t kKinds = LABOUR_OUTCOME_HELD + 1;
  std::array<std::uint64_t, kKinds> kinds{};           // non-HTTP outcomes by kind
  std::array<std::uint64_t, kStatusSlots> statuses{};  // HTTP outcomes by status
  void add(labour_outcome_kind_t kind, int status) {
    const auto k = static_cast<std::size_t>(kind);
    if (kind == LABOUR_OUTCOME_HTTP)
      ++statuses[static_cast<std::size_t>(std::clamp(status, 0, kStatusSlots - 1))];
    else
      ++kinds[k > 0 && k < kKinds ? k : std::size_t{LABOUR_OUTCOME_OTHER_ERROR}];
  }
  void add_to(std::map<std::string, std::uint64_t>& keyed) const {
    for (int status = 0; status < kStatusSlots; ++status)
      if (statuses[static_cast<std::size_t>(status)])
        keyed[outcome_key(LABOUR_OUTCOME_HTTP, status)] += statuses[static_cast<std::size_t>(status)];
    for (std::size_t k = 0; k < kinds.size(); ++k)
      if (kinds[k]) keyed[outcome_key(static_cast<labour_outcome_kind_t>(k), 0)] += kinds[k];
  }
};

struct Counters {
  std::uint64_t sent = 0, expected = 0, unexpected = 0, responses = 0;
  std::uint64_t judge_errors = 0, trailing_bytes = 0;
  OutcomeCounts all, unexpected_only;
  Histogram latency, service_latency, unexpected_latency;
};

// The mix's outcomes that arrived after a lifecycle event fired (and before the next one).
struct EventTally {
  std::uint64_t answered = 0, failed = 0, innocent_failed = 0;
  std::uint64_t innocent_slowest_us = 0;  // the longest wait of an innocent answer
  OutcomeCounts failures;
  std::int64_t last_innocent_failure_ns = -1, last_innocent_answer_ns = -1;  // arrival, since the epoch
};

// Counted on the hot path in plain integers, added to LoadOptions::live now and then.
struct LiveDelta {
  std::uint64_t sent = 0, done = 0, innocent_done = 0, innocent_unexpected = 0;
};

struct Shared {
  const Workload& workload;
  const LoadOptions& options;
  tcp::endpoint endpoint;
  std::vector<std::string> request_bytes;  // per behaviour (mix behaviours)
  std::vector<bool> head_request;          // per behaviour
  bool has_mix = false;                    // some behaviour has a weight: the mix connections run
  Clock::time_point epoch;                 // the timeline's time zero
  Clock::time_point start;
  Clock::time_point deadline;  // Clock::time_point::max() without a duration
  const std::atomic<bool>* stop;
  std::uint32_t threads = 1;
  // Innocent requests and misbehaviours run in pools of connections of their own (the mix
  // holds both); false: one pool for every request (no innocent flags, or only one kind).
  bool split = false;
  std::uint32_t innocent_connections = 0;      // Pool::Innocent's (all of them when not split)
  std::uint32_t misbehaviour_connections = 0;  // Pool::Misbehaviour's
  Clock::duration tick{};
  // An early end (stalled, recovered) found by one thread ends every thread's load.
  mutable std::atomic<int> early_end{0};  // a LoadEnd, 0 while none
  // Innocent outcomes of all threads, for the stall and recovery rules (nanoseconds since
  // the epoch). Approximate under races between threads, exact with one.
  mutable std::atomic<std::int64_t> last_innocent_success_ns{0};
  mutable std::atomic<bool> innocent_failed_since{false};
  mutable std::atomic<std::uint32_t> innocent_streak{0};
  mutable std::atomic<std::int64_t> streak_sent_ns{0};    // send time of the streak's first
  mutable std::atomic<std::int64_t> recovered_at_ns{-1};  // set by the thread that ended it
  // Client-driven connections whose first connect has not completed yet: the mix waits for
  // them (at most kScriptSettleBound), so that the attack is in place before it starts.
  mutable std::atomic<std::uint64_t> scripts_unsettled{0};
  std::int64_t since_epoch_ns(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - epoch).count();
  }
};

class Worker;

// The two pools of a split load (Shared::split); an unsplit load has only Innocent's, which
// then carries every request.
enum class Pool : std::uint8_t { Innocent = 0, Misbehaviour = 1 };

// A fresh non-blocking socket without Nagle, for `to`'s protocol.
error_code open_socket(tcp::socket& socket, const tcp::endpoint& to);

// One connection of the mix: takes the next request of the load when idle, sends it, reads
// and classifies the response; reused while the server keeps it alive.
class Connection {
 public:
  Connection(Worker& worker, Pool pool);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void begin(Clock::time_point intended, Clock::time_point now, std::size_t behaviour);
  Pool pool() const { return pool_; }
  bool busy() const { return phase_ != Phase::Idle; }
  void check_timeout(Clock::time_point now);
  // Closes the socket; pending handlers then see the worker stopping. A request in flight is
  // abandoned, or with `hold` recorded as held if it was sent (and still running at the end).
  void abort(bool hold);

 private:
  enum class Phase { Idle, Connecting, Requesting };

  void connect();
  void on_connect(const error_code& ec);
  void send(Clock::time_point now);
  void on_write(const error_code& ec);
  void read();
  void on_read(const error_code& ec, std::size_t n);
  void finish(Ending ending, int error_number = 0);
  void close();
  bool peer_closed_while_idle();

  Worker& w_;
  Pool pool_;
  tcp::socket socket_;
  ResponseParser parser_;
  std::unique_ptr<char[]> buffer_;
  Phase phase_ = Phase::Idle;
  bool open_ = false;
  bool timed_out_ = false;
  bool reused_ = false;                // this request went out on a connection that had served one before
  bool resent_ = false;                // ... and was already sent again on a fresh one
  Ending first_ending_ = Ending::Eof;  // how the reused connection ended, before the resend
  int first_error_ = 0;
  std::size_t events_before_ = 0;  // lifecycle events fired when this request began
  std::size_t behaviour_ = 0;
  Clock::time_point intended_{}, started_{}, deadline_{}, last_used_{};
};

// One connection of a client-driven behaviour (PreparedRequest::script): runs the script from
// a fresh connection, records its outcome like any request's, and starts again `repeat_after`
// later, until the load ends; then a run still going is recorded as held (script.cpp).
class ScriptConnection {
 public:
  ScriptConnection(Worker& worker, std::size_t behaviour);
  ScriptConnection(const ScriptConnection&) = delete;
  ScriptConnection& operator=(const ScriptConnection&) = delete;

  void start();
  // The load ended: a run still going is held (or, interrupted, abandoned); nothing restarts.
  void end(bool abandon);

 private:
  enum class State { Waiting, Connecting, Running, Reading };

  const ScriptStep& step() const;
  void connect();
  void on_connect(const error_code& ec);
  void run_step();
  void next_step();
  void write(std::string_view bytes);
  void trickle();
  void watch();
  void read_responses(std::uint32_t count, std::uint64_t rate);
  void read_some();
  void on_read(const error_code& ec, std::size_t n);
  void arm_deadline(std::chrono::milliseconds after);
  void finish(labour_outcome_kind_t kind, int error_number = 0);
  void finish(Ending ending, int error_number = 0);
  void close();
  // Each state change makes the handlers of the one before see another generation and return.
  std::uint32_t next_generation();

  Worker& w_;
  std::size_t behaviour_;
  const ConnectionScript& script_;
  std::uint32_t timeout_ms_;
  tcp::socket socket_;
  asio::steady_timer step_timer_;      // trickle pieces, pauses, read pacing, the next run
  asio::steady_timer deadline_timer_;  // connect and every wait for the server's bytes
  std::uint64_t deadline_serial_ = 0;  // of the latest arm_deadline
  ResponseParser parser_;
  std::unique_ptr<char[]> buffer_;  // while reading only: 10 000 idle connections stay small
  std::size_t buffer_size_ = 0;
  std::string piece_;  // the trickle piece in flight
  State state_ = State::Waiting;
  std::uint32_t generation_ = 0;
  bool timed_out_ = false;
  std::size_t step_ = 0;
  std::uint64_t trickled_ = 0;
  std::uint32_t responses_ = 0, wanted_ = 1;
  int worst_status_ = 0;  // the highest status among the responses read
  std::uint64_t rate_ = 0, read_bytes_ = 0;
  Clock::time_point started_{}, read_started_{};
  bool settled_ = false;  // its first connect completed (Shared::scripts_unsettled)
  void settle(bool connected);
};

class Worker {
 public:
  Worker(const Shared& shared, std::uint32_t index, std::uint64_t quota);
  ~Worker();

  void run();

  // Used by one thread only (nothing is posted from elsewhere): no locking inside Asio.
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  const Shared& shared;
  std::vector<Counters> counters;
  std::vector<TimelineBucket> timeline;
  std::uint64_t late = 0, abandoned = 0, innocent_abandoned = 0, connects = 0, client_errors = 0;
  std::uint64_t resends = 0;                     // innocent requests sent again (Connection::finish)
  std::vector<std::uint32_t> scripts_connected;  // per behaviour: first connects within the bound
  LiveDelta live;                                // not yet added to shared.options.live
  bool stopping = false;
  bool interrupted = false;

  // A connection became idle: give it the next request, if any.
  void on_idle(Connection& c, Clock::time_point now);
  // `refused_after_event`: sent after the latest lifecycle event fired, on a kept-alive
  // connection that closed under it, and its resend found nothing listening (the outcome is
  // the close; the event's tally counts the refusal).
  void record(std::size_t behaviour, labour_outcome_kind_t kind, int status, bool expected,
              std::uint64_t latency_us, std::uint64_t service_us, Clock::time_point sent,
              Clock::time_point now, bool refused_after_event = false);
  std::vector<EventTally> events;  // by lifecycle event (LoadOptions::events_fired)
  // How many lifecycle events have fired so far (0 without events).
  std::size_t events_fired() const {
    return events.empty() ? 0
                          : std::min<std::size_t>(
                                shared.options.events_fired->load(std::memory_order_relaxed), events.size());
  }

  // The behaviour's judgement of an outcome (Workload::judge). A judge that throws is the
  // plugin's fault, not the server's: counted as a judge error, and the outcome as unexpected.
  bool judge(std::size_t behaviour, const Observation& obs);
  Pool pool_of(std::size_t behaviour) const;
  Clock::time_point deadline() const { return deadline_; }
  Clock::duration mix_delay() const { return mix_delay_; }

 private:
  void tally_event(labour_outcome_kind_t kind, int status, bool expected, bool innocent,
                   bool refused_after_event, std::uint64_t latency_us, Clock::time_point now);
  bool take_request(Clock::time_point now, Clock::time_point& intended);
  std::size_t pick();  // the behaviour of the request just taken
  // After the count: a misbehaviour is still running or waiting, and the innocent behaviour
  // that observes meanwhile (the sequence's next innocent one).
  bool misbehaviours_outstanding() const;
  std::size_t next_innocent();
  // A request released by the sequence to a pool: an idle connection of the pool takes it,
  // else it waits in the pool's queue.
  void dispatch(std::size_t behaviour, Clock::time_point intended, Clock::time_point now);
  TimelineBucket& bucket_at(Clock::time_point t);
  bool end_early(LoadEnd why);  // true if this call decided how the load ended
  void watch_innocent(bool expected, std::uint64_t latency_us, Clock::time_point sent, Clock::time_point now);
  Clock::time_point intended_time(std::uint64_t k) const;
  void on_tick();
  void flush_live();
  void on_pace();
  void schedule_pace();
  void await_scripts();  // then start_mix()
  void start_mix();
  void shutdown(bool abandon);
  void maybe_finish();

  std::uint32_t index_;
  std::uint64_t quota_;  // requests this thread sends (UINT64_MAX: until the deadline)
  std::uint64_t issued_ = 0;
  std::uint64_t due_ = 0;       // open model: requests whose intended time has come
  std::uint64_t observed_ = 0;  // innocent requests sent after the count (next_innocent)
  bool open_model_;
  Clock::time_point deadline_;        // shared.deadline, counted from when the mix started (max before)
  std::optional<Selector> selector_;  // Random/Repeat: this thread's sequence
  struct Released {
    std::size_t behaviour;
    Clock::time_point intended;
  };
  std::array<std::deque<Released>, 2> pending_;   // by Pool
  std::array<std::vector<Connection*>, 2> idle_;  // by Pool
  std::size_t pending_total() const { return pending_[0].size() + pending_[1].size(); }
  asio::steady_timer tick_timer_{io};
  asio::steady_timer pace_timer_{io};
  asio::steady_timer settle_timer_{io};
  Clock::duration mix_delay_{0};  // from the start until the mix started (open model's schedule)
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<ScriptConnection>> scripts_;
};

}  // namespace labour::engine::detail
