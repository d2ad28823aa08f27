#include "actions/job_worker.h"

#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "detector/base/log.h"
#include "detector/base/realtime.h"

namespace tachy {

JobWorker::JobWorker() : event_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  // A take is on the failover path: the worker runs at its creator's
  // priority (the runner loop's SCHED_FIFO under `realtime on`). A new
  // thread does not inherit it, since reset-on-fork covers threads too.
  const ThreadScheduling scheduling = CallerScheduling();
  thread_ = std::thread([this, scheduling] {
    if (scheduling.policy != SCHED_OTHER) {
      if (const std::string why = AdoptScheduling(scheduling); !why.empty()) {
        LogWarning("group worker at normal priority: %s", why);
      }
    }
    Main();
  });
}

JobWorker::~JobWorker() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    jobs_.clear();
  }
  thread_.join();
}

void JobWorker::Submit(Job job) {
  absl::MutexLock lock(&mu_);
  jobs_.push_back(std::move(job));
}

void JobWorker::Main() {
  const Post post = [this](std::function<void()> message) {
    {
      absl::MutexLock lock(&mu_);
      posted_.push_back(std::move(message));
    }
    const uint64_t one = 1;
    (void)!write(event_.get(), &one, sizeof(one));
  };
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](JobWorker* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return w->stop_ || !w->jobs_.empty();
          },
          this));
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job(post);
  }
}

void JobWorker::RunPosted() {
  uint64_t count;
  (void)!read(event_.get(), &count, sizeof(count));
  std::vector<std::function<void()>> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(posted_);
  }
  for (auto& message : batch) message();
}

}  // namespace tachy
