#!/usr/bin/python3
"""Checks runbooks/schema.json against the example runbooks.

Usage: /usr/bin/python3 tests/runbooks/check_schema.py SCHEMA RUNBOOKS_DIR

1. Every *.yaml file in RUNBOOKS_DIR must be valid against SCHEMA.
2. Mistakes a runbook author makes must be rejected: misspelled keys (in a step,
   in a run spec, at the top level), YAML 1.1 booleans such as `yes`, malformed
   durations, T-times and instants, bad enum values, a run spec with two actions.
   Each mistake is made on a copy of every example, so each rejection is checked
   against a document that is otherwise valid.
3. Things the format allows must be accepted (x- keys, retries as an integer,
   merge keys, quorum N).

YAML is read the way the engine reads it (YAML 1.2 core scalars): only
true/false are booleans, `on` is a plain key, timestamps stay strings, and a
duplicate key is an error. Prints one line per check and a closing
`N passed, M failed` line; exits 1 when any check failed, 2 on a usage error.
"""

import copy
import json
import os
import re
import sys

import jsonschema
import yaml
from yaml.constructor import ConstructorError


# --------------------------------------------------------------------------- YAML


class RunbookLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and duplicate-key detection."""


RunbookLoader.yaml_implicit_resolvers = {}
RunbookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
RunbookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?[0-9]+$"),
    list("-+0123456789"),
)
RunbookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)
RunbookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null",
    re.compile(r"^(?:~|null|Null|NULL|)$"),
    ["~", "n", "N", ""],
)
RunbookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"]
)


def _construct_int(loader, node):
    # Decimal only: "010" is ten, not eight as in YAML 1.1.
    return int(loader.construct_scalar(node), 10)


def _construct_mapping(loader, node, deep=False):
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    raise ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "duplicate key %r (first at line %d)"
                        % (key, seen[key].line + 1), key_node.start_mark)
                seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


RunbookLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
RunbookLoader.construct_mapping = _construct_mapping


def load_yaml(text):
    return yaml.load(text, Loader=RunbookLoader)  # noqa: S506 (SafeLoader subclass)


# --------------------------------------------------------------------------- checks


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s" % name)
            for line in detail.splitlines():
                print("     %s" % line)


def all_errors(validator, doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def describe(errors, limit=20):
    lines = []
    for e in errors[:limit]:
        path = "/".join(str(p) for p in e.absolute_path) or "(top)"
        lines.append("%s: %s" % (path, e.message))
    if len(errors) > limit:
        lines.append("... and %d more" % (len(errors) - limit))
    return "\n".join(lines)


def flatten(errors):
    """Every error and every sub-error under oneOf/anyOf contexts."""
    out = []
    stack = list(errors)
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(e.context or [])
    return out


def errors_at(errors, path_prefix):
    """Errors (or their sub-errors) located at or under path_prefix."""
    hits = []
    for e in flatten(errors):
        p = list(e.absolute_path)
        if p[: len(path_prefix)] == list(path_prefix):
            hits.append(e)
    return hits


def first_step_with(doc, key, types=None):
    for i, step in enumerate(doc["steps"]):
        if key in step and (types is None or step.get("type", "task") in types):
            return i
    return None


def rename_key(mapping, old, new):
    """Renames a key in place, keeping the order of the others."""
    items = list(mapping.items())
    mapping.clear()
    for k, v in items:
        mapping[new if k == old else k] = v


def main(argv):
    if len(argv) != 3:
        print("usage: %s SCHEMA RUNBOOKS_DIR" % argv[0], file=sys.stderr)
        return 2
    schema_path, runbook_dir = argv[1], argv[2]
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        files = sorted(
            os.path.join(runbook_dir, n)
            for n in os.listdir(runbook_dir) if n.endswith(".yaml"))
    except (OSError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2

    r = Results()

    # The schema itself must be a valid draft-07 schema.
    try:
        jsonschema.Draft7Validator.check_schema(schema)
        r.check("schema is a valid draft-07 JSON Schema", True)
    except jsonschema.SchemaError as e:
        r.check("schema is a valid draft-07 JSON Schema", False, str(e))
        print("%d passed, %d failed" % (r.passed, r.failed))
        return 1
    r.check("schema declares draft-07",
            schema.get("$schema", "").startswith("http://json-schema.org/draft-07/schema"),
            "$schema is %r" % schema.get("$schema"))
    validator = jsonschema.Draft7Validator(schema)

    r.check("runbook directory holds example runbooks", len(files) > 0,
            "no *.yaml in %s" % runbook_dir)

    # ---------------------------------------------------------------- 1. examples
    examples = {}
    for path in files:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            doc = load_yaml(text)
        except yaml.YAMLError as e:
            r.check("%s parses as YAML" % name, False, str(e))
            continue
        first_line = text.splitlines()[0] if text else ""
        r.check("%s starts with the yaml-language-server $schema comment" % name,
                first_line.strip() == "# yaml-language-server: $schema=./schema.json",
                "first line is %r" % first_line)
        errs = all_errors(validator, doc)
        r.check("%s is valid against the schema" % name, not errs, describe(errs))
        if not errs:
            examples[name] = (text, doc)

    if not examples:
        r.check("at least one valid example to mutate", False)
        print("%d passed, %d failed" % (r.passed, r.failed))
        return 1

    # ---------------------------------------------------------------- 2. mistakes
    def expect_rejected(label, name, doc, where, token=None):
        errs = all_errors(validator, doc)
        hits = errors_at(errs, where) if where is not None else flatten(errs)
        if token is not None:
            hits = [e for e in hits if token in e.message or token in json.dumps(e.instance, default=str)]
        detail = ("accepted" if not errs else
                  "rejected, but not at %s%s:\n%s" % (
                      "/".join(map(str, where or [])),
                      " mentioning %r" % token if token else "", describe(errs)))
        r.check("%s: %s is rejected" % (name, label), bool(errs) and bool(hits), detail)

    def expect_accepted(label, name, doc):
        errs = all_errors(validator, doc)
        r.check("%s: %s is accepted" % (name, label), not errs, describe(errs))

    def expect_text_rejected(label, name, text, old, new, token):
        if old not in text:
            r.check("%s: %s is rejected" % (name, label), False,
                    "the example has no %r to change" % old)
            return
        mutated = text.replace(old, new, 1)
        try:
            doc = load_yaml(mutated)
        except yaml.YAMLError as e:
            r.check("%s: %s is rejected" % (name, label), False,
                    "mutated text no longer parses: %s" % e)
            return
        expect_rejected(label, name, doc, None, token)

    for name, (text, base) in examples.items():
        # Misspelled key in a step.
        i = first_step_with(base, "needs")
        if i is None:
            r.check("%s: has a step with needs" % name, False)
        else:
            d = copy.deepcopy(base)
            rename_key(d["steps"][i], "needs", "neds")
            expect_rejected("misspelled step key 'neds'", name, d, ["steps", i], "neds")

        # Misspelled key in a run spec.
        i = first_step_with(base, "run")
        d = copy.deepcopy(base)
        run = d["steps"][i]["run"]
        action = next(k for k in ("command", "shell", "probe") if k in run)
        rename_key(run, action, action[:-1])
        expect_rejected("misspelled run key %r" % action[:-1], name, d,
                        ["steps", i, "run"], action[:-1])

        # Misspelled top-level keys.
        for old, new in (("window", "windw"), ("steps", "step"), ("roles", "role")):
            if old not in base:
                continue
            d = copy.deepcopy(base)
            rename_key(d, old, new)
            expect_rejected("misspelled top-level key %r" % new, name, d, [], new)

        # A misspelled key inside a target, a rollback and the window.
        for tname, target in base.get("targets", {}).items():
            if "ssh" in target:
                d = copy.deepcopy(base)
                d["targets"][tname]["ssh"]["usr"] = "cutover"
                expect_rejected("misspelled ssh key 'usr'", name, d, ["targets", tname], "usr")
                break
        if "window" in base:
            d = copy.deepcopy(base)
            d["window"]["ends"] = d["window"].pop("end", "T+08:00")
            expect_rejected("misspelled window key 'ends'", name, d, ["window"], "ends")
        i = first_step_with(base, "rollback")
        if i is not None:
            d = copy.deepcopy(base)
            d["steps"][i]["rollback"]["comand"] = ["true"]
            expect_rejected("unknown rollback key 'comand'", name, d,
                            ["steps", i, "rollback"], "comand")

        # YAML 1.1 booleans are strings, and strings are not booleans.
        if "no_return: true" in text:
            expect_text_rejected("'no_return: yes'", name, text,
                                 "no_return: true", "no_return: yes", "yes")
        if "idempotent: true" in text:
            expect_text_rejected("'idempotent: on'", name, text,
                                 "idempotent: true", "idempotent: on", "on")
        i = first_step_with(base, "run", ("task",))
        if i is not None:
            d = copy.deepcopy(base)
            d["steps"][i]["idempotent"] = "yes"
            expect_rejected("idempotent: 'yes'", name, d, ["steps", i, "idempotent"])

        # Durations.
        i = first_step_with(base, "duration")
        for bad in ("15 minutes", "90", "1m30h", "1.5h", "15M", "h"):
            d = copy.deepcopy(base)
            d["steps"][i]["duration"] = bad
            expect_rejected("duration %r" % bad, name, d, ["steps", i, "duration"])
        d = copy.deepcopy(base)
        d.setdefault("defaults", {})["timeout"] = "10 min"
        expect_rejected("defaults.timeout '10 min'", name, d, ["defaults", "timeout"])
        d = copy.deepcopy(base)
        d["steps"][i]["retries"] = {"count": 2, "delay": "thirty seconds"}
        expect_rejected("retries.delay 'thirty seconds'", name, d, ["steps", i, "retries"])
        for good in ("90s", "1h30m", "2h", "1d", "1d2h3m4s", "0s"):
            d = copy.deepcopy(base)
            d["steps"][i]["duration"] = good
            expect_accepted("duration %r" % good, name, d)

        # T-times and instants.
        for bad in ("T-2h30", "T+1:5", "T+1:60", "02:00", "T 02:00", "T-02:00:00:00",
                    "2026-12-05 22:00", "2026-12-05T22:00:00"):
            d = copy.deepcopy(base)
            d["steps"][i]["not_before"] = bad
            expect_rejected("not_before %r" % bad, name, d, ["steps", i, "not_before"])
        for good in ("T-02:00", "T+00:15", "T+1:30:00", "T+90m", "T-2h",
                     "2026-12-05T22:00:00-05:00", "2026-12-06T03:00:00Z"):
            d = copy.deepcopy(base)
            d["steps"][i]["not_before"] = good
            expect_accepted("not_before %r" % good, name, d)
        if "window" in base:
            d = copy.deepcopy(base)
            d["window"]["end"] = "8h"
            expect_rejected("window.end '8h'", name, d, ["window", "end"])
            d = copy.deepcopy(base)
            d["window"]["start"] = "tonight 22:00"
            expect_rejected("window.start 'tonight 22:00'", name, d, ["window", "start"])

        # Enumerations and ids.
        d = copy.deepcopy(base)
        d["steps"][0]["type"] = "taks"
        expect_rejected("type 'taks'", name, d, ["steps", 0])
        d = copy.deepcopy(base)
        d["steps"][i]["on_failure"] = "ignore"
        expect_rejected("on_failure 'ignore'", name, d, ["steps", i, "on_failure"])
        d = copy.deepcopy(base)
        d["steps"][0]["id"] = "Stop App"
        expect_rejected("step id 'Stop App'", name, d, ["steps", 0, "id"])
        d = copy.deepcopy(base)
        d["name"] = "ERP_Wave"
        expect_rejected("name 'ERP_Wave'", name, d, ["name"])
        d = copy.deepcopy(base)
        d["runbook"] = 2
        expect_rejected("runbook: 2", name, d, ["runbook"])
        g = first_step_with(base, "approvers", ("gate",))
        if g is not None:
            for key, bad in (("on_nogo", "pause"), ("on_timeout", "maybe"), ("quorum", "most"),
                             ("quorum", 0)):
                d = copy.deepcopy(base)
                d["steps"][g][key] = bad
                expect_rejected("gate %s %r" % (key, bad), name, d, ["steps", g, key])

        # Shape rules.
        i = first_step_with(base, "run", ("task", "check"))
        d = copy.deepcopy(base)
        d["steps"][i]["run"]["shell"] = "true"
        d["steps"][i]["run"]["command"] = ["true"]
        expect_rejected("run with both command and shell", name, d, ["steps", i, "run"])
        d = copy.deepcopy(base)
        for k in ("command", "shell", "probe"):
            d["steps"][i]["run"].pop(k, None)
        expect_rejected("run with no action", name, d, ["steps", i, "run"])
        d = copy.deepcopy(base)
        del d["steps"][i]["run"]
        expect_rejected("task/check without run", name, d, ["steps", i])
        m = first_step_with(base, "owner", ("manual",))
        if m is not None:
            d = copy.deepcopy(base)
            del d["steps"][m]["owner"]
            expect_rejected("manual step without owner", name, d, ["steps", m])
            d = copy.deepcopy(base)
            d["steps"][m]["criteria"] = [base["steps"][0]["id"]]
            expect_rejected("criteria on a manual step", name, d, ["steps", m])
        ms = first_step_with(base, "id", ("milestone",))
        if ms is not None:
            d = copy.deepcopy(base)
            d["steps"][ms]["run"] = {"on": "local", "command": ["true"]}
            expect_rejected("run on a milestone", name, d, ["steps", ms])
        if m is not None:
            d = copy.deepcopy(base)
            d["steps"][m]["on_failure"] = "continue"
            expect_rejected("on_failure on a manual step", name, d, ["steps", m])
        if ms is not None:
            d = copy.deepcopy(base)
            d["steps"][ms]["duration"] = "5m"
            expect_rejected("a milestone with duration 5m", name, d, ["steps", ms])
        d = copy.deepcopy(base)
        d["steps"][i]["timeout"] = "0s"
        expect_rejected("timeout: 0s", name, d, ["steps", i, "timeout"])
        d = copy.deepcopy(base)
        d["steps"][i]["retries"] = -1
        expect_rejected("retries: -1", name, d, ["steps", i, "retries"])
        d = copy.deepcopy(base)
        d["targets"] = dict(d.get("targets", {}))
        d["targets"]["local"] = {"agents": {"role": "x"}}
        expect_rejected("a target named 'local'", name, d, ["targets"])
        d = copy.deepcopy(base)
        d["targets"] = dict(d.get("targets", {}))
        d["targets"]["both"] = {"agents": {"role": "x"}, "ssh": {"host": "h"}}
        expect_rejected("a target with both agents and ssh", name, d, ["targets", "both"])
        d = copy.deepcopy(base)
        d["secrets"] = {"bad": {"env": "A", "file": "/b"}}
        expect_rejected("a secret with both env and file", name, d, ["secrets", "bad"])

        # Duplicate keys are errors when reading.
        dup = text.replace("\nsteps:", "\nname: again\nsteps:", 1)
        try:
            load_yaml(dup)
            r.check("%s: a duplicate top-level key is rejected" % name, False,
                    "loaded without error")
        except yaml.YAMLError:
            r.check("%s: a duplicate top-level key is rejected" % name, "\nsteps:" in text)

        # ------------------------------------------------------------ 3. allowed
        d = copy.deepcopy(base)
        d["x-owner-notes"] = {"anything": [1, 2, 3]}
        d["steps"][i]["x-jira"] = "INFRA-1234"
        d["steps"][i]["run"]["x-note"] = "free text"
        expect_accepted("x- keys at top level, in a step and in a run spec", name, d)
        d = copy.deepcopy(base)
        d["steps"][i]["retries"] = 3
        expect_accepted("retries: 3", name, d)
        d = copy.deepcopy(base)
        d["steps"][i]["retries"] = {"count": 2, "delay": "30s"}
        expect_accepted("retries: {count: 2, delay: 30s}", name, d)
        if g is not None:
            d = copy.deepcopy(base)
            d["steps"][g]["quorum"] = 2
            expect_accepted("gate quorum: 2", name, d)

    # Merge keys resolve before validation.
    merged = load_yaml(
        "runbook: 1\nname: merge-demo\n"
        "x-base: &base {on: local, env: {A: b}}\n"
        "steps:\n"
        "  - id: one\n    run:\n      <<: *base\n      command: [/bin/true]\n")
    r.check("merge keys (<<) resolve before validation",
            merged["steps"][0]["run"] == {"on": "local", "env": {"A": "b"},
                                          "command": ["/bin/true"]},
            repr(merged["steps"][0]["run"]))
    errs = all_errors(validator, merged)
    r.check("a runbook using a merge key is valid", not errs, describe(errs))

    print("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
