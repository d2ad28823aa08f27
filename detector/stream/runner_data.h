// runner_data.h: the 16 bytes each heartbeat frame carries for the action
// runners (detector/frame.h, bytes 48..63). tachyd never reads them; the
// runners lay them out (actions/ownership_ad.h) and the event stream
// passes them on (event_stream.h).
#ifndef TACHY_DETECTOR_STREAM_RUNNER_DATA_H_
#define TACHY_DETECTOR_STREAM_RUNNER_DATA_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace tachy {

inline constexpr size_t kRunnerDataSize = 16;
using RunnerData = std::array<uint8_t, kRunnerDataSize>;

}  // namespace tachy

#endif  // TACHY_DETECTOR_STREAM_RUNNER_DATA_H_
