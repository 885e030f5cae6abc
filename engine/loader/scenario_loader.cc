#include "engine/loader/scenario_loader.h"

#include <string>
#include <vector>

#include "engine/base/suggest.h"
#include "engine/loader/node_reader.h"
#include "engine/loader/yaml_tree.h"

namespace tminus {
namespace {

using NodeId = YamlTree::NodeId;

class ScenarioReader {
 public:
  ScenarioReader(const YamlTree& tree, const Runbook& rb, Diagnostics* d)
      : r_(tree, d), rb_(rb) {
    for (const Step& s : rb.steps) ids_.push_back(s.id.value);
  }

  Scenario Read() {
    Scenario sc;
    const NodeId root = r_.tree().root();
    if (r_.IsNull(root)) return sc;  // an empty scenario: everything goes to plan
    r_.ForEachKnownKey(root, "the scenario", {"steps", "signoffs", "gates", "rollback", "on_pause"},
                       [&](std::string_view key, NodeId, NodeId v) {
                         if (key == "steps") {
                           ReadSteps(v, &sc);
                         } else if (key == "signoffs") {
                           ReadSignOffs(v, &sc);
                         } else if (key == "gates") {
                           ReadGates(v, &sc);
                         } else if (key == "rollback") {
                           ReadRollbacks(v, &sc);
                         } else {
                           int i = 0;
                           if (r_.ReadEnum(v, "'on_pause'", {"abort", "rollback", "skip"}, &i)) {
                             sc.on_pause = static_cast<PauseAction>(i);
                           }
                         }
                       });
    return sc;
  }

 private:
  // The runbook step a scenario entry names, checking its type; nullptr when wrong.
  const Step* StepFor(std::string_view id, NodeId key, const char* section, bool (*fits)(const Step&),
                      const char* expected) {
    for (const Step& s : rb_.steps) {
      if (s.id.value != id) continue;
      if (!fits(s)) {
        r_.Error(key, std::string(section) + " names '" + std::string(id) + "', which is " +
                          (s.type.value == StepType::kTask ? "a task" : std::string("a ") + StepTypeName(s.type.value)) +
                          " step; only " + expected + " belong here");
        return nullptr;
      }
      return &s;
    }
    r_.Error(key, std::string(section) + " names '" + std::string(id) +
                      "', which is not a step of the runbook" + DidYouMean(id, ids_));
    return nullptr;
  }

  void ReadSteps(NodeId node, Scenario* sc) {
    r_.ForEachEntry(node, "'steps'", [&](std::string_view id, NodeId k, NodeId v) {
      if (!StepFor(id, k, "'steps'", [](const Step& s) { return s.automated(); },
                   "task and check steps")) {
        return;
      }
      ScenarioStep st;
      st.loc = r_.loc(k);
      const std::string what = "scenario step '" + std::string(id) + "'";
      r_.ForEachKnownKey(v, what, {"fail", "fail_attempts", "duration"},
                         [&](std::string_view key, NodeId, NodeId sv) {
                           if (key == "fail") {
                             Sourced<bool> b;
                             if (r_.ReadBool(sv, "'fail' of " + what, &b)) st.fail = b.value;
                           } else if (key == "fail_attempts") {
                             Sourced<int> n;
                             if (r_.ReadInt(sv, "'fail_attempts' of " + what, 0, 1000, &n)) {
                               st.fail_attempts = n.value;
                             }
                           } else {
                             Sourced<Seconds> d;
                             if (r_.ReadDuration(sv, "'duration' of " + what, &d)) st.duration = d.value;
                           }
                         });
      sc->steps[std::string(id)] = st;
    });
  }

  void ReadSignOffs(NodeId node, Scenario* sc) {
    r_.ForEachEntry(node, "'signoffs'", [&](std::string_view id, NodeId k, NodeId v) {
      if (!StepFor(id, k, "'signoffs'",
                   [](const Step& s) { return s.type.value == StepType::kManual; },
                   "manual steps")) {
        return;
      }
      ScenarioSignOff so;
      so.loc = r_.loc(k);
      const std::string what = "scenario sign-off '" + std::string(id) + "'";
      r_.ForEachKnownKey(v, what, {"after"}, [&](std::string_view, NodeId, NodeId sv) {
        Sourced<Seconds> d;
        if (r_.ReadDuration(sv, "'after' of " + what, &d)) so.after = d.value;
      });
      sc->signoffs[std::string(id)] = so;
    });
  }

  bool ReadDecision(NodeId v, const std::string& what, ScenarioGate* g) {
    int i = 0;
    if (!r_.ReadEnum(v, what, {"go", "nogo", "none"}, &i)) return false;
    g->decision = static_cast<ScenarioGate::Kind>(i);
    return true;
  }

  void ReadGates(NodeId node, Scenario* sc) {
    r_.ForEachEntry(node, "'gates'", [&](std::string_view id, NodeId k, NodeId v) {
      if (!StepFor(id, k, "'gates'", [](const Step& s) { return s.type.value == StepType::kGate; },
                   "gates")) {
        return;
      }
      ScenarioGate g;
      g.loc = r_.loc(k);
      const std::string what = "scenario gate '" + std::string(id) + "'";
      if (r_.tree().kind(v) == YamlTree::Kind::kScalar) {
        ReadDecision(v, what, &g);
      } else {
        bool has_decision = false;
        r_.ForEachKnownKey(v, what, {"decision", "after"}, [&](std::string_view key, NodeId, NodeId gv) {
          if (key == "decision") {
            has_decision = ReadDecision(gv, "'decision' of " + what, &g) || has_decision;
          } else {
            Sourced<Seconds> d;
            if (r_.ReadDuration(gv, "'after' of " + what, &d)) g.after = d.value;
          }
        });
        if (!has_decision && r_.Find(v, "decision") == NodeReader::kNoNode &&
            r_.tree().kind(v) == YamlTree::Kind::kMap) {
          r_.Error(v, what + " needs 'decision': go, nogo or none");
        }
      }
      sc->gates[std::string(id)] = g;
    });
  }

  void ReadRollbacks(NodeId node, Scenario* sc) {
    r_.ForEachEntry(node, "'rollback'", [&](std::string_view id, NodeId k, NodeId v) {
      if (!StepFor(id, k, "'rollback'", [](const Step& s) { return s.rollback != nullptr; },
                   "steps with a rollback")) {
        return;
      }
      ScenarioRollback rb;
      rb.loc = r_.loc(k);
      const std::string what = "scenario rollback '" + std::string(id) + "'";
      r_.ForEachKnownKey(v, what, {"fail", "duration"}, [&](std::string_view key, NodeId, NodeId rv) {
        if (key == "fail") {
          Sourced<bool> b;
          if (r_.ReadBool(rv, "'fail' of " + what, &b)) rb.fail = b.value;
        } else {
          Sourced<Seconds> d;
          if (r_.ReadDuration(rv, "'duration' of " + what, &d)) rb.duration = d.value;
        }
      });
      sc->rollback[std::string(id)] = rb;
    });
  }

  NodeReader r_;
  const Runbook& rb_;
  std::vector<std::string_view> ids_;
};

}  // namespace

Scenario LoadScenario(std::string_view text, const Runbook& runbook, Diagnostics* diagnostics) {
  YamlTree tree;
  if (!tree.Parse(text, YamlLimits{}, diagnostics)) return Scenario{};
  return ScenarioReader(tree, runbook, diagnostics).Read();
}

}  // namespace tminus
