// realtime_loop.h: tachyd's real-time thread: the media, the engine, our
// heartbeats, and nothing else.
//
// It never logs, never formats, never allocates in steady state and never
// waits for another thread: engine events go into a lock-free ring and an
// eventfd wakes the control thread, which publishes, logs and answers
// tachyctl (daemon.cc). What the control thread asks of it (a new
// advertisement, a snapshot, a clean leave) is picked up with try-locks and
// atomics on its next wake-up; the control thread can wake it at once.
#ifndef TACHY_DETECTOR_REALTIME_LOOP_H_
#define TACHY_DETECTOR_REALTIME_LOOP_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "detector/engine.h"
#include "detector/stream/event_stream.h"
#include "detector/base/spsc_ring.h"
#include "detector/transport.h"
#include "detector/base/unique_fd.h"

namespace tachy {

// A UDP payload in one of Heartbeat's formats, passed unread from the
// real-time thread to the control thread's HeartbeatNode: Heartbeat peers
// speak at keepalives of seconds, so their parsing, signatures and replies
// stay off the real-time path.
struct HbDatagram {
  static constexpr size_t kMaxSize = 2048;  // a UDP transport's receive buffer
  uint16_t medium = 0;
  uint16_t size = 0;
  MonoTime rx_time;
  std::array<uint8_t, kMaxSize> bytes;
};

// What the two threads share. The real-time side only ever try-locks.
struct RtChannel {
  static absl::StatusOr<std::unique_ptr<RtChannel>> Create();

  // Real-time -> control.
  SpscRing<DetectorEvent, 256> events;   // one wake-up makes at most kEventCapacity
  std::atomic<uint64_t> ring_full{0};     // events lost (full ring or engine buffer)
  UniqueFd events_ready;                  // eventfd, written when events were pushed
  std::atomic<uint64_t> frames_sent{0};   // heartbeats sent so far
  std::atomic<int> media_send_failing{0}; // bit i: medium i's last send failed
  std::atomic<bool> left{false};          // the leave frame went out; the loop ended
  std::atomic<uint64_t> long_stalls{0};   // sends more than half a deadtime apart
  SpscRing<HbDatagram, 64> hb_in;         // Heartbeat messages received
  std::atomic<uint64_t> hb_in_dropped{0}; // ... lost to a full ring

  absl::Mutex snapshot_mu;
  EngineSnapshot snapshot ABSL_GUARDED_BY(snapshot_mu);
  std::atomic<uint64_t> snapshot_version{0};

  // Control -> real-time.
  UniqueFd wake;                          // eventfd in the real-time epoll set
  // Event-stream readers to tick (duplicated fds; the loop owns them once
  // popped, and closes one when a send to it fails).
  SpscRing<int, 16> tick_targets;
  // Heartbeat peers' status messages, accepted by the HeartbeatNode.
  SpscRing<ForeignStatus, 64> hb_status;
  absl::Mutex ad_mu;
  Advertisement pending_ad ABSL_GUARDED_BY(ad_mu);
  std::atomic<bool> ad_dirty{false};
  // A reload's new timing (Engine::SetTiming); `timing_applied` counts the
  // ones the loop took.
  struct Timing {
    absl::Duration keepalive, warntime, deadtime;
  };
  absl::Mutex timing_mu;
  Timing pending_timing ABSL_GUARDED_BY(timing_mu);
  std::atomic<bool> timing_dirty{false};
  std::atomic<uint64_t> timing_applied{0};
  std::atomic<bool> snapshot_wanted{false};
  std::atomic<bool> leave_requested{false};
  std::atomic<bool> stop_requested{false};

  // Control-side helpers.
  void SetAdvertisement(const Advertisement& ad);
  void SetTiming(const Timing& timing);
  void RequestSnapshot();
  void RequestLeave();
  void RequestStop();
  void Wake();
};

class RealtimeLoop {
 public:
  // `media` and `engine` are used by the loop's thread only, from Run() on.
  RealtimeLoop(std::vector<Transport*> media, Engine& engine, RtChannel& channel);

  // Run()
  //
  // Until the control thread asks it to stop or to leave (then the leave
  // frame is sent on every medium first). Returns 0, or an errno if epoll
  // failed (a post-initialisation invariant; the caller fails stop).
  int Run();

  // RunOnce()
  //
  // One wake-up's work at `now`, the wake-up having been due at `wake`:
  // drains the media that are `readable` (every medium when a deadline is
  // due), runs the engine's timers and sends our frame when due, hands the
  // events on, serves the control thread's requests. Returns when the next
  // wake-up is due. Run() is this in an epoll loop; tests drive it with a
  // manual clock.
  MonoTime RunOnce(MonoTime now, MonoTime wake, absl::FunctionRef<bool(size_t)> readable);

 private:
  void SendOnAllMedia(std::span<const uint8_t> frame);
  void Tick(MonoTime now);
  void PushEvents();
  bool TakeAdvertisement();  // true if it changed what our frames carry
  bool TakeTiming(MonoTime now);  // true if new timing was taken
  void GiveSnapshot(MonoTime now);

  std::vector<Transport*> media_;
  Engine& engine_;
  RtChannel& channel_;
  UniqueFd epoll_;
  bool batch_rx_ = false;
  std::array<UniqueFd, 8> tick_fds_;
  MonoTime last_sent_;
  uint64_t engine_dropped_ = 0;  // engine events lost, as last counted
  std::array<uint8_t, kTickSize> tick_buffer_{};
  HbDatagram hb_datagram_;  // staging for hb_in: no 2 KiB on the stack per frame
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_REALTIME_LOOP_H_
