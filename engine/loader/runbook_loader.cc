#include "engine/loader/runbook_loader.h"

#include <string>

#include "engine/loader/node_reader.h"

namespace tminus {
namespace {

using NodeId = YamlTree::NodeId;

bool MatchesIdPattern(std::string_view s, bool allow_dot_underscore) {
  if (s.empty()) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(s[0])) return false;
  for (char c : s) {
    if (lower_digit(c) || c == '-') continue;
    if (allow_dot_underscore && (c == '_' || c == '.')) continue;
    return false;
  }
  return true;
}

std::string Key(std::string_view key, const std::string& where) {
  return "'" + std::string(key) + "' in " + where;
}

class Loader {
 public:
  Loader(const YamlTree& tree, Diagnostics* diagnostics) : r_(tree, diagnostics) {}

  Runbook Load() {
    Runbook rb;
    const NodeId root = r_.tree().root();
    if (r_.IsNull(root)) {
      r_.Error(root, "the runbook is empty; it needs at least 'runbook: 1', 'name' and 'steps'");
      return rb;
    }
    NodeId steps = NodeReader::kNoNode;
    const bool is_map = r_.ForEachKnownKey(
        root, "the runbook",
        {"runbook", "name", "title", "change", "description", "window", "roles", "targets", "vars",
         "secrets", "defaults", "steps"},
        [&](std::string_view key, NodeId, NodeId v) {
          if (key == "runbook") {
            if (r_.ReadInt(v, "'runbook' (the format version)", 0, 1000000, &rb.version) &&
                rb.version.value != 1) {
              r_.Error(v, "format version " + std::to_string(rb.version.value) +
                              " is not supported; this tminus reads 'runbook: 1'");
            }
          } else if (key == "name") {
            if (r_.ReadString(v, "'name'", &rb.name) && !MatchesIdPattern(rb.name.value, false)) {
              r_.Error(v, "name '" + rb.name.value +
                              "' must be lowercase letters, digits and '-', starting with a "
                              "letter or digit");
            }
          } else if (key == "title") {
            r_.ReadString(v, "'title'", &rb.title);
          } else if (key == "change") {
            r_.ReadString(v, "'change'", &rb.change);
          } else if (key == "description") {
            r_.ReadString(v, "'description'", &rb.description);
          } else if (key == "window") {
            LoadWindow(v, &rb.window);
          } else if (key == "roles") {
            LoadRoles(v, &rb.roles);
          } else if (key == "targets") {
            LoadTargets(v, &rb.targets);
          } else if (key == "vars") {
            LoadVars(v, &rb.vars);
          } else if (key == "secrets") {
            LoadSecrets(v, &rb.secrets);
          } else if (key == "defaults") {
            LoadDefaults(v, &rb.defaults);
          } else if (key == "steps") {
            steps = v;
          }
        });
    if (!is_map) return rb;
    if (!rb.version.present() && r_.Find(root, "runbook") == NodeReader::kNoNode) {
      r_.Error(root, "missing 'runbook: 1' (the format version) at the top level");
    }
    if (r_.Find(root, "name") == NodeReader::kNoNode) {
      r_.Error(root, "missing 'name' at the top level");
    }
    if (steps == NodeReader::kNoNode) {
      r_.Error(root, "missing 'steps' at the top level; a runbook needs at least one step");
    } else {
      LoadSteps(steps, rb.defaults, &rb.steps);
    }
    return rb;
  }

 private:
  void LoadWindow(NodeId node, Window* w) {
    w->loc = r_.loc(node);
    r_.ForEachKnownKey(node, "'window'", {"start", "end"}, [&](std::string_view key, NodeId, NodeId v) {
      if (key == "start") {
        if (r_.ReadInstant(v, "'window.start'", &w->start) && w->start.value.relative()) {
          r_.Error(v, "'window.start' is T0 itself, so it must be an absolute time like "
                      "2026-12-05T22:00:00-05:00");
          w->start = {};
        }
      } else {
        r_.ReadInstant(v, "'window.end'", &w->end);
      }
    });
  }

  void LoadRoles(NodeId node, std::vector<Role>* roles) {
    r_.ForEachEntry(node, "'roles'", [&](std::string_view key, NodeId k, NodeId v) {
      Role role;
      role.name = {std::string(key), r_.loc(k)};
      r_.ReadStringList(v, "role '" + role.name.value + "'", &role.people);
      roles->push_back(std::move(role));
    });
  }

  void LoadTargets(NodeId node, std::vector<Target>* targets) {
    r_.ForEachEntry(node, "'targets'", [&](std::string_view key, NodeId k, NodeId v) {
      Target t;
      t.name = {std::string(key), r_.loc(k)};
      const std::string where = "target '" + t.name.value + "'";
      if (key == "local") {
        r_.Error(k, "'local' is reserved for the coordinator's own host; choose another name");
      }
      int kinds = 0;
      r_.ForEachKnownKey(v, where, {"agents", "ssh"}, [&](std::string_view tk, NodeId tkey, NodeId tv) {
        if (++kinds > 1) {
          r_.Error(tkey, where + " takes either 'agents' or 'ssh', not both");
          return;
        }
        if (tk == "agents") {
          t.kind = Target::Kind::kAgents;
          r_.ForEachEntry(tv, "'agents' in " + where, [&](std::string_view label, NodeId lk, NodeId lv) {
            SourcedString value;
            if (r_.ReadString(lv, "label '" + std::string(label) + "' in " + where, &value)) {
              t.labels.push_back({{std::string(label), r_.loc(lk)}, std::move(value)});
            }
          });
        } else {
          t.kind = Target::Kind::kSsh;
          LoadSsh(tv, where, &t.ssh);
        }
      });
      if (kinds == 0 && r_.tree().kind(v) == YamlTree::Kind::kMap) {
        r_.Error(v, where + " needs 'agents' (a label selector) or 'ssh' (hosts)");
      }
      targets->push_back(std::move(t));
    });
  }

  void LoadSsh(NodeId node, const std::string& target, SshTarget* ssh) {
    const std::string where = "'ssh' of " + target;
    bool has_host = false;
    r_.ForEachKnownKey(node, where, {"host", "hosts", "port", "user", "identity", "known_hosts"},
                       [&](std::string_view key, NodeId k, NodeId v) {
                         if (key == "host" || key == "hosts") {
                           if (has_host) {
                             r_.Error(k, where + " takes 'host' or 'hosts', not both");
                             return;
                           }
                           has_host = true;
                           if (key == "host") {
                             SourcedString h;
                             if (r_.ReadString(v, Key(key, where), &h)) ssh->hosts.push_back(h);
                           } else if (r_.ReadStringList(v, Key(key, where), &ssh->hosts) &&
                                      ssh->hosts.empty()) {
                             r_.Error(v, Key(key, where) + " is empty");
                           }
                         } else if (key == "port") {
                           r_.ReadInt(v, Key(key, where), 1, 65535, &ssh->port);
                         } else if (key == "user") {
                           r_.ReadString(v, Key(key, where), &ssh->user);
                         } else if (key == "identity") {
                           r_.ReadString(v, Key(key, where), &ssh->identity);
                         } else {
                           r_.ReadString(v, Key(key, where), &ssh->known_hosts);
                         }
                       });
    if (!has_host && r_.tree().kind(node) == YamlTree::Kind::kMap) {
      r_.Error(node, where + " needs 'host' or 'hosts'");
    }
    if (!ssh->port.present()) ssh->port.value = 22;
  }

  void LoadVars(NodeId node, std::vector<Var>* vars) {
    r_.ForEachEntry(node, "'vars'", [&](std::string_view key, NodeId k, NodeId v) {
      Var var;
      var.name = {std::string(key), r_.loc(k)};
      if (r_.ReadString(v, "var '" + var.name.value + "'", &var.value)) vars->push_back(std::move(var));
    });
  }

  void LoadSecrets(NodeId node, std::vector<Secret>* secrets) {
    r_.ForEachEntry(node, "'secrets'", [&](std::string_view key, NodeId k, NodeId v) {
      Secret s;
      s.name = {std::string(key), r_.loc(k)};
      const std::string where = "secret '" + s.name.value + "'";
      int sources = 0;
      r_.ForEachKnownKey(v, where, {"env", "file"}, [&](std::string_view sk, NodeId skey, NodeId sv) {
        if (++sources > 1) {
          r_.Error(skey, where + " takes either 'env' or 'file', not both");
          return;
        }
        s.source = sk == "env" ? Secret::Source::kEnv : Secret::Source::kFile;
        r_.ReadString(sv, Key(sk, where), &s.ref);
      });
      if (sources == 0 && r_.tree().kind(v) == YamlTree::Kind::kMap) {
        r_.Error(v, where + " needs {env: VARIABLE} or {file: /path}");
      }
      secrets->push_back(std::move(s));
    });
  }

  void LoadDefaults(NodeId node, Defaults* d) {
    r_.ForEachKnownKey(node, "'defaults'", {"timeout", "duration", "on_failure"},
                       [&](std::string_view key, NodeId, NodeId v) {
                         if (key == "timeout") {
                           ReadPositiveDuration(v, "'defaults.timeout'", &d->timeout);
                         } else if (key == "duration") {
                           r_.ReadDuration(v, "'defaults.duration'", &d->duration);
                         } else {
                           ReadOnFailure(v, "'defaults.on_failure'", &d->on_failure);
                         }
                       });
  }

  void ReadPositiveDuration(NodeId v, const std::string& what, Sourced<Seconds>* out) {
    if (r_.ReadDuration(v, what, out) && out->value.count() == 0) {
      r_.Error(v, what + " must be longer than 0s");
      *out = {};
    }
  }

  void ReadOnFailure(NodeId v, const std::string& what, Sourced<OnFailure>* out) {
    int i = 0;
    if (r_.ReadEnum(v, what, {"pause", "abort", "rollback", "continue"}, &i)) {
      out->value = static_cast<OnFailure>(i);
      out->loc = r_.loc(v);
    }
  }

  void LoadSteps(NodeId node, const Defaults& defaults, std::vector<Step>* steps) {
    if (r_.tree().kind(node) == YamlTree::Kind::kSequence) steps->reserve(r_.tree().size(node));
    const bool is_list = r_.ForEachItem(node, "'steps'", [&](NodeId item) {
      steps->emplace_back();
      LoadStep(item, static_cast<int>(steps->size()), defaults, &steps->back());
    });
    if (is_list && steps->empty()) r_.Error(node, "'steps' is empty; a runbook needs at least one step");
  }

  void LoadStep(NodeId node, int number, const Defaults& defaults, Step* s) {
    s->loc = r_.loc(node);
    if (r_.tree().kind(node) != YamlTree::Kind::kMap) {
      r_.Error(node, "step #" + std::to_string(number) + " must be a mapping with at least an 'id'");
      return;
    }
    // The id and type come first: messages name the step, and the type decides which
    // keys apply.
    std::string where = "step #" + std::to_string(number);
    const NodeId id = r_.Find(node, "id");
    if (id == NodeReader::kNoNode) {
      r_.Error(node, where + " has no 'id'");
    } else if (r_.ReadString(id, "'id' of " + where, &s->id)) {
      if (!MatchesIdPattern(s->id.value, true)) {
        r_.Error(id, "step id '" + s->id.value +
                         "' must be lowercase letters, digits, '-', '_' and '.', starting with a "
                         "letter or digit");
      }
      where = "step '" + s->id.value + "'";
    }
    const NodeId type = r_.Find(node, "type");
    if (type != NodeReader::kNoNode) {
      int t = 0;
      if (r_.ReadEnum(type, Key("type", where), {"task", "check", "manual", "gate", "milestone"}, &t)) {
        s->type = {static_cast<StepType>(t), r_.loc(type)};
      }
    }
    const StepType step_type = s->type.value;
    const char* type_name = StepTypeName(step_type);
    // Warns when a key is written on a step type it has no effect on.
    auto applies = [&](NodeId key_node, std::string_view key, bool ok, const char* which) {
      if (!ok) {
        r_.Warning(key_node, "'" + std::string(key) + "' has no effect on a " + type_name +
                                 " step (it applies to " + which + " steps); " + where);
      }
      return ok;
    };
    const bool automated = s->automated();
    const bool is_gate = step_type == StepType::kGate;
    if (is_gate) s->gate = std::make_unique<GateSpec>();
    GateSpec scratch_gate;
    GateSpec& gate = is_gate ? *s->gate : scratch_gate;

    r_.ForEachKnownKey(
        node, where,
        {"id", "title", "type", "stream", "owner", "needs", "duration", "not_before", "deadline",
         "timeout", "retries", "on_failure", "idempotent", "run", "expect", "rollback", "signoff",
         "criteria", "override", "approvers", "quorum", "approvers_exclude", "decide_by",
         "on_timeout", "on_nogo", "no_return"},
        [&](std::string_view key, NodeId k, NodeId v) {
          const std::string what = Key(key, where);
          if (key == "id" || key == "type") return;
          if (key == "title") {
            r_.ReadString(v, what, &s->title);
          } else if (key == "stream") {
            r_.ReadString(v, what, &s->stream);
          } else if (key == "owner") {
            r_.ReadString(v, what, &s->owner);
          } else if (key == "needs") {
            r_.ReadStringList(v, what, &s->needs);
          } else if (key == "duration") {
            if (r_.ReadDuration(v, what, &s->duration) && step_type == StepType::kMilestone &&
                s->duration.value.count() != 0) {
              r_.Error(v, "a milestone takes no time, but " + where + " has duration " +
                              FormatDuration(s->duration.value) + "; remove it or use a task");
            }
          } else if (key == "not_before") {
            r_.ReadInstant(v, what, &s->not_before);
          } else if (key == "deadline") {
            r_.ReadInstant(v, what, &s->deadline);
          } else if (key == "timeout") {
            if (applies(k, key, automated, "task and check")) ReadPositiveDuration(v, what, &s->timeout);
          } else if (key == "retries") {
            if (applies(k, key, automated, "task and check")) LoadRetries(v, what, &s->retries);
          } else if (key == "on_failure") {
            if (applies(k, key, automated, "task and check")) ReadOnFailure(v, what, &s->on_failure);
          } else if (key == "idempotent") {
            if (applies(k, key, automated, "task and check")) r_.ReadBool(v, what, &s->idempotent);
          } else if (key == "expect") {
            if (applies(k, key, automated, "task and check")) LoadExpect(v, what, &s->expect);
          } else if (key == "run") {
            if (!automated) {
              r_.Error(k, "a " + std::string(type_name) + " step cannot have 'run' (only task and "
                          "check steps run something); " + where);
              return;
            }
            s->run = std::make_unique<Action>();
            LoadAction(v, what, false, s->run.get());
          } else if (key == "rollback") {
            if (!applies(k, key, step_type != StepType::kGate && step_type != StepType::kMilestone,
                         "task, check and manual")) {
              return;
            }
            s->rollback = std::make_unique<Action>();
            LoadAction(v, what, true, s->rollback.get());
          } else if (key == "signoff") {
            if (applies(k, key, step_type == StepType::kManual, "manual")) LoadSignOff(v, what, &s->signoff);
          } else if (key == "no_return") {
            if (applies(k, key, step_type == StepType::kMilestone, "milestone")) {
              r_.ReadBool(v, what, &s->no_return);
            }
          } else if (applies(k, key, is_gate, "gate")) {
            LoadGateKey(key, v, what, &gate);
          }
        });

    if (automated && !s->run) {
      r_.Error(node, where + " is a " + type_name +
                         " but has no 'run'; give it run: {on: TARGET, command: [...]}, or make "
                         "it a manual step");
    }
    if (step_type == StepType::kManual && !s->owner.present()) {
      r_.Error(node, where + " is a manual step and needs an 'owner' (a role or person)");
    }
    if (is_gate) {
      if (!gate.quorum.present()) gate.quorum.value.all = true;
      if (!gate.on_timeout.present()) gate.on_timeout.value = Decision::kNogo;
    }
    // Defaults apply to steps that do not set the key.
    if (!s->duration.present() && step_type != StepType::kMilestone) s->duration = defaults.duration;
    if (automated && !s->timeout.present()) s->timeout = defaults.timeout;
    if (automated && !s->on_failure.present()) s->on_failure = defaults.on_failure;
  }

  void LoadRetries(NodeId v, const std::string& what, Retries* retries) {
    retries->loc = r_.loc(v);
    if (r_.tree().kind(v) == YamlTree::Kind::kScalar) {
      r_.ReadInt(v, what, 0, 1000, &retries->count);
      return;
    }
    if (r_.tree().kind(v) != YamlTree::Kind::kMap) {
      r_.Error(v, what + " must be a number or {count: N, delay: DURATION}");
      return;
    }
    r_.ForEachKnownKey(v, what, {"count", "delay"}, [&](std::string_view key, NodeId, NodeId rv) {
      if (key == "count") {
        r_.ReadInt(rv, Key(key, what), 0, 1000, &retries->count);
      } else {
        r_.ReadDuration(rv, Key(key, what), &retries->delay);
      }
    });
    if (!retries->count.present()) r_.Error(v, what + " needs 'count'");
  }

  void LoadExpect(NodeId v, const std::string& what, Expect* expect) {
    r_.ForEachKnownKey(v, what, {"exit_code", "stdout_contains"},
                       [&](std::string_view key, NodeId, NodeId ev) {
                         if (key == "exit_code") {
                           r_.ReadInt(ev, Key(key, what), 0, 255, &expect->exit_code);
                         } else {
                           r_.ReadString(ev, Key(key, what), &expect->stdout_contains);
                         }
                       });
  }

  void LoadAction(NodeId v, const std::string& what, bool is_rollback, Action* a) {
    a->loc = r_.loc(v);
    int kinds = 0;
    auto one_kind = [&](NodeId k) {
      if (++kinds > 1) {
        r_.Error(k, what + " takes exactly one of command, shell or probe");
        return false;
      }
      return true;
    };
    const std::initializer_list<std::string_view> run_keys = {"on", "command", "shell", "probe",
                                                              "env"};
    const std::initializer_list<std::string_view> rollback_keys = {"on",    "command", "shell",
                                                                   "probe", "env",     "duration"};
    const bool is_map = r_.ForEachKnownKey(
        v, what, is_rollback ? rollback_keys : run_keys, [&](std::string_view key, NodeId k, NodeId av) {
          if (key == "on") {
            r_.ReadString(av, Key(key, what), &a->on);
          } else if (key == "command") {
            if (!one_kind(k)) return;
            a->kind = Action::Kind::kCommand;
            if (r_.ReadStringList(av, Key(key, what), &a->command) && a->command.empty()) {
              r_.Error(av, Key(key, what) + " is empty; it needs at least the program to run");
            }
          } else if (key == "shell") {
            if (!one_kind(k)) return;
            a->kind = Action::Kind::kShell;
            if (r_.ReadString(av, Key(key, what), &a->shell) && a->shell.value.empty()) {
              r_.Error(av, Key(key, what) + " is empty");
            }
          } else if (key == "probe") {
            if (!one_kind(k)) return;
            a->kind = Action::Kind::kProbe;
            a->probe = std::make_unique<Probe>();
            LoadProbe(av, Key(key, what), a->probe.get());
          } else if (key == "env") {
            r_.ForEachEntry(av, Key(key, what), [&](std::string_view name, NodeId ek, NodeId ev) {
              SourcedString value;
              if (r_.ReadString(ev, "env '" + std::string(name) + "' in " + what, &value)) {
                a->env.push_back({{std::string(name), r_.loc(ek)}, std::move(value)});
              }
            });
          } else {
            r_.ReadDuration(av, Key(key, what), &a->duration);
          }
        });
    if (!is_map) return;
    if (!a->on.present() && r_.Find(v, "on") == NodeReader::kNoNode) {
      r_.Error(v, what + " needs 'on': a target name, or local for the coordinator's host");
    }
    if (kinds == 0) r_.Error(v, what + " needs one of command (a list), shell or probe");
  }

  void LoadProbe(NodeId v, const std::string& what, Probe* p) {
    int kinds = 0;
    const bool is_map = r_.ForEachKnownKey(
        v, what, {"tcp", "http", "dns"}, [&](std::string_view key, NodeId k, NodeId pv) {
          if (++kinds > 1) {
            r_.Error(k, what + " takes exactly one of tcp, http or dns");
            return;
          }
          if (key == "tcp") {
            p->kind = Probe::Kind::kTcp;
            if (r_.ReadString(pv, Key(key, what), &p->address) &&
                p->address.value.rfind(':') == std::string::npos) {
              r_.Error(pv, Key(key, what) + " must be host:port");
            }
          } else if (key == "http") {
            p->kind = Probe::Kind::kHttp;
            r_.ForEachKnownKey(pv, Key(key, what), {"url", "status"},
                               [&](std::string_view hk, NodeId, NodeId hv) {
                                 if (hk == "url") {
                                   r_.ReadString(hv, Key(hk, what), &p->url);
                                 } else {
                                   r_.ReadInt(hv, Key(hk, what), 100, 599, &p->status);
                                 }
                               });
            if (!p->url.present() && r_.tree().kind(pv) == YamlTree::Kind::kMap) {
              r_.Error(pv, Key(key, what) + " needs 'url'");
            }
            if (!p->status.present()) p->status.value = 200;
          } else {
            p->kind = Probe::Kind::kDns;
            r_.ForEachKnownKey(pv, Key(key, what), {"name", "expect"},
                               [&](std::string_view dk, NodeId, NodeId dv) {
                                 r_.ReadString(dv, Key(dk, what),
                                               dk == "name" ? &p->name : &p->expect);
                               });
            if (!p->name.present() && r_.tree().kind(pv) == YamlTree::Kind::kMap) {
              r_.Error(pv, Key(key, what) + " needs 'name'");
            }
          }
        });
    if (is_map && kinds == 0) r_.Error(v, what + " needs one of tcp, http or dns");
  }

  void LoadSignOff(NodeId v, const std::string& what, SignOff* signoff) {
    signoff->loc = r_.loc(v);
    r_.ForEachKnownKey(v, what, {"by", "quorum"}, [&](std::string_view key, NodeId, NodeId sv) {
      if (key == "by") {
        if (r_.ReadStringList(sv, Key(key, what), &signoff->by) && signoff->by.empty()) {
          r_.Error(sv, Key(key, what) + " is empty; leave it out to mean the owner");
        }
      } else {
        r_.ReadQuorum(sv, Key(key, what), &signoff->quorum);
      }
    });
  }

  void LoadGateKey(std::string_view key, NodeId v, const std::string& what, GateSpec* g) {
    if (key == "criteria") {
      r_.ReadStringList(v, what, &g->criteria);
    } else if (key == "override") {
      r_.ReadBool(v, what, &g->override_);
    } else if (key == "approvers") {
      r_.ReadStringList(v, what, &g->approvers);
    } else if (key == "quorum") {
      r_.ReadQuorum(v, what, &g->quorum);
    } else if (key == "approvers_exclude") {
      r_.ReadStringList(v, what, &g->approvers_exclude);
    } else if (key == "decide_by") {
      r_.ReadInstant(v, what, &g->decide_by);
    } else if (key == "on_timeout") {
      int i = 0;
      if (r_.ReadEnum(v, what, {"go", "nogo"}, &i)) g->on_timeout = {static_cast<Decision>(i), r_.loc(v)};
    } else if (key == "on_nogo") {
      int i = 0;
      if (r_.ReadEnum(v, what, {"rollback", "abort"}, &i)) g->on_nogo = {static_cast<OnNogo>(i), r_.loc(v)};
    }
  }

  NodeReader r_;
};

}  // namespace

Runbook LoadRunbook(std::string_view text, Diagnostics* diagnostics, const LoadOptions& options) {
  YamlTree tree;
  if (!tree.Parse(text, options.limits, diagnostics)) return Runbook{};
  Loader loader(tree, diagnostics);
  return loader.Load();
}

}  // namespace tminus
