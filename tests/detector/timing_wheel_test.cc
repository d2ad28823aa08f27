// timing_wheel_test.cc: TimingWheel firing times, cancel/re-arm, long
// horizons, jumps, re-entrant callbacks and NextExpiry, against its contract.
#include "detector/timing_wheel.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kTick = absl::Microseconds(100);
const MonoTime kStart = MonoTime::FromNanos(5'000'000'000);

MonoTime At(absl::Duration since_start) { return kStart + since_start; }

// Expires at `now` and returns the ids fired.
std::vector<TimingWheel::TimerId> Fire(TimingWheel& wheel, MonoTime now) {
  std::vector<TimingWheel::TimerId> ids;
  const size_t n = wheel.Expire(now, [&](TimingWheel::TimerId id) { ids.push_back(id); });
  EXPECT_EQ(n, ids.size());
  return ids;
}

TEST(TimingWheelTest, Accessors) {
  TimingWheel wheel(kTick, 64, 5, kStart);
  EXPECT_EQ(wheel.capacity(), 5u);
  EXPECT_EQ(wheel.tick(), kTick);
  for (TimingWheel::TimerId id = 0; id < 5; ++id) EXPECT_FALSE(wheel.IsScheduled(id));
}

// Deadlines relative to the start; the wheel ticks every 100 µs from there.
struct FireCase {
  const char* name;
  absl::Duration deadline;
  absl::Duration fires_at;  // first tick boundary at or after the deadline
};

const FireCase kFireCases[] = {
    {.name = "on_first_boundary", .deadline = absl::Microseconds(100),
     .fires_at = absl::Microseconds(100)},
    {.name = "one_ns_after_start", .deadline = absl::Nanoseconds(1),
     .fires_at = absl::Microseconds(100)},
    {.name = "mid_tick", .deadline = absl::Microseconds(150), .fires_at = absl::Microseconds(200)},
    {.name = "one_ns_before_boundary", .deadline = absl::Nanoseconds(299'999),
     .fires_at = absl::Microseconds(300)},
    {.name = "one_ns_after_boundary", .deadline = absl::Nanoseconds(300'001),
     .fires_at = absl::Microseconds(400)},
    {.name = "deadtime", .deadline = absl::Milliseconds(20), .fires_at = absl::Milliseconds(20)},
    {.name = "odd_ms", .deadline = absl::Microseconds(20'537),
     .fires_at = absl::Microseconds(20'600)},
    // "Now" is already due when scheduled: the next tick (never the past one).
    {.name = "at_start", .deadline = absl::ZeroDuration(), .fires_at = absl::Microseconds(100)},
    {.name = "before_start", .deadline = absl::Milliseconds(-3),
     .fires_at = absl::Microseconds(100)},
};

TEST(TimingWheelTest, FiresOnTheFirstTickAtOrAfterTheDeadline) {
  for (const FireCase& c : kFireCases) {
    SCOPED_TRACE(c.name);
    TimingWheel wheel(kTick, 4096, 1, kStart);
    wheel.Schedule(0, At(c.deadline));
    EXPECT_TRUE(wheel.IsScheduled(0));
    EXPECT_THAT(Fire(wheel, At(c.fires_at) - absl::Nanoseconds(1)), IsEmpty());
    EXPECT_TRUE(wheel.IsScheduled(0));
    EXPECT_THAT(Fire(wheel, At(c.fires_at)), ElementsAre(0u));
    EXPECT_FALSE(wheel.IsScheduled(0));
    EXPECT_THAT(Fire(wheel, At(c.fires_at + absl::Seconds(1))), IsEmpty());
  }
}

// Sweep `now` in 7 µs steps (never aligned with the tick): the first firing
// is never before the deadline and at most one tick plus one step after it.
TEST(TimingWheelTest, NeverFiresBeforeTheDeadline) {
  for (int64_t deadline_us : {1, 99, 100, 101, 1234, 9999, 20000, 20537}) {
    SCOPED_TRACE(deadline_us);
    TimingWheel wheel(kTick, 256, 1, kStart);
    const MonoTime deadline = At(absl::Microseconds(deadline_us));
    wheel.Schedule(0, deadline);
    std::optional<MonoTime> fired;
    for (MonoTime now = kStart; !fired && now < deadline + absl::Milliseconds(1);
         now = now + absl::Microseconds(7)) {
      if (!Fire(wheel, now).empty()) fired = now;
    }
    ASSERT_TRUE(fired.has_value());
    EXPECT_GE(*fired, deadline);
    EXPECT_LT(*fired - deadline, kTick + absl::Microseconds(7));
  }
}

TEST(TimingWheelTest, CancelDisarms) {
  TimingWheel wheel(kTick, 64, 3, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  wheel.Schedule(1, At(absl::Milliseconds(1)));
  wheel.Schedule(2, At(absl::Milliseconds(1)));
  wheel.Cancel(1);
  EXPECT_FALSE(wheel.IsScheduled(1));
  EXPECT_TRUE(wheel.IsScheduled(0));
  EXPECT_TRUE(wheel.IsScheduled(2));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(10))), UnorderedElementsAre(0u, 2u));
}

TEST(TimingWheelTest, CancelOfUnarmedTimerIsNoop) {
  TimingWheel wheel(kTick, 64, 2, kStart);
  wheel.Cancel(0);
  wheel.Schedule(1, At(absl::Milliseconds(1)));
  wheel.Cancel(0);
  wheel.Cancel(1);
  wheel.Cancel(1);
  EXPECT_FALSE(wheel.IsScheduled(1));
  EXPECT_EQ(wheel.NextExpiry(), std::nullopt);
  EXPECT_THAT(Fire(wheel, At(absl::Seconds(1))), IsEmpty());
}

TEST(TimingWheelTest, CancelOnlyTimerOfSlotKeepsOthersInSameSlot) {
  // Ids 0..2 share one slot; unlinking the head, middle and tail must keep
  // the rest of the list intact.
  for (TimingWheel::TimerId cancelled = 0; cancelled < 3; ++cancelled) {
    TimingWheel wheel(kTick, 64, 3, kStart);
    for (TimingWheel::TimerId id = 0; id < 3; ++id) wheel.Schedule(id, At(absl::Milliseconds(2)));
    wheel.Cancel(cancelled);
    std::vector<TimingWheel::TimerId> fired = Fire(wheel, At(absl::Milliseconds(2)));
    std::sort(fired.begin(), fired.end());
    std::vector<TimingWheel::TimerId> want;
    for (TimingWheel::TimerId id = 0; id < 3; ++id) {
      if (id != cancelled) want.push_back(id);
    }
    EXPECT_EQ(fired, want) << "cancelled " << cancelled;
  }
}

TEST(TimingWheelTest, RearmMovesTheTimerLater) {
  TimingWheel wheel(kTick, 64, 1, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  wheel.Schedule(0, At(absl::Milliseconds(5)));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(1))), IsEmpty());
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(4999))), IsEmpty());
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(5))), ElementsAre(0u));
}

TEST(TimingWheelTest, RearmMovesTheTimerEarlierAndFiresOnce) {
  TimingWheel wheel(kTick, 64, 1, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(5)));
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(1))), ElementsAre(0u));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(5))), IsEmpty());
}

TEST(TimingWheelTest, ManyTimersEachFireOnceOnTime) {
  constexpr size_t kTimers = 1000;
  TimingWheel wheel(kTick, 64, kTimers, kStart);  // small wheel: many per slot
  std::vector<MonoTime> deadline(kTimers);
  for (size_t i = 0; i < kTimers; ++i) {
    // Spread over 30 ms (4.7 revolutions of 6.4 ms), several per tick.
    deadline[i] = At(absl::Microseconds(1 + (i * 7919) % 30'000));
    wheel.Schedule(static_cast<TimingWheel::TimerId>(i), deadline[i]);
  }
  std::vector<int> fire_count(kTimers, 0);
  std::vector<MonoTime> fired_at(kTimers);
  for (MonoTime now = kStart; now <= At(absl::Milliseconds(31)); now = now + kTick) {
    wheel.Expire(now, [&](TimingWheel::TimerId id) {
      ++fire_count[id];
      fired_at[id] = now;
    });
  }
  for (size_t i = 0; i < kTimers; ++i) {
    ASSERT_EQ(fire_count[i], 1) << i;
    EXPECT_GE(fired_at[i], deadline[i]) << i;
    EXPECT_LT(fired_at[i] - deadline[i], kTick) << i;
  }
  EXPECT_EQ(wheel.NextExpiry(), std::nullopt);
}

// 4096 slots x 100 µs = 409.6 ms per revolution; 10 s is 24.4 revolutions.
TEST(TimingWheelTest, DeadlineBeyondOneRevolutionFiresOnTime) {
  TimingWheel wheel(kTick, 4096, 2, kStart);
  const MonoTime deadline = At(absl::Seconds(10));
  wheel.Schedule(0, deadline);
  wheel.Schedule(1, At(absl::Milliseconds(409.6 * 3 + 0.05)));  // 3 revolutions + half a tick
  // Step every tick, so the timer's slot is visited on each earlier revolution.
  std::vector<std::pair<TimingWheel::TimerId, MonoTime>> fired;
  for (MonoTime now = kStart; now <= deadline + absl::Milliseconds(1); now = now + kTick) {
    wheel.Expire(now, [&](TimingWheel::TimerId id) { fired.emplace_back(id, now); });
  }
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 1u);
  EXPECT_EQ(fired[0].second, At(absl::Microseconds(1'228'900)));
  EXPECT_EQ(fired[1].first, 0u);
  EXPECT_EQ(fired[1].second, deadline);
}

TEST(TimingWheelTest, DeadlineBeyondOneRevolutionSkipsEarlierPassesOfItsSlot) {
  TimingWheel wheel(kTick, 4096, 1, kStart);
  const absl::Duration revolution = kTick * 4096;
  wheel.Schedule(0, At(absl::Seconds(10)));
  // Land exactly on the timer's slot on every earlier revolution.
  for (int k = 24; k >= 1; --k) {
    EXPECT_THAT(Fire(wheel, At(absl::Seconds(10) - revolution * k)), IsEmpty()) << k;
  }
  EXPECT_TRUE(wheel.IsScheduled(0));
  EXPECT_THAT(Fire(wheel, At(absl::Seconds(10))), ElementsAre(0u));
}

TEST(TimingWheelTest, LargeJumpFiresEveryDueTimerOnce) {
  TimingWheel wheel(kTick, 4096, 300, kStart);
  const MonoTime jump_to = At(absl::Milliseconds(2500));  // > 6 revolutions
  std::vector<MonoTime> deadline(300);
  for (size_t i = 0; i < 300; ++i) {
    // 0..2.99 s in 10 ms steps plus an odd offset: 250 due, 50 not yet.
    deadline[i] = At(absl::Milliseconds(10 * static_cast<int64_t>(i)) + absl::Microseconds(37));
    wheel.Schedule(static_cast<TimingWheel::TimerId>(i), deadline[i]);
  }
  std::vector<int> count(300, 0);
  wheel.Expire(jump_to, [&](TimingWheel::TimerId id) { ++count[id]; });
  for (size_t i = 0; i < 300; ++i) {
    EXPECT_EQ(count[i], deadline[i] <= jump_to ? 1 : 0) << i;
  }
  // Nothing fires twice, and the rest fire on their own tick afterwards.
  EXPECT_THAT(Fire(wheel, jump_to), IsEmpty());
  for (size_t i = 250; i < 300; ++i) {
    const MonoTime due = deadline[i] + absl::Microseconds(63);  // next boundary
    EXPECT_THAT(Fire(wheel, due - absl::Nanoseconds(1)), IsEmpty()) << i;
    EXPECT_THAT(Fire(wheel, due), ElementsAre(static_cast<TimingWheel::TimerId>(i)));
  }
}

TEST(TimingWheelTest, JumpOfExactlyOneRevolution) {
  // span == slots takes the whole-wheel path; span == slots - 1 the per-tick
  // path. Both must fire a timer in every slot exactly once.
  for (int64_t span : {63, 64, 65}) {
    SCOPED_TRACE(span);
    TimingWheel wheel(kTick, 64, 64, kStart);
    for (TimingWheel::TimerId id = 0; id < 64; ++id) wheel.Schedule(id, At(kTick * (id + 1)));
    std::vector<int> count(64, 0);
    wheel.Expire(At(kTick * span), [&](TimingWheel::TimerId id) { ++count[id]; });
    for (TimingWheel::TimerId id = 0; id < 64; ++id) {
      EXPECT_EQ(count[id], id + 1 <= span ? 1 : 0) << id;
    }
  }
}

TEST(TimingWheelTest, CallbackReschedulesItselfAtAFixedCadence) {
  TimingWheel wheel(kTick, 64, 1, kStart);
  MonoTime next = At(absl::Milliseconds(2));
  wheel.Schedule(0, next);
  std::vector<MonoTime> fired;
  for (MonoTime now = kStart; now <= At(absl::Milliseconds(20)); now = now + kTick) {
    wheel.Expire(now, [&](TimingWheel::TimerId id) {
      fired.push_back(now);
      next = next + absl::Milliseconds(2);
      wheel.Schedule(id, next);
    });
  }
  ASSERT_EQ(fired.size(), 10u);
  for (size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i], At(absl::Milliseconds(2 * static_cast<int64_t>(i + 1))));
  }
  EXPECT_TRUE(wheel.IsScheduled(0));
}

TEST(TimingWheelTest, CallbackReschedulingItselfIntoThePastFiresNextTickNotNow) {
  TimingWheel wheel(kTick, 64, 1, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  int calls = 0;
  const size_t n = wheel.Expire(At(absl::Milliseconds(1)), [&](TimingWheel::TimerId id) {
    ++calls;
    wheel.Schedule(id, kStart);  // long past: must not loop in this Expire
  });
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Microseconds(1100)));
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(1100))), ElementsAre(0u));
}

TEST(TimingWheelTest, CallbackCancelsAnotherPendingTimer) {
  // 0 and 1 fall due in the same Expire, in unspecified order. Whichever
  // fires first cancels the other, which then must not fire; it also
  // cancels 2 (due later) and re-arms itself.
  TimingWheel wheel(kTick, 64, 3, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  wheel.Schedule(1, At(absl::Microseconds(1050)));
  wheel.Schedule(2, At(absl::Milliseconds(3)));
  std::vector<TimingWheel::TimerId> fired;
  const size_t n = wheel.Expire(At(absl::Milliseconds(2)), [&](TimingWheel::TimerId id) {
    fired.push_back(id);
    wheel.Cancel(1 - id);
    wheel.Cancel(2);
    wheel.Schedule(id, At(absl::Milliseconds(4)));
  });
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(fired.size(), 1u);
  const TimingWheel::TimerId winner = fired[0];
  EXPECT_FALSE(wheel.IsScheduled(1 - winner));
  EXPECT_FALSE(wheel.IsScheduled(2));
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(3999))), IsEmpty());
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(4))), ElementsAre(winner));
}

TEST(TimingWheelTest, CallbackSchedulesAnotherTimer) {
  TimingWheel wheel(kTick, 64, 2, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(1))), ElementsAre(0u));
  wheel.Schedule(0, At(absl::Milliseconds(2)));
  const size_t n = wheel.Expire(At(absl::Milliseconds(2)), [&](TimingWheel::TimerId id) {
    if (id == 0) wheel.Schedule(1, At(absl::Milliseconds(3)));
  });
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(wheel.IsScheduled(1));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(3))), ElementsAre(1u));
}

TEST(TimingWheelTest, NextExpiryIsNulloptWhenEmpty) {
  TimingWheel wheel(kTick, 4096, 2, kStart);
  EXPECT_EQ(wheel.NextExpiry(), std::nullopt);
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  EXPECT_NE(wheel.NextExpiry(), std::nullopt);
  wheel.Cancel(0);
  EXPECT_EQ(wheel.NextExpiry(), std::nullopt);
  wheel.Schedule(1, At(absl::Milliseconds(1)));
  Fire(wheel, At(absl::Milliseconds(1)));
  EXPECT_EQ(wheel.NextExpiry(), std::nullopt);
}

TEST(TimingWheelTest, NextExpiryIsTheFiringTickWithinOneRevolution) {
  TimingWheel wheel(kTick, 4096, 3, kStart);
  wheel.Schedule(0, At(absl::Microseconds(20'537)));
  wheel.Schedule(1, At(absl::Microseconds(2'050)));
  wheel.Schedule(2, At(absl::Milliseconds(300)));
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Microseconds(2'100)));
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(2'100))), ElementsAre(1u));
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Microseconds(20'600)));
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(20'600))), ElementsAre(0u));
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Milliseconds(300)));
}

TEST(TimingWheelTest, NextExpiryIsALowerBoundBeyondOneRevolution) {
  TimingWheel wheel(kTick, 4096, 1, kStart);
  const MonoTime deadline = At(absl::Seconds(10));
  wheel.Schedule(0, deadline);
  // Waking only at NextExpiry() (as the daemon does) reaches the deadline
  // exactly, never past it, after a few early wake-ups.
  int wakeups = 0;
  MonoTime fired_at;
  bool fired = false;
  while (!fired) {
    const std::optional<MonoTime> next = wheel.NextExpiry();
    ASSERT_TRUE(next.has_value());
    ASSERT_LE(*next, deadline);
    ASSERT_LT(++wakeups, 100);
    fired = !Fire(wheel, *next).empty();
    fired_at = *next;
  }
  EXPECT_EQ(fired_at, deadline);
  EXPECT_EQ(wakeups, 25);  // 24 early (once per revolution) + the real one
}

TEST(TimingWheelTest, PastDeadlineFiresAtTheNextTick) {
  TimingWheel wheel(kTick, 64, 1, kStart);
  Fire(wheel, At(absl::Milliseconds(5)));
  wheel.Schedule(0, At(absl::Milliseconds(1)));  // 4 ms ago
  EXPECT_TRUE(wheel.IsScheduled(0));
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Microseconds(5'100)));
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(5'100))), ElementsAre(0u));
}

TEST(TimingWheelTest, PastDeadlineFiresOnAnyLaterExpire) {
  TimingWheel wheel(kTick, 64, 1, kStart);
  Fire(wheel, At(absl::Milliseconds(5)));
  wheel.Schedule(0, At(absl::Milliseconds(1)));
  EXPECT_THAT(Fire(wheel, At(absl::Seconds(3))), ElementsAre(0u));
}

TEST(TimingWheelTest, NowGoingBackwardsIsANoop) {
  TimingWheel wheel(kTick, 64, 2, kStart);
  wheel.Schedule(0, At(absl::Milliseconds(3)));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(10))), ElementsAre(0u));
  wheel.Schedule(1, At(absl::Milliseconds(11)));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(2))), IsEmpty());
  EXPECT_THAT(Fire(wheel, kStart - absl::Seconds(1)), IsEmpty());
  EXPECT_TRUE(wheel.IsScheduled(1));
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Milliseconds(11)));
  // A timer scheduled for the "earlier" time still counts from the latest now.
  wheel.Schedule(0, At(absl::Milliseconds(2)));
  EXPECT_EQ(wheel.NextExpiry(), At(absl::Microseconds(10'100)));
  EXPECT_THAT(Fire(wheel, At(absl::Microseconds(10'100))), ElementsAre(0u));
  EXPECT_THAT(Fire(wheel, At(absl::Milliseconds(11))), ElementsAre(1u));
}

// Wheels narrower than one bitmap word (64 slots) keep their occupancy bits
// in the low part of a single word. Regression: NextExpiry() wrapped past
// the wheel's end as if it had 64 slots and missed timers whose slot lies
// behind the cursor.
TEST(TimingWheelTest, NextExpiryFindsTimerBehindTheCursorOnSmallWheels) {
  for (size_t slots : {1, 2, 8, 32, 64, 128, 4096}) {
    SCOPED_TRACE(slots);
    const int64_t n = static_cast<int64_t>(slots);
    TimingWheel wheel(kTick, slots, 1, kStart);
    // Cursor to the middle of the wheel, then a timer in slot 1 of the next
    // revolution: less than one revolution ahead, but behind the cursor.
    Fire(wheel, At(kTick * (n / 2)));
    const MonoTime deadline = At(kTick * (n + 1));
    wheel.Schedule(0, deadline);
    const std::optional<MonoTime> next = wheel.NextExpiry();
    ASSERT_TRUE(next.has_value());
    EXPECT_LE(*next, deadline);
    if (n >= 2) {
      EXPECT_EQ(*next, deadline);
    }
    EXPECT_THAT(Fire(wheel, deadline), ElementsAre(0u));
  }
}

// Random schedule / cancel / expire sequences checked against a simple model:
// every timer fires exactly at its first tick boundary >= deadline (or the
// tick after the latest now, for past deadlines), and NextExpiry() is never
// later than the next firing.
TEST(TimingWheelTest, MatchesReferenceModel) {
  for (size_t slots : {8, 64, 256}) {
    SCOPED_TRACE(slots);
    constexpr size_t kTimers = 40;
    std::mt19937 rng(static_cast<uint32_t>(slots) * 7919u);
    TimingWheel wheel(kTick, slots, kTimers, kStart);
    const int64_t tick_ns = absl::ToInt64Nanoseconds(kTick);
    std::map<TimingWheel::TimerId, int64_t> armed;  // id -> firing tick
    int64_t now_tick = 0;
    for (int step = 0; step < 20000; ++step) {
      const int op = static_cast<int>(rng() % 10);
      const auto id = static_cast<TimingWheel::TimerId>(rng() % kTimers);
      if (op < 5) {
        // Deadlines from slightly past to several revolutions ahead.
        const int64_t offset_ns =
            static_cast<int64_t>(rng() % (4 * slots * tick_ns)) - 2 * tick_ns;
        const int64_t deadline_ns = now_tick * tick_ns + offset_ns;
        wheel.Schedule(id, kStart + absl::Nanoseconds(deadline_ns));
        const int64_t ceil_tick = deadline_ns <= 0 ? 0 : (deadline_ns + tick_ns - 1) / tick_ns;
        armed[id] = std::max(ceil_tick, now_tick + 1);
      } else if (op < 6) {
        wheel.Cancel(id);
        armed.erase(id);
      } else {
        // Check NextExpiry, then advance: usually to it, sometimes beyond.
        const std::optional<MonoTime> next = wheel.NextExpiry();
        if (armed.empty()) {
          ASSERT_EQ(next, std::nullopt) << step;
          now_tick += 1 + static_cast<int64_t>(rng() % 5);
        } else {
          int64_t first = INT64_MAX;
          for (const auto& [_, t] : armed) first = std::min(first, t);
          ASSERT_TRUE(next.has_value()) << step;
          ASSERT_LE(*next, kStart + kTick * first) << step;
          ASSERT_GT(*next, kStart + kTick * now_tick) << step;
          now_tick = op < 9 ? (*next - kStart) / kTick
                            : now_tick + 1 + static_cast<int64_t>(rng() % (3 * slots));
        }
        const MonoTime now = kStart + kTick * now_tick + absl::Nanoseconds(rng() % tick_ns);
        std::vector<TimingWheel::TimerId> fired = Fire(wheel, now);
        std::sort(fired.begin(), fired.end());
        std::vector<TimingWheel::TimerId> want;
        for (auto it = armed.begin(); it != armed.end();) {
          if (it->second <= now_tick) {
            want.push_back(it->first);
            it = armed.erase(it);
          } else {
            ++it;
          }
        }
        ASSERT_EQ(fired, want) << step;
      }
      for (TimingWheel::TimerId t = 0; t < kTimers; ++t) {
        ASSERT_EQ(wheel.IsScheduled(t), armed.count(t) == 1) << step;
      }
    }
  }
}

}  // namespace
}  // namespace tachy
