// job_worker.h: runs resource-group jobs (take, release) off the main loop.
//
// Resource scripts can take seconds; the action runner's loop must keep
// following the detector meanwhile. Each resource group has its own worker
// (so no group's take queues behind another's release); a worker runs its
// jobs one at a time, in order, on its thread; every step's outcome comes back to the loop as a message,
// signalled through an eventfd the loop polls.
#ifndef TACHY_ACTIONS_JOB_WORKER_H_
#define TACHY_ACTIONS_JOB_WORKER_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class JobWorker {
 public:
  // A job posts messages with `post` (any thread-safe payload: a closure
  // run later on the loop thread).
  using Post = std::function<void(std::function<void()>)>;
  using Job = std::function<void(const Post& post)>;

  JobWorker();
  ~JobWorker();  // finishes the running job, drops queued ones, joins
  JobWorker(const JobWorker&) = delete;
  JobWorker& operator=(const JobWorker&) = delete;

  // fd()
  //
  // Readable when RunPosted() has messages to deliver.
  int fd() const { return event_.get(); }

  void Submit(Job job);

  // RunPosted()
  //
  // Runs, on the calling (loop) thread, every message posted so far.
  void RunPosted();

 private:
  void Main();

  UniqueFd event_;
  absl::Mutex mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_JOB_WORKER_H_
