#include "coordinator/result_merge.h"

#include <algorithm>

namespace tminus {
namespace {

std::string Sections(const std::vector<std::pair<std::string, ActionResult>>& results,
                     std::string ActionResult::*tail) {
  std::string out;
  for (const auto& [agent, r] : results) {
    if ((r.*tail).empty()) continue;
    out += "== " + agent + " ==\n" + r.*tail;
    if (out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace

ActionResult MergeResults(const std::vector<std::pair<std::string, ActionResult>>& results) {
  if (results.size() == 1) return results.front().second;
  ActionResult merged;
  merged.ok = true;
  merged.exit_code = results.empty() ? -1 : results.front().second.exit_code;
  bool first_failure = true;
  for (const auto& [agent, r] : results) {
    merged.duration = std::max(merged.duration, r.duration);
    merged.timed_out = merged.timed_out || r.timed_out;
    merged.cancelled = merged.cancelled || r.cancelled;
    if (r.ok) continue;
    merged.ok = false;
    if (first_failure) merged.exit_code = r.exit_code;
    first_failure = false;
    if (!merged.error.empty()) merged.error += "; ";
    merged.error += agent + ": " + (r.error.empty() ? "failed" : r.error);
  }
  merged.stdout_tail = Sections(results, &ActionResult::stdout_tail);
  merged.stderr_tail = Sections(results, &ActionResult::stderr_tail);
  return merged;
}

}  // namespace tminus
