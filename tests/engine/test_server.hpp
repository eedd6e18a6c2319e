// A small blocking-socket server on 127.0.0.1 for engine tests: one thread per connection,
// each running a handler that can misbehave on purpose (close early, reset, stall, send
// garbage). Everything it starts stops in its destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace labour::test {

class TestServer {
 public:
  // The handler owns `fd` for the connection; set it to -1 if it closed it itself.
  using Handler = std::function<void(int& fd, TestServer& server)>;

  explicit TestServer(Handler handler, int backlog = 128, bool accept = true) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, backlog) != 0)
      throw std::runtime_error("test server: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (accept) acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    stopping_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    ::close(listen_fd_);
  }

  std::uint16_t port() const { return port_; }
  bool stopping() const { return stopping_; }
  int accepted() const { return accepted_; }

  // Reads one request head (up to the blank line). False on EOF, error or stop.
  bool read_request(int fd) {
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
      if (!wait_readable(fd)) return false;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  // Waits until fd is readable; false if the server is stopping.
  bool wait_readable(int fd) {
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void sleep_or_stop(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stopping_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void stall() { sleep_or_stop(std::chrono::hours(1)); }

  static void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Abortive close: SO_LINGER 0 makes close() send RST.
  static void reset(int& fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
    fd = -1;
  }

  int listen_fd() const { return listen_fd_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex_);
      threads_.emplace_back([this, fd]() mutable {
        handler_(fd, *this);
        if (fd >= 0) ::close(fd);
      });
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

inline constexpr std::string_view kOk =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

// Answers every request on a connection with `response` (keep-alive server).
inline TestServer::Handler answer_all(std::string response = std::string(kOk),
                                      std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  return [response, delay](int& fd, TestServer& s) {
    while (s.read_request(fd)) {
      if (delay.count() > 0) s.sleep_or_stop(delay);
      TestServer::send_all(fd, response);
    }
  };
}

// Fills the accept queue of a server that does not accept (TestServer(..., false)) with
// `count` connections, so that later connects wait for a SYN-ACK that does not come. Closes
// them when it goes.
class FullAcceptQueue {
 public:
  FullAcceptQueue(std::uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fds_.push_back(fd);
    }
  }
  ~FullAcceptQueue() {
    for (const int fd : fds_) ::close(fd);
  }
  FullAcceptQueue(const FullAcceptQueue&) = delete;
  FullAcceptQueue& operator=(const FullAcceptQueue&) = delete;

 private:
  std::vector<int> fds_;
};

}  // namespace labour::test
