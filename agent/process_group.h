// Finding an attempt's process group again after the agent that started it died, and
// stopping it, without ever signalling an unrelated group that happens to reuse the number.
//
// When the agent is killed, the attempts it was running lose their supervisor but keep
// running (reparented to init). The next agent process stops them, so that nothing runs
// that no coordinator knows about. Process group ids are reused, so a group is only taken
// for the attempt's when /proc (Linux) confirms it:
//   - the boot id is the one recorded (after a reboot nothing of the attempt can run);
//   - every process in the group is in the recorded session (the agent's: an unrelated
//     group that reused the number would be in its own);
//   - the leader, if it is still there, started at the recorded time.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <sys/types.h>

#include "tminus/v1/agent_state.pb.h"

namespace tminus::agent {

// The identity of the process group led by `pid` (a child just spawned in a group of its
// own), or nullopt when /proc no longer shows it.
std::optional<v1::ProcessGroup> DescribeProcessGroup(pid_t pid);

// This boot's id (/proc/sys/kernel/random/boot_id), "" when it cannot be read.
std::string CurrentBootId();

struct OrphanStop {
  enum class Outcome {
    kGone,       // nothing of the group runs any more
    kOtherBoot,  // the host restarted since the attempt started
    kNotOurs,    // the number now belongs to something else, or cannot be checked: left alone
    kKilled,     // it was still running and has been stopped
    kSurvived,   // still running after SIGKILL (or signals were refused)
  };
  Outcome outcome = Outcome::kGone;
  // For the log and the attempt's error, e.g. "its process group 4242 was still running
  // and has been killed (SIGTERM)".
  std::string text;
};

// Stops what is left of `group`: SIGTERM to the whole group, then SIGKILL after `grace`.
// Blocks for at most `grace` plus one second.
OrphanStop StopOrphanedGroup(const v1::ProcessGroup& group, std::chrono::milliseconds grace);

}  // namespace tminus::agent
