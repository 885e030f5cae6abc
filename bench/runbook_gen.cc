#include "bench/runbook_gen.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string_view>
#include <vector>

#include "bench/runbook_gen_preamble.h"
#include "bench/runbook_gen_templates.h"
#include "bench/runbook_gen_yaml.h"

namespace tminus::bench {
namespace gen {
namespace {

// The earliest not_before (open-bridge), so the plan's origin.
constexpr int64_t kOrigin = -4 * kHour;
// Below this many steps the runbook is one manual step, parallel checks and a milestone.
constexpr int kFullShapeSteps = 24;

// SplitMix64: small, fast and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Percent(int p) { return static_cast<int>(Next() % 100) < p; }

 private:
  uint64_t state_;
};

// One step to write.
struct StepSpec {
  std::string comment;  // lines written before the step
  std::string id;
  std::string title;
  const char* type = "task";
  std::string stream;
  std::string owner;
  std::vector<int> needs;
  int minutes = 0;  // 0: left out (defaults.duration); milestones take none
  std::optional<int64_t> not_before;
  bool deadline = false;  // a deadline derived from the plan
  std::string body;       // rendered keys after duration (run, expect, rollback, signoff...)
  // Gates.
  std::vector<int> criteria;
  bool override_ = false;
  std::vector<std::string> approvers;
  std::string quorum;
  std::vector<int> approvers_exclude;
  int64_t decide_after = 30 * kMinute;  // decide_by: this long after the planned opening
  int64_t decide_by_at_least = INT64_MIN;
  const char* on_nogo = "rollback";
  // Milestones.
  bool no_return = false;
};

struct Planned {
  std::string id;
  int64_t end = 0;
  int dependants = 0;
  bool check = false;
};

class Generator {
 public:
  explicit Generator(const GenOptions& options)
      : steps_(std::max(1, options.steps)), seed_(options.seed), rng_(options.seed) {}

  std::string Run() {
    planned_.reserve(steps_);
    body_.reserve(static_cast<size_t>(steps_) * 560);
    ShuffleApps();
    if (steps_ < kFullShapeSteps) {
      Small();
    } else {
      const int pre = std::clamp(steps_ / 40, 6, 60);
      const int tail = std::clamp(steps_ / 50, 4, 120);
      std::vector<int> waves;
      for (int left = steps_ - pre - tail; left > 0;) {
        const int size = left <= 100 ? left : rng_.Between(50, std::min(100, left - 50));
        waves.push_back(size);
        left -= size;
      }
      wave_digits_ = std::max(2, static_cast<int>(std::to_string(waves.size()).size()));
      waves_ = static_cast<int>(waves.size());
      PrePhase(pre);
      for (size_t w = 0; w < waves.size(); ++w) {
        Wave(static_cast<int>(w) + 1, waves[w], w + 1 == waves.size());
      }
      Tail(tail);
    }
    std::string out = Preamble(planned_.size(), seed_, waves_, kOrigin, plan_end_);
    out.reserve(out.size() + body_.size());
    out += body_;
    return out;
  }

 private:
  // ------------------------------------------------------------------ output of one step

  int Add(StepSpec&& s) {
    const int index = static_cast<int>(planned_.size());
    int64_t start = kOrigin;
    bool has_start = false;
    if (s.not_before) {
      start = *s.not_before;
      has_start = true;
    }
    for (int n : s.needs) {
      start = has_start ? std::max(start, planned_[n].end) : planned_[n].end;
      has_start = true;
      ++planned_[n].dependants;
    }
    const bool milestone = std::string_view(s.type) == "milestone";
    const int64_t duration = milestone ? 0 : (s.minutes > 0 ? s.minutes : 5) * kMinute;
    const int64_t end = start + duration;
    plan_end_ = std::max(plan_end_, end);
    planned_.push_back({s.id, end, 0, std::string_view(s.type) == "check"});

    std::string& out = body_;
    out += s.comment;
    out += "  - id: " + s.id + "\n";
    if (!s.title.empty()) out += "    title: " + Scalar(s.title) + "\n";
    if (std::string_view(s.type) != "task") out += std::string("    type: ") + s.type + "\n";
    if (!s.stream.empty()) out += "    stream: " + s.stream + "\n";
    if (!s.owner.empty()) out += "    owner: " + s.owner + "\n";
    if (!s.needs.empty()) AppendList(&out, 4, "needs", Ids(s.needs), 3);
    if (s.not_before) out += "    not_before: " + TTime(*s.not_before) + "\n";
    if (!milestone && s.minutes > 0) out += "    duration: " + Duration(s.minutes) + "\n";
    if (s.deadline) out += "    deadline: " + TTime(CeilTo(end + kHour, 15 * kMinute)) + "\n";
    out += s.body;
    if (std::string_view(s.type) == "gate") {
      if (!s.criteria.empty()) AppendList(&out, 4, "criteria", Ids(s.criteria), 0);
      if (s.override_) out += "    override: true\n";
      if (!s.approvers.empty()) AppendList(&out, 4, "approvers", s.approvers);
      if (!s.quorum.empty()) out += "    quorum: " + s.quorum + "\n";
      if (!s.approvers_exclude.empty()) {
        AppendList(&out, 4, "approvers_exclude", Ids(s.approvers_exclude));
      }
      if (!s.approvers.empty()) {
        const int64_t by =
            std::max(s.decide_by_at_least, CeilTo(start + s.decide_after, 5 * kMinute));
        out += "    decide_by: " + TTime(by) + "\n";
        out += "    on_timeout: nogo\n";
      }
      out += std::string("    on_nogo: ") + s.on_nogo + "\n";
    }
    if (s.no_return) out += "    no_return: true\n";
    out += "\n";
    return index;
  }

  std::vector<std::string> Ids(const std::vector<int>& steps) const {
    std::vector<std::string> ids;
    ids.reserve(steps.size());
    for (int i : steps) ids.push_back(planned_[i].id);
    return ids;
  }

  // A step from a template: id, title, type, stream, owner, duration and body.
  StepSpec FromTemplate(const Template& t, std::string id, const std::string& stream,
                        const App& app, int n, bool repeat) {
    StepSpec s;
    s.id = std::move(id);
    s.title = Fill(t.title, app, n);
    if (repeat) s.title += " (batch " + std::to_string(n) + ")";
    s.type = t.kind == Kind::kTask ? "task" : t.kind == Kind::kCheck ? "check" : "manual";
    s.stream = *t.stream ? t.stream : stream;
    s.owner = *t.owner ? t.owner : RoleOf(s.stream);
    s.minutes = t.minutes;
    // People round durations differently: some steps leave the default, some pad it (but
    // not past the timeout, or the step would time out as planned).
    const int timeout = t.kind == Kind::kManual ? INT_MAX
                        : t.timeout_minutes > 0 ? t.timeout_minutes
                                                : kDefaultTimeoutMinutes;
    if (s.minutes == 5 && rng_.Percent(30)) {
      s.minutes = 0;
    } else if (s.minutes >= 10 && rng_.Percent(20)) {
      s.minutes = std::min(s.minutes * 3 / 2, timeout);
    }
    if (t.kind == Kind::kManual) {
      if (*t.signoff) {
        s.body += "    signoff:\n";
        AppendLines(&s.body, 6, t.signoff);
      }
      return s;
    }
    if (t.timeout_minutes > 0) s.body += "    timeout: " + Duration(t.timeout_minutes) + "\n";
    AppendLines(&s.body, 4, t.opts);
    AppendAction(&s.body, "run", t, t.run, 0, app, n);
    if (*t.expect) {
      if (t.expect[0] == '{') {
        s.body += std::string("    expect: ") + t.expect + "\n";
      } else {
        s.body += "    expect:\n";
        AppendLines(&s.body, 6, t.expect);
      }
    }
    if (*t.rollback && !no_rollbacks_) {
      AppendAction(&s.body, "rollback", t, t.rollback, t.rollback_minutes, app, n);
    }
    return s;
  }

  // Steps in [from, to) that nothing needs yet.
  std::vector<int> Leaves(int from, int to) const {
    std::vector<int> out;
    for (int i = from; i < to; ++i) {
      if (planned_[i].dependants == 0) out.push_back(i);
    }
    return out;
  }

  static void AddNeed(std::vector<int>* needs, int step) {
    if (std::find(needs->begin(), needs->end(), step) == needs->end()) needs->push_back(step);
  }

  static std::string Banner(const std::string& text) {
    const std::string rule = "  # " + std::string(74, '=') + "\n";
    return rule + "  # " + text + "\n" + rule;
  }

  // ---------------------------------------------------------------------------- sections

  void ShuffleApps() {
    apps_ = {"orders",      "billing",   "crm",         "hr-portal",   "payroll",  "warehouse",
             "pricing",     "ledger",    "search",      "reporting",   "identity", "mail-relay",
             "edi-gateway", "mes",       "plm",         "cms",         "intranet", "ticketing",
             "bi",          "data-lake", "invoicing",   "procurement", "fleet",    "loyalty",
             "catalog",     "shipping",  "returns",     "claims",      "quotes",   "scheduling",
             "timesheets",  "expenses",  "treasury",    "tax",         "assets",   "contracts",
             "compliance",  "audit",     "forecasting", "inventory"};
    for (size_t i = apps_.size() - 1; i > 0; --i) {
      std::swap(apps_[i], apps_[rng_.Next() % (i + 1)]);
    }
  }

  App MakeApp(int wave) const {
    App app;
    const int k = wave - 1;
    app.name = apps_[k % apps_.size()];
    if (k >= static_cast<int>(apps_.size())) {
      app.name += "-" + std::to_string(k / apps_.size() + 1);
    }
    app.db = app.name;
    std::replace(app.db.begin(), app.db.end(), '-', '_');
    app.upper = app.db;
    for (char& c : app.upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string host = std::to_string((k / 250) % 256) + "." + std::to_string(k % 250 + 2);
    app.ip = "10.60." + host;
    app.oldip = "10.20." + host;
    return app;
  }

  StepSpec OpenBridge() {
    StepSpec s;
    s.comment = Banner("Pre-checks (T-04:00 to the first go/no-go): read-only, nothing changes");
    s.id = "open-bridge";
    s.title = "Open the cutover bridge and take the roll call";
    s.type = "manual";
    s.stream = "cutover";
    s.owner = "cutover-lead";
    s.not_before = -4 * kHour;
    s.minutes = 15;
    return s;
  }

  // The milestone that closes the runbook.
  static StepSpec CutoverComplete(std::vector<int> needs) {
    StepSpec s;
    s.id = "cutover-complete";
    s.title = "Cutover complete";
    s.type = "milestone";
    s.stream = "cutover";
    s.needs = std::move(needs);
    return s;
  }

  // One pre-check: needs the bridge, sometimes the previous pre-check.
  int PreCheck(int i, int bridge, int previous) {
    const std::vector<Template>& pre = PreChecks();
    const Template& t = pre[i % pre.size()];
    const int cycle = i / static_cast<int>(pre.size());
    std::string id = std::string("pre-") + t.stem;
    if (cycle > 0) id += "-" + std::to_string(cycle + 1);
    StepSpec s = FromTemplate(t, std::move(id), t.stream, App{}, cycle + 1, cycle > 0);
    s.needs.push_back(previous >= 0 && rng_.Percent(15) ? previous : bridge);
    if (t.not_before_min != INT_MIN) s.not_before = t.not_before_min * kMinute;
    return Add(std::move(s));
  }

  void Small() {
    const int bridge = Add(OpenBridge());
    int previous = -1;
    for (int i = 0; i + 2 < steps_; ++i) previous = PreCheck(i, bridge, previous);
    if (steps_ >= 2) {
      StepSpec done = CutoverComplete(Leaves(0, static_cast<int>(planned_.size())));
      done.comment = Banner("Done");
      Add(std::move(done));
    }
  }

  void PrePhase(int budget) {
    const int bridge = Add(OpenBridge());

    StepSpec change;
    change.id = "confirm-change-approved";
    change.title = "Confirm the change is approved and in Scheduled state";
    change.type = "check";
    change.stream = "cutover";
    change.owner = "change-manager";
    change.not_before = -4 * kHour;
    change.minutes = 2;
    change.body =
        "    on_failure: abort\n"
        "    run:\n"
        "      on: local\n"
        "      command: [/opt/cutover/bin/snow-change-state, --change, \"${change_id}\", "
        "--expect, scheduled]\n"
        "      env: {SNOW_TOKEN: \"${secrets.snow_token}\"}\n"
        "    expect: {exit_code: 0, stdout_contains: \"state=scheduled\"}\n";
    const int approved = Add(std::move(change));

    StepSpec freeze;
    freeze.id = "confirm-change-freeze";
    freeze.title = "Confirm the change freeze is in force (no open releases)";
    freeze.type = "manual";
    freeze.stream = "cutover";
    freeze.owner = "change-manager";
    freeze.needs = {bridge, approved};
    freeze.minutes = 15;
    freeze.body = "    signoff: {by: [change-manager, app-owner], quorum: all}\n";
    const int freeze_step = Add(std::move(freeze));

    StepSpec notice;
    notice.id = "send-start-notice";
    notice.title = "Send the cutover start notice to stakeholders";
    notice.stream = "cutover";
    notice.owner = "cutover-lead";
    notice.needs = {freeze_step};
    notice.body =
        "    on_failure: continue\n"
        "    run:\n"
        "      on: local\n"
        "      command: [/opt/cutover/bin/notify, --template, cutover-start, --change, "
        "\"${change_id}\", --list, \"${notify_list}\"]\n"
        "    rollback:\n"
        "      on: local\n"
        "      command: [/opt/cutover/bin/notify, --template, cutover-cancelled, --change, "
        "\"${change_id}\", --list, \"${notify_list}\"]\n";
    Add(std::move(notice));

    const int first_check = static_cast<int>(planned_.size());
    int previous = -1;
    for (int i = 0; i < budget - 5; ++i) previous = PreCheck(i, bridge, previous);

    StepSpec gate;
    gate.id = "gng-start";
    gate.title = "GO/NO-GO: start the cutover";
    gate.type = "gate";
    gate.stream = "cutover";
    gate.owner = "cutover-lead";
    gate.needs = Leaves(0, static_cast<int>(planned_.size()));
    gate.not_before = -20 * kMinute;
    gate.minutes = 15;
    gate.criteria.push_back(freeze_step);
    for (int i = first_check;
         i < static_cast<int>(planned_.size()) && static_cast<int>(gate.criteria.size()) < 7; ++i) {
      if (planned_[i].check && rng_.Percent(60)) gate.criteria.push_back(i);
    }
    gate.approvers = {"cutover-lead", "change-manager", "app-owner"};
    gate.quorum = "all";
    gate.decide_after = 20 * kMinute;
    gate.decide_by_at_least = 0;
    gate.on_nogo = "abort";
    last_gate_ = Add(std::move(gate));
  }

  void Wave(int wave, int budget, bool last) {
    const App app = MakeApp(wave);
    const std::string prefix = "w" + Pad(wave, wave_digits_);
    const int entry = last_gate_;
    const int64_t entry_end = planned_[entry].end;

    // Shape: K pre-checks, S streams, and the lanes get the rest.
    int checks = rng_.Between(4, 12);
    int streams = rng_.Between(3, kStreams);
    checks = std::min(checks, std::max(1, (budget - 3) / 4));
    streams = std::min(streams, std::max(1, (budget - 3 - checks) / 2));
    const int lane_steps = budget - 3 - checks - streams;
    std::vector<int> chosen(kStreams);
    for (int i = 0; i < kStreams; ++i) chosen[i] = i;
    for (int i = kStreams - 1; i > 0; --i) std::swap(chosen[i], chosen[rng_.Next() % (i + 1)]);
    chosen.resize(streams);
    std::sort(chosen.begin(), chosen.end());
    std::vector<int> lengths(streams, 1);
    std::vector<int> weights(streams);
    int weight_sum = 0;
    for (int& w : weights) weight_sum += (w = rng_.Between(2, 5));
    int assigned = streams;
    for (int i = 0; i < streams; ++i) {
      const int extra = (lane_steps - streams) * weights[i] / weight_sum;
      lengths[i] += extra;
      assigned += extra;
    }
    for (int i = 0; assigned < lane_steps; i = (i + 1) % streams, ++assigned) ++lengths[i];

    std::string names;
    for (int s : chosen) names += std::string(names.empty() ? "" : ", ") + kStreamName[s];
    std::string comment = Banner("Wave " + std::to_string(wave) + " of " + std::to_string(waves_) +
                                 ": " + app.name + " (" + names + ")");

    // Pre-checks fan out from the gate and fan in to a milestone.
    const std::vector<Template>& wave_checks = WaveChecks();
    std::vector<int> prechecks;
    for (int i = 0; i < checks; ++i) {
      const Template& t = wave_checks[i % wave_checks.size()];
      const int host = i / static_cast<int>(wave_checks.size()) + 1;
      StepSpec s = FromTemplate(t, prefix + "-pre-" + t.stem + "-" + Pad(host, 2), t.stream, app,
                                host, false);
      s.comment = std::move(comment);
      comment.clear();
      s.needs.push_back(entry);
      prechecks.push_back(Add(std::move(s)));
    }
    StepSpec ready;
    ready.id = prefix + "-prechecks-done";
    ready.title = "Pre-checks for " + app.name + " passed";
    ready.type = "milestone";
    ready.stream = "cutover";
    ready.needs = prechecks;
    const int ready_step = Add(std::move(ready));

    // One lane per stream; later lanes may need earlier ones (fan-in across streams).
    std::vector<std::vector<int>> lanes;
    std::vector<int> lane_checks;
    int uat = -1;
    for (int l = 0; l < streams; ++l) {
      const int stream = chosen[l];
      const std::vector<Template>& book = Playbook(stream);
      std::vector<int> lane;
      for (int j = 0; j < lengths[l]; ++j) {
        const Template& t = book[j % book.size()];
        const int cycle = j / static_cast<int>(book.size());
        std::string id = prefix + "-" + kStreamCode[stream] + "-" + t.stem;
        if (cycle > 0) id += "-" + std::to_string(cycle + 1);
        StepSpec s = FromTemplate(t, std::move(id), kStreamName[stream], app, cycle + 1, cycle > 0);
        if (j == 0) {
          s.comment = "  # -- " + std::string(kStreamName[stream]) + " --\n";
          // The first lane always waits for the pre-checks; others may start off the gate.
          s.needs.push_back(l == 0 || rng_.Percent(60) ? ready_step : entry);
          if (rng_.Percent(20)) {
            s.not_before = std::max<int64_t>(0, CeilTo(entry_end, 15 * kMinute));
          }
        } else {
          const int r = rng_.Between(0, 99);
          if (j >= 2 && r < 20) {
            s.needs.push_back(lane[j - 2]);  // a parallel branch
          } else if (j >= 2 && r < 35) {
            s.needs = {lane[j - 1], lane[j - 2]};  // branches join
          } else {
            s.needs.push_back(lane[j - 1]);
          }
        }
        if (t.join || rng_.Percent(8)) {
          for (const std::vector<int>& other : lanes) AddNeed(&s.needs, other.back());
        }
        if (t.kind == Kind::kTask && rng_.Percent(5)) s.deadline = true;
        const int index = Add(std::move(s));
        lane.push_back(index);
        if (t.kind == Kind::kCheck) lane_checks.push_back(index);
        if (t.kind == Kind::kManual && std::string_view(t.stem) == "uat") uat = index;
      }
      lanes.push_back(std::move(lane));
    }

    // Each lane ends in a milestone that needs whatever in the lane nothing else needs yet.
    std::vector<int> done;
    for (int l = 0; l < streams; ++l) {
      const std::vector<int>& lane = lanes[l];
      StepSpec m;
      m.comment = l == 0 ? "  # -- hand-over --\n" : "";
      m.id = prefix + "-" + kStreamCode[chosen[l]] + "-done";
      m.title = std::string("Wave ") + std::to_string(wave) + " " + kStreamName[chosen[l]] +
                " work complete";
      m.type = "milestone";
      m.stream = kStreamName[chosen[l]];
      for (int i : lane) {
        if (planned_[i].dependants == 0) m.needs.push_back(i);
      }
      AddNeed(&m.needs, lane.back());
      done.push_back(Add(std::move(m)));
    }
    StepSpec handover;
    handover.id = prefix + "-handover";
    handover.title = "Stream leads confirm " + app.name + " is ready for the go/no-go";
    handover.type = "manual";
    handover.stream = "cutover";
    handover.owner = "cutover-lead";
    handover.needs = done;
    handover.minutes = 10;
    {
      std::vector<std::string> by;
      for (int s : chosen) by.push_back(kStreamRole[s]);
      handover.body = "    signoff:\n";
      AppendList(&handover.body, 6, "by", by);
      handover.body += "      quorum: all\n";
    }
    const int handover_step = Add(std::move(handover));

    StepSpec gate;
    gate.id = prefix + "-go-nogo";
    gate.title = last ? "GO/NO-GO go-live: last chance to fall back"
                      : "GO/NO-GO wave " + std::to_string(wave) + ": hand " + app.name +
                            " over to production";
    gate.type = "gate";
    gate.stream = "cutover";
    gate.owner = "cutover-lead";
    gate.needs = {handover_step};
    for (int d : done) gate.needs.push_back(d);
    gate.minutes = rng_.Percent(50) ? 15 : 10;
    gate.criteria.push_back(handover_step);
    const int wanted = rng_.Between(1, 4);
    for (int tries = 0;
         tries < 8 && !lane_checks.empty() && static_cast<int>(gate.criteria.size()) <= wanted;
         ++tries) {
      AddNeed(&gate.criteria, lane_checks[rng_.Next() % lane_checks.size()]);
    }
    static const char* const kApprovers[] = {"cutover-lead", "change-manager", "app-owner",
                                             "business-owner"};
    if (last) {
      gate.approvers = {"business-owner", "app-owner", "cutover-lead"};
      gate.quorum = "all";
      gate.override_ = true;
    } else {
      gate.approvers.push_back("cutover-lead");
      for (int i = 1; i < 4; ++i) {
        if (rng_.Percent(55)) gate.approvers.push_back(kApprovers[i]);
      }
      if (gate.approvers.size() == 1) gate.approvers.push_back("app-owner");
      gate.quorum = rng_.Percent(70) ? "all" : "2";
      gate.override_ = rng_.Percent(15);
    }
    if (uat >= 0 && (last || rng_.Percent(50))) gate.approvers_exclude.push_back(uat);
    last_gate_ = Add(std::move(gate));
  }

  void Tail(int budget) {
    StepSpec ponr;
    ponr.comment = Banner("POINT OF NO RETURN. After it: roll forward only (no rollbacks)");
    ponr.id = "point-of-no-return";
    ponr.title = "POINT OF NO RETURN: the cloud becomes the system of record";
    ponr.type = "milestone";
    ponr.stream = "cutover";
    ponr.needs = {last_gate_};
    ponr.no_return = true;
    const int ponr_step = Add(std::move(ponr));
    no_rollbacks_ = true;

    const std::vector<Template>& tail = TailSteps();
    const int first = static_cast<int>(planned_.size());
    int previous = -1;
    for (int i = 0; i < budget - 3; ++i) {
      const Template& t = tail[i % tail.size()];
      const int cycle = i / static_cast<int>(tail.size());
      std::string id = std::string("post-") + t.stem;
      if (cycle > 0) id += "-" + std::to_string(cycle + 1);
      StepSpec s = FromTemplate(t, std::move(id), t.stream, App{}, cycle + 1, cycle > 0);
      s.needs.push_back(previous >= 0 && rng_.Percent(20) ? previous : ponr_step);
      previous = Add(std::move(s));
    }

    StepSpec close;
    close.id = "close-change";
    close.title = "Close the change as successful";
    close.type = "manual";
    close.stream = "cutover";
    close.owner = "change-manager";
    close.needs = Leaves(first, static_cast<int>(planned_.size()));
    if (close.needs.empty()) close.needs.push_back(ponr_step);
    close.minutes = 10;
    close.body = "    signoff:\n      by: [change-manager, cutover-lead]\n      quorum: all\n";
    const int close_step = Add(std::move(close));

    Add(CutoverComplete({close_step}));
  }

  const int steps_;
  const uint64_t seed_;
  Rng rng_;
  std::vector<std::string> apps_;
  std::vector<Planned> planned_;
  std::string body_;
  int64_t plan_end_ = kOrigin;
  int last_gate_ = -1;
  int wave_digits_ = 2;
  int waves_ = 0;
  bool no_rollbacks_ = false;
};

}  // namespace
}  // namespace gen

std::string GenerateRunbook(const GenOptions& options) { return gen::Generator(options).Run(); }

}  // namespace tminus::bench
