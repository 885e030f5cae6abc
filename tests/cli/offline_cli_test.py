#!/usr/bin/python3
"""The offline commands as a user runs them: exit codes, diagnostics format, --json.

Usage: offline_cli_test.py TMINUS RUNBOOKS_DIR
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_checks import Checks  # noqa: E402

TMINUS, RUNBOOKS = sys.argv[1], sys.argv[2]
MAIN = os.path.join(RUNBOOKS, "dc-to-cloud-wave.yaml")
checks = Checks(TMINUS, timeout=60)
run, run_bytes, check = checks.run, checks.run_bytes, checks.check


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


TEN_MISTAKES = """runbook: 1
name: ten-mistakes
window:
  start: 2026-12-05T22:00:00-05:00
  end: T+01:00
roles:
  lead: [alice]
targets:
  db: {agents: {role: db}}
vars:
  vip: 10.0.0.1
steps:
  - id: freeze
    type: manual
    owner: leed
    duration: 30m
  - id: backup
    needs: [freez]
    duration: 2 hours
    run: {on: dbb, command: [backup, "${vipp}"]}
  - id: backup
    needs: [freeze]
    run: {on: db, command: [true]}
  - id: a
    needs: [b]
    run: {on: db, command: [true]}
  - id: b
    needs: [a]
    run: {on: db, command: [true]}
  - id: gate
    type: gate
    needs: [freeze]
    criteria: [a]
    approvers: [lead]
    timout: 5m
  - id: ponr
    type: milestone
    needs: [gate]
    no_return: yes
"""

with tempfile.TemporaryDirectory() as tmp:
    # validate: every example is valid, strict
    files = sorted(os.path.join(RUNBOOKS, f) for f in os.listdir(RUNBOOKS) if f.endswith(".yaml"))
    code, out, err = run("validate", "--strict", *files)
    check("examples validate", code == 0, out + err)
    check("summary per file", out.count(": valid,") == len(files), out)

    # ten mistakes: ten FILE:LINE:COL diagnostics, exit 1
    bad = write(tmp, "bad.yaml", TEN_MISTAKES)
    code, out, err = run("validate", bad)
    lines = [l for l in out.splitlines() if re.match(re.escape(bad) + r":\d+:\d+: error: ", l)]
    check("ten mistakes exit 1", code == 1, f"{code} {out} {err}")
    check("ten mistakes ten errors", len(lines) == 10, out)
    expected_positions = ["15:12", "18:13", "19:15", "20:15", "20:38", "21:9", "25:13", "33:16",
                          "35:5", "39:16"]
    positions = [re.match(re.escape(bad) + r":(\d+:\d+):", l).group(1) for l in lines]
    check("ten mistakes positions", positions == expected_positions, positions)

    # --json shape from cli.md
    code, out, err = run("validate", "--json", bad, MAIN)
    doc = json.loads(out)
    check("json exit", code == 1, code)
    check("json files", [f["file"] for f in doc["files"]] == [bad, MAIN], doc)
    check("json valid flags", [f["valid"] for f in doc["files"]] == [False, True], doc)
    d0 = doc["files"][0]["diagnostics"][0]
    check("json diagnostic fields", set(d0) == {"severity", "line", "column", "message"}, d0)
    check("json diagnostic first", (d0["severity"], d0["line"], d0["column"]) == ("error", 15, 12), d0)

    # --strict turns warnings into errors
    warn = write(tmp, "warn.yaml", "runbook: 1\nname: w\nroles: {lead: [alice]}\n"
                 "window: {start: 2026-12-05T22:00:00Z, end: T+00:30}\n"
                 "steps:\n  - {id: a, type: manual, owner: lead, duration: 1h}\n")
    code, out, _ = run("validate", warn)
    check("warning alone is valid", code == 0 and ": warning: the plan does not fit" in out, out)
    code, out, _ = run("validate", "--strict", warn)
    check("strict makes it an error", code == 1 and ": error: the plan does not fit" in out, out)

    # I/O and usage errors exit 2
    code, _, err = run("validate", os.path.join(tmp, "missing.yaml"))
    check("missing file exit 2", code == 2 and "cannot read" in err, err)
    code, _, err = run("validate", "--bogus", MAIN)
    check("bad flag exit 2", code == 2, err)
    code, _, err = run("frobnicate")
    check("unknown command exit 2", code == 2, err)
    code, out, _ = run("--help")
    check("help exit 0", code == 0 and "validate" in out and "plan" in out, out)

    # plan --json as cli.md describes it
    code, out, err = run("plan", "--json", MAIN)
    check("plan json exit", code == 0, err)
    plan = json.loads(out)
    for key in ["name", "t0", "origin_offset_s", "end_offset_s", "window_end_offset_s",
                "fits_window", "critical_path", "steps"]:
        check(f"plan json has {key}", key in plan, plan.keys())
    check("plan t0", plan["t0"] == "2026-12-05T22:00:00-05:00", plan["t0"])
    check("plan window", plan["window_end_offset_s"] == 8 * 3600, plan["window_end_offset_s"])
    check("plan fits", plan["fits_window"] is True and plan["end_offset_s"] <= 8 * 3600, plan)
    s0 = plan["steps"][0]
    for key in ["id", "start_offset_s", "end_offset_s", "slack_s", "critical"]:
        check(f"plan step has {key}", key in s0, s0)
    critical = [s["id"] for s in plan["steps"] if s["critical"]]
    check("critical path steps have zero slack",
          all(s["slack_s"] == 0 for s in plan["steps"] if s["id"] in plan["critical_path"]), plan)
    check("critical path is a subset of critical steps", set(plan["critical_path"]) <= set(critical))
    check("critical path ends at the end",
          next(s for s in plan["steps"] if s["id"] == plan["critical_path"][-1])["end_offset_s"]
          == plan["end_offset_s"])

    # plan without T0: t0 null, times relative
    rel = write(tmp, "rel.yaml", "runbook: 1\nname: rel\nroles: {lead: [alice]}\nsteps:\n"
                "  - {id: a, type: manual, owner: lead, duration: 10m}\n"
                "  - {id: b, type: manual, owner: lead, duration: 5m, needs: [a]}\n")
    code, out, err = run("plan", "--json", rel)
    plan = json.loads(out)
    check("no t0 is null", plan["t0"] is None and plan["window_end_offset_s"] is None, plan)
    check("no t0 end", plan["end_offset_s"] == 900 and plan["critical_path"] == ["a", "b"], plan)
    code, out, err = run("plan", rel, "--t0", "2026-12-05T22:00:00+01:00")
    check("t0 flag gives clock times", code == 0 and "12-05 22:10" in out, out)
    code, _, err = run("plan", rel, "--t0", "tomorrow")
    check("bad t0 exit 2", code == 2 and "--t0" in err, err)

    # human table and mermaid
    code, out, err = run("plan", MAIN)
    check("plan table", code == 0 and "Critical path" in out and "Window closes" in out
          and "margin" in out, out[-500:])
    code, out, err = run("plan", "--mermaid", MAIN)
    check("mermaid", code == 0 and out.startswith("gantt\n") and ":crit, " in out
          and "section network" in out, out[:300])

    # an invalid runbook cannot be planned
    code, out, err = run("plan", bad)
    check("plan of invalid exit 1", code == 1 and "not valid" in err, err)

checks.finish()
