// cl_status_queries.h: Heartbeat's cl_status sub-commands, answered from
// tachyd's status document, with cl_status's words and exit codes, so a
// script written for Heartbeat ports by changing the command's name
// (`cl_status nodestatus b` -> `tachyctl nodestatus b`).
//
// Pure: the caller fetches the document (or learns tachyd is unreachable)
// and prints the answer. The mapping of tachy's states onto Heartbeat's
// words is in the README ("cl_status queries").
#ifndef TACHY_TOOLS_CL_STATUS_QUERIES_H_
#define TACHY_TOOLS_CL_STATUS_QUERIES_H_

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tachy {

// cl_status's exit codes.
inline constexpr int kClOk = 0;
inline constexpr int kClNormalFail = 1;  // the node/link/daemon is down
inline constexpr int kClParameterError = 11;
inline constexpr int kClTimeout = 12;
inline constexpr int kClUnknownError = 13;

struct QueryAnswer {
  std::string out;  // for stdout, newline-terminated
  std::string err;  // for stderr, newline-terminated, or empty
  int exit_code = kClOk;
};

// IsClStatusQuery()
//
// Whether `command` is one of the sub-commands answered here: hbstatus,
// listnodes, nodestatus, nodetype, listhblinks, hblinkstatus, clientstatus,
// rscstatus, hbparameter.
bool IsClStatusQuery(const std::string& command);

// AnswerClStatus()
//
// `args` are the sub-command's arguments (after the command word);
// `human` is cl_status's -m (sentences instead of one word). `status` is
// tachyd's status document, or null when tachyd could not be reached.
QueryAnswer AnswerClStatus(const std::string& command, const std::vector<std::string>& args,
                           bool human, const nlohmann::json& status);

}  // namespace tachy

#endif  // TACHY_TOOLS_CL_STATUS_QUERIES_H_
