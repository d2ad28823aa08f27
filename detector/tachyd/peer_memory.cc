#include "detector/tachyd/peer_memory.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "detector/base/state_file.h"

namespace tachy {

std::string CurrentBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return std::string(absl::StripAsciiWhitespace(id));
}

absl::StatusOr<std::vector<RememberedPeer>> ParsePeerMemory(const std::string& text,
                                                            const std::string& path,
                                                            const std::string& boot_id) {
  std::vector<RememberedPeer> peers;
  bool same_boot = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::vector<absl::string_view> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
    const auto bad = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrFormat(
          "%s:%d: %s in '%s'; remove the file to forget what tachyd remembers of its peers "
          "(their older frames are then accepted once more)",
          path, number, what, line.substr(0, 80)));
    };
    if (w[0] == "boot" && w.size() == 2) {
      same_boot = !boot_id.empty() && w[1] == boot_id;
      continue;
    }
    if (w[0] != "peer" || w.size() != 4) return bad("expected 'boot ID' or 'peer NAME GEN OFFSET'");
    RememberedPeer p;
    p.node = std::string(w[1]);
    if (!absl::SimpleAtoi(w[2], &p.generation)) return bad("a generation that is no number");
    if (w[3] != "-") {
      int64_t ns = 0;
      if (!absl::SimpleAtoi(w[3], &ns)) return bad("an offset that is no number");
      p.offset_known = true;
      p.clock_offset = absl::Nanoseconds(ns);
    }
    peers.push_back(std::move(p));
  }
  // Offsets measured on another boot compare clocks that no longer exist.
  if (!same_boot) {
    for (RememberedPeer& p : peers) p.offset_known = false;
  }
  return peers;
}

absl::StatusOr<std::vector<RememberedPeer>> ReadPeerMemory(const std::string& dir) {
  const std::string path = dir + "/peers";
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::vector<RememberedPeer>{};
  std::ifstream in(path);
  if (!in) return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParsePeerMemory(text.str(), path, CurrentBootId());
}

std::string FormatPeerMemory(const std::vector<RememberedPeer>& peers,
                             const std::string& boot_id) {
  std::string out =
      "# tachyd's memory of its peers: the newest generation accepted from each (older\n"
      "# frames are refused) and its clock offset in ns on this boot. Rewritten by tachyd.\n";
  if (!boot_id.empty()) absl::StrAppend(&out, "boot ", boot_id, "\n");
  for (const RememberedPeer& p : peers) {
    absl::StrAppend(&out, "peer ", p.node, " ", p.generation, " ",
                    p.offset_known ? absl::StrCat(absl::ToInt64Nanoseconds(p.clock_offset)) : "-",
                    "\n");
  }
  return out;
}

absl::Status WritePeerMemory(const std::string& dir, const std::vector<RememberedPeer>& peers) {
  return WriteStateFile(dir, "peers", FormatPeerMemory(peers, CurrentBootId()));
}

bool PeerMemoryNeedsWrite(const std::vector<RememberedPeer>& stored, MonoTime written,
                          const std::vector<RememberedPeer>& fresh, MonoTime now) {
  if (now - written > absl::Minutes(1)) return true;
  for (const RememberedPeer& r : fresh) {
    const auto old = std::find_if(stored.begin(), stored.end(),
                                  [&](const RememberedPeer& m) { return m.node == r.node; });
    if (old == stored.end() || old->generation != r.generation ||
        old->offset_known != r.offset_known ||
        absl::AbsDuration(old->clock_offset - r.clock_offset) > absl::Milliseconds(1)) {
      return true;
    }
  }
  return false;
}

}  // namespace tachy
