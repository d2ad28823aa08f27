// Microbenchmarks of the heartbeat hot path: timing wheel, frame codec, and
// signing/verification per authkeys method.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "detector/auth.h"
#include "detector/frame.h"
#include "detector/timing_wheel.h"

namespace tachy {
namespace {

// Re-arm: what a peer deadline costs when it fires and is pushed forward.
// Timers are spread over the wheel like real peers' deadlines.
void BM_WheelRearm(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const MonoTime start = MonoTime::FromNanos(1'000'000'000);
  TimingWheel wheel(absl::Microseconds(100), 4096, n, start);
  std::mt19937 rng(1);
  std::vector<MonoTime> deadlines(1024);
  for (auto& d : deadlines) d = start + absl::Microseconds(rng() % 300'000);
  for (size_t i = 0; i < n; ++i) wheel.Schedule(static_cast<TimingWheel::TimerId>(i), deadlines[i % 1024]);
  size_t i = 0;
  for (auto _ : state) {
    wheel.Schedule(static_cast<TimingWheel::TimerId>(i % n), deadlines[i & 1023]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WheelRearm)->Arg(1'000)->Arg(10'000)->Arg(100'000);

// Expire: advancing one 100 µs tick at a time with n timers re-armed as they
// fire (a steady state of n periodic timers with 0.1-300 ms periods).
void BM_WheelExpire(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  MonoTime now = MonoTime::FromNanos(1'000'000'000);
  TimingWheel wheel(absl::Microseconds(100), 4096, n, now);
  std::vector<absl::Duration> period(n);
  std::mt19937 rng(2);
  for (size_t i = 0; i < n; ++i) {
    period[i] = absl::Microseconds(100 + rng() % 300'000);
    wheel.Schedule(static_cast<TimingWheel::TimerId>(i), now + period[i]);
  }
  size_t fired = 0;
  for (auto _ : state) {
    now = now + absl::Microseconds(100);
    fired += wheel.Expire(now, [&](TimingWheel::TimerId id) { wheel.Schedule(id, now + period[id]); });
  }
  state.counters["fired_per_tick"] =
      benchmark::Counter(static_cast<double>(fired) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_WheelExpire)->Arg(1'000)->Arg(10'000)->Arg(100'000);

Frame SampleFrame() {
  Frame f;
  f.key_id = 1;
  f.cluster_id = NameId("linux-ha");
  f.node_id = NameId("test001");
  f.generation = 42;
  f.sequence = 123456;
  f.send_time_ns = 987654321;
  f.interval_us = 2000;
  f.deadtime_us = 20000;
  return f;
}

const AuthMethod kMethods[] = {AuthMethod::kCrc, AuthMethod::kMd5, AuthMethod::kSha1,
                               AuthMethod::kSha256};

std::unique_ptr<Authenticator> Make(int64_t method_index) {
  const AuthMethod m = kMethods[method_index];
  return *Authenticator::Create(m, m == AuthMethod::kCrc ? "" : "a-shared-secret-key");
}

void BM_FrameEncode(benchmark::State& state) {
  auto auth = Make(state.range(0));
  state.SetLabel(std::string(AuthMethodName(auth->method())));
  Frame f = SampleFrame();
  std::array<uint8_t, kMaxFrameSize> buf;
  for (auto _ : state) {
    ++f.sequence;
    benchmark::DoNotOptimize(EncodeFrame(f, *auth, buf));
  }
}
BENCHMARK(BM_FrameEncode)->DenseRange(0, 3);

void BM_FrameDecode(benchmark::State& state) {
  auto auth = *Authenticator::Create(AuthMethod::kSha256, "k");
  std::array<uint8_t, kMaxFrameSize> buf;
  const size_t len = EncodeFrame(SampleFrame(), *auth, buf);
  Frame out;
  std::span<const uint8_t> signed_part, tag;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        ParseFrameHeader(std::span<const uint8_t>(buf.data(), len), &out, &signed_part, &tag));
  }
}
BENCHMARK(BM_FrameDecode);

// Sign and verify per method over the 64-byte signed part of a frame and over
// a 128-byte message (the brief's 64-128 byte range).
void BM_Sign(benchmark::State& state) {
  auto auth = Make(state.range(0));
  state.SetLabel(std::string(AuthMethodName(auth->method())));
  std::vector<uint8_t> data(static_cast<size_t>(state.range(1)), 0x5a);
  std::array<uint8_t, kMaxTagSize> tag;
  for (auto _ : state) {
    auth->Sign(data, tag);
    benchmark::DoNotOptimize(tag);
  }
}
BENCHMARK(BM_Sign)->ArgsProduct({{0, 1, 2, 3}, {64, 128}});

void BM_Verify(benchmark::State& state) {
  auto auth = Make(state.range(0));
  state.SetLabel(std::string(AuthMethodName(auth->method())));
  std::vector<uint8_t> data(static_cast<size_t>(state.range(1)), 0x5a);
  std::array<uint8_t, kMaxTagSize> tag;
  auth->Sign(data, tag);
  const std::span<const uint8_t> t(tag.data(), auth->tag_size());
  for (auto _ : state) benchmark::DoNotOptimize(auth->Verify(data, t));
}
BENCHMARK(BM_Verify)->ArgsProduct({{0, 1, 2, 3}, {64, 128}});

}  // namespace
}  // namespace tachy

BENCHMARK_MAIN();
