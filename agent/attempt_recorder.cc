#include "agent/attempt_recorder.h"

#include <optional>
#include <utility>
#include <vector>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "agent/dispatch_translate.h"
#include "agent/process_group.h"

namespace tminus::agent {
namespace {

// `text`, or "***" when it holds any of `secrets`.
std::string Masked(const std::string& text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (!secret.empty() && text.find(secret) != std::string::npos) return "***";
  }
  return text;
}

}  // namespace

std::string DescribeAction(const ActionRequest& request) {
  switch (request.kind) {
    case Action::Kind::kCommand: {
      if (request.argv.empty()) return "command";
      const size_t arguments = request.argv.size() - 1;
      return absl::StrCat(
          "command ", Masked(request.argv[0], request.secret_values),
          arguments == 0
              ? ""
              : absl::StrCat(" with ", arguments, arguments == 1 ? " argument" : " arguments"));
    }
    case Action::Kind::kShell:
      return absl::StrCat("shell script (", request.shell.size(), " bytes)");
    case Action::Kind::kProbe:
      switch (request.probe.kind) {
        case Probe::Kind::kTcp:
          return absl::StrCat("probe tcp ",
                              Masked(request.probe.address.value, request.secret_values));
        case Probe::Kind::kDns:
          return absl::StrCat("probe dns ",
                              Masked(request.probe.name.value, request.secret_values));
        case Probe::Kind::kHttp:
          return "probe http";  // a URL may carry a token in its query
      }
  }
  return "unknown action";
}

std::string RestartedError(const std::string& what_became) {
  return absl::StrCat(
      "the agent restarted while this attempt ran, so its outcome is unknown (it may have "
      "done some, all or none of its work); ",
      what_became);
}

AttemptRecorder::AttemptRecorder(StateDir* state, EventLog& log,
                                 std::chrono::milliseconds kill_grace)
    : state_(state), log_(log), kill_grace_(kill_grace) {}

absl::Status AttemptRecorder::Recover(AttemptStore& store, int64_t now_unix_ms) {
  if (state_ == nullptr) return absl::OkStatus();
  absl::StatusOr<StateDir::Contents> contents = state_->Load();
  if (!contents.ok()) return contents.status();
  for (const std::string& note : contents->notes) log_.Line(note);
  for (const v1::DispatchId& id : contents->acknowledged) {
    store.RememberAcknowledged(AttemptKey(id));
  }
  size_t kept = 0, interrupted = 0;
  for (v1::AttemptRecord& record : contents->attempts) {
    const std::string key = AttemptKey(record.id());
    const std::string label = AttemptLabel(record.id());
    if (record.has_result()) {
      // Whether the previous process got to send it is unknown: it counts as sent, so it
      // goes out marked redelivered, which is what the coordinator may have seen.
      store.AdmitFinished(record.id(), record.result());
      store.MarkSent(key);
      ++kept;
      continue;
    }
    std::string what_became = "it started no process";
    if (record.has_process_group()) {
      const OrphanStop stopped = StopOrphanedGroup(record.process_group(), kill_grace_);
      what_became = stopped.text;
    }
    log_.Line(absl::StrCat(label, " (", record.action(), ") was running when the agent stopped; ",
                           what_became, "; it is reported failed"));
    v1::Result result = FailedResult(record.id(), RestartedError(what_became), now_unix_ms);
    *record.mutable_result() = result;
    if (absl::Status saved = state_->Save(record); !saved.ok()) {
      log_.Line(absl::StrCat("cannot record the result of ", label, ": ", saved.message()));
    }
    store.AdmitFinished(record.id(), std::move(result));
    ++interrupted;
  }
  if (kept + interrupted > 0 || !contents->acknowledged.empty()) {
    log_.Line(absl::StrCat("restored from ", state_->path(), ": ", kept,
                           " result(s) to deliver again, ", interrupted,
                           " attempt(s) interrupted by the restart, ",
                           contents->acknowledged.size(), " acknowledged id(s)"));
  }
  return absl::OkStatus();
}

absl::Status AttemptRecorder::Started(const AttemptStore::Attempt& attempt) {
  if (state_ == nullptr) return absl::OkStatus();
  v1::AttemptRecord record;
  *record.mutable_id() = attempt.id;
  record.set_action(DescribeAction(attempt.request));
  record.set_started_unix_ms(attempt.started_unix_ms);
  record.set_agent_pid(static_cast<int32_t>(::getpid()));
  if (absl::Status saved = state_->Save(record); !saved.ok()) return saved;
  running_[attempt.key] = std::move(record);
  return absl::OkStatus();
}

void AttemptRecorder::Spawned(const std::string& key, pid_t pid) {
  auto found = running_.find(key);
  if (state_ == nullptr || found == running_.end()) return;  // already finished
  std::optional<v1::ProcessGroup> group = DescribeProcessGroup(pid);
  if (!group) return;  // already reaped: its result is on the way
  *found->second.mutable_process_group() = *std::move(group);
  if (absl::Status saved = state_->Save(found->second); !saved.ok()) {
    log_.Line(absl::StrCat("cannot record the process group of ", AttemptLabel(found->second.id()),
                           ": ", saved.message(),
                           "; if the agent dies, it cannot be stopped by the next one"));
  }
}

void AttemptRecorder::Finished(const AttemptStore::Attempt& attempt) {
  v1::AttemptRecord record;
  if (auto found = running_.find(attempt.key); found != running_.end()) {
    record = std::move(found->second);
    running_.erase(found);
  }
  if (state_ == nullptr) return;
  *record.mutable_id() = attempt.id;
  *record.mutable_result() = attempt.result;
  record.mutable_result()->clear_redelivered();
  if (absl::Status saved = state_->Save(record); !saved.ok()) {
    log_.Line(absl::StrCat("cannot record the result of ", AttemptLabel(attempt.id), ": ",
                           saved.message(),
                           "; it is kept in memory only and is lost if the agent stops before "
                           "the coordinator acknowledges it"));
  }
}

void AttemptRecorder::Acknowledged(const v1::DispatchId& id) {
  if (state_ == nullptr) return;
  // The id first: a crash between the two writes then leaves a file that the next start
  // recognises as acknowledged and removes, never an attempt that could run again.
  if (absl::Status remembered = state_->Acknowledge(id); !remembered.ok()) {
    // Better a result delivered again after a restart (the coordinator takes a journaled
    // one as a duplicate) than an id forgotten, whose dispatch could then run again.
    log_.Line(absl::StrCat("cannot record that ", AttemptLabel(id), " was acknowledged: ",
                           remembered.message(), "; its result is kept on disk"));
    return;
  }
  if (absl::Status forgotten = state_->Forget(id); !forgotten.ok()) {
    log_.Line(absl::StrCat("cannot forget ", AttemptLabel(id), ": ", forgotten.message()));
  }
}

}  // namespace tminus::agent
