// libnet_handle.h: the one owner of a libnet context (the raw medium's
// Ethernet header, gratuitous ARP frames), and the one place <libnet.h> is
// included, with its warnings silenced: include this, not <libnet.h>.
#ifndef TACHY_DETECTOR_BASE_LIBNET_HANDLE_H_
#define TACHY_DETECTOR_BASE_LIBNET_HANDLE_H_

#include <memory>

// libnet's headers trip -Wshadow and -Wunused-parameter; not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <libnet.h>
#pragma GCC diagnostic pop

namespace tachy {

struct LibnetDestroyer {
  void operator()(libnet_t* l) const { libnet_destroy(l); }
};
using LibnetPtr = std::unique_ptr<libnet_t, LibnetDestroyer>;

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_LIBNET_HANDLE_H_
