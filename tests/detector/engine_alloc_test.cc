// Proves the receive and timer paths do not allocate in steady state: a
// global operator new counts allocations while heartbeats flow.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include "detector/auth.h"
#include "detector/engine.h"
#include "detector/frame.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC cannot see that this operator new and delete pair up and warns about
// free() on "new" memory; the replacement is exactly malloc/free.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tachy {
namespace {

TEST(EngineAllocationTest, SteadyStateHeartbeatsDoNotAllocate) {
  AuthKeys keys;
  keys.active_index = 1;
  keys.keys.push_back({1, AuthMethod::kSha256, "secret"});
  auto ring = KeyRing::Create(keys);
  ASSERT_TRUE(ring.ok());
  EngineOptions o;
  o.local_node = "a";
  o.nodes = {"a", "b"};
  o.media = {"raw:eth0"};
  o.keepalive = absl::Milliseconds(2);
  o.warntime = absl::Milliseconds(10);
  o.deadtime = absl::Milliseconds(20);
  o.initdead = absl::Seconds(1);
  MonoTime now = MonoTime::FromNanos(5'000'000'000);
  Engine engine(o, *ring, now);

  Frame f;
  f.key_id = 1;
  f.cluster_id = NameId("linux-ha");
  f.node_id = NameId("b");
  f.generation = 1;
  std::array<uint8_t, kMaxFrameSize> buf;
  auto step = [&] {
    now = now + absl::Milliseconds(1);
    ++f.sequence;
    const size_t len = EncodeFrame(f, ring->signer(), buf);
    engine.OnFrame(0, std::span<const uint8_t>(buf.data(), len), now, now);
    if (now >= engine.NextWakeup()) {
      if (engine.Advance(now, absl::ZeroDuration())) engine.NextHeartbeat(now);
    }
  };
  for (int i = 0; i < 100; ++i) step();  // init -> up and link up: events allocate
  engine.DrainEvents([](const DetectorEvent&) {});
  const long before = g_allocations.load();
  for (int i = 0; i < 10'000; ++i) step();
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(engine.peers()[0].state, PeerState::kUp);
  EXPECT_EQ(engine.peers()[0].frames, 10'100u);
}

}  // namespace
}  // namespace tachy
