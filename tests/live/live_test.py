"""Live runs with real processes: `tminus run` as the coordinator, `tminus-agent`s on
loopback, journals on disk. Usage: live_test.py TMINUS TMINUS_AGENT RUNBOOKS_DIR"""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LiveRig, free_port  # noqa: E402

TMINUS, AGENT, RUNBOOKS = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]


def make_demo_area(root):
    """The local-data-migration runbook's work area: dc-a/data, dc-b, current -> dc-a/data."""
    data = os.path.join(root, "dc-a", "data")
    os.makedirs(os.path.join(data, "reports"), exist_ok=True)
    os.makedirs(os.path.join(root, "dc-b"), exist_ok=True)
    with open(os.path.join(data, "health.txt"), "w") as f:
        f.write("ok\n")
    for i in range(20):
        with open(os.path.join(data, "reports", f"r{i:02d}.csv"), "w") as f:
            f.write("".join(f"{i},{j},{i * j}\n" for j in range(200)))
    os.symlink("dc-a/data", os.path.join(root, "current"))


def running(pid):
    """Whether `pid` runs (a zombie only waits for whoever adopted it to collect it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False


class LiveTest(unittest.TestCase):
    def setUp(self):
        self.rig = LiveRig(TMINUS, AGENT)

    def tearDown(self):
        self.rig.close()

    def events(self, journal, type_=None):
        recs = self.rig.journal(journal)
        return [r for r in recs if type_ is None or r["type"] == type_]

    def assert_verified(self, journal):
        r = self.rig.run_tminus(["audit", "verify", journal])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_two_agent_cutover_moves_the_data_and_switches_the_symlink(self):
        area = self.rig.path("area")
        os.makedirs(area)
        make_demo_area(area)
        port = free_port()
        journal = self.rig.path("cutover.db")
        self.rig.agent("agent-dc-a", port, {"site": "dc-a"}, workdir=area)
        self.rig.agent("agent-dc-b", port, {"site": "dc-b"}, workdir=area)
        coord = self.rig.coordinator([
            "run", os.path.join(RUNBOOKS, "local-data-migration.yaml"), "--journal", journal,
            "--listen", f"127.0.0.1:{port}", "--insecure", "--auto-signoff"])
        rc = coord.wait(timeout=90)
        self.assertEqual(rc, 0, coord.output())
        self.assertEqual(os.readlink(os.path.join(area, "current")), "dc-b/data")
        with open(os.path.join(area, "current", "reports", "r07.csv")) as f:
            self.assertIn("7,199,1393", f.read())
        self.assertFalse(os.path.exists(os.path.join(area, "dc-a", "FROZEN")))
        self.assert_verified(journal)
        dispatches = self.events(journal, "dispatch")
        self.assertEqual(len(dispatches), 8, [d["payload"] for d in dispatches])
        signoffs = self.events(journal, "signoff")
        self.assertEqual(len(signoffs), 1)
        self.assertIn("automatic", signoffs[0]["payload"]["reason"])

    def test_fan_out_runs_on_every_matching_agent_and_fails_if_one_fails(self):
        port = free_port()
        runbook = self.rig.write("fan.yaml", """runbook: 1
name: fan-out
roles: {ops: [olu]}
targets:
  web: {agents: {role: web}}
defaults: {duration: 1m, timeout: 30s}
steps:
  - id: mark
    type: task
    run: {on: web, command: [touch, marked]}
  - id: check-config
    type: check
    needs: [mark]
    on_failure: abort
    run: {on: web, command: [test, -f, config.ok]}
""")
        for i in range(3):
            workdir = self.rig.path("agents", f"web-{i}")
            os.makedirs(workdir)
            if i != 1:
                open(os.path.join(workdir, "config.ok"), "w").close()
            self.rig.agent(f"web-{i}", port, {"role": "web", "n": str(i)}, workdir=workdir)
        # An agent that does not match must not run anything.
        self.rig.agent("db-0", port, {"role": "db"})
        journal = self.rig.path("fan.db")
        # A step takes the agents connected when it starts: wait for all four.
        coord = self.rig.coordinator(["run", runbook, "--journal", journal, "--listen",
                                      f"127.0.0.1:{port}", "--insecure", "--wait-agents", "4",
                                      "--agent-wait", "60s"])
        rc = coord.wait(timeout=60)
        self.assertEqual(rc, 3, coord.output())
        for i in range(3):
            self.assertTrue(os.path.exists(self.rig.path("agents", f"web-{i}", "marked")))
        self.assertFalse(os.path.exists(self.rig.path("agents", "db-0", "marked")))
        results = self.events(journal, "result")
        check = [r for r in results if r["payload"].get("dispatch_id", "").startswith("check-config")]
        self.assertEqual(len(check), 1, results)
        self.assertFalse(check[0]["payload"]["ok"])
        self.assertIn("web-1", check[0]["payload"]["error"])
        self.assertNotIn("web-0", check[0]["payload"]["error"])

    def test_every_result_is_acknowledged_before_the_coordinator_stops(self):
        # The last step's result ends the run; its acknowledgement must still reach the
        # agent, which otherwise keeps the result (on disk, across its restarts).
        port = free_port()
        runbook = self.rig.write("acks.yaml", """runbook: 1
name: acks
roles: {ops: [olu]}
targets:
  box: {agents: {role: box}}
defaults: {duration: 1m, timeout: 30s}
steps:
  - {id: first, type: task, run: {on: box, command: ["true"]}}
  - {id: last, type: task, needs: [first], run: {on: box, command: ["true"]}}
""")
        state = self.rig.path("box-state")
        agent = self.rig.agent("box-0", port, {"role": "box"}, extra=["--state-dir", state])
        journal = self.rig.path("acks.db")
        coord = self.rig.coordinator(["run", runbook, "--journal", journal, "--listen",
                                      f"127.0.0.1:{port}", "--insecure", "--agent-wait", "60s"])
        self.assertEqual(coord.wait(timeout=60), 0, coord.output())
        attempts = os.path.join(state, "attempts")
        deadline = time.time() + 10
        while os.listdir(attempts) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(attempts), [], agent.output())
        with open(os.path.join(state, "acknowledged")) as f:
            acknowledged = f.read()
        self.assertIn("last", acknowledged)
        self.assertIn("first", acknowledged)

    def test_a_step_with_no_matching_agent_waits_visibly_and_fails_at_its_timeout(self):
        port = free_port()
        runbook = self.rig.write("nobody.yaml", """runbook: 1
name: nobody-home
roles: {ops: [olu]}
targets:
  db: {agents: {role: db, site: dc9}}
defaults: {duration: 1m}
steps:
  - id: check-lag
    type: check
    timeout: 3s
    on_failure: abort
    run: {on: db, command: ["true"]}
""")
        self.rig.agent("web-0", port, {"role": "web"})
        journal = self.rig.path("nobody.db")
        coord = self.rig.coordinator(["run", runbook, "--journal", journal, "--listen",
                                      f"127.0.0.1:{port}", "--insecure"])
        coord.wait_for("waits for an agent matching {role=db, site=dc9}")
        rc = coord.wait(timeout=30)
        self.assertEqual(rc, 3, coord.output())
        results = self.events(journal, "result")
        self.assertEqual(len(results), 1)
        self.assertIn("no agent matching {role=db, site=dc9}", results[0]["payload"]["error"])

    def test_an_agent_killed_mid_step_fails_the_attempt_and_the_retry_runs_after_it_returns(self):
        port = free_port()
        workdir = self.rig.path("agents", "worker")
        os.makedirs(workdir)
        runbook = self.rig.write("kill.yaml", """runbook: 1
name: agent-dies
roles: {ops: [olu]}
targets:
  w: {agents: {role: worker}}
defaults: {duration: 1m, timeout: 60s}
steps:
  - id: slow
    type: task
    retries: {count: 1, delay: 1s}
    on_failure: abort
    run: {on: w, shell: "echo started >> starts; if [ -f second ]; then exit 0; fi; touch second; sleep 30"}
""")
        agent = self.rig.agent("worker", port, {"role": "worker"}, workdir=workdir)
        journal = self.rig.path("kill.db")
        coord = self.rig.coordinator(["run", runbook, "--journal", journal, "--listen",
                                      f"127.0.0.1:{port}", "--insecure", "--heartbeat-timeout", "2s"])
        deadline = time.monotonic() + 20
        while not os.path.exists(os.path.join(workdir, "second")):
            self.assertLess(time.monotonic(), deadline, coord.output())
            time.sleep(0.1)
        # The agent dies with its attempt; nothing is heard from it.
        os.killpg(agent.pid, signal.SIGKILL)
        coord.wait_for("agent 'worker' lost")
        self.rig.agent("worker", port, {"role": "worker"}, workdir=workdir)
        rc = coord.wait(timeout=60)
        self.assertEqual(rc, 0, coord.output())
        results = self.events(journal, "result")
        self.assertFalse(results[0]["payload"]["ok"])
        self.assertIn("lost", results[0]["payload"]["error"])
        self.assertTrue(results[-1]["payload"]["ok"])
        with open(os.path.join(workdir, "starts")) as f:
            self.assertEqual(f.read().count("started"), 2)

    def test_coordinator_killed_at_many_points_and_resumed_runs_nothing_twice(self):
        # A chain of tasks on an agent and checks on the coordinator's host. Each appends its
        # id to `executions` when it really runs. The coordinator is killed with SIGKILL at a
        # different moment in each round, resumed (and in odd rounds killed once more during
        # the resume), then left to finish.
        steps = []
        prev = None
        for i in range(6):
            kind, on = ("task", "w") if i % 2 == 0 else ("check", "local")
            need = f"needs: [{prev}]" if prev else ""
            steps.append(f"""  - id: s{i}
    type: {kind}
    {need}
    run: {{on: {on}, shell: "echo s{i} >> {self.rig.dir}/executions; sleep 0.4"}}
""")
            prev = f"s{i}"
        runbook = self.rig.write("chain.yaml", """runbook: 1
name: chain
roles: {ops: [olu]}
targets: {w: {agents: {role: w}}}
defaults: {duration: 1m, timeout: 30s, on_failure: abort}
steps:
""" + "".join(steps))
        port = free_port()
        common = ["--listen", f"127.0.0.1:{port}", "--insecure", "--recover-grace", "3s"]
        self.rig.agent("w1", port, {"role": "w"})
        kill_points = [0.0, 0.6, 1.5]
        for round_, delay in enumerate(kill_points):
            executions = self.rig.path("executions")
            if os.path.exists(executions):
                os.remove(executions)
            journal = self.rig.path(f"chain-{round_}.db")
            coord = self.rig.coordinator(["run", runbook, "--journal", journal] + common,
                                         name=f"run {round_}")
            coord.wait_for("s0  running")
            if round_ == 0:
                # Killed while the agent runs s0: s0 finishes while no coordinator runs, and
                # the agent delivers its result when it reconnects; it must be re-attached.
                deadline = time.monotonic() + 20
                while not os.path.exists(executions):
                    self.assertLess(time.monotonic(), deadline, coord.output())
                    time.sleep(0.02)
            time.sleep(delay)
            coord.kill()
            coord.wait(timeout=10)
            if round_ % 2 == 1:
                again = self.rig.coordinator(["resume", "--journal", journal] + common,
                                             name=f"resume {round_}a")
                again.wait_for("Resuming")
                time.sleep(0.5)
                again.kill()
                again.wait(timeout=10)
            final = self.rig.coordinator(["resume", "--journal", journal] + common,
                                         name=f"resume {round_}")
            try:
                rc = final.wait(timeout=60)
            except AssertionError:
                final.stop()
                rc = None
            ran = []
            if os.path.exists(executions):
                with open(executions) as f:
                    ran = f.read().split()
            states = {}
            for rec in self.events(journal, "step"):
                p = rec["payload"]
                states[p.get("step")] = p.get("state")
            unknown = [k for k, v in states.items() if v == "unknown"]
            if round_ == 0:
                self.assertEqual(unknown, [], final.output())
                self.assertEqual(ran.count("s0"), 1, ran)
            for i in range(6):
                sid = f"s{i}"
                count = ran.count(sid)
                if i % 2 == 0:  # a task: never twice
                    self.assertLessEqual(count, 1, f"round {round_}: {sid} ran {count} times: {ran}")
            if not unknown:
                self.assertEqual(rc, 0, coord.output() + "\n---\n" + final.output())
                for i in range(6):
                    self.assertGreaterEqual(ran.count(f"s{i}"), 1, f"round {round_}: s{i} lost: {ran}")
                self.assert_verified(journal)
            else:
                # Only a task whose dispatch was journaled but never reached the agent can be
                # unknown; the steps after it wait for a person, none ran.
                self.assertEqual(len(unknown), 1, states)
            resumed = self.events(journal, "run_resumed")
            self.assertGreaterEqual(len(resumed), 1)

    def fan_out_interrupted(self, name):
        """A task fanned out to three agents, the coordinator SIGKILLed while all three run
        it. Returns the runbook, journal, the resume arguments and the agents."""
        port = free_port()
        runbook = self.rig.write(f"{name}.yaml", f"""runbook: 1
name: {name}
roles: {{ops: [olu]}}
targets:
  web: {{agents: {{role: web}}}}
defaults: {{duration: 1m, timeout: 60s}}
steps:
  - id: deploy
    type: task
    run: {{on: web, shell: "touch started; sleep 3; echo deployed >> runs"}}
""")
        agents = []
        for i in range(3):
            workdir = self.rig.path(name, f"web-{i}")
            os.makedirs(workdir)
            agents.append((self.rig.agent(f"{name}-web-{i}", port, {"role": "web"},
                                          workdir=workdir), workdir))
        journal = self.rig.path(f"{name}.db")
        common = ["--listen", f"127.0.0.1:{port}", "--insecure"]
        coord = self.rig.coordinator(["run", runbook, "--journal", journal, "--wait-agents", "3",
                                      "--agent-wait", "60s"] + common, name=f"{name} run")
        deadline = time.monotonic() + 30
        while not all(os.path.exists(os.path.join(w, "started")) for _, w in agents):
            self.assertLess(time.monotonic(), deadline, coord.output())
            time.sleep(0.02)
        coord.kill()
        coord.wait(timeout=10)
        placed = self.events(journal, "placed")
        self.assertEqual(len(placed), 1, placed)
        self.assertEqual(sorted(placed[0]["payload"]["hosts"]),
                         [f"{name}-web-{i}" for i in range(3)])
        return journal, common, agents

    def test_a_fan_out_is_reattached_as_soon_as_every_placed_agent_reports(self):
        journal, common, agents = self.fan_out_interrupted("fanall")
        started = time.monotonic()
        final = self.rig.coordinator(["resume", "--journal", journal, "--recover-grace", "40s"]
                                     + common, name="resume")
        rc = final.wait(timeout=60)
        self.assertEqual(rc, 0, final.output())
        # The journaled placement says who must report: no need to wait out the grace.
        self.assertLess(time.monotonic() - started, 30, final.output())
        for _, workdir in agents:
            with open(os.path.join(workdir, "runs")) as f:
                self.assertEqual(f.read().split(), ["deployed"])
        self.assert_verified(journal)

    def test_a_fan_out_with_an_agent_gone_for_good_is_not_taken_for_a_success(self):
        journal, common, agents = self.fan_out_interrupted("fanpart")
        gone, gone_dir = agents[1]
        gone.kill()
        gone.wait(timeout=10)
        final = self.rig.coordinator(["resume", "--journal", journal, "--recover-grace", "2s"]
                                     + common, name="resume")
        final.wait_for("deploy  unknown", timeout=60)
        results = [r["payload"] for r in self.events(journal, "result") if not r["payload"].get("late")]
        self.assertEqual(len(results), 1, results)
        self.assertTrue(results[0].get("unrecovered"), results[0])
        self.assertFalse(results[0]["ok"])
        self.assertIn("agent fanpart-web-1 did not report", results[0]["error"])
        final.stop()

    def test_a_local_task_left_running_by_a_killed_coordinator_is_stopped_on_resume(self):
        # The coordinator dies while its own host runs a task; the task's shell and its
        # `sleep` go on under init. The resume must stop them before anyone decides what to
        # do about the task, and say which processes it stopped. ($$ is a literal $.)
        marks = self.rig.path("marks")
        runbook = self.rig.write("local.yaml", f"""runbook: 1
name: local-leftovers
roles: {{ops: [olu]}}
defaults: {{duration: 1m, timeout: 2m}}
steps:
  - id: copy
    type: task
    run: {{on: local, shell: "echo $$$$ > {marks}.pid; sleep 30; echo finished >> {marks}"}}
""")
        journal = self.rig.path("local.db")
        coord = self.rig.coordinator(["run", runbook, "--journal", journal])
        coord.wait_for("copy  running")
        deadline = time.monotonic() + 20
        shell_pid = None
        while shell_pid is None:
            self.assertLess(time.monotonic(), deadline, coord.output())
            time.sleep(0.02)
            if os.path.exists(marks + ".pid"):
                with open(marks + ".pid") as f:
                    text = f.read().strip()
                shell_pid = int(text) if text else None
        coord.kill()
        coord.wait(timeout=10)
        self.assertTrue(running(shell_pid), "the task did not outlive its coordinator")

        final = self.rig.coordinator(["resume", "--journal", journal, "--recover-grace", "1s"],
                                     name="resume")
        final.wait_for("copy  unknown")
        results = [r["payload"] for r in self.events(journal, "result")]
        self.assertEqual(len(results), 1, results)
        self.assertTrue(results[0].get("unrecovered"), results[0])
        self.assertIn(f"stopped: pid {shell_pid}", results[0].get("error", ""))
        self.assertFalse(running(shell_pid), f"pid {shell_pid} still runs")
        self.assertFalse(os.path.exists(marks), "the task went on to finish")
        final.stop()

    def test_insecure_is_refused_on_a_non_loopback_address(self):
        runbook = self.rig.write("x.yaml", """runbook: 1
name: x
roles: {ops: [olu]}
targets: {w: {agents: {role: w}}}
defaults: {duration: 1m}
steps:
  - {id: a, type: check, run: {on: w, command: ["true"]}}
""")
        r = self.rig.run_tminus(["run", runbook, "--journal", self.rig.path("x.db"), "--listen",
                                 "0.0.0.0:0", "--insecure"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--insecure is refused on 0.0.0.0:0", r.stderr)
        self.assertFalse(os.path.exists(self.rig.path("x.db")))
        r = self.rig.run_tminus(["run", runbook, "--journal", self.rig.path("x.db")])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--tls-dir", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
