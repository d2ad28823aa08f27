// job_worker_test.cc: jobs run in order on the worker, their messages come
// back on the caller's thread, and the worker keeps its creator's priority.
#include "actions/job_worker.h"

#include <poll.h>
#include <sched.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "detector/base/realtime.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

// Delivers the worker's messages until `done` (bounded: 500 waits of 10 ms).
template <typename Done>
void RunUntil(JobWorker& worker, Done done) {
  for (int i = 0; i < 500 && !done(); ++i) {
    pollfd p{worker.fd(), POLLIN, 0};
    if (poll(&p, 1, 10) > 0) worker.RunPosted();
  }
}

TEST(JobWorkerTest, JobsRunInOrderAndPostToTheCaller) {
  JobWorker worker;
  std::vector<int> seen;
  const std::thread::id caller = std::this_thread::get_id();
  bool on_caller = true;
  for (int i = 0; i < 3; ++i) {
    worker.Submit([&, i](const JobWorker::Post& post) {
      post([&, i] {
        on_caller = on_caller && std::this_thread::get_id() == caller;
        seen.push_back(i);
      });
    });
  }
  RunUntil(worker, [&] { return seen.size() == 3; });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(on_caller);
}

// The bug: under `realtime on` the workers were meant to inherit the loop's
// SCHED_FIFO, but reset-on-fork applies to threads too: takes ran at
// SCHED_OTHER.
TEST(JobWorkerTest, AWorkerRunsAtItsCreatorsRealtimePriority) {
  ThreadScheduling seen;
  std::string refused;
  std::thread creator([&] {
    // As EnterRealtime sets it (SCHED_RESET_ON_FORK included), without its
    // process-wide mlockall.
    refused = AdoptScheduling({SCHED_FIFO, sched_get_priority_min(SCHED_FIFO)});
    if (!refused.empty()) return;
    JobWorker worker;
    absl::Notification ran;
    worker.Submit([&](const JobWorker::Post&) {
      seen = CallerScheduling();
      ran.Notify();
    });
    ran.WaitForNotificationWithTimeout(absl::Seconds(10));
  });
  creator.join();
  if (!refused.empty()) {
    GTEST_SKIP() << "SCHED_FIFO not permitted here: " << refused;
  }
  EXPECT_EQ(seen.policy, SCHED_FIFO);
  EXPECT_EQ(seen.priority, sched_get_priority_min(SCHED_FIFO));
}

}  // namespace
}  // namespace tachy
