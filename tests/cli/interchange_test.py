#!/usr/bin/python3
"""Plan exports and spreadsheet imports as a user runs them, read back by independent
parsers: Python's xml.etree for MS Project XML, its csv module for the task list.

Usage: interchange_test.py TMINUS RUNBOOKS_DIR
"""
import csv
import io
import json
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_checks import Checks  # noqa: E402

TMINUS, RUNBOOKS = sys.argv[1], sys.argv[2]
NS = {"p": "http://schemas.microsoft.com/project"}
TEXT1 = "188743731"
checks = Checks(TMINUS, timeout=60)
run, run_bytes, check = checks.run, checks.run_bytes, checks.check


def ttime_seconds(text):
    """T-04:00, T+1:30:00, T+90m, T-2h as seconds."""
    m = re.fullmatch(r"T([+-])(\d+):(\d\d)(?::(\d\d))?", text)
    if m:
        s = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4) or 0)
    else:
        m = re.fullmatch(r"T([+-])(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
        assert m, text
        d, h, mi, se = (int(g or 0) for g in m.groups()[1:])
        s = d * 86400 + h * 3600 + mi * 60 + se
    return -s if m.group(1) == "-" else s


def iso_duration_seconds(text):
    m = re.fullmatch(r"PT(\d+)H(\d+)M(\d+)S", text)
    assert m, text
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def local(t0, offset_s):
    """MSPDI's date: the runbook's local time, no offset."""
    return (t0 + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%S")


def sheet_time(t0, offset_s):
    if t0 is None:
        sign = "-" if offset_s < 0 else "+"
        a = abs(offset_s)
        text = f"T{sign}{a // 3600:02d}:{a % 3600 // 60:02d}"
        return text + (f":{a % 60:02d}" if a % 60 else "")
    t = t0 + timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%d %H:%M") + (t.strftime(":%S") if t.second else "")


def duration_text(s):
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    if s == 0:
        return "0s"
    if h:
        return f"{h}h" + (f"{m:02d}m" if m or sec else "") + (f"{sec:02d}s" if sec else "")
    if m:
        return f"{m}m" + (f"{sec:02d}s" if sec else "")
    return f"{sec}s"


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def plan_json(path, *extra):
    code, out, err = run("plan", path, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def check_msproject(name, path, xml_path, extra):
    doc = load_yaml(path)
    steps = {s["id"]: s for s in doc["steps"]}
    plan = plan_json(path, *extra)
    t0 = datetime.fromisoformat(plan["t0"])
    tree = ET.parse(xml_path)
    root = tree.getroot()
    check(f"{name}: root", root.tag == "{%s}Project" % NS["p"], root.tag)
    check(f"{name}: project dates",
          root.findtext("p:StartDate", namespaces=NS) == local(t0, plan["origin_offset_s"]) and
          root.findtext("p:FinishDate", namespaces=NS) == local(t0, plan["end_offset_s"]),
          (root.findtext("p:StartDate", namespaces=NS), root.findtext("p:FinishDate", namespaces=NS)))
    title = doc.get("title", doc["name"])
    check(f"{name}: title", root.findtext("p:Title", namespaces=NS) == title)
    tasks = root.findall("p:Tasks/p:Task", NS)
    by_uid = {t.findtext("p:UID", namespaces=NS): t for t in tasks}
    step_of_uid, task_of_step, summary_of_step = {}, {}, {}
    current_summary = None
    for t in tasks:
        level = t.findtext("p:OutlineLevel", namespaces=NS)
        if level == "1":
            current_summary = t
        elif level == "2":
            ids = [e.findtext("p:Value", namespaces=NS) for e in t.findall("p:ExtendedAttribute", NS)
                   if e.findtext("p:FieldID", namespaces=NS) == TEXT1]
            check(f"{name}: step id in Text1", len(ids) == 1, ids)
            step_id = ids[0]
            step_of_uid[t.findtext("p:UID", namespaces=NS)] = step_id
            task_of_step[step_id] = t
            summary_of_step[step_id] = current_summary
    check(f"{name}: one task per step", sorted(task_of_step) == sorted(steps),
          set(steps) ^ set(task_of_step))
    resources = {r.findtext("p:UID", namespaces=NS): r.findtext("p:Name", namespaces=NS)
                 for r in root.findall("p:Resources/p:Resource", NS)}
    owner_of_task = {}
    for a in root.findall("p:Assignments/p:Assignment", NS):
        owner_of_task[a.findtext("p:TaskUID", namespaces=NS)] = resources[a.findtext("p:ResourceUID", namespaces=NS)]
    children = {}
    for p in plan["steps"]:
        sid = p["id"]
        s = steps[sid]
        t = task_of_step.get(sid)
        if t is None:
            continue
        where = f"{name}: step {sid}"
        check(f"{where} start", t.findtext("p:Start", namespaces=NS) == local(t0, p["start_offset_s"]),
              (t.findtext("p:Start", namespaces=NS), local(t0, p["start_offset_s"])))
        check(f"{where} finish", t.findtext("p:Finish", namespaces=NS) == local(t0, p["end_offset_s"]))
        check(f"{where} duration",
              iso_duration_seconds(t.findtext("p:Duration", namespaces=NS)) == p["duration_s"])
        check(f"{where} name", t.findtext("p:Name", namespaces=NS) == s.get("title", sid))
        links = t.findall("p:PredecessorLink", NS)
        check(f"{where} predecessors",
              sorted(step_of_uid[l.findtext("p:PredecessorUID", namespaces=NS)] for l in links) ==
              sorted(set(s.get("needs", []))),
              [ET.tostring(l) for l in links])
        check(f"{where} finish-to-start", all(l.findtext("p:Type", namespaces=NS) == "1" for l in links))
        if "not_before" in s:
            nb = str(s["not_before"])
            nb_s = ttime_seconds(nb) if nb.startswith("T") else int(
                (datetime.fromisoformat(nb) - t0).total_seconds())
            check(f"{where} constraint",
                  t.findtext("p:ConstraintType", namespaces=NS) == "4" and
                  t.findtext("p:ConstraintDate", namespaces=NS) == local(t0, nb_s),
                  (t.findtext("p:ConstraintType", namespaces=NS), t.findtext("p:ConstraintDate", namespaces=NS)))
        else:
            check(f"{where} no constraint", t.findtext("p:ConstraintType", namespaces=NS) == "0")
        milestone = s.get("type") in ("milestone", "gate") or p["duration_s"] == 0
        check(f"{where} milestone", t.findtext("p:Milestone", namespaces=NS) == ("1" if milestone else "0"))
        summary = summary_of_step[sid]
        check(f"{where} outline", summary is not None and
              summary.findtext("p:Name", namespaces=NS) == (s.get("stream") or "general"),
              summary is not None and summary.findtext("p:Name", namespaces=NS))
        children.setdefault(summary.findtext("p:UID", namespaces=NS), []).append(p)
        uid = t.findtext("p:UID", namespaces=NS)
        check(f"{where} owner", owner_of_task.get(uid) == s.get("owner"), (owner_of_task.get(uid), s.get("owner")))
    for uid, members in children.items():
        summary = by_uid[uid]
        check(f"{name}: summary {summary.findtext('p:Name', namespaces=NS)} span",
              summary.findtext("p:Start", namespaces=NS) == local(t0, min(m["start_offset_s"] for m in members)) and
              summary.findtext("p:Finish", namespaces=NS) == local(t0, max(m["end_offset_s"] for m in members)) and
              summary.findtext("p:Summary", namespaces=NS) == "1")


def check_task_csv(name, path, data, extra):
    """The CSV export itself: BOM, CRLF, one row per step in plan order, values from the plan."""
    plan = plan_json(path, *extra)
    doc = load_yaml(path)
    steps = {s["id"]: s for s in doc["steps"]}
    check(f"{name}: BOM", data.startswith(b"\xef\xbb\xbf"))
    text = data[3:].decode("utf-8")
    check(f"{name}: CRLF only", text.count("\n") == text.count("\r\n") and text.count("\n") > 1)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    check(f"{name}: header", header == ["ID", "Title", "Stream", "Owner", "Type", "Duration",
                                        "Planned start", "Planned end", "Predecessors",
                                        "Critical", "Slack"], header)
    order = [p for _, p in sorted(enumerate(plan["steps"]), key=lambda ip: (ip[1]["start_offset_s"], ip[0]))]
    check(f"{name}: plan order", [r[0] for r in rows[1:]] == [p["id"] for p in order])
    t0 = datetime.fromisoformat(plan["t0"]) if plan["t0"] else None
    for row, p in zip(rows[1:], order):
        s = steps[p["id"]]
        expected = [p["id"], s.get("title", ""), s.get("stream", ""), s.get("owner", ""), p["type"],
                    duration_text(p["duration_s"]), sheet_time(t0, p["start_offset_s"]),
                    sheet_time(t0, p["end_offset_s"]), ",".join(s.get("needs", [])),
                    "yes" if p["critical"] else "no", duration_text(p["slack_s"])]
        check(f"{name}: row {p['id']}", row == expected, (row, expected))


# What the examples do not show: markup and non-ASCII in titles and names, a step without
# needs at T0 while pre-checks start before it, a not_before its needs already pass, a
# duration in seconds, steps without stream or owner, a gate and a task.
EDGES = """runbook: 1
name: edges
title: "Cut & run: <DC> \\"night\\" – Zürich"
window:
  start: 2027-03-06T21:00:00+01:00
roles:
  ops: [Olu Ødegård]
  dba: [bogdan]
steps:
  - {id: pre, title: "Pre-check, part 1 & 2", type: manual, owner: ops, not_before: T-02:00, duration: 10m, stream: "R&D <lab>"}
  - {id: opens, title: "Window opens: \\"go\\" # now", type: manual, owner: Olu Ødegård, not_before: T+00:00, duration: 90s}
  - {id: copy, type: task, owner: dba, needs: [pre], duration: 1h, run: {on: local, command: ["true"]}, stream: database}
  - {id: late-nb, type: check, needs: [copy], not_before: T-01:00, duration: 45s, run: {on: local, command: ["true"]}, stream: database}
  - {id: gate, type: gate, needs: [opens, late-nb], duration: 5m}
  - {id: done, type: milestone, needs: [gate], stream: "R&D <lab>"}
"""

with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "edges.yaml"), "w", encoding="utf-8") as edges_file:
        edges_file.write(EDGES)
    code, out, err = run("validate", "--strict", os.path.join(tmp, "edges.yaml"))
    check("edge runbook is valid", code == 0, out + err)
    examples = sorted(os.path.join(RUNBOOKS, f) for f in os.listdir(RUNBOOKS) if f.endswith(".yaml"))
    check("examples found", len(examples) >= 3, examples)
    examples.append(os.path.join(tmp, "edges.yaml"))

    # (a) MS Project XML against plan --json, for every example (--t0 where it has no T0).
    for path in examples:
        f = os.path.basename(path)
        extra = [] if "start" in (load_yaml(path).get("window") or {}) else ["--t0", "2027-03-06T21:00:00+01:00"]
        xml_path = os.path.join(tmp, f + ".xml")
        code, out, err = run("plan", path, "--msproject", xml_path, *extra)
        check(f"{f}: --msproject exit", code == 0, err)
        check(f"{f}: --msproject keeps the table on stdout", "Critical path" in out, out[:200])
        check_msproject(f, path, xml_path, extra)
    no_t0 = os.path.join(RUNBOOKS, "local-data-migration.yaml")
    refused = os.path.join(tmp, "refused.xml")
    code, _, err = run("plan", no_t0, "--msproject", refused)
    check("--msproject without T0 exits 2", code == 2 and "--t0" in err and not os.path.exists(refused), err)

    # Output flags: --csv, --json and --mermaid exclude each other; --msproject combines.
    for a, b in (("--csv", "--json"), ("--csv", "--mermaid"), ("--json", "--mermaid")):
        code, _, err = run("plan", no_t0, a, b)
        check(f"{a} with {b} exits 2", code == 2, err)
    both = os.path.join(tmp, "both.xml")
    main = os.path.join(RUNBOOKS, "dc-to-cloud-wave.yaml")
    code, out, err = run("plan", main, "--csv", "--msproject", both)
    check("--csv with --msproject", code == 0 and out.startswith("\ufeffID,") and os.path.getsize(both) > 0, err)

    # (b) The round trip: export, import, validate, export again: the same file.
    for path in examples:
        f = os.path.basename(path)
        has_t0 = "start" in (load_yaml(path).get("window") or {})
        code, exported, err = run_bytes("plan", path, "--csv")
        check(f"{f}: plan --csv exit", code == 0, err)
        check_task_csv(f, path, exported, [])
        sheet = os.path.join(tmp, f + ".csv")
        with open(sheet, "wb") as out_file:
            out_file.write(exported)
        t0_args = [[]]
        if has_t0:
            t0_args.append(["--t0", plan_json(path)["t0"]])
        for args in t0_args:
            imported = os.path.join(tmp, f + ".imported.yaml")
            code, _, err = run("import", "--csv", sheet, "--output", imported, "--force", *args)
            check(f"{f}: import {args} exit", code == 0, err)
            code, out, err = run("validate", imported)
            check(f"{f}: imported runbook validates {args}", code == 0 and "valid," in out, out + err)
            code, again, err = run_bytes("plan", imported, "--csv")
            check(f"{f}: round trip {args}", code == 0 and again == exported,
                  "\n".join(l for l in again.decode().splitlines() if l not in exported.decode().splitlines())[:1500])
            if args:
                check(f"{f}: T0 kept with --t0", plan_json(imported)["t0"] == plan_json(path)["t0"])
        # Without --output the runbook goes to stdout, and only it.
        code, out, err = run("import", "--csv", sheet, "--name", "to-stdout")
        check(f"{f}: import to stdout", code == 0 and yaml.safe_load(out)["name"] == "to-stdout", err)

    # (c) A sheet as Excel writes it in a semicolon locale: BOM, CRLF, decimal commas,
    # quoted fields, MS Project-style predecessors with a lag.
    excel = ("\ufeffID;Task Name;Duration;Predecessors;Resource Names;Start;Phase\r\n"
             "1;Open bridge;15 mins;;Cutover Lead;2026-12-05 21:00;coordination\r\n"
             "2;\"Stop app; drain queues\";1,5h;1;App Team;;application\r\n"
             "3;\"Back up: \"\"cold\"\" copy, with checksums\";2 hrs;1FS;DBA Team;;database\r\n"
             "4;Switch DNS;30;2;Network;2026-12-06 01:00;network\r\n"
             "5;Go live;0;4FS+2h;Cutover Lead;;coordination\r\n")
    excel_path = os.path.join(tmp, "Wave 3 (Excel).csv")
    with open(excel_path, "w", encoding="utf-8", newline="") as out_file:
        out_file.write(excel)
    excel_yaml = os.path.join(tmp, "excel.yaml")
    code, out, err = run("import", "--csv", excel_path, "--output", excel_yaml,
                         "--t0", "2026-12-05T22:00:00-05:00")
    check("excel import exit", code == 0, err)
    check("excel lag warned at its line", re.search(re.escape(excel_path) + r":6:4: warning: .*lag \+2h", err), err)
    code, out, err = run("validate", "--strict", excel_yaml)
    check("excel import validates strictly", code == 0, out + err)
    doc = load_yaml(excel_yaml)
    check("excel name from the file", doc["name"] == "wave-3-excel", doc["name"])
    by_title = {s.get("title"): s for s in doc["steps"]}
    check("excel quoted title", 'Back up: "cold" copy, with checksums' in by_title, list(by_title))
    plan = plan_json(excel_yaml)
    offsets = {p["id"]: p for p in plan["steps"]}
    ids = {s.get("title"): s["id"] for s in doc["steps"]}
    stop = offsets[ids["Stop app; drain queues"]]
    check("excel 1,5h", stop["duration_s"] == 5400, stop)
    check("excel bare 30 is minutes", offsets[ids["Switch DNS"]]["duration_s"] == 1800)
    check("excel start before T0 kept", offsets[ids["Open bridge"]]["start_offset_s"] == -3600, offsets[ids["Open bridge"]])
    check("excel later start kept", offsets[ids["Switch DNS"]]["start_offset_s"] == 3 * 3600)
    check("excel milestone", by_title["Go live"]["type"] == "milestone")
    check("excel needs mapped", by_title["Go live"]["needs"] == [ids["Switch DNS"]])
    check("excel owners declared", all(any(s["owner"] in people for people in doc["roles"].values())
                                       for s in doc["steps"] if "owner" in s), doc["roles"])

    # The same kind of sheet from Python's csv module in Excel's dialect (commas, a line
    # break inside a quoted name), read as a tminus runbook with T-times.
    buf = io.StringIO(newline="")
    w = csv.writer(buf, dialect="excel")
    w.writerow(["Task", "Dur", "Depends on", "Owner", "Not before", "Workstream"])
    w.writerow(["Freeze, then check", "1.5h", "", "Ops", "T-01:00", "app"])
    w.writerow(["Copy\ndata", "90 mins", "1", "Storage Team", "", "storage"])
    w.writerow(["Verify", "1 hr 30 mins", "1;2", "Ops", "", "storage"])
    dialect_path = os.path.join(tmp, "dialect.csv")
    with open(dialect_path, "w", encoding="utf-8", newline="") as out_file:
        out_file.write(buf.getvalue())
    code, out, err = run("import", "--csv", dialect_path)
    check("excel dialect import", code == 0, err)
    doc = yaml.safe_load(out)
    check("excel dialect titles", [s["title"] for s in doc["steps"]] == ["Freeze, then check", "Copy\ndata", "Verify"], doc["steps"])
    check("excel dialect needs", doc["steps"][2]["needs"] == [doc["steps"][0]["id"], doc["steps"][1]["id"]], doc["steps"][2])
    check("excel dialect no window", "window" not in doc and doc["steps"][0]["not_before"] == "T-01:00", doc)

    # (d) Bad sheets: exit 1 and an error at the line (and column) of the cell.
    bad_cases = {
        "unknown predecessor": ("ID,Name,Duration,Predecessors\n1,A,5m,\n2,B,5m,7\n", 3, "is not a task"),
        "cycle": ("ID,Name,Duration,Predecessors\n1,A,5m,3\n2,B,5m,1\n3,C,5m,2\n", 2, "dependency cycle"),
        "duplicate id": ("ID,Name,Duration\nstop,A,5m\nstart,B,5m\nstop,C,5m\n", 4, "duplicate id 'stop'"),
        "bad duration": ("Name,Duration\nA,5m\n\"B\nsplit\",5m\nC,a while\n", 5, "'a while' is not a duration"),
        "missing name column": ("ID,Duration,Owner\n1,5m,ops\n", 1, "no name column"),
    }
    for what, (text, line, message) in bad_cases.items():
        bad = os.path.join(tmp, what.replace(" ", "-") + ".csv")
        with open(bad, "w", newline="") as out_file:
            out_file.write(text)
        target = os.path.join(tmp, what.replace(" ", "-") + ".yaml")
        code, out, err = run("import", "--csv", bad, "--output", target)
        check(f"{what}: exit 1", code == 1, (code, err))
        check(f"{what}: error at line {line}",
              re.search(re.escape(bad) + rf":{line}:\d+: error: .*{re.escape(message)}", err), err)
        check(f"{what}: nothing written", not os.path.exists(target) and out == "")

    code, _, err = run("import", "--csv", os.path.join(tmp, "missing.csv"))
    check("missing file exit 2", code == 2 and "cannot read" in err, err)
    code, _, err = run("import", "--csv", excel_path, "--output", excel_yaml)
    check("existing output refused", code == 2 and "--force" in err, err)
    code, _, err = run("import", "--csv", excel_path, "--output", excel_yaml, "--force")
    check("--force overwrites", code == 0, err)
    code, _, err = run("import", "--csv", excel_path, "--name", "Bad Name")
    check("bad --name exit 2", code == 2, err)
    code, out, _ = run("import", "--help")
    check("import --help", code == 0 and "--csv" in out and "--force" in out, out)
    code, out, _ = run("plan", "--help")
    check("plan --help", code == 0 and "--msproject" in out and "--csv" in out, out)

checks.finish()
