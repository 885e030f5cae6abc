// The runbook model: plain structs for every key of the format, each value with the
// line and column it was written at. Built by the loader, read by everything else.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/source_loc.h"
#include "engine/model/time_spec.h"

namespace tminus {

// A value and where it was written. `loc.known()` is false when the key was absent
// (then `value` holds the default).
template <typename T>
struct Sourced {
  T value{};
  SourceLoc loc;

  bool present() const { return loc.known(); }
};

using SourcedString = Sourced<std::string>;
using StringList = std::vector<SourcedString>;

enum class StepType { kTask, kCheck, kManual, kGate, kMilestone };
enum class OnFailure { kPause, kAbort, kRollback, kContinue };
enum class Decision { kGo, kNogo };
enum class OnNogo { kRollback, kAbort };

const char* StepTypeName(StepType type);
const char* OnFailureName(OnFailure value);
const char* DecisionName(Decision value);
const char* OnNogoName(OnNogo value);

// How many distinct people must act: a count, or one for each listed role/person.
struct Quorum {
  bool all = false;
  int count = 1;  // when !all
};

struct Probe {
  enum class Kind { kTcp, kHttp, kDns };
  Kind kind = Kind::kTcp;
  SourcedString address;  // tcp: "host:port"
  SourcedString url;      // http
  Sourced<int> status;    // http: expected status (default 200)
  SourcedString name;     // dns: the name to resolve
  SourcedString expect;   // dns: an address the answer must contain (optional)
};

// What to execute: a run spec (task/check) or a rollback action.
struct Action {
  enum class Kind { kCommand, kShell, kProbe };
  SourcedString on;
  Kind kind = Kind::kCommand;
  SourceLoc loc;  // the `run:` / `rollback:` mapping
  StringList command;   // argv
  SourcedString shell;  // /bin/sh -c
  std::unique_ptr<Probe> probe;  // kProbe only: most actions are commands
  std::vector<std::pair<SourcedString, SourcedString>> env;
  Sourced<Seconds> duration;  // rollback only: planned duration (default: the step's)
};

struct Expect {
  Sourced<int> exit_code;  // default 0
  SourcedString stdout_contains;
};

struct Retries {
  SourceLoc loc;
  Sourced<int> count;
  Sourced<Seconds> delay;
};

struct SignOff {
  SourceLoc loc;
  StringList by;  // empty: the owner
  Sourced<Quorum> quorum;  // default 1
};

struct GateSpec {
  StringList criteria;
  Sourced<bool> override_;
  StringList approvers;
  Sourced<Quorum> quorum;  // default all
  StringList approvers_exclude;
  Sourced<Instant> decide_by;
  Sourced<Decision> on_timeout;  // default nogo
  Sourced<OnNogo> on_nogo;       // default rollback
};

struct Step {
  // What the engine reads for every step comes first, so that it shares a few cache lines
  // (a 100k-step run touches steps in no useful order).
  SourcedString id;
  Sourced<StepType> type;
  Sourced<Seconds> duration;
  Sourced<Seconds> timeout;
  std::unique_ptr<Action> run;
  std::unique_ptr<Action> rollback;
  Sourced<OnFailure> on_failure;
  Retries retries;
  Expect expect;
  Sourced<bool> no_return;          // milestone
  std::unique_ptr<GateSpec> gate;   // gate (always set for gates)
  Sourced<Instant> not_before;
  Sourced<Instant> deadline;
  Sourced<bool> idempotent;
  SourceLoc loc;  // the step's mapping
  SourcedString title;
  SourcedString stream;
  SourcedString owner;
  StringList needs;
  SignOff signoff;                  // manual

  bool automated() const {
    return type.value == StepType::kTask || type.value == StepType::kCheck;
  }
  // The effective idempotency: explicit, else true for checks and false otherwise.
  // Who may sign off a manual step: `signoff.by`, or else its owner.
  StringList Signers() const {
    if (!signoff.by.empty()) return signoff.by;
    return StringList{owner};
  }
  bool IsIdempotent() const {
    return idempotent.present() ? idempotent.value : type.value == StepType::kCheck;
  }
};

struct SshTarget {
  StringList hosts;  // `host` or `hosts`
  Sourced<int> port;  // default 22
  SourcedString user;
  SourcedString identity;
  SourcedString known_hosts;
};

struct Target {
  SourcedString name;
  enum class Kind { kAgents, kSsh };
  Kind kind = Kind::kAgents;
  std::vector<std::pair<SourcedString, SourcedString>> labels;  // agents: all must match
  SshTarget ssh;
};

struct Role {
  SourcedString name;
  StringList people;
};

struct Var {
  SourcedString name;
  SourcedString value;
};

struct Secret {
  SourcedString name;
  enum class Source { kEnv, kFile };
  Source source = Source::kEnv;
  SourcedString ref;  // the variable name or the file path
};

struct Window {
  SourceLoc loc;
  Sourced<Instant> start;  // absolute when present: T0
  Sourced<Instant> end;
};

struct Defaults {
  Sourced<Seconds> timeout;
  Sourced<Seconds> duration;
  Sourced<OnFailure> on_failure;
};

struct Runbook {
  Sourced<int> version;
  SourcedString name;
  SourcedString title;
  SourcedString change;
  SourcedString description;
  Window window;
  std::vector<Role> roles;
  std::vector<Target> targets;
  std::vector<Var> vars;
  std::vector<Secret> secrets;
  Defaults defaults;
  std::vector<Step> steps;

  const Target* FindTarget(std::string_view name) const;
  const Role* FindRole(std::string_view name) const;
  // True when `name` is a role or a person listed under some role.
  bool IsRoleOrPerson(std::string_view name) const;
};

// The planned duration of a step: milestones 0, otherwise its duration (defaults applied
// by the loader), 0 when none is given.
Seconds PlannedDuration(const Step& step);
// The planned duration of a step's rollback action.
Seconds PlannedRollbackDuration(const Step& step);

}  // namespace tminus
