// metrics_server.h: the optional HTTP endpoint for Prometheus (ha.cf
// `metrics_listen ADDR:PORT`): GET /metrics answers metrics_text.h's
// exposition, anything else 404 or 405.
//
// It runs on tachyd's control thread, never on the detector's, and never
// blocks it: every socket is non-blocking, at most kMaxClients are served
// at once (more are closed at accept), and a client that has not sent its
// request, or taken its answer, within two seconds is dropped.
#ifndef TACHY_DETECTOR_TACHYD_METRICS_SERVER_H_
#define TACHY_DETECTOR_TACHYD_METRICS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "detector/base/mono_time.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class MetricsServer {
 public:
  static constexpr size_t kMaxClients = 8;

  // Listen()
  //
  // Binds `address` (an IPv4 literal) and `port`. Errors name both.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Listen(const std::string& address,
                                                               uint16_t port);

  explicit MetricsServer(UniqueFd listener) : listener_(std::move(listener)) {}

  // The listening socket: readable when a client connects.
  int fd() const { return listener_.get(); }

  // Process()
  //
  // Accepts waiting clients, reads their requests, answers those complete
  // with `body` (rendered once per call, only if someone asked), writes
  // what is pending and drops expired clients. Bounded work; never blocks.
  void Process(MonoTime now, absl::FunctionRef<std::string()> body);

  // Clients in progress: the caller then calls Process() again soon.
  bool busy() const { return !clients_.empty(); }
  uint64_t served() const { return served_; }

 private:
  struct Client {
    UniqueFd fd;
    std::string input;
    std::string output;
    size_t sent = 0;
    bool answered = false;
    MonoTime deadline;
  };

  // The answer to `request` (the request head), or empty while incomplete.
  static std::string Answer(const std::string& request, absl::FunctionRef<std::string()> body,
                            std::string& cached);

  UniqueFd listener_;
  std::vector<Client> clients_;
  uint64_t served_ = 0;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_METRICS_SERVER_H_
