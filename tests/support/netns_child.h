// netns_child.h: runs a test body in a forked child inside a private network
// namespace, so tests can create interfaces and addresses without touching
// the host's.
//
//   class FooTest : public NetnsTest {};
//   TEST_F(FooTest, Bar) {
//     const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
//       if (!c.Sh("ip link add d0 type veth peer name d0p")) return;
//       c.Expect(SomeCall().ok(), "SomeCall");
//     });
//     EXPECT_EQ(failures, "");
//   }
//
// The body runs in the child: it reports through NetnsChild, never through
// gtest macros (their failures would die with the child).
#ifndef TACHY_TESTS_SUPPORT_NETNS_CHILD_H_
#define TACHY_TESTS_SUPPORT_NETNS_CHILD_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tachy {

class NetnsChild {
 public:
  // Records a failure; the child then exits 1 and the parent reports `what`.
  void Fail(absl::string_view what);

  // Fails with `what` unless `ok`; returns `ok`.
  bool Expect(bool ok, absl::string_view what);

  // Runs `command` with /bin/sh; fails (naming it) unless it exits 0.
  bool Sh(const std::string& command);

  // Runs `command` with /bin/sh and returns its standard output.
  std::string ShOutput(const std::string& command);

  const std::string& failures() const { return failures_; }

 private:
  std::string failures_;
};

// RunInPrivateNetns()
//
// Forks; the child unshares into a new network namespace (only `lo`, down),
// runs `body` and exits. Returns "" if the child reported no failure and
// exited 0, else the failures or how it died. The child is killed after
// `timeout`.
std::string RunInPrivateNetns(const std::function<void(NetnsChild&)>& body,
                              absl::Duration timeout = absl::Seconds(20));

// A fixture for tests that need root for unshare(CLONE_NEWNET): they skip
// without it, except under CI (the CI environment variable set), where
// they must run (a test that cannot run must not pass silently) and so fail.
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_NETNS_CHILD_H_
