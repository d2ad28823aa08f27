#include "actions/job_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace tachy {

JobWorker::JobWorker() : event_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  // The worker runs at normal priority, also when its creator is SCHED_FIFO
  // (the kernel's reset-on-fork applies to new threads as well): it runs
  // scripts, waits on them and scans /proc for their leftovers. With the
  // workers at the runner loop's FIFO priority, the lab's 20 switch-overs
  // stalled both nodes' detector threads for seconds (measured).
  thread_ = std::thread([this] { Main(); });
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
