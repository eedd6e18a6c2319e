// ScriptConnection: a client-driven behaviour's own connection, running its script (send,
// trickle, pause, half-close, reset, read slowly) from a fresh connection each time, beside the
// mix. While the script sends or pauses, the connection is watched for the server's bytes or
// close (one readiness wait, no buffer), so an idle script costs a socket and nothing else:
// 10 000 of them idle on one thread.
#include <algorithm>
#include <string>

#include <boost/asio/write.hpp>

#include "engine/load.hpp"

namespace labour::engine {

std::string check_script(const ConnectionScript& script) {
  using Kind = ScriptStep::Kind;
  constexpr std::uint64_t kHour = 3600 * 1000;
  if (script.steps.empty()) return "the connection script has no steps";
  if (script.steps.size() > kMaxScriptSteps)
    return "the connection script has " + std::to_string(script.steps.size()) + " steps; at most " +
           std::to_string(kMaxScriptSteps);
  if (script.connections == 0 || script.connections > kMaxScriptConnections)
    return "the connection script runs on " + std::to_string(script.connections) +
           " connections; it must be 1 to " + std::to_string(kMaxScriptConnections);
  if (static_cast<std::uint64_t>(script.repeat_after.count()) > kHour)
    return "the connection script repeats after more than an hour";
  for (std::size_t i = 0; i < script.steps.size(); ++i) {
    const ScriptStep& s = script.steps[i];
    const std::string which = "step " + std::to_string(i + 1) + " of the connection script: ";
    if (s.bytes.size() > kMaxStepBytes)
      return which + std::to_string(s.bytes.size()) + " bytes; at most " + std::to_string(kMaxStepBytes);
    if (s.interval.count() < 0 || static_cast<std::uint64_t>(s.interval.count()) > kHour)
      return which + "its interval must be 0 to an hour";
    // A step that lasts until the load ends leaves nothing after it to run.
    const bool endless =
        (s.kind == Kind::Trickle && s.total == 0) || (s.kind == Kind::Pause && s.interval.count() == 0);
    if (endless && i + 1 < script.steps.size())
      return which + "it lasts until the load ends, so it must be the last step";
    switch (s.kind) {
      case Kind::Send:
        if (s.bytes.empty()) return which + "sends no bytes";
        break;
      case Kind::Trickle:
        if (s.bytes.empty()) return which + "trickles no bytes";
        if (s.chunk == 0 || s.chunk > kMaxStepBytes) return which + "its chunk must be 1 to 16 MiB";
        if (s.interval.count() == 0) return which + "trickles with no interval (use a send)";
        break;
      case Kind::Read:
        if (s.count == 0 || s.count > 1000) return which + "reads 1 to 1000 responses";
        if (s.rate > 0 && (s.chunk == 0 || s.chunk > kMaxStepBytes))
          return which + "a rate-capped read needs a receive buffer of 1 byte to 16 MiB";
        break;
      case Kind::Pause:
      case Kind::HalfClose:
      case Kind::Reset:
        break;
    }
  }
  return {};
}

namespace detail {

namespace {

using Kind = ScriptStep::Kind;

// The steps after which nothing is read: a reset, or a pause or trickle only the load's end ends.
bool ends_by_itself(const ScriptStep& s) {
  return s.kind == Kind::Read || s.kind == Kind::Reset ||
         (s.kind == Kind::Pause && s.interval.count() == 0) || (s.kind == Kind::Trickle && s.total == 0);
}

constexpr std::size_t kScriptReadBuffer = 16 * 1024;
// Between a local failure (e.g. out of descriptors) and the next attempt: never a hot loop.
constexpr auto kRetryAfterLocalFailure = std::chrono::milliseconds(100);

}  // namespace

ScriptConnection::ScriptConnection(Worker& worker, std::size_t behaviour)
    : w_(worker),
      behaviour_(behaviour),
      script_(*worker.shared.workload.requests[behaviour].script),
      timeout_ms_(worker.shared.workload.requests[behaviour].timeout_ms),
      socket_(worker.io),
      step_timer_(worker.io),
      deadline_timer_(worker.io) {}

const ScriptStep& ScriptConnection::step() const { return script_.steps[step_]; }

std::uint32_t ScriptConnection::next_generation() {
  step_timer_.cancel();
  deadline_timer_.cancel();
  return ++generation_;
}

void ScriptConnection::start() {
  if (w_.stopping) return;
  next_generation();
  started_ = Clock::now();
  step_ = 0;
  trickled_ = 0;
  responses_ = 0;
  worst_status_ = 0;
  read_bytes_ = 0;
  timed_out_ = false;
  parser_.reset(false);
  ++w_.live.sent;
  connect();
}

void ScriptConnection::connect() {
  state_ = State::Connecting;
  ++w_.connects;
  error_code ec = open_socket(socket_, w_.shared.endpoint);
  // A capped read holds the server's bytes in a small window, as a slow reader's kernel does:
  // set before connecting, so the window is offered at the handshake.
  if (!ec)
    for (const auto& s : script_.steps)
      if (s.kind == Kind::Read && s.rate > 0) {
        socket_.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(s.chunk)), ec);
        break;
      }
  if (ec) {
    settle(false);
    const int err = errno_of(ec);
    socket_.close(ec);
    return finish(Ending::ReadError, err ? err : -1);
  }
  // A connect waits no longer than any wait for the server's bytes (as the mix's requests);
  // the first one as long as the attack is given to connect (the kernel retries meanwhile).
  arm_deadline(settled_ ? std::chrono::milliseconds(
                              std::min<std::uint64_t>(w_.shared.options.connect_timeout_ms, timeout_ms_))
                        : kScriptSettleBound);
  const auto gen = generation_;
  socket_.async_connect(w_.shared.endpoint, [this, gen](const error_code& e) {
    settle(!e && !timed_out_);
    if (gen != generation_ || w_.stopping) return;
    deadline_timer_.cancel();
    if (timed_out_) return finish(Ending::ConnectTimeout);
    if (e) return finish(Ending::ConnectError, errno_of(e));
    on_connect(e);
  });
}

void ScriptConnection::settle(bool connected) {
  if (settled_) return;
  settled_ = true;
  if (connected && Clock::now() <= w_.shared.start + kScriptSettleBound) ++w_.scripts_connected[behaviour_];
  w_.shared.scripts_unsettled.fetch_sub(1, std::memory_order_relaxed);
}

void ScriptConnection::on_connect(const error_code&) {
  state_ = State::Running;
  watch();
  run_step();
}

void ScriptConnection::arm_deadline(std::chrono::milliseconds after) {
  timed_out_ = false;
  deadline_timer_.expires_after(after);
  // A deadline that expired just as it was re-armed still runs its handler, without an
  // error: the serial tells that handler it is stale.
  const auto serial = ++deadline_serial_;
  const auto gen = generation_;
  deadline_timer_.async_wait([this, gen, serial](const error_code& ec) {
    if (ec || gen != generation_ || serial != deadline_serial_ || w_.stopping) return;
    // Closing cancels the operation that waits; its handler sees timed_out_ and classifies.
    timed_out_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  });
}

// While the script sends or pauses, any byte or close from the server ends the script there:
// that answer (a 408, a 400, a close) is the outcome.
void ScriptConnection::watch() {
  const auto gen = generation_;
  socket_.async_wait(tcp::socket::wait_read, [this, gen](const error_code& ec) {
    if (ec || gen != generation_ || w_.stopping || state_ != State::Running) return;
    next_generation();
    error_code ignored;
    socket_.cancel(ignored);  // a write in progress
    read_responses(1, 0);
  });
}

void ScriptConnection::next_step() {
  ++step_;
  trickled_ = 0;
  run_step();
}

void ScriptConnection::run_step() {
  if (step_ >= script_.steps.size()) {
    // The script said all it had to say: now the server's answer.
    if (ends_by_itself(script_.steps.back())) return;
    return read_responses(1, 0);
  }
  const ScriptStep& s = step();
  switch (s.kind) {
    case Kind::Send:
      return write(s.bytes);
    case Kind::Trickle:
      return trickle();
    case Kind::Pause: {
      if (s.interval.count() == 0) return;  // held until the load ends (or the server acts)
      step_timer_.expires_after(s.interval);
      const auto gen = generation_;
      step_timer_.async_wait([this, gen](const error_code& ec) {
        if (ec || gen != generation_ || w_.stopping) return;
        next_step();
      });
      return;
    }
    case Kind::HalfClose: {
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      return next_step();
    }
    case Kind::Reset: {
      error_code ignored;
      socket_.set_option(asio::socket_base::linger(true, 0), ignored);
      close();  // an RST, not a FIN
      return finish(LABOUR_OUTCOME_CLIENT_ABORT);
    }
    case Kind::Read:
      return read_responses(s.count, s.rate);
  }
}

// Writes `bytes` (which must outlive the write: a step's own bytes or piece_), then moves on.
// The server must take them within the behaviour's timeout.
void ScriptConnection::write(std::string_view bytes) {
  arm_deadline(std::chrono::milliseconds(timeout_ms_));
  const auto gen = generation_;
  asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                    [this, gen](const error_code& ec, std::size_t) {
                      if (gen != generation_ || w_.stopping) return;
                      deadline_timer_.cancel();
                      if (timed_out_) return finish(Ending::Timeout);
                      // The server closed or reset while we wrote: what it said before, if
                      // anything, is the outcome.
                      if (ec) return read_responses(1, 0);
                      const ScriptStep& s = step();
                      if (s.kind != Kind::Trickle) return next_step();
                      trickled_ += piece_.size();
                      if (s.total > 0 && trickled_ >= s.total) return next_step();
                      step_timer_.expires_after(s.interval);
                      step_timer_.async_wait([this, gen](const error_code& e) {
                        if (e || gen != generation_ || w_.stopping) return;
                        trickle();
                      });
                    });
}

void ScriptConnection::trickle() {
  const ScriptStep& s = step();
  std::uint64_t n = s.chunk;
  if (s.total > 0) n = std::min<std::uint64_t>(n, s.total - trickled_);
  piece_.clear();
  for (std::uint64_t i = 0; i < n; ++i) piece_ += s.bytes[(trickled_ + i) % s.bytes.size()];
  write(piece_);
}

void ScriptConnection::read_responses(std::uint32_t count, std::uint64_t rate) {
  state_ = State::Reading;
  wanted_ = std::max<std::uint32_t>(count, 1);
  rate_ = rate;
  buffer_size_ = rate > 0 ? std::min<std::size_t>(kScriptReadBuffer, std::max<std::size_t>(1, rate / 10))
                          : kScriptReadBuffer;
  if (!buffer_) buffer_.reset(new char[kScriptReadBuffer]);
  read_started_ = Clock::now();
  read_some();
}

void ScriptConnection::read_some() {
  // A capped read waits until its bytes so far are within the rate, then reads a little.
  if (rate_ > 0) {
    const auto due =
        read_started_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                            static_cast<double>(read_bytes_) / static_cast<double>(rate_)));
    if (due > Clock::now()) {
      step_timer_.expires_at(due);
      const auto gen = generation_;
      step_timer_.async_wait([this, gen](const error_code& ec) {
        if (ec || gen != generation_ || w_.stopping) return;
        read_some();
      });
      return;
    }
  }
  arm_deadline(std::chrono::milliseconds(timeout_ms_));
  const auto gen = generation_;
  socket_.async_read_some(asio::buffer(buffer_.get(), buffer_size_),
                          [this, gen](const error_code& ec, std::size_t n) {
                            if (gen != generation_ || w_.stopping) return;
                            deadline_timer_.cancel();
                            on_read(ec, n);
                          });
}

void ScriptConnection::on_read(const error_code& ec, std::size_t n) {
  if (timed_out_) return finish(Ending::Timeout);
  if (ec == asio::error::eof) {
    if (parser_.finish_on_eof()) {  // a body that ends with the close
      ++responses_;
      worst_status_ = std::max(worst_status_, parser_.status());
      if (responses_ >= wanted_) return finish(Ending::Complete);
      parser_.reset(false);  // the next response never came: eof before it
    }
    return finish(Ending::Eof);
  }
  if (ec) return finish(Ending::ReadError, errno_of(ec));
  read_bytes_ += n;
  const char* data = buffer_.get();
  while (n > 0) {
    const std::size_t used = parser_.feed(data, n);
    data += used;
    n -= used;
    if (parser_.failed()) return finish(Ending::Malformed);
    if (!parser_.done()) break;
    ++responses_;
    worst_status_ = std::max(worst_status_, parser_.status());
    if (responses_ >= wanted_) return finish(Ending::Complete);
    parser_.reset(false);  // the next pipelined response may already be in this buffer
  }
  read_some();
}

void ScriptConnection::close() {
  error_code ignored;
  socket_.close(ignored);
}

void ScriptConnection::finish(Ending ending, int error_number) {
  const labour_outcome_kind_t kind = classify(ending, parser_, error_number);
  if (kind == LABOUR_OUTCOME_OTHER_ERROR && local_failure(error_number)) ++w_.client_errors;
  finish(kind, error_number);
}

void ScriptConnection::finish(labour_outcome_kind_t kind, int error_number) {
  const auto gen = next_generation();
  close();
  const auto now = Clock::now();
  Observation obs;
  obs.kind = kind;
  const bool http = kind == LABOUR_OUTCOME_HTTP;
  obs.http_status = http ? std::max(worst_status_, parser_.status()) : 0;
  obs.body = http ? parser_.body() : std::string_view{};
  obs.body_length = parser_.body_length();
  obs.elapsed_us = micros(now - started_);
  obs.responses = responses_;
  const bool expected = w_.judge(behaviour_, obs);
  w_.record(behaviour_, kind, obs.http_status, expected, obs.elapsed_us, obs.elapsed_us, started_, now);
  state_ = State::Waiting;
  if (w_.stopping) return;
  auto wait = script_.repeat_after;
  if (kind == LABOUR_OUTCOME_OTHER_ERROR && local_failure(error_number))
    wait = std::max<std::chrono::milliseconds>(wait, kRetryAfterLocalFailure);
  step_timer_.expires_after(wait);
  step_timer_.async_wait([this, gen](const error_code& ec) {
    if (ec || gen != generation_ || w_.stopping) return;
    start();
  });
}

void ScriptConnection::end(bool abandon) {
  if (state_ == State::Waiting || state_ == State::Connecting) {
    // Between runs, or not yet connected: nothing was held.
    if (state_ == State::Connecting) ++w_.abandoned;
    next_generation();
    close();
    state_ = State::Waiting;
    return;
  }
  if (abandon) {
    ++w_.abandoned;
    next_generation();
    close();
    state_ = State::Waiting;
    return;
  }
  finish(LABOUR_OUTCOME_HELD);
}

}  // namespace detail
}  // namespace labour::engine
