// Name references: run targets, ${vars} and ${secrets.x}, roles and people.
#include <set>
#include <string>
#include <vector>

#include "engine/base/suggest.h"
#include "engine/model/substitution.h"
#include "engine/validate/validator.h"

namespace tminus {
namespace {

class ReferenceChecker {
 public:
  ReferenceChecker(const Runbook& rb, Diagnostics* d) : rb_(rb), d_(d) {
    for (const Var& v : rb.vars) vars_.push_back(v.name.value);
    for (const Secret& s : rb.secrets) secrets_.push_back(s.name.value);
    for (const Target& t : rb.targets) targets_.push_back(t.name.value);
    targets_.push_back("local");
    std::set<std::string_view> seen;
    for (const Role& r : rb.roles) {
      if (seen.insert(r.name.value).second) names_.push_back(r.name.value);
      for (const SourcedString& p : r.people) {
        if (seen.insert(p.value).second) names_.push_back(p.value);
      }
    }
  }

  void Run() {
    for (const Role& r : rb_.roles) {
      if (r.people.empty()) d_->Warning(r.name.loc, "role '" + r.name.value + "' has nobody in it");
    }
    for (const Step& s : rb_.steps) {
      const std::string where = "step '" + s.id.value + "'";
      if (s.run) CheckAction(*s.run, "run of " + where);
      if (s.rollback) CheckAction(*s.rollback, "rollback of " + where);
      if (s.owner.present()) CheckPerson(s.owner, "owner of " + where);
      for (const SourcedString& by : s.signoff.by) CheckPerson(by, "signoff.by of " + where);
      if (s.gate) {
        for (const SourcedString& a : s.gate->approvers) CheckPerson(a, "approver of " + where);
      }
      CheckQuorum(s);
    }
  }

 private:
  void CheckAction(const Action& a, const std::string& what) {
    if (a.on.present()) {
      const Target* target = rb_.FindTarget(a.on.value);
      if (!target && a.on.value != "local") {
        d_->Error(a.on.loc, "target '" + a.on.value + "' in " + what +
                                " is not defined under targets" + DidYouMean(a.on.value, targets_));
      } else if (target && target->kind == Target::Kind::kSsh && a.kind == Action::Kind::kProbe) {
        d_->Error(a.on.loc, "built-in probes run on agents or local, but target '" + a.on.value +
                                "' in " + what + " is reached over SSH; use a command instead");
      }
    }
    for (const SourcedString& arg : a.command) CheckText(arg, what);
    CheckText(a.shell, what);
    if (a.probe) {
      CheckText(a.probe->address, what);
      CheckText(a.probe->url, what);
      CheckText(a.probe->name, what);
      CheckText(a.probe->expect, what);
    }
    for (const auto& [name, value] : a.env) CheckText(value, what);
  }

  void CheckText(const SourcedString& text, const std::string& what) {
    if (!text.present() || text.value.find('$') == std::string::npos) return;
    std::vector<VarRef> refs;
    std::string why;
    if (!ScanReferences(text.value, &refs, &why)) {
      d_->Error(text.loc, why + " (in " + what + ")");
      return;
    }
    for (const VarRef& ref : refs) {
      const std::vector<std::string_view>& known = ref.secret ? secrets_ : vars_;
      bool found = false;
      for (std::string_view k : known) found = found || k == ref.name;
      if (found) continue;
      if (ref.secret) {
        d_->Error(text.loc, "secret '" + ref.name + "' in " + what +
                                " is not defined under secrets" + DidYouMean(ref.name, known));
      } else {
        d_->Error(text.loc, "variable '" + ref.name + "' in " + what +
                                " is not defined under vars" + DidYouMean(ref.name, known) +
                                " (write $${...} for a literal ${...})");
      }
    }
  }

  void CheckPerson(const SourcedString& name, const std::string& what) {
    if (rb_.IsRoleOrPerson(name.value)) return;
    d_->Error(name.loc, "'" + name.value + "', the " + what +
                            ", is neither a role nor a person listed under roles" +
                            DidYouMean(name.value, names_));
  }

  // The distinct people who could act for a list of roles and people.
  std::set<std::string_view> Eligible(const StringList& entries) const {
    std::set<std::string_view> people;
    for (const SourcedString& e : entries) {
      if (const Role* role = rb_.FindRole(e.value)) {
        for (const SourcedString& p : role->people) people.insert(p.value);
      } else {
        people.insert(e.value);
      }
    }
    return people;
  }

  void CheckQuorum(const Step& s) {
    const Sourced<Quorum>* quorum = nullptr;
    StringList owner_only;
    const StringList* entries = nullptr;
    if (s.type.value == StepType::kManual) {
      quorum = &s.signoff.quorum;
      if (s.signoff.by.empty()) {
        if (s.owner.present()) owner_only.push_back(s.owner);
        entries = &owner_only;
      } else {
        entries = &s.signoff.by;
      }
    } else if (s.gate) {
      quorum = &s.gate->quorum;
      entries = &s.gate->approvers;
      if (entries->empty()) {
        const SourceLoc loc = s.gate->quorum.present() ? s.gate->quorum.loc
                              : s.gate->override_.present() ? s.gate->override_.loc
                                                             : SourceLoc{};
        if (loc.known()) {
          d_->Warning(loc, "gate '" + s.id.value +
                               "' has no approvers, so it decides itself; quorum and override "
                               "have no effect");
        }
        return;
      }
    }
    if (!quorum || !quorum->present() || quorum->value.all) return;
    for (const SourcedString& e : *entries) {
      if (!rb_.IsRoleOrPerson(e.value)) return;  // already reported
    }
    const size_t eligible = Eligible(*entries).size();
    if (static_cast<size_t>(quorum->value.count) > eligible) {
      d_->Error(quorum->loc, "quorum " + std::to_string(quorum->value.count) + " of step '" +
                                 s.id.value + "' can never be met: only " +
                                 std::to_string(eligible) + " distinct people can act");
    }
  }

  const Runbook& rb_;
  Diagnostics* d_;
  std::vector<std::string_view> vars_, secrets_, targets_, names_;
};

}  // namespace

void ValidateReferences(const Runbook& runbook, Diagnostics* diagnostics) {
  ReferenceChecker(runbook, diagnostics).Run();
}

}  // namespace tminus
