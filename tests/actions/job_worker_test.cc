// job_worker_test.cc: jobs run in order on the worker, their messages come
// back on the caller's thread, and the worker runs at normal priority even
// when the runner loop that creates it is real-time.
#include "actions/job_worker.h"

#include <poll.h>
#include <sched.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
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

// The runner's comment said the workers inherited the loop's SCHED_FIFO;
// they never did (reset-on-fork covers threads), and must not: scripts and
// /proc scans at FIFO priority stalled the detectors (job_worker.cc).
TEST(JobWorkerTest, AWorkerOfARealtimeCreatorRunsAtNormalPriority) {
  int creator_policy = -1;
  int worker_policy = -1;
  std::thread creator([&] {
    sched_param param{};
    param.sched_priority = sched_get_priority_min(SCHED_FIFO);
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) return;
    creator_policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
    JobWorker worker;
    absl::Notification ran;
    worker.Submit([&](const JobWorker::Post&) {
      worker_policy = sched_getscheduler(0);
      ran.Notify();
    });
    ran.WaitForNotificationWithTimeout(absl::Seconds(10));
  });
  creator.join();
  if (creator_policy != SCHED_FIFO) GTEST_SKIP() << "SCHED_FIFO not permitted here";
  EXPECT_EQ(worker_policy, SCHED_OTHER);
}

}  // namespace
}  // namespace tachy
