// event_text.h: the words for an engine event, for logs and the event
// stream. Formatting allocates, so it runs on the control thread, never on
// the real-time one that produced the event.
#ifndef TACHY_DETECTOR_EVENT_TEXT_H_
#define TACHY_DETECTOR_EVENT_TEXT_H_

#include <string>
#include <vector>

#include "detector/engine.h"

namespace tachy {

// PeerNames()
//
// The peers' names in the order of Engine::peers() (every node but the
// local one, in `node` order): DetectorEvent::peer indexes this.
std::vector<std::string> PeerNames(const EngineOptions& options);

// EventReason()
//
// Why a kPeer event happened, with its figures, e.g. "no heartbeat: silent
// for 20.1 ms (deadtime 20 ms)" or "first heartbeat: generation 3 via
// raw:eth1".
std::string EventReason(const DetectorEvent& event, const EngineOptions& options);

// EventLogLine()
//
// The log line for any event, e.g. "node b late -> dead: no heartbeat: ...",
// "link raw:eth1 to node b is dead"; empty for events not logged (kAdvert).
std::string EventLogLine(const DetectorEvent& event, const EngineOptions& options,
                         const std::string& peer_name);

}  // namespace tachy

#endif  // TACHY_DETECTOR_EVENT_TEXT_H_
