// pcap_handle.h: the one owner of a libpcap handle (and a pcap dump file),
// for every capture in the tree: the raw medium, the ARP watcher, tachydump.
#ifndef TACHY_DETECTOR_BASE_PCAP_HANDLE_H_
#define TACHY_DETECTOR_BASE_PCAP_HANDLE_H_

#include <pcap/pcap.h>

#include <memory>

namespace tachy {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

struct PcapDumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};
using PcapDumperPtr = std::unique_ptr<pcap_dumper_t, PcapDumperCloser>;

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_PCAP_HANDLE_H_
