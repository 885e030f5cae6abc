#include "engine/executors/leftovers.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

namespace tminus {
namespace {

// Whether the NUL-separated environment block holds `entry` ("NAME=value") exactly.
bool HasEntry(const std::string& block, const std::string& entry) {
  for (size_t at = 0; at < block.size();) {
    const size_t end = std::min(block.find('\0', at), block.size());
    if (block.compare(at, end - at, entry) == 0) return true;
    at = end + 1;
  }
  return false;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The process group and session of a process from /proc/PID/stat ("pid (comm) state ppid
// pgrp session ..."; the command name may hold spaces and parentheses, so the fields are
// read after the last ')').
bool GroupAndSession(const std::string& stat, pid_t* pgid, pid_t* sid) {
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 1));
  char state = 0;
  long ppid = 0, group = 0, session = 0;
  if (!(fields >> state >> ppid >> group >> session)) return false;
  if (state == 'Z' || state == 'X') return false;  // already gone, only not yet reaped
  *pgid = static_cast<pid_t>(group);
  *sid = static_cast<pid_t>(session);
  return true;
}

// Running, as opposed to ended (a zombie waits only for its parent to collect it).
bool Running(pid_t pid, const std::string& proc) {
  pid_t pgid = 0, sid = 0;
  return GroupAndSession(ReadAll(proc + "/" + std::to_string(pid) + "/stat"), &pgid, &sid);
}

}  // namespace

std::vector<Leftover> FindLeftovers(const std::string& run_id, const std::string& dispatch_id,
                                    const std::string& proc) {
  std::vector<Leftover> found;
  if (run_id.empty() || dispatch_id.empty()) return found;
  const std::string run_entry = std::string(kRunIdVariable) + "=" + run_id;
  const std::string dispatch_entry = std::string(kDispatchIdVariable) + "=" + dispatch_id;
  DIR* dir = opendir(proc.c_str());
  if (dir == nullptr) return found;
  const pid_t own_group = getpgrp();
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    const std::string base = proc + "/" + name;
    // Unreadable (another user's process, or one that just ended) reads as empty.
    const std::string environment = ReadAll(base + "/environ");
    if (!HasEntry(environment, dispatch_entry) || !HasEntry(environment, run_entry)) continue;
    Leftover leftover;
    leftover.pid = static_cast<pid_t>(std::stol(name));
    pid_t sid = 0;
    if (!GroupAndSession(ReadAll(base + "/stat"), &leftover.pgid, &sid)) continue;
    if (leftover.pgid == sid || leftover.pgid == own_group || leftover.pgid <= 1) continue;
    found.push_back(leftover);
  }
  closedir(dir);
  std::sort(found.begin(), found.end(),
            [](const Leftover& a, const Leftover& b) { return a.pid < b.pid; });
  return found;
}

std::vector<pid_t> StopLeftovers(const std::vector<Leftover>& leftovers, Millis grace) {
  std::vector<pid_t> pids;
  std::set<pid_t> groups;
  for (const Leftover& leftover : leftovers) {
    pids.push_back(leftover.pid);
    groups.insert(leftover.pgid);
  }
  for (pid_t group : groups) killpg(group, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  const auto any_running = [&pids] {
    return std::any_of(pids.begin(), pids.end(), [](pid_t pid) { return Running(pid, "/proc"); });
  };
  while (any_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Also whatever joined the groups since they were found.
  for (pid_t group : groups) killpg(group, SIGKILL);
  return pids;
}

}  // namespace tminus
