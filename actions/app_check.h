// app_check.h: an application check of a held group, for "httpd runs but
// does not answer": a TCP connect, or an HTTP GET whose status line must be
// 2xx or 3xx, to an address and port (typically the VIP), with a deadline.
// Configured per group in tachy.cf (tachy_cf.h); run by the monitor on the
// group's worker after every resource's own check passed.
#ifndef TACHY_ACTIONS_APP_CHECK_H_
#define TACHY_ACTIONS_APP_CHECK_H_

#include <string>

#include "absl/time/time.h"

namespace tachy {

struct AppCheck {
  enum class Kind { kTcp, kHttp };
  std::string group;  // haresources group key
  Kind kind = Kind::kTcp;
  std::string ip;     // dotted quad
  int port = 80;
  std::string path = "/";  // kHttp
  int line = 0;            // in tachy.cf, for errors
};

// RunAppCheck()
//
// "" if the service answered within `timeout`, else what went wrong, e.g.
// "http 10.0.0.5:80/: status 503 after 1.2 ms", "tcp 10.0.0.5:80: Connection
// refused", "... no answer within 2000 ms".
std::string RunAppCheck(const AppCheck& check, absl::Duration timeout);

}  // namespace tachy

#endif  // TACHY_ACTIONS_APP_CHECK_H_
