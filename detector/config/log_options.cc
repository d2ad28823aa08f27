#include "detector/config/log_options.h"

#include <string>
#include <utility>

#include "detector/base/log.h"

namespace tachy {

LogOptions MakeLogOptions(const HaConfig& ha, std::string ident) {
  LogOptions log;
  log.ident = std::move(ident);
  log.facility = ha.logfacility;
  log.logfile = ha.logfile;
  log.debugfile = ha.debugfile;
  log.debug = ha.debug;
  return log;
}

}  // namespace tachy
