// haresources.cc: Heartbeat's haresources file (Heartbeat 3's format).

#include "actions/haresources.h"

#include "detector/config/heartbeat_syntax.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "detector/base/ipv4.h"

namespace tachy {
namespace {

// A real haresources file is a few lines; anything this large is a mistake
// (wrong path), and refusing it keeps a typo from eating memory.

// Linux IFNAMSIZ (16) including the NUL; an address label (IFA_LABEL) has the
// same limit.
constexpr size_t kMaxIfaceName = 15;

struct LogicalLine {
  int line = 0;  // first physical line, for messages
  std::string text;
};

// Splits into logical lines the way ResourceManager's sed pipeline does:
// drop `#` comments, then join a line ending in `\` with the next. The
// comment goes first, so `a \ # note` continues but `a # note \` does not.
// The backslash becomes a space rather than gluing the lines together; the
// tokens are whitespace-separated anyway, and nobody splits a token across
// lines on purpose.
std::vector<LogicalLine> SplitLogicalLines(absl::string_view text) {
  std::vector<LogicalLine> out;
  LogicalLine current;
  bool continuing = false;
  int number = 0;
  for (absl::string_view physical : absl::StrSplit(text, '\n')) {
    ++number;
    size_t hash = physical.find('#');
    if (hash != absl::string_view::npos) physical = physical.substr(0, hash);
    physical = absl::StripTrailingAsciiWhitespace(physical);  // also a CR
    bool continues = absl::ConsumeSuffix(&physical, "\\");
    if (!continuing) current = LogicalLine{.line = number, .text = ""};
    absl::StrAppend(&current.text, " ", physical);
    continuing = continues;
    if (!continuing) out.push_back(std::move(current));
  }
  if (continuing) out.push_back(std::move(current));  // `\` on the last line
  return out;
}

class LineErrors {
 public:
  LineErrors(absl::string_view filename, int line) : filename_(filename), line_(line) {}

  template <typename... Args>
  absl::Status operator()(const absl::FormatSpec<Args...>& format, const Args&... args) const {
    return absl::InvalidArgumentError(
        absl::StrCat(filename_, ":", line_, ": ", absl::StrFormat(format, args...)));
  }

 private:
  absl::string_view filename_;
  int line_;
};

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// ResourceManager's `canonname` turns a token matching the shell glob
// [0-9]*.[0-9]*.[0-9]*.[0-9]* into IPaddr::token. We require four digit runs
// at the start; whatever follows (normally /cidr...) goes to the IPaddr
// argument parser, so "10.0.0.1x" is reported as a bad address instead of
// silently becoming a script called "10.0.0.1x".
bool LooksLikeIpShorthand(absl::string_view token) {
  for (int field = 0; field < 4; ++field) {
    size_t digits = 0;
    while (digits < token.size() && absl::ascii_isdigit(token[digits])) ++digits;
    if (digits == 0) return false;
    token.remove_prefix(digits);
    if (field < 3) {
      if (!absl::ConsumePrefix(&token, ".")) return false;
    }
  }
  return true;
}

bool IsDottedQuad(absl::string_view s) { return ParseIpv4(s).has_value(); }

// IPaddr accepts a netmask in dotted form as well as bits (the RA converts it
// with its own `maskbits`); it must be contiguous to mean a prefix.
bool NetmaskToPrefix(absl::string_view s, int* prefix) {
  const std::optional<uint32_t> parsed = ParseIpv4(s);
  if (!parsed) return false;
  const uint32_t mask = *parsed;
  uint32_t inverted = ~mask;
  if ((inverted & (inverted + 1)) != 0) return false;  // not 1...10...0
  int bits = 0;
  while (bits < 32 && (mask & (0x80000000u >> bits)) != 0) ++bits;
  *prefix = bits;
  return true;
}

absl::Status ParseIface(absl::string_view field, absl::string_view token, const LineErrors& error,
                        VipSpec* vip) {
  absl::string_view iface = field;
  size_t colon = field.find(':');
  if (colon != absl::string_view::npos) {
    // IPaddr2 "eth0:web": the kernel wants the whole string as the label.
    iface = field.substr(0, colon);
    if (colon + 1 == field.size()) {
      return error("'%s': empty label after '%s'", token, iface);
    }
    if (field.size() > kMaxIfaceName) {
      return error("'%s': label '%s' is longer than %d characters", token, field, kMaxIfaceName);
    }
    vip->label = std::string(field);
  }
  if (iface.empty()) return error("'%s': empty interface name", token);
  if (iface.size() > kMaxIfaceName) {
    return error("'%s': interface name '%s' is longer than %d characters", token, iface,
                 kMaxIfaceName);
  }
  if (iface == "." || iface == "..") {
    return error("'%s': '%s' is not an interface name", token, iface);
  }
  vip->iface = std::string(iface);
  return absl::OkStatus();
}

// ip[/cidr[/iface[/broadcast]]] or ip/cidr/broadcast (DEB resource.d/IPaddr,
// IPaddr2: a third field starting with a digit is the broadcast).
absl::Status ParseVip(absl::string_view arg, absl::string_view token, const LineErrors& error,
                      VipSpec* vip) {
  std::vector<absl::string_view> fields = absl::StrSplit(arg, '/');
  if (fields.size() > 4) {
    return error("'%s': too many '/' fields (ip/cidr/iface/broadcast at most)", token);
  }
  for (absl::string_view f : fields) {
    if (f.empty()) return error("'%s': empty field in '%s'", token, arg);
  }
  if (!IsDottedQuad(fields[0])) {
    return error("'%s': '%s' is not an IPv4 address", token, fields[0]);
  }
  vip->ip = std::string(fields[0]);
  if (fields.size() >= 2) {
    absl::string_view cidr = fields[1];
    int prefix = -1;
    if (AllDigits(cidr)) {
      if (cidr.size() > 2 || !absl::SimpleAtoi(cidr, &prefix) || prefix < 1 || prefix > 32) {
        return error("'%s': netmask bits '%s' not in 1..32", token, cidr);
      }
    } else if (!NetmaskToPrefix(cidr, &prefix)) {
      return error("'%s': '%s' is neither netmask bits (1..32) nor a netmask", token, cidr);
    } else if (prefix < 1) {
      return error("'%s': netmask '%s' is empty", token, cidr);
    }
    vip->prefix_len = prefix;
  }
  absl::string_view broadcast;
  if (fields.size() == 3 && absl::ascii_isdigit(fields[2][0])) {
    broadcast = fields[2];
  } else {
    if (fields.size() >= 3) {
      if (absl::ascii_isdigit(fields[2][0])) {
        return error("'%s': '%s' starts with a digit, so it is a broadcast, and nothing may follow",
                     token, fields[2]);
      }
      absl::Status s = ParseIface(fields[2], token, error, vip);
      if (!s.ok()) return s;
    }
    if (fields.size() == 4) broadcast = fields[3];
  }
  if (!broadcast.empty()) {
    if (!IsDottedQuad(broadcast)) {
      return error("'%s': broadcast '%s' is not an IPv4 address", token, broadcast);
    }
    vip->broadcast = std::string(broadcast);
  }
  return absl::OkStatus();
}

bool IsParamName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

// A name that ends up as a path component under a resource directory.
bool IsPathComponent(absl::string_view name) {
  return !name.empty() && name != "." && name != ".." && !absl::StrContains(name, '/');
}

absl::StatusOr<Resource> ParseResource(absl::string_view token, const LineErrors& error) {
  Resource r;
  r.token = std::string(token);
  // resource2arg: text after the first `::` is the argument list, further
  // `::` separate arguments.
  std::string canonical =
      LooksLikeIpShorthand(token) ? absl::StrCat("IPaddr::", token) : std::string(token);
  std::vector<std::string> parts = absl::StrSplit(canonical, "::");
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) return error("'%s': empty argument %d", token, i);
  }
  r.name = parts[0];
  r.args.assign(parts.begin() + 1, parts.end());
  if (r.name.empty()) return error("'%s': empty resource name", token);

  if (r.name == "IPaddr" || r.name == "IPaddr2") {
    r.kind = Resource::Kind::kIpAddr;
    if (r.args.size() != 1) {
      return error("'%s': %s takes exactly one argument (ip[/cidr[/iface[/broadcast]]]), got %d",
                   token, r.name, r.args.size());
    }
    absl::Status s = ParseVip(r.args[0], token, error, &r.vip);
    if (!s.ok()) return s;
  } else if (r.name == "BGP") {
    // A host route: the router learns exactly this address from whichever
    // node holds it, and nothing else of that node's subnet moves with it.
    r.kind = Resource::Kind::kBgpAddress;
    if (r.args.size() != 1) {
      return error("'%s': BGP takes exactly one argument (A.B.C.D or A.B.C.D/32), got %d", token,
                   r.args.size());
    }
    absl::string_view arg = r.args[0];
    absl::string_view ip = arg.substr(0, arg.find('/'));
    if (!IsDottedQuad(ip)) return error("'%s': '%s' is not an IPv4 address", token, ip);
    if (ip.size() != arg.size() && arg.substr(ip.size()) != "/32") {
      return error("'%s': a BGP address is announced as a host route: only /32 (got '%s')", token,
                   arg.substr(ip.size()));
    }
    r.vip.ip = std::string(ip);
    r.vip.prefix_len = 32;
  } else if (r.name == "systemd") {
    r.kind = Resource::Kind::kSystemd;
    if (r.args.size() != 1) {
      return error("'%s': systemd takes exactly one argument (the unit), got %d", token,
                   r.args.size());
    }
  } else if (r.name == "OCF") {
    // Heartbeat's resource.d/OCF: OCF::agent::instance, the instance naming
    // /etc/ha.d/conf/OCF/<agent>/<instance>.
    r.kind = Resource::Kind::kOcf;
    if (r.args.size() != 2) {
      return error("'%s': OCF takes exactly two arguments (OCF::agent::instance), got %d", token,
                   r.args.size());
    }
    for (const std::string& a : r.args) {
      if (!IsPathComponent(a)) {
        return error("'%s': '%s' must be a plain file name (no '/', not . or ..)", token, a);
      }
    }
  } else if (absl::StartsWith(token, "ocf:")) {  // "ocf::x" too, to reject it
    r.kind = Resource::Kind::kOcf;
    std::vector<absl::string_view> fields = absl::StrSplit(r.name, ':');
    if (fields.size() != 3 || !IsPathComponent(fields[1]) || !IsPathComponent(fields[2])) {
      return error("'%s': expected ocf:provider:agent", token);
    }
    for (const std::string& a : r.args) {
      size_t eq = a.find('=');
      if (eq == std::string::npos) {
        return error("'%s': OCF parameter '%s' is not name=value", token, a);
      }
      if (!IsParamName(absl::string_view(a).substr(0, eq))) {
        return error("'%s': OCF parameter name '%s' is not [A-Za-z0-9_]+", token, a.substr(0, eq));
      }
    }
  } else {
    r.kind = Resource::Kind::kScript;
    if (!IsPathComponent(r.name)) {
      return error("'%s': script name must be a plain file name (no '/', not . or ..)", token);
    }
  }
  return r;
}

}  // namespace

absl::StatusOr<HaResources> ParseHaResources(absl::string_view text, absl::string_view filename,
                                             const std::vector<std::string>& nodes) {
  HaResources out;
  std::map<std::string, int, std::less<>> key_lines;
  struct IpUse {
    std::string key;
    int line;
  };
  std::map<std::string, IpUse, std::less<>> ip_uses;

  for (const LogicalLine& logical : SplitLogicalLines(text)) {
    std::vector<absl::string_view> tokens =
        absl::StrSplit(logical.text, absl::ByAnyChar(" \t\r\f\v"), absl::SkipEmpty());
    if (tokens.empty()) continue;
    LineErrors error(filename, logical.line);

    ResourceGroup group;
    group.line = logical.line;
    group.preferred_node = absl::AsciiStrToLower(tokens[0]);
    bool known = false;
    for (const std::string& n : nodes) known = known || n == group.preferred_node;
    if (!known) {
      return error("node '%s' is not in ha.cf's node list (%s)", group.preferred_node,
                   nodes.empty() ? std::string("none") : absl::StrJoin(nodes, ", "));
    }
    if (tokens.size() < 2) {
      return error("node '%s' has no resources after it", group.preferred_node);
    }
    for (size_t i = 1; i < tokens.size(); ++i) {
      absl::StatusOr<Resource> r = ParseResource(tokens[i], error);
      if (!r.ok()) return r.status();
      group.resources.push_back(*std::move(r));
    }
    group.key = group.resources.front().token;

    auto [it, inserted] = key_lines.emplace(group.key, group.line);
    if (!inserted) {
      return error("duplicate group key '%s' (line %d already starts a group with it)", group.key,
                   it->second);
    }
    // Two groups holding one address would fight over it on failover; one
    // group listing it twice would remove it while still holding it.
    for (const Resource& r : group.resources) {
      if (r.kind != Resource::Kind::kIpAddr && r.kind != Resource::Kind::kBgpAddress) continue;
      auto [use, fresh] = ip_uses.emplace(r.vip.ip, IpUse{group.key, group.line});
      if (!fresh) {
        return error("address %s in '%s' is already used by group '%s' (line %d)", r.vip.ip,
                     r.token, use->second.key, use->second.line);
      }
    }
    out.groups.push_back(std::move(group));
  }
  return out;
}

absl::StatusOr<HaResources> LoadHaResources(const std::string& path,
                                            const std::vector<std::string>& nodes) {
  absl::StatusOr<std::string> text = ReadConfigFile(path, /*private_file=*/false);
  if (!text.ok()) return text.status();
  return ParseHaResources(*text, path, nodes);
}

const ResourceGroup* FindGroup(const HaResources& resources, absl::string_view key) {
  for (const ResourceGroup& g : resources.groups) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

}  // namespace tachy
