#include "tools/cl_status_queries.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "detector/base/group_owners.h"

namespace tachy {
namespace {

using nlohmann::json;

constexpr const char* kQueries[] = {"hbstatus",     "listnodes",    "nodestatus",
                                    "nodetype",     "listhblinks",  "hblinkstatus",
                                    "clientstatus", "rscstatus",    "hbparameter"};

QueryAnswer Fail(int code, std::string err) { return QueryAnswer{"", std::move(err), code}; }

std::string S(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

const json* FindNode(const json& status, const std::string& name) {
  if (!status.contains("nodes") || !status["nodes"].is_array()) return nullptr;
  for (const json& n : status["nodes"]) {
    if (S(n, "name") == name) return &n;
  }
  return nullptr;
}

const json* FindPing(const json& status, const std::string& name) {
  if (!status.contains("ping") || !status["ping"].is_array()) return nullptr;
  for (const json& p : status["ping"]) {
    if (S(p, "name") == name) return &p;
  }
  return nullptr;
}

// Heartbeat's word for a node: a peer heard and whose runner is ready is
// "active" (Heartbeat: status active), heard but not ready "up", not yet
// heard "init", silent past deadtime "dead". A late peer is still alive:
// Heartbeat too says active until deadtime. This node is "active".
std::string NodeWord(const json& n) {
  if (n.value("local", false)) return "active";
  const std::string state = S(n, "state");
  if (state == "up" || state == "late") {
    const bool ready = n.contains("advertised") && n["advertised"].is_object() &&
                       n["advertised"].value("ready", false);
    return ready ? "active" : "up";
  }
  if (state == "init") return "init";
  return "dead";
}

// The medium's interface ("raw:hb0" -> "hb0", "ucast:eth1:10.0.0.2" ->
// "eth1"): Heartbeat names a link by its interface.
std::string LinkName(const std::string& medium) {
  std::vector<std::string> parts = absl::StrSplit(medium, ':');
  return parts.size() >= 2 ? parts[1] : medium;
}

std::vector<std::string> MediaOf(const json& status, const json& node) {
  std::vector<std::string> out;
  const json* source = &node;
  if (node.value("local", false)) {
    // This node's own media are every peer's: each peer is heard on each.
    source = nullptr;
    for (const json& n : status["nodes"]) {
      if (!n.value("local", false)) {
        source = &n;
        break;
      }
    }
  }
  if (source == nullptr || !source->contains("media")) return out;
  for (const json& m : (*source)["media"]) out.push_back(S(m, "name"));
  return out;
}

bool Holds(const json& group, const std::string& node) {
  return OwnersInclude(S(group, "owner"), node);
}

// Heartbeat's word for the resource sets this node is responsible for:
// "local" (the groups whose preferred node it is), "foreign" (the others),
// both ("all") or "none"; "transition" while a group starts, stops or is
// restarted. As in Heartbeat, a set with no group in it is this node's when
// it is the local set, and when it is the foreign set and no peer is alive
// (a node alone holds everything).
std::string ResourceWord(const json& status) {
  const std::string me = S(status, "node");
  bool peer_alive = false;
  for (const json& n : status["nodes"]) {
    const std::string state = S(n, "state");
    peer_alive = peer_alive || (!n.value("local", false) && (state == "up" || state == "late"));
  }
  bool any_local = false, any_foreign = false, local = false, foreign = false;
  if (status.contains("groups") && status["groups"].is_array()) {
    for (const json& g : status["groups"]) {
      const std::string state = S(g, "state");
      if (state == "starting" || state == "stopping" || state == "restarting" ||
          state == "probing") {
        return "transition";
      }
      const bool mine = S(g, "preferred") == me;
      (mine ? any_local : any_foreign) = true;
      if (Holds(g, me)) (mine ? local : foreign) = true;
    }
  }
  if (!any_local) local = true;
  if (!any_foreign) foreign = !peer_alive;
  if (local && foreign) return "all";
  if (local) return "local";
  if (foreign) return "foreign";
  return "none";
}

std::string Timing(const json& status, const char* key) {
  if (!status.contains("settings") || !status["settings"].contains(key)) return "";
  // Heartbeat's time syntax takes a decimal number of ms: 0.5ms stays 0.5ms.
  return absl::StrFormat("%gms", status["settings"][key].get<double>());
}

}  // namespace

bool IsClStatusQuery(const std::string& command) {
  return std::find(std::begin(kQueries), std::end(kQueries), command) != std::end(kQueries);
}

QueryAnswer AnswerClStatus(const std::string& command, const std::vector<std::string>& args,
                           bool human, const json& status) {
  const bool running = status.is_object() && status.contains("nodes");
  if (command == "hbstatus") {
    return running ? QueryAnswer{"tachyd is running on this machine.\n", "", kClOk}
                   : QueryAnswer{"tachyd is stopped on this machine.\n", "", kClNormalFail};
  }
  if (!running) return Fail(kClNormalFail, "Cannot signon with tachyd\n");
  const auto need = [&](size_t n) { return args.size() >= n; };
  if (command == "listnodes") {
    bool normal = false, ping = false;
    for (const std::string& a : args) {
      if (a == "-n") {
        normal = true;
      } else if (a == "-p") {
        ping = true;
      } else {
        return Fail(kClParameterError, absl::StrCat("listnodes: unknown option ", a, "\n"));
      }
    }
    if (normal == ping) normal = ping = true;  // neither or both: all
    QueryAnswer a{human ? "The nodes are as follow:\n" : "", "", kClOk};
    if (normal) {
      for (const json& n : status["nodes"]) absl::StrAppend(&a.out, S(n, "name"), "\n");
    }
    if (ping && status.contains("ping") && status["ping"].is_array()) {
      for (const json& p : status["ping"]) absl::StrAppend(&a.out, S(p, "name"), "\n");
    }
    return a;
  }
  if (command == "nodestatus" || command == "nodetype" || command == "listhblinks") {
    if (!need(1)) return Fail(kClParameterError, "Not enough parameters.\n");
    const std::string& name = args[0];
    const json* node = FindNode(status, name);
    const json* ping = node == nullptr ? FindPing(status, name) : nullptr;
    if (node == nullptr && ping == nullptr) {
      return Fail(command == "listhblinks" ? kClUnknownError : kClParameterError,
                  "Error. May be due to incorrect node name\n");
    }
    if (command == "nodetype") {
      const char* type = node != nullptr ? "normal" : "ping";
      return {human ? absl::StrCat("The node ", name, "'s type: ", type, "\n")
                    : absl::StrCat(type, "\n"),
              "", kClOk};
    }
    if (command == "listhblinks") {
      QueryAnswer a{human ? "\tthis node have the following heartbeat links:\n" : "", "", kClOk};
      if (node != nullptr) {
        for (const std::string& m : MediaOf(status, *node)) {
          absl::StrAppend(&a.out, "\t", LinkName(m), "\n");
        }
      } else {
        absl::StrAppend(&a.out, "\t", name, "\n");
      }
      return a;
    }
    const std::string word =
        node != nullptr ? NodeWord(*node) : (ping->value("reached", false) ? "ping" : "dead");
    const bool ok = word == "active" || word == "up" || word == "ping";
    return {human ? absl::StrCat("The cluster node ", name, " is ", word, "\n")
                  : absl::StrCat(word, "\n"),
            "", ok ? kClOk : kClNormalFail};
  }
  if (command == "hblinkstatus") {
    if (!need(2)) return Fail(kClParameterError, "No enough parameter.\n");
    const json* node = FindNode(status, args[0]);
    if (node == nullptr) return Fail(kClUnknownError, "Cannot get heartbeat link status\n");
    std::string word;
    if (node->value("local", false)) {
      for (const std::string& m : MediaOf(status, *node)) {
        if (m == args[1] || LinkName(m) == args[1]) word = "up";
      }
    } else if (node->contains("media")) {
      for (const json& m : (*node)["media"]) {
        if (S(m, "name") == args[1] || LinkName(S(m, "name")) == args[1]) {
          word = S(m, "link") == "up" ? "up" : "dead";
        }
      }
    }
    if (word.empty()) return Fail(kClUnknownError, "Cannot get heartbeat link status\n");
    return {human ? absl::StrCat("The node ", args[0], "'s heartbeat link ", args[1], " is ",
                                 word, "\n")
                  : absl::StrCat(word, "\n"),
            "", word == "up" ? kClOk : kClNormalFail};
  }
  if (command == "clientstatus") {
    // Heartbeat's clients are API programs (ipfail, crmd); tachy's one
    // client is the action runner, on every node: "tachy-actions".
    if (!need(2)) return Fail(kClParameterError, "No enough parameter.\n");
    const json* node = FindNode(status, args[0]);
    if (node == nullptr) {
      return Fail(kClUnknownError,
                  absl::StrCat("Cannot get heartbeat client ", args[1], "'s status\n"));
    }
    bool online = false;
    if (args[1] == "tachy-actions" || args[1] == "actions") {
      if (node->value("local", false)) {
        online = S(status, "actions") == "connected";
      } else {
        online = NodeWord(*node) == "active";
      }
    }
    return {online ? "online\n" : "offline\n", "", online ? kClOk : kClNormalFail};
  }
  if (command == "rscstatus") {
    const std::string word = ResourceWord(status);
    return {human ? absl::StrCat("This node is holding ", word, " resources.\n")
                  : absl::StrCat(word, "\n"),
            "", kClOk};
  }
  if (command == "hbparameter") {
    std::string name;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "-p") name = args[i + 1];
    }
    if (name.empty()) return Fail(kClParameterError, "parameter name required\n");
    std::string value;
    if (name == "keepalive" || name == "deadtime" || name == "warntime" ||
        name == "initdead") {
      value = Timing(status, absl::StrCat(name, "_ms").c_str());
    } else if (name == "cluster") {
      value = S(status, "cluster");
    } else if (name == "node") {
      for (const json& n : status["nodes"]) {
        absl::StrAppend(&value, value.empty() ? "" : " ", S(n, "name"));
      }
    }
    if (value.empty()) {
      return Fail(kClNormalFail, absl::StrCat("Cannot get parameter ", name, "'s value\n"));
    }
    return {human ? absl::StrCat("Heartbeat parameter ", name, "'s value: ", value, "\n")
                  : absl::StrCat(value, "\n"),
            "", kClOk};
  }
  return Fail(kClParameterError, absl::StrCat(command, ": invalid sub-command.\n"));
}

}  // namespace tachy
