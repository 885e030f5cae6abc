"""The dashboard in a real browser (headless Chromium through playwright-core) against a
real coordinator and agent: it shows the live run, updates when a step finishes without a
reload, and a sign-off and a decision made on the page reach the journal, made by two
people with different roles; a refusal made on the page says why. With --public-view the
run can be watched without a login, but not acted on.
Usage: dashboard_test.py TMINUS TMINUS_AGENT NODE_MODULES"""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LiveRig, free_port  # noqa: E402

TMINUS, AGENT, NODE_MODULES = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
BROWSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard_browser.js")

RUNBOOK = """runbook: 1
name: dashboard-demo
title: Dashboard demo cutover
roles: {ops: [olu], cab: [kim]}
defaults: {duration: 2m, timeout: 10m}
targets:
  app: {agents: {role: app}}
steps:
  - id: prep
    type: task
    stream: database
    owner: ops
    run: {on: app, command: ["sh", "-c", "while [ ! -e RELEASE ]; do sleep 0.05; done"]}
  - {id: confirm, type: manual, stream: database, owner: ops, needs: [prep]}
  - id: go-live
    type: gate
    stream: network
    needs: [confirm]
    approvers: [cab]
    quorum: 1
    approvers_exclude: [confirm]
  - id: finish
    type: task
    stream: network
    owner: ops
    needs: [go-live]
    run: {on: local, command: ["sh", "-c", "while [ ! -e FINISH ]; do sleep 0.05; done"]}
"""


class DashboardTest(unittest.TestCase):
    def setUp(self):
        self.rig = LiveRig(TMINUS, AGENT)

    def tearDown(self):
        # A failed test leaves the steps' shells waiting: these files let them end.
        for name in ("RELEASE", "FINISH"):
            with open(self.rig.path(name), "w"):
                pass
        time.sleep(0.2)
        self.rig.close()

    def add(self, user, role):
        r = self.rig.run_tminus(["operators", "add", user, "--role", role])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def start(self, journal, *extra):
        rb = self.rig.write("dashboard.yaml", RUNBOOK.replace("RELEASE", self.rig.path("RELEASE"))
                            .replace("FINISH", self.rig.path("FINISH")))
        agent_port = free_port()
        coord = self.rig.coordinator(
            ["run", rb, "--journal", journal, "--operators", self.rig.path("operators.json"),
             "--control", f"127.0.0.1:{free_port()}", "--listen", f"127.0.0.1:{agent_port}",
             "--insecure", "--http", "127.0.0.1:0"] + list(extra))
        coord.wait_for("agents connect to", timeout=20)
        self.rig.agent("app-1", agent_port, {"role": "app"})
        line = coord.wait_for("dashboard at http://", timeout=30)
        return coord, re.search(r"(http://\S+/)", line).group(1)

    def browse(self, *args):
        env = dict(os.environ, TMINUS_NODE_MODULES=NODE_MODULES)
        r = subprocess.run(["node", BROWSER] + list(args), capture_output=True, text=True,
                           timeout=180, env=env)
        self.assertEqual(r.returncode, 0, f"the browser run failed:\n{r.stderr}")
        return json.loads(r.stdout)

    def test_two_people_run_the_cutover_from_the_browser(self):
        olu = self.add("olu", "ops")
        kim = self.add("kim", "cab")
        journal = self.rig.path("dashboard.db")
        coord, url = self.start(journal)
        seen = self.browse("operate", url, olu, kim, self.rig.path("RELEASE"))

        # Nothing is shown or accepted without a login; a wrong token is refused.
        self.assertIn("Log in", seen["banner_before_login"])
        self.assertEqual(seen["status_without_login"], 401)
        self.assertEqual(seen["act_without_login"], 401)
        self.assertIn("not the API token", seen["wrong_token"])
        # The live run: its title, the timeline by stream with a now-line, the critical
        # path, the agent, the event stream connected.
        self.assertIn("olu (ops)", seen["person"])
        self.assertEqual(seen["title"], "Dashboard demo cutover")
        self.assertEqual(seen["timeline_steps"], ["prep", "confirm", "go-live", "finish"])
        self.assertEqual(seen["streams"], ["database", "network"])
        self.assertTrue(seen["now_line"])
        self.assertEqual(seen["critical"], ["prep", "confirm", "go-live", "finish"])
        self.assertEqual(seen["agents"], [["app-1", "ok"]])
        self.assertEqual(seen["live"], "live")
        # It updated as prep finished, without a reload, from the event stream.
        self.assertFalse(seen["reloaded"])
        self.assertIn("sign-off needed from ops", seen["confirm_card"])
        self.assertIn("step", seen["event_log"])
        # The sign-off and the decision were accepted; olu's try at the gate was refused
        # with the engine's reason.
        self.assertIn("accepted: signoff confirm by olu", seen["signoff"])
        self.assertIn("decision needed from cab", seen["gate_card"])
        self.assertIn("refused: go go-live", seen["wrong_role"])
        self.assertIn("olu is not an approver of gate 'go-live'", seen["wrong_role"])
        self.assertIn("accepted: go go-live by kim", seen["decision"])
        self.assertEqual(seen["page_errors"], [])

        with open(self.rig.path("FINISH"), "w"):
            pass
        self.assertEqual(coord.wait(timeout=60), 0, coord.output())
        records = self.rig.journal(journal)
        signoff = [r for r in records if r["type"] == "signoff"]
        self.assertEqual(len(signoff), 1)
        self.assertEqual(signoff[0]["actor"], "olu")
        self.assertEqual(signoff[0]["payload"]["step"], "confirm")
        self.assertEqual(signoff[0]["payload"]["reason"], "checked from the dashboard")
        decision = [r for r in records if r["type"] == "decision"]
        self.assertEqual([(d["actor"], d["payload"]["decision"]) for d in decision], [("kim", "go")])
        rejected = [r for r in records if r["type"] == "rejected"]
        self.assertEqual([(r["actor"], r["payload"]["command"]) for r in rejected], [("olu", "decide")])
        self.assertIn("olu is not an approver of gate 'go-live'", rejected[0]["payload"]["reason"])
        self.assertIn("olu logged in to the dashboard", coord.output())
        self.assertIn("refused a dashboard login", coord.output())

    def test_public_view_shows_the_run_without_a_login_but_acts_need_one(self):
        self.add("olu", "ops")
        self.add("kim", "cab")
        with open(self.rig.path("RELEASE"), "w"):
            pass
        journal = self.rig.path("public.db")
        coord, url = self.start(journal, "--public-view")
        seen = self.browse("public", url)
        self.assertEqual(seen["person"], "public view")
        self.assertTrue(seen["login_form_shown"])
        self.assertIn("log in to act on this", seen["confirm_card"])
        self.assertEqual(seen["buttons"], 0)
        self.assertEqual(seen["act_without_login"], 401)
        self.assertEqual(seen["confirm_state"], "awaiting_signoff")
        self.assertEqual(seen["page_errors"], [])
        coord.stop()
        records = self.rig.journal(journal)
        self.assertEqual([r for r in records if r["type"] in ("signoff", "decision")], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
