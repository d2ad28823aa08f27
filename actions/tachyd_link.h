// tachyd_link.h: the action runner's side of tachyd's event stream.
//
// A SOCK_SEQPACKET connection of typed messages (detector/stream/event_stream.h,
// docs/control-protocol.md): tachyd sends a hello snapshot, then numbered
// events and ticks; we send our advertisement, group status and takeover
// timelines. A gap in the numbering or a lost
// connection makes the link reconnect and start again from a new snapshot,
// so no event is missed silently.
#ifndef TACHY_ACTIONS_TACHYD_LINK_H_
#define TACHY_ACTIONS_TACHYD_LINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "detector/stream/event_stream.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class TachydLink {
 public:
  explicit TachydLink(std::string path) : path_(std::move(path)) {}

  bool connected() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

  // Connect()
  //
  // Tries once; kUnavailable if tachyd is not there (yet).
  absl::Status Connect();
  void Disconnect() { fd_.reset(); }

  // Read()
  //
  // Hands every waiting message, decoded, to `sink`. Returns false when the
  // connection is gone or a sequence gap was seen; the caller then
  // reconnects (and receives a fresh hello).
  bool Read(absl::FunctionRef<void(const StreamMessage&)> sink);

  // Send()
  //
  // Sends one message; false (and disconnects) if tachyd is gone.
  bool Send(const StreamBody& body);

 private:
  std::string path_;
  UniqueFd fd_;
  uint64_t last_seq_ = 0;
  bool have_hello_ = false;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_TACHYD_LINK_H_
