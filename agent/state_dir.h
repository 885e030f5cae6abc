// The agent's state directory (--state-dir): what must outlive the agent process so that a
// crash, an OOM kill, a restart or a reboot never loses a result the coordinator has not
// journaled, and never lets an attempt run twice. Layout:
//
//   DIR/lock                 flock()ed by the agent that uses DIR; holds its PID
//   DIR/attempts/NAME.attempt   one AttemptRecord per attempt that started and is not yet
//                            acknowledged: written when it starts, rewritten when its
//                            process group is known and when it finishes, removed on ack
//   DIR/acknowledged         the ids acknowledged recently, one per line, appended to
//   DIR/damaged/             files that could not be read, moved aside (never deleted)
//
// Why a file per attempt rather than one log for everything: an attempt changes a handful
// of times in its life, each change replaces one small file atomically (temporary file,
// fsync, rename, fsync of the directory), and removing it on ack is an unlink, so nothing
// ever needs compacting and a damaged file costs that attempt alone. Acknowledged ids are
// the opposite case: many tiny entries that only ever grow, read once at start, so they go
// to an append-only file (one write and fdatasync per ack) that is rewritten whole when it
// holds twice as many ids as are remembered.
//
// Every write is durable when the call returns. Nothing here holds env values, arguments
// after the program, or secrets: AttemptRecord carries only a summary of the action, and
// results whose output the executor has already redacted. Not thread-safe: the agent's
// strand owns it.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "tminus/v1/agent_state.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus::agent {

struct StateDirOptions {
  // Acknowledged ids kept (as AttemptStoreOptions::remembered_acks).
  size_t remembered_acks = 4096;
};

class StateDir {
 public:
  // Opens `path` for this process alone: creates it (mode 0700) when it is missing, and
  // refuses, with a message naming `path`, what is not a directory, a directory the agent
  // cannot write, and one that another agent holds (with that agent's PID when it can be
  // read). The lock lasts as long as the object (and ends with the process, however it dies).
  static absl::StatusOr<std::unique_ptr<StateDir>> Open(const std::string& path,
                                                        StateDirOptions options = {});
  ~StateDir();
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  // What the previous process left.
  struct Contents {
    // Finished attempts (in the order they finished), then attempts that were running.
    std::vector<v1::AttemptRecord> attempts;
    // Oldest first; at most remembered_acks.
    std::vector<v1::DispatchId> acknowledged;
    // For the log: every file moved aside, removed or partly ignored, and why.
    std::vector<std::string> notes;
  };
  // Reads the directory. A file that cannot be trusted (truncated, garbage, another
  // version) is moved to DIR/damaged/ and named in `notes`; the others are still read. An
  // attempt file whose id was acknowledged (the agent died between the two writes) is
  // removed. Fails only when the directory itself cannot be read.
  absl::StatusOr<Contents> Load();

  // Writes (or replaces) the record of `record.id()`.
  absl::Status Save(const v1::AttemptRecord& record);
  // Removes the record of `id`; fine when there is none.
  absl::Status Forget(const v1::DispatchId& id);
  // Remembers that `id` was acknowledged. Call before Forget, so that a crash between the
  // two leaves an attempt that Load recognises as acknowledged, never a forgotten one.
  absl::Status Acknowledge(const v1::DispatchId& id);

  const std::string& path() const { return path_; }
  // The file that holds `id`'s record (it may not exist).
  std::string AttemptPath(const v1::DispatchId& id) const;

 private:
  StateDir(std::string path, int lock_fd, StateDirOptions options);

  std::string AttemptsDir() const { return path_ + "/attempts"; }
  std::string AcknowledgedPath() const { return path_ + "/acknowledged"; }
  // Moves `file` (a name in `dir`) to DIR/damaged/ and notes why.
  void MoveAside(const std::string& dir, const std::string& file, const std::string& why,
                 std::vector<std::string>* notes);
  void LoadAcknowledged(Contents* contents);
  absl::Status LoadAttempts(Contents* contents);
  // Writes the acknowledged file afresh with the entries in `ack_lines_`.
  absl::Status RewriteAcknowledged();

  const std::string path_;
  const int lock_fd_;
  const StateDirOptions options_;
  std::deque<std::string> ack_lines_;  // the acknowledged file's entries, oldest first
  bool ack_file_exists_ = false;
};

}  // namespace tminus::agent
