// log_options.h: where ha.cf says to log, as the async log sink takes it.
#ifndef TACHY_DETECTOR_CONFIG_LOG_OPTIONS_H_
#define TACHY_DETECTOR_CONFIG_LOG_OPTIONS_H_

#include <string>

#include "detector/base/log.h"
#include "detector/config/ha_cf.h"

namespace tachy {

// MakeLogOptions()
//
// Logging destinations from ha.cf (logfile, debugfile, logfacility, debug),
// with `ident` prefixing every line.
LogOptions MakeLogOptions(const HaConfig& ha, std::string ident);

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_LOG_OPTIONS_H_
