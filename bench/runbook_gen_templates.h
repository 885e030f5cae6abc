// The step templates of the runbook generator: each stream's playbook for one application,
// the pre-checks before T0, the per-host checks that open a wave and the roll-forward tail,
// and how a template's run or rollback is written out for one application.
#pragma once

#include <climits>
#include <string>
#include <string_view>
#include <vector>

namespace tminus::bench::gen {

enum class Kind { kTask, kCheck, kManual };

// One step as a stream's playbook writes it, with placeholders filled per application:
// {app} (orders-3), {db} (orders_3), {APP} (ORDERS_3), {ip} and {oldip} (its new and old
// VIP) and {n} (01, 02, ... for repeats).
struct Template {
  Kind kind = Kind::kTask;
  const char* stem = "";
  const char* title = "";
  int minutes = 0;               // planned duration; 0: left out (defaults.duration)
  const char* on = "";           // target; "<name" merges the x- anchor (on and env)
  const char* run = "";          // cmd:a|b|c, sh:text, http:url, tcp:host:port, dns:name=address
  const char* env = "";          // "*anchor" or "NAME=value;NAME=value"
  const char* rollback = "";     // as run, on the same target with the same env
  int rollback_minutes = 0;      // 0: left out (the step's duration)
  int timeout_minutes = 0;       // 0: left out (defaults.timeout, 15m)
  const char* opts = "";         // step keys before run, "key: value" lines
  const char* expect = "";       // "{...}" or "key: value" lines
  const char* owner = "";        // default: the stream's role
  const char* signoff = "";      // manual: lines under signoff
  const char* stream = "";       // pre-check and tail templates: their stream
  bool join = false;             // needs the latest step of every earlier lane of the wave
  int not_before_min = INT_MIN;  // pre-checks: not_before, minutes from T0

  Template& Env(const char* e) {
    env = e;
    return *this;
  }
  Template& Rollback(const char* r, int minutes = 0) {
    rollback = r;
    rollback_minutes = minutes;
    return *this;
  }
  Template& Timeout(int minutes) {
    timeout_minutes = minutes;
    return *this;
  }
  Template& Opts(const char* o) {
    opts = o;
    return *this;
  }
  Template& Expect(const char* e) {
    expect = e;
    return *this;
  }
  Template& Owner(const char* o) {
    owner = o;
    return *this;
  }
  Template& Stream(const char* s) {
    stream = s;
    return *this;
  }
  Template& Join() {
    join = true;
    return *this;
  }
  Template& NotBefore(int minutes) {
    not_before_min = minutes;
    return *this;
  }
};

enum StreamId { kNetwork, kSecurity, kStorage, kDatabase, kCompute, kApplication, kStreams };
inline constexpr const char* kStreamName[kStreams] = {"network",  "security", "storage",
                                                      "database", "compute",  "application"};
inline constexpr const char* kStreamCode[kStreams] = {"net", "sec", "sto", "db", "cmp", "app"};
inline constexpr const char* kStreamRole[kStreams] = {"network", "security", "storage",
                                                      "dba",     "compute",  "app-owner"};

// The role that owns `stream`'s steps; cutover-lead for streams outside kStreamName.
std::string RoleOf(const std::string& stream);

// Each stream's playbook for one application, in the order the steps are done.
const std::vector<Template>& Playbook(int stream);

// Read-only checks before T0, in parallel after the bridge opens.
const std::vector<Template>& PreChecks();

// Checks that fan out from the gate at the start of a wave, one host each.
const std::vector<Template>& WaveChecks();

// Roll-forward work after the point of no return: no rollbacks here.
const std::vector<Template>& TailSteps();

struct App {
  std::string name;   // orders-3
  std::string db;     // orders_3
  std::string upper;  // ORDERS_3
  std::string ip;     // new VIP
  std::string oldip;  // DC1 VIP
};

// `pattern` with the placeholders filled for `app` and repeat `n`.
std::string Fill(std::string_view pattern, const App& app, int n);

// Writes `spec` (t.run or t.rollback) under `key`, on t's target with t's env; `minutes`
// above 0 sets the action's own duration.
void AppendAction(std::string* out, const char* key, const Template& t, std::string_view spec,
                  int minutes, const App& app, int n);

}  // namespace tminus::bench::gen
