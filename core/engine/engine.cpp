// run_load: one io_context per thread, connections spread over the threads, per-thread
// counters merged at the end (as wrk does). No locks and no allocation per request on the
// hot path: request bytes are built once per behaviour, buffers live in the connection,
// timeouts are checked by one periodic tick per thread instead of a timer per request.
#include "engine/engine.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <exception>
#include <memory>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "engine/load.hpp"

namespace labour::engine {

using namespace detail;

namespace {

// ------------------------------------------------------------------ validation ----

// An HTTP token (RFC 9110 tchar), as a header name must be.
bool valid_token(std::string_view t) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !t.empty() && t.size() <= 256 && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

// A header name is `lower_case_name`, in any case.
bool is_header(std::string_view name, std::string_view lower_case_name) {
  return name.size() == lower_case_name.size() &&
         std::equal(name.begin(), name.end(), lower_case_name.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// The headers the engine writes itself: framing and the connection are its own.
bool reserved_header(std::string_view name) {
  return is_header(name, "host") || is_header(name, "content-length") ||
         is_header(name, "transfer-encoding") || is_header(name, "connection");
}

bool valid_target(std::string_view t) {
  if (t.empty() || t.front() != '/') return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return c > 32 && c < 127; });
}

void validate(const Target& target, const Workload& w, const LoadOptions& o) {
  using std::invalid_argument;
  if (target.port == 0) throw invalid_argument("target port is 0: give the port the server listens on");
  if (o.requests == 0 && o.duration.count() <= 0)
    throw invalid_argument("load options: requests and duration are both 0 (set at least one)");
  if (o.concurrency == 0) throw invalid_argument("load options: concurrency is 0 (must be >= 1)");
  if (o.threads == 0) throw invalid_argument("load options: threads is 0 (must be >= 1)");
  if (!(o.rate >= 0) || std::isinf(o.rate))
    throw invalid_argument("load options: rate must be a finite number >= 0 (0: closed model)");
  // The schedule's times are 64-bit nanoseconds: a rate this low would overflow them (the
  // host's limits refuse it first: scenario::limits::rate).
  if (o.rate > 0 && o.rate < 1e-3)
    throw invalid_argument("load options: rate must be 0 (closed model) or at least 0.001 requests/s");
  if (o.connect_timeout_ms == 0) throw invalid_argument("load options: connect_timeout_ms is 0");
  if (o.timeline_bucket_ms == 0) throw invalid_argument("load options: timeline_bucket_ms is 0");
  if (w.requests.empty()) throw invalid_argument("workload: no behaviours");
  if (w.weights.size() != w.requests.size())
    throw invalid_argument("workload: " + std::to_string(w.weights.size()) + " weights for " +
                           std::to_string(w.requests.size()) + " behaviours (need one weight each)");
  bool mix = false;
  std::uint64_t script_connections = 0;
  for (std::size_t i = 0; i < w.requests.size(); ++i) {
    const PreparedRequest& r = w.requests[i];
    const std::string which = "workload: behaviour " + std::to_string(i) + ": ";
    if (r.timeout_ms == 0) throw invalid_argument(which + "timeout_ms is 0 (must be > 0)");
    if (r.script) {
      if (w.weights[i] != 0)
        throw invalid_argument(which + "runs a connection script, so it takes no weight in the mix");
      if (const std::string why = check_script(*r.script); !why.empty()) throw invalid_argument(which + why);
      script_connections += r.script->connections;
      continue;
    }
    mix = mix || w.weights[i] > 0;
    if (!valid_method(r.method))
      throw invalid_argument(which + "method '" + r.method + "' is not an upper-case token");
    if (!valid_target(r.target))
      throw invalid_argument(which + "target '" + r.target +
                             "' must start with '/' and hold no spaces or control characters");
    for (const auto& [name, value] : r.headers) {
      if (!valid_token(name))
        throw invalid_argument(which + "header name '" + name + "' is not an HTTP token");
      if (reserved_header(name))
        throw invalid_argument(which + "header " + name + " is written by labour itself; leave it out");
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        throw invalid_argument(which + "header " + name + " has a CR, LF or NUL in its value");
    }
  }
  if (!mix && (o.requests > 0 || o.duration.count() <= 0))
    throw invalid_argument(
        "workload: no behaviour has a weight, so there is no mix to count requests of (give a duration)");
  if (script_connections > kMaxScriptConnections)
    throw invalid_argument("workload: the connection scripts open " + std::to_string(script_connections) +
                           " connections at once; at most " + std::to_string(kMaxScriptConnections));
  if (!w.innocent.empty() && w.innocent.size() != w.requests.size())
    throw invalid_argument("workload: " + std::to_string(w.innocent.size()) + " innocent flags for " +
                           std::to_string(w.requests.size()) + " behaviours (need one each, or none)");
  if (w.policy == Policy::Spaced && w.schedule.empty())
    throw invalid_argument("workload: the spaced policy needs a schedule");
  for (const std::size_t b : w.schedule) {
    if (b >= w.requests.size())
      throw invalid_argument("workload: the schedule names behaviour " + std::to_string(b) + " of " +
                             std::to_string(w.requests.size()));
    if (w.weights[b] == 0)
      throw invalid_argument("workload: the schedule names behaviour " + std::to_string(b) +
                             ", which is not in the mix (weight 0)");
  }
}

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().to_bytes()[0] == 127;
  const auto v6 = a.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes()[0] == 127;
}

tcp::endpoint resolve_target(const Target& target, bool allow_remote) {
  asio::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  auto results =
      resolver.resolve(target.host, std::to_string(target.port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw std::invalid_argument("target host '" + target.host + "': cannot resolve: " + ec.message());
  if (!allow_remote)
    for (const auto& entry : results)
      if (!is_loopback(entry.endpoint().address()))
        throw std::invalid_argument(
            "target host '" + target.host + "' resolves to " + entry.endpoint().address().to_string() +
            ", which is not a loopback address; only 127.0.0.0/8 and ::1 are loaded unless "
            "remote targets are allowed");
  return results.begin()->endpoint();
}

std::string build_request_bytes(const PreparedRequest& r, const Target& t, bool keep_alive) {
  std::string s;
  s.reserve(r.target.size() + r.body.size() + 160);
  s += r.method;
  s += ' ';
  s += r.target;
  s += " HTTP/1.1\r\nHost: ";
  s += t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  s += ':';
  s += std::to_string(t.port);
  s += "\r\nUser-Agent: labour\r\n";
  if (!keep_alive) s += "Connection: close\r\n";
  bool has_type = false;
  for (const auto& [name, value] : r.headers) {
    s += name;
    s += ": ";
    s += value;
    s += "\r\n";
    has_type = has_type || is_header(name, "content-type");
  }
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    if (!has_type) s += "Content-Type: application/octet-stream\r\n";
    s += "Content-Length: ";
    s += std::to_string(r.body.size());
    s += "\r\n";
  }
  s += "\r\n";
  s += r.body;
  return s;
}

}  // namespace

namespace detail {

// ------------------------------------------------------------------ Connection ----

Connection::Connection(Worker& worker, Pool pool)
    : w_(worker), pool_(pool), socket_(worker.io), buffer_(new char[kReadBufferSize]) {}

bool Connection::peer_closed_while_idle() {
  char byte;
  const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;  // FIN: the server closed the idle connection
  if (n > 0) return true;   // unsolicited bytes: out of step, do not reuse
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

void Connection::begin(Clock::time_point intended, Clock::time_point now, std::size_t behaviour) {
  intended_ = intended;
  started_ = now;
  timed_out_ = false;
  behaviour_ = behaviour;
  parser_.reset(w_.shared.head_request[behaviour_]);
  if (intended < now - kLateThreshold && w_.shared.options.rate > 0) ++w_.late;
  if (open_ && now - last_used_ > kStaleCheckAfter && peer_closed_while_idle()) close();
  reused_ = open_;
  resent_ = false;
  events_before_ = w_.events_fired();
  ++w_.live.sent;
  if (open_) {
    phase_ = Phase::Requesting;
    send(now);
  } else {
    connect();
  }
}

void Connection::connect() {
  phase_ = Phase::Connecting;
  ++w_.connects;
  error_code ec = open_socket(socket_, w_.shared.endpoint);
  if (ec) {
    // e.g. EMFILE: report from a handler, never recursively from here.
    const int err = errno_of(ec);
    socket_.close(ec);
    asio::post(w_.io, [this, err] {
      if (w_.stopping) return;
      finish(Ending::ReadError, err ? err : -1);  // not a reset: classified as other_error
    });
    return;
  }
  open_ = true;
  // A connect that takes longer than the request may is the request's failure: a server whose
  // accept queue is full must not keep a request waiting past its timeout, unjudged.
  deadline_ =
      Clock::now() + std::chrono::milliseconds(std::min(w_.shared.options.connect_timeout_ms,
                                                        w_.shared.workload.requests[behaviour_].timeout_ms));
  socket_.async_connect(w_.shared.endpoint, [this](const error_code& e) { on_connect(e); });
}

void Connection::on_connect(const error_code& ec) {
  if (w_.stopping) return;
  if (timed_out_) return finish(Ending::ConnectTimeout);
  if (ec) return finish(Ending::ConnectError, errno_of(ec));
  phase_ = Phase::Requesting;
  send(Clock::now());
}

void Connection::send(Clock::time_point now) {
  deadline_ = now + std::chrono::milliseconds(w_.shared.workload.requests[behaviour_].timeout_ms);
  const std::string& bytes = w_.shared.request_bytes[behaviour_];
  // A request is small: one non-blocking write nearly always takes it whole, which saves a
  // trip through the reactor. The rest, if any, goes asynchronously.
  error_code ec;
  const std::size_t written = socket_.write_some(asio::buffer(bytes), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again || (!ec && written < bytes.size())) {
    const std::size_t done = ec ? 0 : written;
    asio::async_write(socket_, asio::buffer(bytes.data() + done, bytes.size() - done),
                      [this](const error_code& e, std::size_t) { on_write(e); });
    return;
  }
  if (ec) {
    const int err = errno_of(ec);
    asio::post(w_.io, [this, err] {
      if (w_.stopping) return;
      if (timed_out_) return finish(Ending::Timeout);
      finish(Ending::ReadError, err);
    });
    return;
  }
  read();
}

void Connection::on_write(const error_code& ec) {
  if (w_.stopping) return;
  if (timed_out_) return finish(Ending::Timeout);
  if (ec) return finish(Ending::ReadError, errno_of(ec));
  read();
}

void Connection::read() {
  socket_.async_read_some(asio::buffer(buffer_.get(), kReadBufferSize),
                          [this](const error_code& e, std::size_t n) { on_read(e, n); });
}

void Connection::on_read(const error_code& ec, std::size_t n) {
  if (w_.stopping) return;
  if (timed_out_) return finish(Ending::Timeout);
  if (ec == asio::error::eof) {
    parser_.finish_on_eof();
    return finish(parser_.done() ? Ending::Complete : Ending::Eof);
  }
  if (ec) return finish(Ending::ReadError, errno_of(ec));
  const std::size_t used = parser_.feed(buffer_.get(), n);
  if (parser_.done()) {
    if (used < n) parser_.note_extra_bytes();
    return finish(Ending::Complete);
  }
  if (parser_.failed()) return finish(Ending::Malformed);
  read();
}

void Connection::check_timeout(Clock::time_point now) {
  if (phase_ == Phase::Idle || timed_out_ || now < deadline_) return;
  // Closing cancels the pending operation; its handler sees timed_out_ and classifies.
  timed_out_ = true;
  error_code ignored;
  socket_.close(ignored);
  open_ = false;
}

void Connection::close() {
  error_code ignored;
  socket_.close(ignored);
  open_ = false;
}

void Connection::abort(bool hold) {
  // Held only once its bytes went out: one still connecting never reached the server.
  if (phase_ == Phase::Requesting && hold) {
    // Sent, and what it does to the server goes on: its dose counts, with the held outcome.
    const auto now = Clock::now();
    Observation obs;
    obs.kind = LABOUR_OUTCOME_HELD;
    obs.elapsed_us = micros(now - started_);
    const bool expected = w_.judge(behaviour_, obs);
    w_.record(behaviour_, LABOUR_OUTCOME_HELD, 0, expected, micros(now - intended_), obs.elapsed_us,
              intended_, now);
  } else if (busy()) {
    ++w_.abandoned;
    if (!w_.shared.workload.innocent.empty() && w_.shared.workload.innocent[behaviour_])
      ++w_.innocent_abandoned;
  }
  phase_ = Phase::Idle;
  close();
}

void Connection::finish(Ending ending, int error_number) {
  // A kept-alive connection that the server closed just as it was reused (uWSGI's
  // http-socket closes after every response without saying so) never saw this request:
  // send it once more on a fresh connection, as HTTP clients do for idempotent requests.
  // A fresh connection's failure is always the server's answer and is never retried; a
  // misbehaviour's connection is always fresh, so a misbehaviour is never sent twice.
  if (reused_ && !resent_ && !timed_out_ && !parser_.started() &&
      (ending == Ending::Eof || ending == Ending::ReadError)) {
    resent_ = true;
    reused_ = false;
    ++w_.resends;
    first_ending_ = ending;
    first_error_ = error_number;
    close();
    parser_.reset(w_.shared.head_request[behaviour_]);
    return connect();
  }
  // Nothing listens any more for the resend: the server that had this request went away
  // with it (a worker that crashed on it, say), so the close was its answer after all.
  const bool retry_refused = resent_ && ending == Ending::ConnectError;
  // ... unless it was sent after the latest lifecycle event (a graceful stop) fired: then it
  // raced the server's own close, and the refusal says the server may never have read it.
  const bool refused_after_event = retry_refused && events_before_ > 0 && events_before_ == w_.events_fired();
  if (retry_refused) {
    ending = first_ending_;
    error_number = first_error_;
  }
  const auto now = Clock::now();
  const labour_outcome_kind_t kind = classify(ending, parser_, error_number);
  if (kind == LABOUR_OUTCOME_OTHER_ERROR && local_failure(error_number)) ++w_.client_errors;
  const bool http = kind == LABOUR_OUTCOME_HTTP;
  Observation obs;
  obs.kind = kind;
  obs.http_status = http ? parser_.status() : 0;
  obs.body = http ? parser_.body() : std::string_view{};
  obs.body_length = parser_.body_length();
  obs.elapsed_us = micros(now - started_);
  const bool expected = w_.judge(behaviour_, obs);
  w_.record(behaviour_, kind, obs.http_status, expected, micros(now - intended_), obs.elapsed_us, intended_,
            now, refused_after_event);
  if (http && parser_.extra_bytes()) ++w_.counters[behaviour_].trailing_bytes;
  // A misbehaviour's connection is never reused: whatever it left behind (a second response,
  // a half-read body) is its own, and the next misbehaviour's dose is exact.
  if (!(http && parser_.keep_alive() && w_.shared.options.keep_alive) || pool_ == Pool::Misbehaviour) close();
  phase_ = Phase::Idle;
  last_used_ = now;
  w_.on_idle(*this, now);
}

// ------------------------------------------------------------------ Worker ----

error_code open_socket(tcp::socket& socket, const tcp::endpoint& to) {
  error_code ec;
  socket.open(to.protocol(), ec);
  if (!ec) socket.set_option(tcp::no_delay(true), ec);
  if (!ec) socket.non_blocking(true, ec);
  return ec;
}

bool Worker::judge(std::size_t behaviour, const Observation& obs) {
  const auto& judge = shared.workload.judge;
  if (!judge) return obs.kind == LABOUR_OUTCOME_HTTP && obs.http_status < 400;
  try {
    return judge(behaviour, obs);
  } catch (...) {
    ++counters[behaviour].judge_errors;  // the plugin's failure, which the host reports as such
    return false;
  }
}

Pool Worker::pool_of(std::size_t behaviour) const {
  return shared.split && !shared.workload.innocent[behaviour] ? Pool::Misbehaviour : Pool::Innocent;
}

Worker::Worker(const Shared& s, std::uint32_t index, std::uint64_t quota)
    : shared(s),
      counters(s.workload.requests.size()),
      index_(index),
      quota_(quota),
      open_model_(s.options.rate > 0),
      deadline_(Clock::time_point::max()) {
  if (s.has_mix) {
    // Each pool's connections are dealt over the threads in turn: every thread has both.
    for (std::uint32_t c = index; c < s.innocent_connections; c += s.threads)
      connections_.push_back(std::make_unique<Connection>(*this, Pool::Innocent));
    for (std::uint32_t c = index; c < s.misbehaviour_connections; c += s.threads)
      connections_.push_back(std::make_unique<Connection>(*this, Pool::Misbehaviour));
    // One sequence per thread, so a seed gives the same one whatever the concurrency.
    if (s.workload.policy != Policy::Spaced)
      selector_.emplace(s.workload.weights, s.workload.policy, s.workload.seed, index, s.threads);
  }
  for (auto& idle : idle_) idle.reserve(connections_.size());
  scripts_connected.resize(s.workload.requests.size());
  // Scripts' connections are dealt over the threads in turn, as the mix's are.
  if (s.workload.run_scripts) {
    std::uint64_t k = 0;
    for (std::size_t b = 0; b < s.workload.requests.size(); ++b)
      if (const auto& script = s.workload.requests[b].script)
        for (std::uint32_t c = 0; c < script->connections; ++c, ++k)
          if (k % s.threads == index) scripts_.push_back(std::make_unique<ScriptConnection>(*this, b));
  }
  events.resize(s.options.events_fired ? s.options.event_count : 0);
}

Worker::~Worker() = default;

Clock::time_point Worker::intended_time(std::uint64_t k) const {
  // The k-th request of this thread is the (k * threads + index)-th of the whole schedule.
  const double seconds = static_cast<double>(k * shared.threads + index_) / shared.options.rate;
  return shared.start + mix_delay_ +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

bool Worker::take_request(Clock::time_point now, Clock::time_point& intended) {
  if (stopping || issued_ >= quota_) return false;
  if (open_model_) {
    if (issued_ >= due_) return false;  // nothing due yet: the pacing timer will call
    intended = intended_time(issued_);
  } else {
    if (now >= deadline_) return false;
    intended = now;
  }
  ++issued_;
  return true;
}

std::size_t Worker::pick() {
  if (selector_) return selector_->next();
  // The request just taken is this thread's (issued_ - 1)-th, the load's k-th.
  const std::uint64_t k = (issued_ - 1) * shared.threads + index_;
  return shared.workload.schedule[k % shared.workload.schedule.size()];
}

void Worker::dispatch(std::size_t behaviour, Clock::time_point intended, Clock::time_point now) {
  auto& idle = idle_[static_cast<std::size_t>(pool_of(behaviour))];
  if (idle.empty()) {
    pending_[static_cast<std::size_t>(pool_of(behaviour))].push_back({behaviour, intended});
    return;
  }
  Connection* c = idle.back();
  idle.pop_back();
  c->begin(intended, now, behaviour);
}

// The closed model: an idle connection takes its pool's next waiting request; an innocent one
// also moves the sequence on, releasing the misbehaviours it passes to their own pool, until
// it meets an innocent request. Misbehaviour connections never move it: the innocent stream
// sets the pace, so the mix keeps its proportions however fast misbehaviours are answered.
void Worker::on_idle(Connection& c, Clock::time_point now) {
  const auto p = static_cast<std::size_t>(c.pool());
  if (!pending_[p].empty()) {
    const Released r = pending_[p].front();
    pending_[p].pop_front();
    return c.begin(r.intended, now, r.behaviour);
  }
  Clock::time_point intended;
  if (c.pool() == Pool::Innocent && !open_model_) {
    while (pending_total() < kMaxPending && take_request(now, intended)) {
      const std::size_t b = pick();
      if (pool_of(b) == Pool::Innocent) return c.begin(intended, now, b);
      dispatch(b, intended, now);
    }
    // The count is done but its misbehaviours are not: innocent requests go on observing
    // until they end (beyond the count), or a long misbehaviour would act unseen.
    if (!stopping && now < deadline_ && misbehaviours_outstanding())
      return c.begin(now, now, next_innocent());
  }
  idle_[p].push_back(&c);
  maybe_finish();
}

bool Worker::misbehaviours_outstanding() const {
  if (!pending_[static_cast<std::size_t>(Pool::Misbehaviour)].empty()) return true;
  return std::any_of(connections_.begin(), connections_.end(),
                     [](const auto& c) { return c->pool() == Pool::Misbehaviour && c->busy(); });
}

std::size_t Worker::next_innocent() {
  // Split loads always hold an innocent behaviour in their sequence, so these loops end.
  for (;;) {
    const std::size_t b = selector_ ? selector_->next()
                                    : shared.workload.schedule[observed_++ % shared.workload.schedule.size()];
    if (pool_of(b) == Pool::Innocent) return b;
  }
}

void Worker::maybe_finish() {
  if (stopping) return;
  if (idle_[0].size() + idle_[1].size() != connections_.size()) return;  // something in flight
  if (pending_total() > 0) return;
  if (issued_ < quota_ && Clock::now() < deadline_) return;
  shutdown(false);
}

void Worker::shutdown(bool abandon) {
  stopping = true;
  for (auto& c : connections_) {
    if (!abandon && c->busy()) continue;
    // A misbehaviour in flight at the end was sent: it counts, held (unless the user stopped).
    c->abort(c->pool() == Pool::Misbehaviour && !interrupted);
  }
  // A script's run still going now was held to the end, unless the user stopped the load.
  for (auto& c : scripts_) c->end(interrupted);
  tick_timer_.cancel();
  pace_timer_.cancel();
}

TimelineBucket& Worker::bucket_at(Clock::time_point t) {
  const auto i =
      static_cast<std::size_t>(micros(t - shared.epoch) / 1000 / shared.options.timeline_bucket_ms);
  if (i >= timeline.size()) timeline.resize(i + 1, TimelineBucket(counters.size()));
  return timeline[i];
}

void Worker::record(std::size_t behaviour, labour_outcome_kind_t kind, int status, bool expected,
                    std::uint64_t latency_us, std::uint64_t service_us, Clock::time_point sent,
                    Clock::time_point now, bool refused_after_event) {
  Counters& c = counters[behaviour];
  ++c.sent;
  c.all.add(kind, status);
  if (kind == LABOUR_OUTCOME_HTTP) ++c.responses;
  if (expected) {
    ++c.expected;
    c.latency.record(latency_us);
    c.service_latency.record(service_us);
  } else {
    ++c.unexpected;
    c.unexpected_only.add(kind, status);
    c.unexpected_latency.record(latency_us);
  }
  const bool innocent = !shared.workload.innocent.empty() && shared.workload.innocent[behaviour];
  TimelineBucket& b = bucket_at(sent);
  ++b.sent[behaviour];
  ++(expected ? b.expected : b.unexpected)[behaviour];
  if (innocent && expected) b.innocent_latency.record(latency_us);
  ++bucket_at(now).completed[behaviour];
  ++live.done;
  if (innocent) {
    ++live.innocent_done;
    live.innocent_unexpected += expected ? 0 : 1;
    watch_innocent(expected, latency_us, sent, now);
  }
  // A misbehaviour held at the end got no answer from the server yet: no event dropped it.
  if (!events.empty() && !shared.workload.requests[behaviour].script && kind != LABOUR_OUTCOME_HELD)
    tally_event(kind, status, expected, innocent, refused_after_event, latency_us, now);
}

void Worker::tally_event(labour_outcome_kind_t kind, int status, bool expected, bool innocent,
                         bool refused_after_event, std::uint64_t latency_us, Clock::time_point now) {
  const auto fired = events_fired();
  if (fired == 0) return;
  EventTally& e = events[fired - 1];
  if (expected) {
    ++e.answered;
    if (innocent) {
      e.last_innocent_answer_ns = shared.since_epoch_ns(now);
      e.innocent_slowest_us = std::max(e.innocent_slowest_us, latency_us);
    }
  } else {
    ++e.failed;
    // Its resend's refusal is its outcome here: the server was stopping (a graceful stop).
    e.failures.add(refused_after_event ? LABOUR_OUTCOME_CONNECT_REFUSED : kind, status);
    if (innocent) {
      ++e.innocent_failed;
      e.last_innocent_failure_ns = shared.since_epoch_ns(now);
    }
  }
}

void Worker::watch_innocent(bool expected, std::uint64_t latency_us, Clock::time_point sent,
                            Clock::time_point now) {
  constexpr auto relaxed = std::memory_order_relaxed;
  if (!expected) {
    shared.innocent_failed_since.store(true, relaxed);
    shared.innocent_streak.store(0, relaxed);
    return;
  }
  shared.last_innocent_success_ns.store(shared.since_epoch_ns(now), relaxed);
  shared.innocent_failed_since.store(false, relaxed);
  const std::uint64_t limit = shared.options.recovered_latency_us;
  if (limit > 0 && latency_us > limit) {  // an answer, but not yet a normal one
    shared.innocent_streak.store(0, relaxed);
    return;
  }
  const std::uint32_t streak = shared.innocent_streak.fetch_add(1, relaxed) + 1;
  if (streak == 1) shared.streak_sent_ns.store(shared.since_epoch_ns(sent), relaxed);
  const std::uint32_t wanted = shared.options.end_after_successes;
  if (wanted > 0 && streak >= wanted && !stopping && end_early(LoadEnd::Recovered))
    shared.recovered_at_ns.store(shared.streak_sent_ns.load(relaxed));
}

bool Worker::end_early(LoadEnd why) {
  int none = 0;
  const bool decided = shared.early_end.compare_exchange_strong(none, static_cast<int>(why));
  shutdown(true);
  return decided;
}

void Worker::flush_live() {
  LiveCounters* to = shared.options.live;
  if (!to || live.sent + live.done == 0) return;
  constexpr auto relaxed = std::memory_order_relaxed;
  to->sent.fetch_add(live.sent, relaxed);
  to->done.fetch_add(live.done, relaxed);
  to->innocent_done.fetch_add(live.innocent_done, relaxed);
  to->innocent_unexpected.fetch_add(live.innocent_unexpected, relaxed);
  live = {};
}

void Worker::on_tick() {
  if (stopping) return;
  flush_live();
  const auto now = Clock::now();
  if (shared.stop && shared.stop->load(std::memory_order_relaxed)) {
    interrupted = true;
    return shutdown(true);
  }
  if (now >= deadline_) return shutdown(true);
  if (shared.early_end.load(std::memory_order_relaxed)) return shutdown(true);
  if (shared.options.end_now && shared.options.end_now()) {
    end_early(LoadEnd::EndNow);
    return;
  }
  const auto stall = std::chrono::duration_cast<std::chrono::nanoseconds>(shared.options.end_when_stalled);
  const auto start_ns = shared.since_epoch_ns(shared.start);
  const auto last_success_ns =
      std::max(start_ns, shared.last_innocent_success_ns.load(std::memory_order_relaxed));
  if (stall.count() > 0 && shared.innocent_failed_since.load(std::memory_order_relaxed) &&
      shared.since_epoch_ns(now) - last_success_ns >= stall.count()) {
    end_early(LoadEnd::Stalled);
    return;
  }
  for (auto& c : connections_) c->check_timeout(now);
  tick_timer_.expires_at(now + shared.tick);
  tick_timer_.async_wait([this](const error_code& ec) {
    if (!ec) on_tick();
  });
}

void Worker::schedule_pace() {
  if (stopping || due_ >= quota_) return;
  const auto next = intended_time(due_);
  if (next >= deadline_) return;
  pace_timer_.expires_at(next);
  pace_timer_.async_wait([this](const error_code& ec) {
    if (!ec) on_pace();
  });
}

void Worker::on_pace() {
  if (stopping) return;
  const auto now = Clock::now();
  while (due_ < quota_ && intended_time(due_) <= now && intended_time(due_) < deadline_) ++due_;
  // Every due request is released to its pool at once: one pool's busy connections never
  // hold back the other's requests.
  Clock::time_point intended;
  while (pending_total() < kMaxPending && take_request(now, intended)) dispatch(pick(), intended, now);
  schedule_pace();
}

// The attack is in place before the mix starts: a client-driven connection takes its slot
// in the server (a thread of its pool, a place in its accept queue) before innocent ones,
// as a slow client that arrived first does. A connect still pending after the bound is one
// the server's full queue holds: the mix waits no longer.
void Worker::await_scripts() {
  const auto now = Clock::now();
  if (stopping || shared.scripts_unsettled.load(std::memory_order_relaxed) == 0 ||
      now >= shared.start + kScriptSettleBound) {
    // The load's length is the mix's: the time the attack took to connect is not taken from it.
    mix_delay_ = now - shared.start;
    if (shared.deadline != Clock::time_point::max()) deadline_ = shared.deadline + mix_delay_;
    return start_mix();
  }
  settle_timer_.expires_after(std::chrono::milliseconds(1));
  settle_timer_.async_wait([this](const error_code& ec) {
    if (!ec) await_scripts();
  });
}

void Worker::start_mix() {
  if (open_model_) {
    for (auto& c : connections_) idle_[static_cast<std::size_t>(c->pool())].push_back(c.get());
    on_pace();
    return;
  }
  // Misbehaviour connections first: idle when the innocent ones release the first misbehaviours.
  for (const Pool pool : {Pool::Misbehaviour, Pool::Innocent})
    for (auto& c : connections_)
      if (c->pool() == pool) on_idle(*c, Clock::now());
}

void Worker::run() {
  if (connections_.empty() && scripts_.empty()) return;
  on_tick();
  for (auto& c : scripts_) c->start();
  await_scripts();
  io.run();
  flush_live();  // all of it, before run_load returns
  // Whatever is left (keep-alive sockets) closes with the connections.
}

}  // namespace detail

void TimelineBucket::merge(const TimelineBucket& other) {
  for (std::size_t b = 0; b < sent.size() && b < other.sent.size(); ++b) {
    sent[b] += other.sent[b];
    expected[b] += other.expected[b];
    unexpected[b] += other.unexpected[b];
    completed[b] += other.completed[b];
  }
  innocent_latency.merge(other.innocent_latency);
}

void merge_timeline(std::vector<TimelineBucket>& into, const std::vector<TimelineBucket>& from,
                    std::size_t behaviours) {
  if (from.size() > into.size()) into.resize(from.size(), TimelineBucket(behaviours));
  for (std::size_t i = 0; i < from.size(); ++i) into[i].merge(from[i]);
}

std::string_view load_end_name(LoadEnd e) {
  switch (e) {
    case LoadEnd::Requests:
      return "requests";
    case LoadEnd::Duration:
      return "duration";
    case LoadEnd::Interrupted:
      return "interrupted";
    case LoadEnd::EndNow:
      return "ended by the host";
    case LoadEnd::Stalled:
      return "stalled";
    case LoadEnd::Recovered:
      return "recovered";
  }
  return "unknown";
}

LoadResult run_load(const Target& target, const Workload& workload, const LoadOptions& options,
                    const std::atomic<bool>* stop) {
  validate(target, workload, options);
  Shared shared{workload, options, resolve_target(target, options.allow_remote), {}, {}, false, {}, {},
                {},       stop};
  // The misbehaviours' share of the mix: of the weights, or of the spaced schedule (which may
  // leave a weighted behaviour out, as the baseline's innocent-only one does).
  std::uint64_t innocent_share = 0, misbehaviour_share = 0;
  for (std::size_t b = 0; b < workload.requests.size(); ++b) {
    shared.has_mix = shared.has_mix || workload.weights[b] > 0;
    if (workload.policy == Policy::Spaced || workload.innocent.empty()) continue;
    (workload.innocent[b] ? innocent_share : misbehaviour_share) += workload.weights[b];
  }
  if (workload.policy == Policy::Spaced && !workload.innocent.empty())
    for (const std::size_t b : workload.schedule)
      ++(workload.innocent[b] ? innocent_share : misbehaviour_share);
  shared.split = innocent_share > 0 && misbehaviour_share > 0;
  // Checks the weights before any thread starts.
  if (shared.has_mix) Selector check(workload.weights, workload.policy, workload.seed, 0, 1);
  for (const auto& r : workload.requests) {
    shared.request_bytes.push_back(r.script ? std::string()
                                            : build_request_bytes(r, target, options.keep_alive));
    shared.head_request.push_back(r.method == "HEAD");
  }
  shared.threads = std::min(options.threads, options.concurrency);
  shared.innocent_connections = options.concurrency;
  if (shared.split) {
    // `concurrency` is the mix's connections, as a client of that many would have: the
    // misbehaviours get their share, and at least half (and one per thread), innocent requests
    // the rest (at least one per thread). At concurrency 1 that is one each: an innocent request must be
    // able to be in flight beside a misbehaviour, or it cannot see what the misbehaviour does.
    const std::uint32_t c = options.concurrency;
    shared.threads = std::max<std::uint32_t>(1, std::min(shared.threads, c / 2));
    const std::uint32_t t = shared.threads;
    const double share =
        static_cast<double>(misbehaviour_share) / static_cast<double>(innocent_share + misbehaviour_share);
    // Misbehaviours that hold their connection (a sleep, a wedge) would queue behind each
    // other on fewer: they get at least half, as they could take that many in a shared pool.
    const auto wanted =
        std::max<std::uint32_t>(static_cast<std::uint32_t>(std::llround(c * share)), (c + 1) / 2);
    shared.misbehaviour_connections = c == 1 ? 1 : std::clamp<std::uint32_t>(wanted, t, c - t);
    shared.innocent_connections = c == 1 ? 1 : c - shared.misbehaviour_connections;
  }
  std::uint32_t smallest_timeout = options.connect_timeout_ms;
  for (const auto& r : workload.requests)
    if (!r.script) smallest_timeout = std::min(smallest_timeout, r.timeout_ms);
  // Timeouts are checked on a tick: a quarter of the smallest timeout, within 1..10 ms.
  shared.tick = std::chrono::microseconds(std::clamp<std::uint64_t>(smallest_timeout * 250ULL, 1000, 10000));

  if (workload.run_scripts)
    for (const auto& r : workload.requests)
      if (r.script) shared.scripts_unsettled += r.script->connections;
  std::vector<std::unique_ptr<Worker>> workers;
  shared.start = Clock::now();
  shared.epoch = options.epoch ? std::min(*options.epoch, shared.start) : shared.start;
  shared.deadline = options.duration.count() > 0 ? shared.start + options.duration : Clock::time_point::max();
  for (std::uint32_t t = 0; t < shared.threads; ++t) {
    std::uint64_t quota = UINT64_MAX;
    if (options.requests > 0)
      quota = options.requests / shared.threads + (t < options.requests % shared.threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(shared, t, quota));
  }

  std::vector<std::exception_ptr> errors(workers.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 1; t < workers.size(); ++t)
      threads.emplace_back([&, t] {
        try {
          workers[t]->run();
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    try {
      workers[0]->run();
    } catch (...) {
      errors[0] = std::current_exception();
    }
  }
  const auto end = Clock::now();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  LoadResult result;
  result.timeline_bucket_ms = options.timeline_bucket_ms;
  result.duration_s = std::chrono::duration<double>(end - shared.start).count();
  result.start_s = std::chrono::duration<double>(shared.start - shared.epoch).count();
  result.mix_start_s = result.start_s;
  for (const auto& w : workers)
    result.mix_start_s =
        std::max(result.mix_start_s, result.start_s + std::chrono::duration<double>(w->mix_delay()).count());
  result.behaviours.resize(workload.requests.size());
  const std::size_t n = workload.requests.size();
  result.scripts_connected.resize(n);
  bool deadline_passed = false;
  for (const auto& w : workers) {
    deadline_passed = deadline_passed || end >= w->deadline();
    result.resends += w->resends;
    for (std::size_t b = 0; b < n; ++b) result.scripts_connected[b] += w->scripts_connected[b];
    result.interrupted = result.interrupted || w->interrupted;
    result.late_sends += w->late;
    result.abandoned += w->abandoned;
    result.innocent_abandoned += w->innocent_abandoned;
    result.connections_opened += w->connects;
    result.client_errors += w->client_errors;
    for (std::size_t b = 0; b < n; ++b) {
      const Counters& c = w->counters[b];
      BehaviourStats& s = result.behaviours[b];
      s.sent += c.sent;
      s.expected += c.expected;
      s.unexpected += c.unexpected;
      s.responses += c.responses;
      s.judge_errors += c.judge_errors;
      s.trailing_bytes += c.trailing_bytes;
      s.latency.merge(c.latency);
      s.service_latency.merge(c.service_latency);
      s.unexpected_latency.merge(c.unexpected_latency);
      c.all.add_to(s.outcomes);
      c.unexpected_only.add_to(s.unexpected_outcomes);
    }
    merge_timeline(result.timeline, w->timeline, n);
    result.events.resize(w->events.size());
    for (std::size_t e = 0; e < w->events.size(); ++e) {
      EventOutcomes& r = result.events[e];
      const EventTally& t = w->events[e];
      r.answered += t.answered;
      r.failed += t.failed;
      r.innocent_failed += t.innocent_failed;
      r.innocent_slowest_us = std::max(r.innocent_slowest_us, t.innocent_slowest_us);
      t.failures.add_to(r.failures);
      if (t.last_innocent_failure_ns >= 0)
        r.last_innocent_failure_s = std::max(r.last_innocent_failure_s.value_or(0),
                                             static_cast<double>(t.last_innocent_failure_ns) / 1e9);
      if (t.last_innocent_answer_ns >= 0)
        r.last_innocent_answer_s = std::max(r.last_innocent_answer_s.value_or(0),
                                            static_cast<double>(t.last_innocent_answer_ns) / 1e9);
    }
  }
  if (const auto at = shared.recovered_at_ns.load(); at >= 0)
    result.recovered_at_s = static_cast<double>(at) / 1e9;
  if (result.interrupted)
    result.ended_by = LoadEnd::Interrupted;
  else if (const int early = shared.early_end.load())
    result.ended_by = static_cast<LoadEnd>(early);
  else if (deadline_passed)
    result.ended_by = LoadEnd::Duration;
  return result;
}

bool valid_method(std::string_view m) {
  if (m.empty() || m.size() > 32) return false;
  return std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace labour::engine
