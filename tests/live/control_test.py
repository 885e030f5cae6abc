"""The control API driven by the CLI, as two people with different roles, against a real
coordinator: `tminus operators add`, then `tminus run --operators`, then status, sign-offs
and decisions from other processes. Every refused attempt says why and is journaled.
Usage: control_test.py TMINUS TMINUS_AGENT"""
import json
import os
import re
import threading
import urllib.error
import urllib.request
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LiveRig, Process, free_port  # noqa: E402

TMINUS, AGENT = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

RUNBOOK = """runbook: 1
name: control-demo
roles: {ops: [olu], cab: [kim, ana]}
defaults: {duration: 1m, timeout: 1m}
steps:
  - {id: prep, type: task, owner: ops, run: {on: local, command: ["true"]}}
  - {id: confirm, type: manual, owner: ops, needs: [prep]}
  - id: go-live
    type: gate
    needs: [confirm]
    approvers: [cab]
    quorum: 1
    approvers_exclude: [confirm]
  - {id: finish, type: task, owner: ops, needs: [go-live], run: {on: local, command: FINISH}}
"""


class ControlTest(unittest.TestCase):
    def setUp(self):
        self.rig = LiveRig(TMINUS, AGENT)
        self.port = free_port()

    def tearDown(self):
        self.rig.close()

    def add(self, user, *roles):
        args = ["operators", "add", user]
        for r in roles:
            args += ["--role", r]
        r = self.rig.run_tminus(args)
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip()
        self.assertTrue(token.startswith("tmn_"), r.stdout)
        self.assertIn("shown this once", r.stderr)
        return token

    def ctl(self, token, *args):
        return self.rig.run_tminus(list(args) + ["--coordinator", f"127.0.0.1:{self.port}",
                                                "--insecure"], token=token)

    def status(self, token):
        r = self.ctl(token, "status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def wait_state(self, token, step, state, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            s = self.status(token)
            st = next(x for x in s["steps"] if x["id"] == step)
            if st["state"] == state:
                return s
            if time.monotonic() > deadline:
                self.fail(f"{step} is {st['state']}, not {state}: {s}")
            time.sleep(0.1)

    def start(self, journal, finish='["true"]'):
        rb = self.rig.write("control.yaml", RUNBOOK.replace("FINISH", finish))
        coord = self.rig.coordinator(["run", rb, "--journal", journal, "--operators",
                                      self.rig.path("operators.json"), "--control",
                                      f"127.0.0.1:{self.port}", "--insecure",
                                      "--http", "127.0.0.1:0"])
        coord.wait_for("operators' control API at", timeout=20)
        line = coord.wait_for("metrics at http://", timeout=20)
        self.metrics_url = re.search(r"(http://\S+/metrics)", line).group(1)
        return coord

    def metrics(self):
        with urllib.request.urlopen(self.metrics_url, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("text/plain", r.headers["Content-Type"])
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def test_two_people_with_different_roles_run_the_cutover_and_every_refusal_says_why(self):
        olu = self.add("olu", "ops")
        kim = self.add("kim", "cab")
        # Not in the runbook's roles: the operators file names sam a cab member for the night.
        sam = self.add("sam", "cab")
        # The file keeps hashes only.
        with open(self.rig.path("operators.json")) as f:
            text = f.read()
        self.assertNotIn(olu, text)
        journal = self.rig.path("control.db")
        coord = self.start(journal)

        s = self.wait_state(olu, "confirm", "STEP_STATE_AWAITING_SIGNOFF")
        self.assertEqual(s["state"], "RUN_STATE_RUNNING")
        confirm = next(x for x in s["steps"] if x["id"] == "confirm")
        self.assertEqual(confirm["waiting_for"], ["ops"])
        self.assertEqual(s["critical_path"][-1], "finish")
        human = self.ctl(olu, "status")
        self.assertEqual(human.returncode, 0, human.stderr)
        self.assertIn("confirm (manual) waits for ops", human.stdout)

        # A wrong token: refused before anything reaches the run.
        bad = self.ctl("tmn_" + "0" * 64, "signoff", "confirm")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("refused the token", bad.stderr)
        none = self.ctl(None, "status")
        self.assertEqual(none.returncode, 2)
        self.assertIn("TMINUS_TOKEN", none.stderr)

        # A role kim does not hold.
        wrong = self.ctl(kim, "signoff", "confirm")
        self.assertEqual(wrong.returncode, 1)
        self.assertIn("kim may not sign off 'confirm': it needs ops", wrong.stderr)

        # Prometheus metrics: steps by state, refusals, commits.
        m = self.metrics()
        self.assertEqual(m['tminus_steps{state="awaiting_signoff"}'], 1)
        self.assertEqual(m['tminus_steps{state="succeeded"}'], 1)
        self.assertEqual(m['tminus_steps{state="pending"}'], 2)
        self.assertEqual(m["tminus_rejected_total"], 1)
        self.assertEqual(m["tminus_run_ended"], 0)
        self.assertEqual(m["tminus_dispatch_latency_seconds_count"], 1)
        self.assertGreater(m["tminus_journal_commit_seconds_count"], 0)
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(self.metrics_url.replace("/metrics", "/nothing"), timeout=10)
        self.assertEqual(caught.exception.code, 404)

        ok = self.ctl(olu, "signoff", "confirm", "--comment", "checked by hand")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("accepted (as olu)", ok.stdout)
        twice = self.ctl(olu, "signoff", "confirm")
        self.assertEqual(twice.returncode, 1)
        self.assertIn("not waiting for a sign-off", twice.stderr)

        # olu signed the step the gate checks: separation of duties, and not a cab member.
        self.wait_state(olu, "go-live", "STEP_STATE_AWAITING_SIGNOFF")
        olu_go = self.ctl(olu, "decide", "go-live", "go", "--reason", "looks fine")
        self.assertEqual(olu_go.returncode, 1)
        self.assertIn("olu", olu_go.stderr)

        go = self.ctl(sam, "decide", "go-live", "go", "--reason", "all checks green", "--json")
        self.assertEqual(go.returncode, 0, go.stderr)
        self.assertEqual(json.loads(go.stdout)["person"], "sam")

        self.assertEqual(coord.wait(timeout=30), 0, coord.output())
        records = self.rig.journal(journal)
        rejected = [r for r in records if r["type"] == "rejected"]
        who = sorted(r["actor"] for r in rejected)
        self.assertEqual(who, ["kim", "olu", "olu"], rejected)
        signoffs = [r for r in records if r["type"] == "signoff"]
        self.assertEqual(signoffs[0]["actor"], "olu")
        self.assertEqual(signoffs[0]["payload"].get("reason"), "checked by hand")
        self.assertEqual(signoffs[0]["payload"].get("as"), "ops")

    def test_a_decision_after_the_gate_was_decided_is_refused(self):
        olu = self.add("olu", "ops")
        kim = self.add("kim", "cab")
        ana = self.add("ana", "cab")
        journal = self.rig.path("late.db")
        # `finish` runs for a while after the gate, so the run still stands when the late
        # decision comes.
        coord = self.start(journal, finish='[sleep, "30"]')
        # `tminus watch` follows the run; it is following once a refused act shows in it.
        env = dict(os.environ, TMINUS_TOKEN=kim)
        watch = Process([TMINUS, "watch", "--json", "--coordinator", f"127.0.0.1:{self.port}",
                         "--insecure"], cwd=self.rig.dir, name="watch", env=env)
        self.rig.procs.append(watch)
        deadline = time.monotonic() + 20
        while '"rejected"' not in watch.output():
            self.assertEqual(self.ctl(kim, "signoff", "no-such-step").returncode, 1)
            self.assertLess(time.monotonic(), deadline, "tminus watch showed nothing")
            time.sleep(0.1)
        self.wait_state(olu, "confirm", "STEP_STATE_AWAITING_SIGNOFF")
        self.assertEqual(self.ctl(olu, "signoff", "confirm").returncode, 0)
        self.wait_state(kim, "go-live", "STEP_STATE_AWAITING_SIGNOFF")
        self.assertEqual(self.ctl(kim, "decide", "go-live", "go", "--reason", "green").returncode, 0)
        late = self.ctl(ana, "decide", "go-live", "nogo", "--reason", "too late")
        self.assertEqual(late.returncode, 1, late.stdout + late.stderr)
        self.assertIn("already decided go", late.stderr)
        abort = self.ctl(olu, "abort", "--reason", "end of test")
        self.assertEqual(abort.returncode, 0, abort.stderr)
        self.assertEqual(coord.wait(timeout=30), 3, coord.output())
        rejected = [r for r in self.rig.journal(journal) if r["type"] == "rejected"
                    and r["payload"].get("step") == "go-live"]
        self.assertEqual([r["actor"] for r in rejected], ["ana"])
        # The watcher saw the acts as they happened, and stopped with the run.
        self.assertEqual(watch.wait(timeout=20), 0, watch.output())
        events = [json.loads(line) for line in watch.output().splitlines() if line.startswith("{")]
        decisions = [(e["type"], e["actor"]) for e in events if e["type"] in ("decision", "operator")]
        self.assertEqual(decisions, [("decision", "kim"), ("operator", "olu")], events)
        self.assertEqual(events[-1]["type"], "run_ended")


class Receiver:
    """A local webhook receiver: records every POST; answers the first one 500."""

    def __init__(self):
        import http.server

        self.posts = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.path, self.headers["Content-Type"], body))
                self.send_response(500 if len(receiver.posts) == 1 else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookTest(unittest.TestCase):
    def setUp(self):
        self.rig = LiveRig(TMINUS, AGENT)
        self.receiver = Receiver()

    def tearDown(self):
        self.rig.close()
        self.receiver.close()

    def test_webhooks_hear_of_gates_sign_offs_and_the_end_and_a_dead_one_blocks_nothing(self):
        rb = self.rig.write("hooks.yaml", RUNBOOK.replace("FINISH", '["true"]'))
        dead = free_port()  # nothing listens there
        start = time.monotonic()
        coord = self.rig.coordinator([
            "run", rb, "--journal", self.rig.path("hooks.db"), "--auto-signoff",
            "--webhook", f"http://127.0.0.1:{dead}/hook",
            "--webhook", f"http://127.0.0.1:{self.receiver.port}/services/T0/B0/x"])
        self.assertEqual(coord.wait(timeout=60), 0, coord.output())
        self.assertLess(time.monotonic() - start, 30, coord.output())
        self.assertIn(f"webhook http://127.0.0.1:{dead} failed", coord.output())
        bodies = [json.loads(b) for (path, ctype, b) in self.receiver.posts]
        for (path, ctype, _) in self.receiver.posts:
            self.assertEqual(path, "/services/T0/B0/x")
            self.assertEqual(ctype, "application/json")
        events = [b["tminus"]["event"] for b in bodies]
        # The first POST was answered 500 and sent again.
        self.assertEqual(events[0], events[1], events)
        self.assertIn("signoff_needed", events)
        self.assertIn("gate_opened", events)
        self.assertEqual(events[-1], "run_ended")
        gate = next(b for b in bodies if b["tminus"]["event"] == "gate_opened")
        self.assertEqual(gate["tminus"]["step"], "go-live")
        self.assertIn("gate 'go-live' is open: cab to decide go or no-go", gate["text"])
        self.assertEqual(gate["tminus"]["run"], "control-demo")


if __name__ == "__main__":
    unittest.main(verbosity=2)
