"""After the night: `tminus report` and `tminus compare` on journals of a real run (a
coordinator and an agent on loopback) and of simulated runs, the pages rendered offline in
headless Chromium, and `tminus plan --durations-from`.

Usage: report_test.py TMINUS TMINUS_AGENT RUNBOOKS_DIR NODE_MODULES"""
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LiveRig, free_port  # noqa: E402

TMINUS, AGENT, RUNBOOKS, NODE_MODULES = sys.argv[1:5]
del sys.argv[1:5]
BROWSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_browser.js")
WAVE = os.path.join(RUNBOOKS, "dc-to-cloud-wave.yaml")

NIGHT = """runbook: 1
name: report-night
title: "Report night: app move & <checks>"
change: CHG-9001
roles: {ops: [olu], cab: [kim]}
targets:
  app: {agents: {role: app}}
defaults: {timeout: 30s}
steps:
  - {id: announce, type: manual, owner: ops, duration: 1s, stream: comms}
  - id: flaky
    stream: app
    needs: [announce]
    duration: 1s
    retries: {count: 1, delay: 1s}
    run: {on: app, shell: "test -f once || { touch once; echo first try fails >&2; exit 3; }"}
  - id: slow
    stream: app
    needs: [announce]
    duration: 1s
    run: {on: local, command: [sleep, "3"]}
  - id: go
    type: gate
    needs: [flaky, slow]
    criteria: [flaky, slow]
    approvers: [cab]
    duration: 1s
  - {id: done, type: milestone, needs: [go]}
"""


def png_ink(path):
    """(width, height, share of pixels that are not white, distinct colours) of an 8-bit
    RGB or RGBA PNG, decoded here: the test reads the pixels the browser drew."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    ink, colours, row_start = 0, set(), 0
    for _ in range(height):
        kind, line = raw[row_start], bytearray(raw[row_start + 1:row_start + 1 + stride])
        row_start += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        for x in range(0, stride, channels):
            rgb = bytes(line[x:x + 3])
            colours.add(rgb)
            if rgb != b"\xff\xff\xff":
                ink += 1
        previous = line
    return width, height, ink / float(width * height), len(colours)


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.rig = LiveRig(TMINUS, AGENT)

    def tearDown(self):
        self.rig.close()

    def tminus(self, *args, code=0):
        r = self.rig.run_tminus(list(args), timeout=120)
        self.assertEqual(r.returncode, code, f"tminus {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return r

    def render(self, *pages):
        """Each page rendered in Chromium: what it saw, and the PNG and PDF it made."""
        env = dict(os.environ, TMINUS_NODE_MODULES=NODE_MODULES)
        r = subprocess.run(["node", BROWSER, self.rig.dir] + list(pages), capture_output=True, text=True,
                           timeout=180, env=env)
        self.assertEqual(r.returncode, 0, f"the browser run failed:\n{r.stderr}")
        return [json.loads(line) for line in r.stdout.splitlines()]

    def assert_renders(self, seen, min_bars):
        self.assertEqual(seen["console_errors"], [], seen["page"])
        self.assertEqual(seen["page_errors"], [], seen["page"])
        self.assertEqual(seen["requests"], [], "an offline page fetched something")
        self.assertGreaterEqual(seen["bars"], min_bars, seen)
        self.assertGreater(seen["svg_width"], 800)
        self.assertGreater(seen["svg_height"], 100)
        width, height, ink, colours = png_ink(seen["png"])
        self.assertEqual((width, height), (1280, 900))
        self.assertGreater(ink, 0.03, f"{seen['png']} is nearly blank")
        self.assertGreater(colours, 20, f"{seen['png']} has too few colours to be the report")
        with open(seen["pdf"], "rb") as f:
            pdf = f.read()
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertGreaterEqual(len(re.findall(rb"/Type\s*/Page\b", pdf)), 1)

    def real_run(self):
        port = free_port()
        runbook = self.rig.write("night.yaml", NIGHT)
        journal = self.rig.path("night.db")
        self.rig.agent("app-1", port, {"role": "app"})
        coord = self.rig.coordinator(["run", runbook, "--journal", journal, "--listen", f"127.0.0.1:{port}",
                                      "--insecure", "--auto-signoff"])
        self.assertEqual(coord.wait(timeout=90), 0, coord.output())
        return journal

    def test_the_report_of_a_real_run_has_what_change_management_asks_for(self):
        journal = self.real_run()
        head = re.search(r"head: (\w+)", self.tminus("audit", "verify", journal).stdout).group(1)
        html, md = self.rig.path("night-report.html"), self.rig.path("night-report.md")
        self.tminus("report", journal, "--html", html)
        self.tminus("report", journal, "--markdown", md)
        with open(md) as f:
            text = f.read()
        self.assertEqual(self.tminus("report", journal).stdout, text, "stdout and --markdown differ")
        self.assertIn("# Cutover report: Report night: app move & <checks>", text)
        self.assertIn("| **Outcome** | succeeded |", text)
        self.assertIn("| **Kind of run** | live run |", text)
        self.assertIn("| **Change ticket** | CHG-9001 |", text)
        self.assertIn(head, text)
        self.assertIn("chain intact", text)
        # The first attempt of flaky failed on the agent, and the retry succeeded.
        self.assertRegex(text, r"\| flaky \| attempt 1 failed \| engine \| exit code 3, expected 0 \|")
        self.assertRegex(text, r"\| flaky \| retry: attempt 2 started \| engine \|")
        self.assertRegex(text, r"\| flaky \| .* \| succeeded \| .* \| 2 \|")
        # slow was planned at 1s and took about 3s: an overrun, ranked.
        self.assertRegex(text, r"\| slow \| 1s \| [34]s \| \+[23]s \|")
        # The people (the automatic sign-off stands in for them) with the role they acted as.
        self.assertRegex(text, r"\| announce \| [^|]+ \| ops \| signed off \|")
        self.assertRegex(text, r"\| go \| [^|]+ \| cab \| go \|")
        # The agent and the coordinator's own host, with what ran where.
        self.assertRegex(text, r"\| app-1 \| agent \| app \| 1 \| 2 \| 1 \|")
        self.assertRegex(text, r"\| local \| local \| local \| 1 \| 1 \| 0 \|")
        with open(html) as f:
            page = f.read()
        self.assertIn("Report night: app move &amp; &lt;checks&gt;", page)
        self.assertIn(head, page)
        (seen,) = self.render(html)
        self.assert_renders(seen, min_bars=9)
        self.assertEqual(seen["title"], "Cutover report: Report night: app move & <checks>")
        for section in ("Summary", "Timeline", "Sign-offs and gate decisions", "Failures, retries, skips and rollbacks",
                        "Deadline misses and overruns", "Steps", "Agents and hosts", "Journal"):
            self.assertIn(section, seen["headings"])

    def test_simulated_rehearsals_compare_and_replan_from_evidence(self):
        a, b = self.rig.path("rehearsal-1.db"), self.rig.path("rehearsal-2.db")
        slow = self.rig.write("slow.yaml", "steps:\n  files-final-sync: {duration: 1h20m}\n"
                                           "  az-mount-attachments: {duration: 12m}\n")
        self.tminus("simulate", WAVE, "--journal", a)
        self.tminus("simulate", WAVE, "--journal", b, "--scenario", slow)
        out = json.loads(self.tminus("compare", a, b, "--json").stdout)
        planned = json.loads(self.tminus("plan", WAVE, "--json").stdout)
        self.assertEqual(out["a"]["end_offset_s"], planned["end_offset_s"])
        self.assertGreater(out["end_delta_s"], 0)
        self.assertEqual(out["end_delta_s"], out["steps_delta_s"] + out["outside_delta_s"])
        by_id = {s["id"]: s for s in out["steps"]}
        self.assertEqual(by_id["files-final-sync"]["delta_s"], 35 * 60)
        self.assertEqual(out["movers"][0], "files-final-sync")
        self.assertEqual(sum(s["effect_on_end_s"] for s in out["steps"]), out["steps_delta_s"])
        human = self.tminus("compare", a, b).stdout
        self.assertIn("B ended", human)
        self.assertIn("files-final-sync", human)
        html = self.rig.path("compare.html")
        self.tminus("compare", a, b, "--html", html)
        report = self.rig.path("rehearsal-2.html")
        self.tminus("report", b, "--html", report)
        seen = self.render(html, report)
        for page in seen:
            self.assert_renders(page, min_bars=100)
        self.assertIn("Why the end moved", seen[0]["headings"])
        # The next plan from what rehearsal 2 observed ends where rehearsal 2 did.
        replanned = json.loads(self.tminus("plan", WAVE, "--durations-from", b, "--json").stdout)
        self.assertEqual(replanned["end_offset_s"], out["b"]["end_offset_s"])
        steps = {s["id"]: s for s in replanned["steps"]}
        self.assertEqual(steps["files-final-sync"]["duration_s"], 80 * 60)
        self.assertEqual(steps["files-final-sync"]["duration_source"], "observed")
        # From both: the median of two is their mean.
        both = json.loads(self.tminus("plan", WAVE, "--durations-from", a, b, "--json").stdout)
        steps = {s["id"]: s for s in both["steps"]}
        self.assertEqual(steps["files-final-sync"]["duration_s"], (45 + 80) * 60 // 2)
        self.assertEqual(steps["files-final-sync"]["observed_runs"], 2)

    def test_bad_journals_and_outputs_are_refused_clearly_and_nothing_half_written(self):
        journal = self.rig.path("sim.db")
        self.tminus("simulate", WAVE, "--journal", journal)
        r = self.tminus("report", self.rig.path("missing.db"), code=2)
        self.assertIn("missing.db", r.stderr)
        text = self.rig.write("notes.db", "not a journal\n")
        r = self.tminus("report", text, code=1)
        self.assertIn("notes.db", r.stderr)
        out = self.rig.path("no-such-dir", "r.html")
        r = self.tminus("report", journal, "--html", out, code=2)
        self.assertIn("cannot write", r.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(out)))
        # Another runbook's run cannot be compared, nor replanned from.
        other = self.rig.path("other.db")
        self.tminus("simulate", os.path.join(RUNBOOKS, "core-switch-upgrade.yaml"), "--journal", other)
        r = self.tminus("compare", journal, other, code=1)
        self.assertIn("different runbooks", r.stderr)
        r = self.tminus("plan", WAVE, "--durations-from", other, code=1)
        self.assertIn("other.db", r.stderr)
        # Tampering: the report is still written, under a banner, and the exit code says so.
        db = sqlite3.connect(journal)
        db.execute("UPDATE records SET actor = 'mallory' WHERE seq = 7")
        db.commit()
        db.close()
        html = self.rig.path("tampered.html")
        r = self.tminus("report", journal, "--html", html, code=4)
        self.assertIn("does not verify", r.stderr)
        with open(html) as f:
            page = f.read()
        self.assertIn("does NOT verify", page)
        self.assertIn("FAILED at record 7", page)


if __name__ == "__main__":
    unittest.main(verbosity=2)
