// Netlink proc connector: subscribe with PROC_CN_MCAST_LISTEN, then read cn_msg records
// holding a struct proc_event each (see linux/cn_proc.h).
#include "monitor/proc_events.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace labour::monitor::detail {

namespace {

// Our subscription's number: the kernel answers with ack + 1, to every listener.
std::uint32_t request_id() { return static_cast<std::uint32_t>(::getpid()) * 2654435761u; }

bool send_op(int fd, proc_cn_mcast_op op) {
  // nlmsghdr, then cn_msg, then the operation, packed the way the kernel reads them.
  alignas(nlmsghdr) std::array<char, NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))> buf{};
  auto* header = reinterpret_cast<nlmsghdr*>(buf.data());
  header->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_cn_mcast_op));
  header->nlmsg_type = NLMSG_DONE;
  auto* msg = static_cast<cn_msg*>(NLMSG_DATA(header));
  msg->id.idx = CN_IDX_PROC;
  msg->id.val = CN_VAL_PROC;
  msg->len = sizeof(proc_cn_mcast_op);
  msg->ack = request_id();
  std::memcpy(msg->data, &op, sizeof op);
  return ::send(fd, buf.data(), header->nlmsg_len, 0) == static_cast<ssize_t>(header->nlmsg_len);
}

// Calls `each(cn_msg, proc_event)` for every proc_event in one datagram.
template <class Each>
void for_each_event(const char* data, ssize_t length, Each&& each) {
  // NLMSG_OK/NEXT work on a signed remaining length: a short tail ends the walk.
  int left = static_cast<int>(length);
  for (auto* h = reinterpret_cast<const nlmsghdr*>(data); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
    if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_NOOP) continue;
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_event))) continue;
    cn_msg msg;
    std::memcpy(&msg, NLMSG_DATA(h), sizeof msg);
    if (msg.id.idx != CN_IDX_PROC || msg.len < sizeof(proc_event)) continue;
    proc_event event;  // the payload is not aligned for it
    std::memcpy(&event, static_cast<const char*>(NLMSG_DATA(h)) + sizeof(cn_msg), sizeof event);
    each(msg, event);
  }
}

}  // namespace

std::unique_ptr<ProcEvents> ProcEvents::open() {
  static std::atomic<bool> refused{false};  // asked once per host process: the answer holds
  if (refused) return nullptr;
  auto events = subscribe();
  if (!events) refused = true;
  return events;
}

std::unique_ptr<ProcEvents> ProcEvents::subscribe() {
  const int fd = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) return nullptr;
  // Read once per sample: the buffer holds what a busy machine forks meanwhile. FORCE goes
  // past net.core.rmem_max (the capability that lets us listen allows it too).
  const int buffer = 8 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      !send_op(fd, PROC_CN_MCAST_LISTEN)) {
    ::close(fd);
    return nullptr;
  }
  // The kernel acknowledges the subscription (err 0, or EPERM without the capability); a
  // kernel that stays silent (another pid namespace) sends no events either.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  alignas(nlmsghdr) std::array<char, 8192> buf;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) continue;
    int ack = -1;
    for_each_event(buf.data(), n, [&](const cn_msg& msg, const proc_event& e) {
      if (e.what == proc_event::PROC_EVENT_NONE && msg.ack == request_id() + 1)
        ack = static_cast<int>(e.event_data.ack.err);
    });
    if (ack == 0) return std::unique_ptr<ProcEvents>(new ProcEvents(fd));
    if (ack > 0) break;
  }
  ::close(fd);
  return nullptr;
}

ProcEvents::~ProcEvents() {
  send_op(fd_, PROC_CN_MCAST_IGNORE);  // the kernel counts listeners; stop costing it work
  ::close(fd_);
}

std::uint32_t ProcEvents::drain(std::vector<ProcEvent>& out) {
  std::uint32_t lost = 0;
  alignas(nlmsghdr) std::array<char, 65536> buf;
  for (;;) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && errno == ENOBUFS) ++lost;
    if (n < 0 && (errno == EINTR || errno == ENOBUFS)) continue;
    if (n <= 0) return lost;
    for_each_event(buf.data(), n, [&](const cn_msg&, const proc_event& e) {
      // The kernel stamps events with CLOCK_MONOTONIC, steady_clock's clock on Linux.
      const std::chrono::steady_clock::time_point when{std::chrono::nanoseconds(e.timestamp_ns)};
      if (e.what == proc_event::PROC_EVENT_FORK) {
        const auto& f = e.event_data.fork;
        if (f.child_pid == f.child_tgid)  // a process, not a thread
          out.push_back({ProcEvent::Fork, static_cast<pid_t>(f.child_tgid), static_cast<pid_t>(f.parent_tgid),
                         0, when});
      } else if (e.what == proc_event::PROC_EVENT_EXIT) {
        const auto& x = e.event_data.exit;
        if (x.process_pid == x.process_tgid)  // the process itself, not one of its threads
          out.push_back(
              {ProcEvent::Exit, static_cast<pid_t>(x.process_tgid), 0, static_cast<int>(x.exit_code), when});
      }
    });
  }
}

}  // namespace labour::monitor::detail
