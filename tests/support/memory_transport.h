// memory_transport.h: a heartbeat medium in memory, for driving tachyd's
// real-time loop in tests: frames handed to Deliver() are drained with the
// receive time given (default: when drained), and every frame the loop
// sends is kept. Its fd is an eventfd, readable while frames wait, so the
// loop's epoll works on it. Thread-safe (a test thread feeds a loop thread).
#ifndef TACHY_TESTS_SUPPORT_MEMORY_TRANSPORT_H_
#define TACHY_TESTS_SUPPORT_MEMORY_TRANSPORT_H_

#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "detector/base/mono_time.h"
#include "detector/transport.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class MemoryTransport final : public Transport {
 public:
  explicit MemoryTransport(std::string name = "mem:0")
      : name_(std::move(name)), fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

  bool valid() const { return fd_.valid(); }
  const std::string& name() const override { return name_; }
  int fd() const override { return fd_.get(); }

  absl::Status Send(std::span<const uint8_t> payload) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent_.emplace_back(payload.begin(), payload.end());
    return absl::OkStatus();
  }

  size_t Drain(Sink sink) override {
    std::deque<std::pair<std::vector<uint8_t>, MonoTime>> frames;
    {
      std::lock_guard<std::mutex> lock(mu_);
      frames.swap(queue_);
      uint64_t count;
      [[maybe_unused]] const ssize_t n = read(fd_.get(), &count, sizeof(count));
    }
    for (const auto& [f, rx] : frames) sink(f, rx == MonoTime() ? MonotonicNow() : rx);
    return frames.size();
  }

  // Deliver()
  //
  // Queues a received frame; `rx` is its kernel receive time (zero: the
  // time it is drained).
  void Deliver(std::vector<uint8_t> frame, MonoTime rx = MonoTime()) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(frame), rx);
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(fd_.get(), &one, sizeof(one));
  }

  bool has_frames() const {
    std::lock_guard<std::mutex> lock(mu_);
    return !queue_.empty();
  }

  std::vector<std::vector<uint8_t>> Sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  size_t sent_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.size();
  }

 private:
  const std::string name_;
  UniqueFd fd_;
  mutable std::mutex mu_;
  std::deque<std::pair<std::vector<uint8_t>, MonoTime>> queue_;
  std::vector<std::vector<uint8_t>> sent_;
};

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_MEMORY_TRANSPORT_H_
