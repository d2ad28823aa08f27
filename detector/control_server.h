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
// message per event (detector/event_stream.h), numbered by `seq`
// (docs/control-protocol.md). Readers may send messages too (the action
// runner's advertisement, group report, takeover timelines and replies).
//
// The detector never blocks on a client: a client that cannot keep up (its
// socket buffer is full) is disconnected. Event-stream readers then reconnect
// and resynchronise from the hello snapshot, so no event is lost silently.
#ifndef TACHY_DETECTOR_CONTROL_SERVER_H_
#define TACHY_DETECTOR_CONTROL_SERVER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "detector/event_stream.h"
#include "detector/mono_time.h"
#include "detector/unique_fd.h"

namespace tachy {

class ControlServer {
 public:
  // Listen()
  //
  // Creates both sockets (mode 0660; parent directories 0755 if missing).
  // kAlreadyExists if a live daemon already answers on a path; a stale socket
  // file is replaced.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& control_path,
                                                               const std::string& event_path);
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

  // actions_connected()
  //
  // True while an event-stream reader that has spoken (the action runner)
  // is connected.
  bool actions_connected() const;

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

  uint64_t last_seq() const { return seq_; }

  // TakeNewEventClients()
  //
  // A duplicate of each event-stream connection accepted since the last
  // call (after its hello), for the detector thread's ticks. When a reader
  // is dropped its socket is shut down, so the duplicate's sends fail.
  std::vector<UniqueFd> TakeNewEventClients();

  // has_pending_requests()
  //
  // True while a forwarded request awaits the runner's answer (Process()
  // must then run even without new input, to time it out).
  bool has_pending_requests() const;

 private:
  enum class Kind {
    kControlListener, kEventListener, kControlClient, kWatcher, kEventClient, kActionsClient,
    kAwaitingReply
  };
  struct Client {
    UniqueFd fd;
    Kind kind;
    std::string input;
    uint64_t request_id = 0;   // kAwaitingReply
    MonoTime deadline;         // kAwaitingReply
    bool warned = false;       // an unreadable message was logged
  };

  ControlServer() = default;
  void Add(UniqueFd fd, Kind kind);
  void Drop(int fd);
  Client* Find(int fd);
  void HandleRequest(Client& c, absl::FunctionRef<std::string()> status);
  void HandleEventMessage(Client& c, absl::FunctionRef<void(const StreamMessage&)> on_message);
  void ExpireRequests();
  void SendToEventClients(const std::string& message);

  UniqueFd epoll_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::string> paths_;
  uint64_t seq_ = 0;
  uint64_t next_request_id_ = 1;
  std::vector<UniqueFd> new_event_clients_;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONTROL_SERVER_H_
