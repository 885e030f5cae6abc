#include "engine/interchange/runbook_import.h"

#include <algorithm>
#include <map>
#include <queue>
#include <set>
#include <unordered_map>

#include "engine/base/suggest.h"
#include "engine/interchange/csv.h"
#include "engine/interchange/predecessors.h"
#include "engine/interchange/start_placement.h"
#include "engine/interchange/task_sheet.h"

namespace tminus {
namespace {

constexpr int kMaxCyclesReported = 10;

bool Numeric(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos &&
         text.find_first_of("0123456789") != std::string::npos;
}

std::string Lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class Importer {
 public:
  Importer(const TaskSheet& sheet, const ImportOptions& options, Diagnostics* d)
      : sheet_(sheet), options_(options), d_(d), n_(static_cast<int>(sheet.tasks.size())) {}

  std::optional<SkeletonRunbook> Run() {
    AssignIds();
    ResolveNeeds();
    if (d_->has_errors()) return std::nullopt;
    if (!Order()) return std::nullopt;
    SkeletonRunbook rb;
    rb.name = options_.name;
    rb.header = {"Imported from " + options_.source + " by tminus import: a skeleton to review.",
                 "Manual steps are signed off by their owner; milestones mark points in time.",
                 "Give automated steps type task or check and a real run; list the people in "
                 "each role."};
    rb.steps.resize(n_);
    for (int t = 0; t < n_; ++t) {
      const SheetTask& task = sheet_.tasks[t];
      SkeletonStep& s = rb.steps[t];
      s.id = ids_[t];
      s.title = task.name;
      s.stream = task.stream;
      s.owner = task.owner;
      s.duration = task.duration;
      for (int need : needs_[t]) s.needs.push_back(ids_[need]);
      if (!notes_[t].empty()) s.comment = "the sheet's predecessors: " + notes_[t];
    }
    AssignTypes(&rb);
    AssignRoles(&rb);
    if (d_->has_errors()) return std::nullopt;
    rb.t0 = PlaceStarts(sheet_, options_.t0, needs_, order_, &rb.steps, d_);
    return rb;
  }

 private:
  std::string KeyOf(int t) const {
    const SheetTask& task = sheet_.tasks[t];
    return sheet_.has(SheetColumn::kId) ? task.id : std::to_string(task.row);
  }
  // How messages name a task: its id cell as written, or its row.
  std::string Display(int t) const {
    const SheetTask& task = sheet_.tasks[t];
    if (sheet_.has(SheetColumn::kId) && !task.id.empty()) return "'" + task.id + "'";
    return "row " + std::to_string(task.row) + " ('" + task.name + "')";
  }

  void AssignIds() {
    ids_.resize(n_);
    std::vector<bool> keep(n_, false);
    std::set<std::string> taken;
    for (int t = 0; t < n_; ++t) {
      const SheetTask& task = sheet_.tasks[t];
      const std::string key = KeyOf(t);
      if (key.empty()) continue;
      auto [it, inserted] = by_key_.emplace(key, t);
      if (!inserted) {
        d_->Error(sheet_.At(task, SheetColumn::kId),
                  "duplicate id '" + key + "': the row at line " +
                      std::to_string(sheet_.tasks[it->second].line) + " has it too");
        continue;
      }
      keys_.push_back(it->first);
      if (sheet_.has(SheetColumn::kId) && IsStepId(task.id) && !Numeric(task.id)) {
        keep[t] = true;
        ids_[t] = task.id;
        taken.insert(task.id);
      }
    }
    for (int t = 0; t < n_; ++t) {
      if (keep[t]) continue;
      const SheetTask& task = sheet_.tasks[t];
      std::string base = Slugify(task.name);
      if (base.empty()) base = "step-" + (Slugify(task.id).empty() ? std::to_string(task.row)
                                                                   : Slugify(task.id));
      std::string id = base;
      for (int k = 2; taken.count(id); ++k) id = base + "-" + std::to_string(k);
      taken.insert(id);
      ids_[t] = id;
    }
  }

  void ResolveNeeds() {
    needs_.assign(n_, {});
    notes_.assign(n_, "");
    const auto known = [&](std::string_view ref) { return by_key_.count(std::string(ref)) > 0; };
    std::vector<std::string_view> candidates(keys_.begin(), keys_.end());
    for (int t = 0; t < n_; ++t) {
      const SheetTask& task = sheet_.tasks[t];
      if (task.predecessors.empty()) continue;
      const SourceLoc at = sheet_.At(task, SheetColumn::kPredecessors);
      const std::string column = sheet_.Name(SheetColumn::kPredecessors);
      std::vector<PredecessorLink> links;
      std::string unknown;
      if (!ParsePredecessors(task.predecessors, known, &links, &unknown)) {
        // Numbers a digit apart are not typos of each other.
        std::string hint = Numeric(unknown) ? "" : DidYouMean(unknown, candidates);
        if (!sheet_.has(SheetColumn::kId)) {
          hint += " (the sheet has no id column, so predecessors are row numbers from 1)";
        }
        d_->Error(at, column + ": '" + unknown + "' is not a task in this file" + hint);
        continue;
      }
      for (const PredecessorLink& link : links) {
        const int need = by_key_.at(link.ref);
        if (need == t) {
          d_->Error(at, column + ": the task names itself ('" + link.ref + "') as a predecessor");
          continue;
        }
        if (std::find(needs_[t].begin(), needs_[t].end(), need) != needs_[t].end()) {
          d_->Warning(at, column + ": '" + link.ref + "' is listed twice; it is needed once");
          continue;
        }
        needs_[t].push_back(need);
        if (link.type != "FS" || !link.lag.empty()) {
          if (!notes_[t].empty()) notes_[t] += ", ";
          notes_[t] += link.ref + (link.lag.empty() && link.type == "FS" ? "" : link.type);
          notes_[t] += link.lag;
        }
        if (link.type != "FS") {
          d_->Warning(at, column + ": '" + link.ref + link.type + link.lag +
                              "' is a " + LinkName(link.type) +
                              " link; runbooks have only finish-to-start needs, so it was "
                              "imported as one: check the timing");
        }
        if (!link.lag.empty()) {
          d_->Warning(at, column + ": the lag " + link.lag + " after '" + link.ref +
                              "' is not represented; add it to a duration or a not_before");
        }
      }
    }
  }

  static std::string LinkName(const std::string& type) {
    if (type == "SS") return "start-to-start";
    if (type == "FF") return "finish-to-finish";
    return "start-to-finish";
  }

  // Topological order (rows in sheet order where free); reports cycles.
  bool Order() {
    std::vector<int> waiting(n_, 0);
    std::vector<std::vector<int>> dependants(n_);
    for (int t = 0; t < n_; ++t) {
      waiting[t] = static_cast<int>(needs_[t].size());
      for (int need : needs_[t]) dependants[need].push_back(t);
    }
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int t = 0; t < n_; ++t) {
      if (waiting[t] == 0) ready.push(t);
    }
    while (!ready.empty()) {
      const int t = ready.top();
      ready.pop();
      order_.push_back(t);
      for (int d : dependants[t]) {
        if (--waiting[d] == 0) ready.push(d);
      }
    }
    if (static_cast<int>(order_.size()) == n_) return true;
    ReportCycles(waiting);
    return false;
  }

  void ReportCycles(const std::vector<int>& waiting) {
    // Depth-first over the steps left waiting, with an explicit stack (a sheet may chain
    // many thousands of rows); each need that leads back into the path closes a cycle.
    enum { kWhite, kGray, kBlack };
    std::vector<int> color(n_, kWhite);
    std::vector<std::pair<int, size_t>> path;  // a task and the next of its needs to follow
    int reported = 0;
    for (int root = 0; root < n_ && reported < kMaxCyclesReported; ++root) {
      if (waiting[root] == 0 || color[root] != kWhite) continue;
      color[root] = kGray;
      path.push_back({root, 0});
      while (!path.empty() && reported < kMaxCyclesReported) {
        auto& [t, next] = path.back();
        if (next == needs_[t].size()) {
          color[t] = kBlack;
          path.pop_back();
          continue;
        }
        const int need = needs_[t][next++];
        if (waiting[need] == 0 || color[need] == kBlack) continue;
        if (color[need] == kWhite) {
          color[need] = kGray;
          path.push_back({need, 0});
          continue;
        }
        std::vector<int> cycle;
        bool in_cycle = false;
        for (const auto& entry : path) {
          in_cycle = in_cycle || entry.first == need;
          if (in_cycle) cycle.push_back(entry.first);
        }
        ReportCycle(cycle);
        ++reported;
      }
      path.clear();
    }
  }

  // `cycle` lists tasks each needing the next, the last needing the first.
  void ReportCycle(std::vector<int> cycle) {
    const auto first = std::min_element(cycle.begin(), cycle.end());
    std::rotate(cycle.begin(), first, cycle.end());
    constexpr size_t kShown = 20;  // a long cycle is named by its ends
    std::string text;
    for (size_t i = 0; i < cycle.size(); ++i) {
      if (cycle.size() > kShown && i == kShown - 2) {
        text += "... (" + std::to_string(cycle.size() - kShown + 1) + " more) ... needs ";
        i = cycle.size() - 1;
      }
      text += Display(cycle[i]) + " needs ";
    }
    text += Display(cycle.front());
    d_->Error(sheet_.At(sheet_.tasks[cycle.front()], SheetColumn::kPredecessors),
              "dependency cycle: " + text);
  }

  void AssignTypes(SkeletonRunbook* rb) {
    static const StepType kTypes[] = {StepType::kTask, StepType::kCheck, StepType::kManual,
                                      StepType::kGate, StepType::kMilestone};
    std::set<std::string> warned;
    int unowned = 0, first_unowned = -1;
    for (int t = 0; t < n_; ++t) {
      const SheetTask& task = sheet_.tasks[t];
      SkeletonStep& s = rb->steps[t];
      const std::string type = Lower(task.type);
      bool named = false;
      for (StepType candidate : kTypes) {
        if (type == StepTypeName(candidate)) {
          s.type = candidate;
          named = true;
        }
      }
      if (!named) {
        if (!type.empty() && warned.insert(type).second) {
          d_->Warning(sheet_.At(task, SheetColumn::kType),
                      sheet_.Name(SheetColumn::kType) + ": '" + task.type +
                          "' is not a step type (task, check, manual, gate, milestone); such "
                          "rows are manual steps, or milestones when their duration is 0");
        }
        s.type = task.duration.count() == 0 ? StepType::kMilestone : StepType::kManual;
      }
      if (s.type == StepType::kMilestone && task.duration.count() != 0) {
        d_->Error(sheet_.At(task, SheetColumn::kDuration),
                  "a milestone takes no time, but the duration is " +
                      FormatDuration(task.duration) + "; make it 0 or change the type");
      }
      if (s.type == StepType::kManual && s.owner.empty()) {
        s.owner = "unassigned";
        if (unowned++ == 0) first_unowned = t;
      }
    }
    if (unowned > 0) {
      const SheetTask& task = sheet_.tasks[first_unowned];
      d_->Warning(sheet_.has(SheetColumn::kOwner) ? sheet_.At(task, SheetColumn::kOwner)
                                                  : sheet_.At(task, SheetColumn::kName),
                  std::to_string(unowned) + " manual step" + (unowned == 1 ? " has" : "s have") +
                      " no owner to sign off (the first here): the role 'unassigned' owns " +
                      (unowned == 1 ? "it" : "them") + " for now");
    }
  }

  // Each distinct owner is a person in the role named by its slug.
  void AssignRoles(SkeletonRunbook* rb) {
    std::map<std::string, size_t> role_of_slug;
    for (const SkeletonStep& s : rb->steps) {
      if (s.owner.empty()) continue;
      std::string slug = Slugify(s.owner, 64);
      if (slug.empty()) slug = "owner";
      auto it = role_of_slug.find(slug);
      if (it == role_of_slug.end()) {
        it = role_of_slug.emplace(slug, rb->roles.size()).first;
        rb->roles.push_back({slug, {}});
      }
      std::vector<std::string>& people = rb->roles[it->second].second;
      if (std::find(people.begin(), people.end(), s.owner) == people.end()) {
        people.push_back(s.owner);
      }
    }
  }

  const TaskSheet& sheet_;
  const ImportOptions& options_;
  Diagnostics* d_;
  const int n_;
  std::unordered_map<std::string, int> by_key_;
  std::vector<std::string> keys_;
  std::vector<std::string> ids_;
  std::vector<std::vector<int>> needs_;
  std::vector<std::string> notes_;  // links changed on the way in, as the sheet wrote them
  std::vector<int> order_;
};

}  // namespace

ImportResult ImportTaskCsv(std::string_view bytes, const ImportOptions& options) {
  ImportResult result;
  std::optional<CsvTable> table = ReadCsv(bytes, &result.diagnostics);
  if (!table) return result;
  std::optional<TaskSheet> sheet = ReadTaskSheet(*table, &result.diagnostics);
  if (!sheet || result.diagnostics.has_errors()) return result;
  Importer importer(*sheet, options, &result.diagnostics);
  result.runbook = importer.Run();
  result.diagnostics.SortByLocation();
  return result;
}

}  // namespace tminus
