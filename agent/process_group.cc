#include "agent/process_group.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <dirent.h>
#include <signal.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace tminus::agent {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPollInterval{20};
constexpr std::chrono::milliseconds kAfterSigkill{1000};

// What /proc/PID/stat says about one process.
struct ProcessStat {
  pid_t pid = 0;
  char state = '?';
  pid_t group = 0;
  pid_t session = 0;
  uint64_t start_ticks = 0;
};

std::string ReadSmall(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcessStat> ReadStat(pid_t pid) {
  const std::string text = ReadSmall(absl::StrCat("/proc/", pid, "/stat"));
  // "PID (COMM) STATE PPID PGRP SESSION ... STARTTIME(22nd) ...": COMM may hold spaces and
  // parentheses, so the fields are counted from the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return std::nullopt;
  const std::vector<std::string> fields =
      absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
  ProcessStat stat;
  stat.pid = pid;
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  stat.state = fields[0][0];
  if (!absl::SimpleAtoi(fields[2], &stat.group) || !absl::SimpleAtoi(fields[3], &stat.session) ||
      !absl::SimpleAtoi(fields[19], &stat.start_ticks)) {
    return std::nullopt;
  }
  return stat;
}

// Every process in group `pgid`, zombies included.
std::vector<ProcessStat> Members(pid_t pgid) {
  std::vector<ProcessStat> members;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return members;
  while (const dirent* entry = ::readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid <= 0) continue;
    std::optional<ProcessStat> stat = ReadStat(pid);
    if (stat && stat->group == pgid) members.push_back(*stat);
  }
  ::closedir(proc);
  return members;
}

// A zombie has ended: only its parent's wait is left, which is not the agent's to do.
bool AnyRunning(const std::vector<ProcessStat>& members) {
  for (const ProcessStat& member : members) {
    if (member.state != 'Z' && member.state != 'X') return true;
  }
  return false;
}

bool WaitEnded(pid_t pgid, std::chrono::milliseconds bound) {
  const Clock::time_point until = Clock::now() + bound;
  while (AnyRunning(Members(pgid))) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

std::string Seconds(std::chrono::milliseconds duration) {
  return absl::StrFormat("%.1fs", static_cast<double>(duration.count()) / 1000.0);
}

}  // namespace

std::string CurrentBootId() {
  return std::string(absl::StripAsciiWhitespace(ReadSmall("/proc/sys/kernel/random/boot_id")));
}

std::optional<v1::ProcessGroup> DescribeProcessGroup(pid_t pid) {
  std::optional<ProcessStat> stat = ReadStat(pid);
  if (!stat) return std::nullopt;
  v1::ProcessGroup group;
  group.set_pgid(stat->group);
  group.set_session_id(stat->session);
  group.set_leader_start_ticks(stat->group == pid ? stat->start_ticks : 0);
  group.set_boot_id(CurrentBootId());
  return group;
}

OrphanStop StopOrphanedGroup(const v1::ProcessGroup& group, std::chrono::milliseconds grace) {
  using Outcome = OrphanStop::Outcome;
  const pid_t pgid = group.pgid();
  const std::string name = absl::StrCat("process group ", pgid);
  if (pgid <= 1) return {Outcome::kNotOurs, "no valid process group was recorded for it"};
  const std::string boot = CurrentBootId();
  if (!group.boot_id().empty() && !boot.empty() && boot != group.boot_id()) {
    return {Outcome::kOtherBoot,
            absl::StrCat("the host has restarted since it started, so nothing of its ", name,
                         " runs any more")};
  }
  const std::vector<ProcessStat> members = Members(pgid);
  if (!AnyRunning(members)) {
    if (members.empty() && ::kill(-pgid, 0) == 0) {
      return {Outcome::kNotOurs, absl::StrCat(name,
                                              " exists but /proc does not show its "
                                              "processes, so it cannot be checked and was "
                                              "left alone")};
    }
    return {Outcome::kGone, absl::StrCat("its ", name, " had already ended")};
  }
  for (const ProcessStat& member : members) {
    const bool other_session = member.session != group.session_id();
    const bool newer_leader = member.pid == pgid && group.leader_start_ticks() != 0 &&
                              member.start_ticks != group.leader_start_ticks();
    if (other_session || newer_leader) {
      return {Outcome::kNotOurs,
              absl::StrCat(name,
                           " now belongs to other processes (the number was reused), so it "
                           "was left alone")};
    }
  }
  if (::kill(-pgid, SIGTERM) != 0 && errno != ESRCH) {
    const int error = errno;
    return {Outcome::kSurvived,
            absl::StrCat("its ", name, " is still running: it cannot be signalled (",
                         std::strerror(error), ")")};
  }
  if (WaitEnded(pgid, grace)) {
    return {Outcome::kKilled,
            absl::StrCat("its ", name, " was still running and has been killed (SIGTERM)")};
  }
  ::kill(-pgid, SIGKILL);
  if (WaitEnded(pgid, kAfterSigkill)) {
    return {Outcome::kKilled, absl::StrCat("its ", name,
                                           " was still running and has been killed (SIGKILL "
                                           "after SIGTERM was ignored for ",
                                           Seconds(grace), ")")};
  }
  return {Outcome::kSurvived, absl::StrCat("its ", name, " is still running after SIGKILL")};
}

}  // namespace tminus::agent
