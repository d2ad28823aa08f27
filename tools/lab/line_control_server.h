// line_control_server.h: the impairment bridge's control socket. A Unix
// stream socket: a client writes one line, gets one reply line, and is
// disconnected. Bounded: a command is at most 4 KiB, at most 16 clients are
// held (a new one drops the oldest, so idle connections cannot lock the
// operator out). Driven by the caller's epoll loop; never blocks.
#ifndef TACHY_TOOLS_LAB_LINE_CONTROL_SERVER_H_
#define TACHY_TOOLS_LAB_LINE_CONTROL_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "detector/base/mono_time.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class LineControlServer {
 public:
  // The reply to one command line (without its newline).
  using Handler = std::function<std::string(absl::string_view line)>;
  // What an accepted client's fd is registered with in epoll_event.data.u64.
  using Tagger = std::function<uint64_t(int fd)>;

  LineControlServer(int epoll_fd, Tagger tag) : epoll_fd_(epoll_fd), tag_(std::move(tag)) {}
  ~LineControlServer();  // removes the socket file if it bound one
  LineControlServer(const LineControlServer&) = delete;
  LineControlServer& operator=(const LineControlServer&) = delete;

  // Listen()
  //
  // Binds and listens on `path`. A stale socket file there is replaced; a
  // socket a live process still serves, or a file that is not a socket, is
  // kAlreadyExists.
  absl::Status Listen(const std::string& path);

  // The listening socket, for the caller's epoll.
  int listen_fd() const { return listen_.get(); }

  // AcceptClients()
  //
  // Accepts every pending client and registers it with the caller's epoll.
  void AcceptClients();

  // Serve()
  //
  // Reads what client `fd` sent; once its line (or its EOF) is in, answers
  // handler(line) ({"ok":false,...} for an over-long one) and disconnects.
  void Serve(int fd, const Handler& handler);

 private:
  struct Client {
    UniqueFd fd;
    std::string input;
    MonoTime since;
  };
  void Close(int fd);

  const int epoll_fd_;
  const Tagger tag_;
  std::string path_;
  bool bound_ = false;
  UniqueFd listen_;
  std::map<int, Client> clients_;
};

}  // namespace tachy

#endif  // TACHY_TOOLS_LAB_LINE_CONTROL_SERVER_H_
