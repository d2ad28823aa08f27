// mono_time.h: MonoTime, a CLOCK_MONOTONIC instant, and the Clock interface.
//
// Every instant inside tachy is a MonoTime: nanoseconds of CLOCK_MONOTONIC.
// All network namespaces of one machine share that clock, so instants taken by
// different tachyd processes (and by the test harness) compare directly.
// Pure logic never reads a clock: it takes `now` as an argument. Only the
// daemon's loops read MonotonicNow(); tests use ManualClock.
#ifndef TACHY_DETECTOR_BASE_MONO_TIME_H_
#define TACHY_DETECTOR_BASE_MONO_TIME_H_

#include <cstdint>
#include <compare>

#include "absl/time/time.h"

namespace tachy {

class MonoTime {
 public:
  constexpr MonoTime() = default;
  static constexpr MonoTime FromNanos(int64_t ns) { return MonoTime(ns); }
  constexpr int64_t nanos() const { return ns_; }

  friend constexpr auto operator<=>(MonoTime, MonoTime) = default;
  friend MonoTime operator+(MonoTime t, absl::Duration d) {
    return MonoTime(t.ns_ + absl::ToInt64Nanoseconds(d));
  }
  friend MonoTime operator-(MonoTime t, absl::Duration d) {
    return MonoTime(t.ns_ - absl::ToInt64Nanoseconds(d));
  }
  friend absl::Duration operator-(MonoTime a, MonoTime b) {
    return absl::Nanoseconds(a.ns_ - b.ns_);
  }

 private:
  explicit constexpr MonoTime(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// Clock
//
// Source of MonoTime instants for tests: ManualClock, moved by hand (the
// daemons read MonotonicNow()).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const = 0;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonoTime start = MonoTime::FromNanos(1'000'000'000))
      : now_(start) {}
  MonoTime Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ = now_ + d; }
  void Set(MonoTime t) { now_ = t; }

 private:
  MonoTime now_;
};

// MonotonicNow()
//
// CLOCK_MONOTONIC now; the one place that reads it.
MonoTime MonotonicNow();

// RealtimeToMonotonic()
//
// Converts a kernel CLOCK_REALTIME receive timestamp (pcap header,
// SO_TIMESTAMPNS) to MonoTime, using the offset between the two clocks now.
// The result is clamped to `mono_now` so a clock step can never put a frame
// in the future.
MonoTime RealtimeToMonotonic(int64_t realtime_ns, MonoTime mono_now,
                             int64_t realtime_now_ns);

// RealtimeNowNanos()
//
// CLOCK_REALTIME now, in nanoseconds.
int64_t RealtimeNowNanos();

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_MONO_TIME_H_
