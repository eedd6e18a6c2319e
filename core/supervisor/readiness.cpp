// wait_until_ready: poll the server with plain HTTP/1.1 GETs over POSIX sockets.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <thread>

#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

namespace {

using Clock = std::chrono::steady_clock;

// The last `count` non-empty lines of a log, joined with " | ".
std::string log_tail(const std::filesystem::path& path, size_t count = 10) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "(no log at " + path.string() + ")";
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  const std::streamoff window = 64 * 1024;
  file.seekg(size > window ? size - window : 0);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
  }
  if (lines.empty()) return "(its log " + path.string() + " is empty)";
  std::string out;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += lines[i];
  }
  return out;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// One GET; true if anything starting with "HTTP/" came back before `deadline`.
bool answers_http(const addrinfo& address, const std::string& request, Clock::time_point deadline) {
  int fd =
      ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) return false;
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
  }
  std::string reply;
  while (reply.size() < 5) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return false;
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  return reply.compare(0, 5, "HTTP/") == 0;
}

}  // namespace

ReadyResult wait_until_ready(ServerProcess& server, const std::string& host, std::uint16_t port,
                             const std::string& path, std::chrono::milliseconds deadline,
                             const std::filesystem::path& log_for_tail) {
  const auto until = Clock::now() + deadline;
  const std::string authority =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  const std::string target = path.empty() || path.front() != '/' ? "/" + path : path;
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n\r\n";

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses); rc != 0)
    return {Readiness::TimedOut, "cannot resolve server address '" + host + "': " + ::gai_strerror(rc)};
  struct Freer {
    addrinfo* list;
    ~Freer() { ::freeaddrinfo(list); }
  } freer{addresses};

  auto exited = [&] {
    auto status = server.exit_status();
    return ReadyResult{Readiness::Exited,
                       "server exited before it was ready (" +
                           (status ? status->describe() : std::string("exit status unknown")) +
                           "); last lines of its log: " + log_tail(log_for_tail)};
  };

  for (;;) {
    if (!server.running()) return exited();
    if (interrupt_flag().load()) return {Readiness::Interrupted, "interrupted while the server was starting"};
    // Each attempt gets at most 1 s, so a server that accepts but stalls is retried.
    const auto attempt_deadline = std::min(until, Clock::now() + std::chrono::seconds(1));
    for (addrinfo* a = addresses; a; a = a->ai_next) {
      if (answers_http(*a, request, attempt_deadline)) return {Readiness::Ready, ""};
    }
    if (Clock::now() >= until) break;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
  if (!server.running()) return exited();
  return {Readiness::TimedOut,
          "server did not answer GET http://" + authority + target + " within " +
              std::to_string(deadline.count()) +
              " ms (raise the readiness timeout, or check its log); last lines of its log: " +
              log_tail(log_for_tail)};
}

}  // namespace labour::supervisor
