#include "detector/realtime_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "detector/hb_message.h"

namespace tachy {
namespace {

void Signal(int eventfd) {
  const uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable.
  [[maybe_unused]] const ssize_t n = write(eventfd, &one, sizeof(one));
}

void Consume(int eventfd) {
  uint64_t count;
  [[maybe_unused]] const ssize_t n = read(eventfd, &count, sizeof(count));
}

constexpr uint64_t kWakeTag = ~uint64_t{0};

}  // namespace

absl::StatusOr<std::unique_ptr<RtChannel>> RtChannel::Create() {
  auto c = std::make_unique<RtChannel>();
  c->events_ready = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  c->wake = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!c->events_ready.valid() || !c->wake.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  return c;
}

void RtChannel::SetAdvertisement(const Advertisement& ad) {
  {
    absl::MutexLock lock(&ad_mu);
    pending_ad = ad;
  }
  ad_dirty.store(true, std::memory_order_release);
}

void RtChannel::SetTiming(const Timing& timing) {
  {
    absl::MutexLock lock(&timing_mu);
    pending_timing = timing;
  }
  timing_dirty.store(true, std::memory_order_release);
  Wake();
}

void RtChannel::RequestSnapshot() {
  snapshot_wanted.store(true, std::memory_order_release);
  Wake();
}

void RtChannel::RequestLeave() {
  leave_requested.store(true, std::memory_order_release);
  Wake();
}

void RtChannel::RequestStop() {
  stop_requested.store(true, std::memory_order_release);
  Wake();
}

void RtChannel::Wake() { Signal(wake.get()); }

RealtimeLoop::RealtimeLoop(std::vector<Transport*> media, Engine& engine, RtChannel& channel)
    : media_(std::move(media)), engine_(engine), channel_(channel) {
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  auto watch = [&](int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  // At keepalive <= 2 ms the send timer wakes us at least that often and
  // every wake drains all media first, so waking for each received frame
  // too would double the wake-ups for nothing: deadlines are judged by the
  // kernel's receive timestamps, and a peer coming up is reported at most one
  // keepalive later.
  batch_rx_ = engine_.options().keepalive <= absl::Milliseconds(2);
  if (!batch_rx_) {
    for (size_t i = 0; i < media_.size(); ++i) watch(media_[i]->fd(), i);
  }
  watch(channel_.wake.get(), kWakeTag);
}

void RealtimeLoop::SendOnAllMedia(std::span<const uint8_t> frame) {
  int failing = 0;
  for (size_t i = 0; i < media_.size(); ++i) {
    if (!media_[i]->Send(frame).ok()) failing |= 1 << i;
  }
  // The control thread logs changes of this mask, not every failed send.
  channel_.media_send_failing.store(failing, std::memory_order_relaxed);
}

void RealtimeLoop::Tick(MonoTime now) {
  int fd;
  while (channel_.tick_targets.TryPop(&fd)) {
    UniqueFd target(fd);
    for (UniqueFd& slot : tick_fds_) {
      if (!slot.valid()) {
        slot = std::move(target);
        break;
      }
    }
    // No free slot: `target` closes here; that reader gets no ticks and
    // soon takes us for gone, which says so in its log.
  }
  EncodeTickInto(tick_buffer_, now.nanos(), engine_.stats().frames_sent);
  for (UniqueFd& slot : tick_fds_) {
    if (!slot.valid()) continue;
    const ssize_t n = send(slot.get(), tick_buffer_.data(), tick_buffer_.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
    // A full buffer (the reader lags) costs this tick only; a dead or shut
    // down reader is let go.
    if (n < 0 && errno != EAGAIN && errno != EINTR) slot.reset();
  }
}

void RealtimeLoop::PushEvents() {
  // Events the engine itself could not buffer count as lost the same way.
  const uint64_t dropped = engine_.stats().events_dropped;
  if (dropped != engine_dropped_) {
    channel_.ring_full.fetch_add(dropped - engine_dropped_, std::memory_order_relaxed);
    engine_dropped_ = dropped;
  }
  bool pushed = false;
  engine_.DrainEvents([&](const DetectorEvent& e) {
    if (channel_.events.TryPush(e)) {
      pushed = true;
    } else {
      channel_.ring_full.fetch_add(1, std::memory_order_relaxed);
    }
  });
  if (pushed) Signal(channel_.events_ready.get());
}

bool RealtimeLoop::TakeAdvertisement() {
  if (!channel_.ad_dirty.load(std::memory_order_acquire) || !channel_.ad_mu.TryLock()) {
    return false;
  }
  channel_.ad_dirty.store(false, std::memory_order_relaxed);
  const bool changed = !(engine_.advertisement() == channel_.pending_ad);
  engine_.set_advertisement(channel_.pending_ad);
  channel_.ad_mu.Unlock();
  return changed;
}

bool RealtimeLoop::TakeTiming(MonoTime now) {
  if (!channel_.timing_dirty.load(std::memory_order_acquire) || !channel_.timing_mu.TryLock()) {
    return false;
  }
  channel_.timing_dirty.store(false, std::memory_order_relaxed);
  const RtChannel::Timing t = channel_.pending_timing;
  channel_.timing_mu.Unlock();
  engine_.SetTiming(t.keepalive, t.warntime, t.deadtime, now);
  channel_.timing_applied.fetch_add(1, std::memory_order_release);
  return true;
}

void RealtimeLoop::GiveSnapshot(MonoTime now) {
  // After the events are pushed: the snapshot then reflects at least every
  // event the control thread can have published before it.
  if (channel_.snapshot_wanted.load(std::memory_order_acquire) && channel_.snapshot_mu.TryLock()) {
    channel_.snapshot_wanted.store(false, std::memory_order_relaxed);
    engine_.CopyTo(&channel_.snapshot, now);
    channel_.snapshot_mu.Unlock();
    channel_.snapshot_version.fetch_add(1, std::memory_order_release);
  }
}

MonoTime RealtimeLoop::RunOnce(MonoTime now, MonoTime wake,
                               absl::FunctionRef<bool(size_t)> readable) {
  const bool judging = now >= wake;
  // Before judging any deadline, drain every medium; otherwise only the
  // ones that woke us. Each costs at least one system call.
  bool heartbeat_in = false;
  for (size_t m = 0; m < media_.size(); ++m) {
    if (!judging && !readable(m)) continue;
    media_[m]->Drain([&](std::span<const uint8_t> payload, MonoTime rx) {
      if (!IsHeartbeatPayload(payload)) return engine_.OnFrame(m, payload, rx, now);
      // A Heartbeat peer's message: the control thread's to read.
      hb_datagram_.medium = static_cast<uint16_t>(m);
      hb_datagram_.size = static_cast<uint16_t>(std::min(payload.size(), HbDatagram::kMaxSize));
      hb_datagram_.rx_time = rx;
      std::copy_n(payload.begin(), hb_datagram_.size, hb_datagram_.bytes.begin());
      if (channel_.hb_in.TryPush(hb_datagram_)) {
        heartbeat_in = true;
      } else {
        channel_.hb_in_dropped.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  if (heartbeat_in) Signal(channel_.events_ready.get());
  ForeignStatus status;
  while (channel_.hb_status.TryPop(&status)) engine_.OnForeignStatus(status, now);
  // New timing may bring the next deadline forward (a shorter keepalive).
  if (TakeTiming(now)) wake = std::min(wake, engine_.NextWakeup());
  const bool new_ad = TakeAdvertisement();
  if (new_ad && !judging) {
    // A claim or a release goes out now, not a keepalive later: the peers'
    // runners decide on it.
    SendOnAllMedia(engine_.NextHeartbeat(now));
    channel_.frames_sent.store(engine_.stats().frames_sent, std::memory_order_release);
  }
  if (judging) {
    if (engine_.Advance(now, now - wake)) {
      if (last_sent_ != MonoTime() && now - last_sent_ > engine_.options().deadtime / 2) {
        // No tick for half the deadtime (this thread was stalled or
        // stopped): by the event stream's rule our runner has let go of
        // everything. Its last advertisement may no longer be true, so
        // do not vouch for it until the runner speaks again.
        Advertisement ad = engine_.advertisement();
        ad.ready = false;
        engine_.set_advertisement(ad);
        channel_.long_stalls.fetch_add(1, std::memory_order_relaxed);
      }
      last_sent_ = now;
      SendOnAllMedia(engine_.NextHeartbeat(now));
      channel_.frames_sent.store(engine_.stats().frames_sent, std::memory_order_release);
      Tick(now);
    }
    wake = engine_.NextWakeup();
  }
  PushEvents();
  GiveSnapshot(now);
  if (channel_.leave_requested.load(std::memory_order_acquire)) {
    SendOnAllMedia(engine_.LeaveFrame(MonotonicNow()));
    channel_.left.store(true, std::memory_order_release);
    Signal(channel_.events_ready.get());
  }
  return wake;
}

int RealtimeLoop::Run() {
  MonoTime wake = engine_.NextWakeup();
  for (;;) {
    epoll_event ready[16];
    // epoll_pwait2's nanosecond timeout replaces a timerfd: no re-arm and no
    // read per wake-up (two system calls less each keepalive).
    const int64_t wait_ns = std::max<int64_t>(0, (wake - MonotonicNow()) / absl::Nanoseconds(1));
    const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                           static_cast<long>(wait_ns % 1'000'000'000)};
    const int n = epoll_pwait2(epoll_.get(), ready, 16, &timeout, nullptr);
    if (n < 0 && errno != EINTR) return errno;
    const MonoTime now = MonotonicNow();
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.u64 == kWakeTag) Consume(channel_.wake.get());
    }
    wake = RunOnce(now, wake, [&](size_t m) {
      for (int k = 0; k < n; ++k) {
        if (ready[k].data.u64 == m) return true;
      }
      return false;
    });
    if (channel_.left.load(std::memory_order_acquire)) return 0;
    if (channel_.stop_requested.load(std::memory_order_acquire)) return 0;
  }
}

}  // namespace tachy
