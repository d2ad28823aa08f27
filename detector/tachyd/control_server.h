// control_server.h: the control socket (tachyctl) and the event stream
// (the action runner), both Unix sockets served from tachyd's control
// thread (never the real-time one).
//
// Control socket, SOCK_STREAM, one request line per connection:
//   "status\n" -> one status JSON document + "\n", then close
//   "watch\n"  -> one JSON line per peer state change, until the client leaves
//   "standby SCOPE\n", "takeover SCOPE\n" -> forwarded to the action runner;
//                  its {"ok":..,"message":..} answer comes back, then close
// Event socket, SOCK_SEQPACKET: a hello snapshot on connect, then one typed
// message per event (detector/stream/event_stream.h), numbered by `seq`
// (docs/control-protocol.md). Readers may send messages too (the action
// runner's advertisement, group report, takeover timelines and replies).
//
// The detector never blocks on a client: a client that cannot keep up (its
// socket buffer is full) is disconnected. Event-stream readers then reconnect
// and resynchronise from the hello snapshot, so no event is lost silently.
//
// Only one reader is the action runner: the process tachyd started
// (set_runner_pid(), checked by SO_PEERCRED). Any other reader is a
// read-only subscriber; what it sends is ignored (said once per connection).
// No client can make the server spin or grow without bound: connections are
// capped per socket (one over the cap is told why and closed), a control
// connection must finish its request line within `request_timeout`, and when
// accept() fails (no fds left) the listeners pause for `accept_backoff`.
#ifndef TACHY_DETECTOR_TACHYD_CONTROL_SERVER_H_
#define TACHY_DETECTOR_TACHYD_CONTROL_SERVER_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "detector/stream/event_stream.h"
#include "detector/base/mono_time.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class ControlServer {
 public:
  // Listen()
  //
  // Creates both sockets (mode 0660; parent directories 0755 if missing).
  // kAlreadyExists if a live daemon already answers on a path; a stale socket
  // file is replaced.
  struct Limits {
    size_t max_control_clients = 32;  // status, watch, standby/takeover at once
    size_t max_event_clients = 8;     // the runner and subscribers
    absl::Duration request_timeout = absl::Seconds(5);
    absl::Duration accept_backoff = absl::Milliseconds(100);
  };
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& control_path,
                                                               const std::string& event_path,
                                                               Limits limits);
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& control_path,
                                                               const std::string& event_path) {
    return Listen(control_path, event_path, Limits());
  }
  ~ControlServer();

  // fd()
  //
  // One epoll fd covering the listeners and every client: readable when
  // Process() has work.
  int fd() const { return epoll_.get(); }

  // Process()
  //
  // Accepts clients and answers requests without blocking. `status` renders
  // the status document, `hello` the event-stream snapshot (nullopt: none
  // can be had now; the reader is closed and reconnects).
  // `on_message` receives every message an event-stream reader sends (except
  // replies to forwarded requests, which go back to their requester).
  void Process(absl::FunctionRef<std::string()> status,
               absl::FunctionRef<std::optional<HelloMsg>()> hello,
               absl::FunctionRef<void(const StreamMessage&)> on_message);

  // set_runner_pid()
  //
  // The pid of the action runner tachyd started (<= 0: none). Only an
  // event-stream reader of this pid may advertise, report or answer.
  void set_runner_pid(pid_t pid) { runner_pid_ = pid; }

  // set_reload()
  //
  // What a "reload" request runs: it returns the answer (a JSON object,
  // one line without the newline). Without one, reload is refused.
  void set_reload(std::function<std::string()> reload) { reload_ = std::move(reload); }

  // actions_connected()
  //
  // True while the action runner (see set_runner_pid) is connected and has
  // spoken.
  bool actions_connected() const;

  // Counters for status: accept() failures, connections refused over the
  // cap, messages ignored from readers that are not the runner.
  uint64_t accept_failures() const { return accept_failures_; }
  uint64_t refused_connections() const { return refused_; }
  uint64_t ignored_messages() const { return ignored_messages_; }

  // Publish()
  //
  // Numbers `body` and sends it to every event-stream reader.
  void Publish(StreamBody body);

  // DropEventClients()
  //
  // Disconnects every event-stream reader (they reconnect and start again
  // from a hello): for when an event could not be published.
  void DropEventClients();

  // PublishWatchLine()
  //
  // Sends one JSON line (newline added) to every `watch` client.
  void PublishWatchLine(const std::string& json_line);

  // Requests forwarded to the runner so far, by verb (standby, takeover,
  // clear).
  const std::map<std::string, uint64_t>& forwarded_requests() const { return forwarded_; }


  // TakeNewEventClients()
  //
  // A duplicate of each event-stream connection accepted since the last
  // call (after its hello), for the detector thread's ticks. When a reader
  // is dropped its socket is shut down, so the duplicate's sends fail.
  std::vector<UniqueFd> TakeNewEventClients();

  // has_deadlines()
  //
  // True while something must time out without new input (a forwarded
  // request awaiting the runner, a control connection that has not sent its
  // request yet, paused listeners): Process() must then run periodically.
  bool has_deadlines() const;

 private:
  enum class Kind {
    kControlListener, kEventListener, kControlClient, kWatcher, kEventClient, kActionsClient,
    kSubscriber, kAwaitingReply
  };
  struct Client {
    UniqueFd fd;
    Kind kind;
    std::string input;
    uint64_t request_id = 0;   // kAwaitingReply
    MonoTime deadline;         // kControlClient: request line due; kAwaitingReply: answer due
    bool warned = false;       // an unreadable message was logged
  };

  explicit ControlServer(Limits limits) : limits_(limits) {}
  void Add(UniqueFd fd, Kind kind, MonoTime deadline = MonoTime());
  void Accept(Client& listener, MonoTime now,
              absl::FunctionRef<std::optional<HelloMsg>()> hello);
  void PauseListeners(MonoTime now);
  void ResumeListeners(MonoTime now);
  void Refuse(UniqueFd fd, bool is_event);
  size_t Count(bool event_side) const;
  bool IsRunner(int fd) const;
  void Drop(int fd);
  Client* Find(int fd);
  void HandleRequest(Client& c, absl::FunctionRef<std::string()> status);
  void HandleEventMessage(Client& c, absl::FunctionRef<void(const StreamMessage&)> on_message);
  void ExpireDeadlines(MonoTime now);
  void SendToEventClients(const std::string& message);

  Limits limits_;
  UniqueFd epoll_;
  std::vector<std::unique_ptr<Client>> clients_;
  pid_t runner_pid_ = -1;
  MonoTime listeners_paused_until_;
  bool listeners_paused_ = false;
  uint64_t accept_failures_ = 0, refused_ = 0, ignored_messages_ = 0;
  std::vector<std::string> paths_;
  uint64_t seq_ = 0;
  uint64_t next_request_id_ = 1;
  std::vector<UniqueFd> new_event_clients_;
  std::map<std::string, uint64_t> forwarded_;
  std::function<std::string()> reload_;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_CONTROL_SERVER_H_
