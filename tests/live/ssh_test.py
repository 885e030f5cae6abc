"""Steps over SSH, against real OpenSSH servers on loopback (two of them, one per host of
a fan-out target), next to a real agent: exit codes, hostile arguments arriving verbatim,
a rollback over SSH, a timeout that stops the remote command, unknown and changed host
keys refused until `tminus ssh trust` adds them, and a key the servers do not accept.
Usage: ssh_test.py TMINUS TMINUS_AGENT"""
import json
import os
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LiveRig, Sshd, free_port, ssh_account  # noqa: E402

TMINUS, AGENT = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

HOSTILE = ["it's", "; touch PWNED", "$(touch PWNED)", "`touch PWNED`", "a\nb", "*", "$HOME", ""]


def port_free_on_both():
    for _ in range(50):
        port = free_port()
        try:
            s = socket.socket()
            s.bind(("127.0.0.2", port))
            s.close()
            return port
        except OSError:
            continue
    raise AssertionError("no port free on both 127.0.0.1 and 127.0.0.2")


class SshTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.user = ssh_account()

    def setUp(self):
        self.rig = LiveRig(TMINUS, AGENT)
        os.chmod(self.rig.dir, 0o755)
        self.scratch = self.rig.path("scratch")
        os.makedirs(self.scratch)
        os.chmod(self.scratch, 0o777)
        for name in ("user_key", "stranger_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.rig.path(name)],
                           check=True)
        self.port = port_free_on_both()
        self.servers = [Sshd(self.rig, addr, self.port, f"h{i}", self.rig.path("user_key.pub"))
                        for i, addr in enumerate(["127.0.0.1", "127.0.0.2"])]
        self.known_hosts = self.rig.write("known_hosts", "".join(s.known_hosts_line for s in self.servers))

    def tearDown(self):
        self.rig.close()

    def runbook(self, steps, known_hosts=None, key="user_key", extra_targets=""):
        text = f"""runbook: 1
name: ssh-demo
defaults: {{duration: 1m, timeout: 1m, on_failure: abort}}
targets:
  web:
    ssh:
      hosts: [127.0.0.1, 127.0.0.2]
      port: {self.port}
      user: {self.user}
      identity: {self.rig.path(key)}
      known_hosts: {known_hosts or self.known_hosts}
{extra_targets}steps:
{steps}"""
        return self.rig.write("ssh.yaml", text)

    def run_to_end(self, rb, journal, extra=()):
        coord = self.rig.coordinator(["run", rb, "--journal", journal] + list(extra))
        code = coord.wait(timeout=120)
        return code, coord.output(), self.rig.journal(journal)

    @staticmethod
    def steps_in(records, step):
        return [r for r in records if r["payload"].get("step") == step]

    def test_a_runbook_mixing_agent_and_ssh_targets_runs_end_to_end(self):
        agent_port = free_port()
        hostile = json.dumps(["printf", "[%s]\\n"] + HOSTILE)
        steps = f"""  - {{id: on-agent, run: {{on: app, command: ["sh", "-c", "echo agent-ran"]}}}}
  - id: fan-out
    needs: [on-agent]
    run: {{on: web, command: {hostile}}}
  - id: exit-three
    needs: [fan-out]
    run: {{on: web, command: ["sh", "-c", "echo three >&2; exit 3"]}}
    expect: {{exit_code: 3}}
  - id: env-and-shell
    needs: [exit-three]
    run: {{on: web, shell: "echo \\"$GREETING\\" | tr a-z A-Z", env: {{GREETING: "it's $(x)"}}}}
"""
        rb = self.runbook(steps, extra_targets="  app: {agents: {role: app}}\n")
        journal = self.rig.path("mixed.db")
        coord = self.rig.coordinator(["run", rb, "--journal", journal, "--listen",
                                      f"127.0.0.1:{agent_port}", "--insecure"])
        coord.wait_for("agents connect to", timeout=20)
        self.rig.agent("app-1", agent_port, {"role": "app"})
        self.assertEqual(coord.wait(timeout=120), 0, coord.output())
        records = self.rig.journal(journal)
        results = {r["payload"]["step"]: r["payload"] for r in records if r["type"] == "result"}
        self.assertIn("agent-ran", results["on-agent"]["stdout"])
        expected = "".join(f"[{h}]\n" for h in HOSTILE)
        fan = results["fan-out"]["stdout"]
        for host in ("127.0.0.1", "127.0.0.2"):
            self.assertIn(f"== {host}:{self.port} ==\n{expected}", fan)
        self.assertFalse(os.path.exists(self.rig.path("PWNED")))
        self.assertEqual(results["exit-three"]["exit_code"], 3)
        self.assertIn("three", results["exit-three"]["stderr"])
        self.assertIn("IT'S $(X)", results["env-and-shell"]["stdout"])
        # The report names every host the run reached, the SSH ones with their port.
        report = self.rig.run_tminus(["report", journal])
        self.assertEqual(report.returncode, 0, report.stderr)
        self.assertRegex(report.stdout, r"\| app-1 \| agent \| app \| 1 \| 1 \| 0 \|")
        for host in ("127.0.0.1", "127.0.0.2"):
            self.assertRegex(report.stdout, rf"\| {host}:{self.port} \| ssh \| web \| 3 \| 3 \| 0 \|")

    def test_a_rollback_runs_over_ssh(self):
        marker = os.path.join(self.scratch, "marker")
        steps = f"""  - id: make
    run: {{on: web, command: ["touch", "{marker}"]}}
    rollback: {{on: web, command: ["rm", "-f", "{marker}"]}}
  - id: boom
    needs: [make]
    on_failure: rollback
    run: {{on: web, command: ["sh", "-c", "exit 1"]}}
"""
        rb = self.runbook(steps)
        code, out, records = self.run_to_end(rb, self.rig.path("rollback.db"))
        self.assertEqual(code, 3, out)
        self.assertIn("rolled_back", json.dumps([r for r in records if r["type"] == "run_ended"]))
        rollback_results = [r for r in records if r["type"] == "result" and r["payload"].get("rollback")]
        self.assertEqual([r["payload"]["step"] for r in rollback_results], ["make"], records)
        self.assertFalse(os.path.exists(marker))

    def test_a_timeout_stops_the_remote_command(self):
        pidfile = os.path.join(self.scratch, "pid")
        steps = f"""  - id: slow
    timeout: 2s
    run: {{on: web, command: ["sh", "-c", "echo $$$$ >> {pidfile}; exec sleep 60"]}}
"""
        rb = self.runbook(steps)
        started = time.monotonic()
        code, out, records = self.run_to_end(rb, self.rig.path("timeout.db"))
        self.assertEqual(code, 3, out)
        self.assertLess(time.monotonic() - started, 30)
        result = [r for r in records if r["type"] == "result"][0]["payload"]
        self.assertIn("timed out after 2s", result["error"])
        with open(pidfile) as f:
            pids = [int(p) for p in f.read().split()]
        self.assertEqual(len(pids), 2)
        time.sleep(0.5)
        for pid in pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"remote command {pid} still runs")

    def test_host_keys_are_never_trusted_silently(self):
        steps = """  - {id: hello, run: {on: web, command: ["true"]}}
"""
        empty = self.rig.write("empty_known_hosts", "")
        rb = self.runbook(steps, known_hosts=empty)
        code, out, records = self.run_to_end(rb, self.rig.path("unknown.db"))
        self.assertEqual(code, 3, out)
        error = [r for r in records if r["type"] == "result"][0]["payload"]["error"]
        self.assertIn(f"the host key of 127.0.0.1:{self.port} (ssh-ed25519 SHA256:", error)
        self.assertIn("tminus ssh trust", error)

        # The explicit way: `tminus ssh trust` shows the fingerprints and adds the keys.
        trust = self.rig.run_tminus(["ssh", "trust", f"127.0.0.1:{self.port}", f"127.0.0.2:{self.port}",
                                     "--known-hosts", empty])
        self.assertEqual(trust.returncode, 0, trust.stderr)
        self.assertEqual(trust.stdout.count("SHA256:"), 2, trust.stdout)
        self.assertEqual(trust.stdout.count("added to"), 2, trust.stdout)
        again = self.rig.run_tminus(["ssh", "trust", f"127.0.0.1:{self.port}", "--known-hosts", empty])
        self.assertIn("already trusted", again.stdout)
        code, out, _ = self.run_to_end(rb, self.rig.path("trusted.db"))
        self.assertEqual(code, 0, out)

        # A changed key: refused by the run and by `ssh trust`, which never replaces it.
        other = self.rig.path("other_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
        with open(other + ".pub") as f:
            kind, blob = f.read().split()[:2]
        wrong = self.rig.write("wrong_known_hosts", f"[127.0.0.1]:{self.port} {kind} {blob}\n"
                               + self.servers[1].known_hosts_line)
        rb = self.runbook(steps, known_hosts=wrong)
        code, out, records = self.run_to_end(rb, self.rig.path("changed.db"))
        self.assertEqual(code, 3, out)
        error = [r for r in records if r["type"] == "result"][0]["payload"]["error"]
        self.assertIn(f"THE HOST KEY OF 127.0.0.1:{self.port} HAS CHANGED", error)
        refused = self.rig.run_tminus(["ssh", "trust", f"127.0.0.1:{self.port}", "--known-hosts", wrong])
        self.assertEqual(refused.returncode, 1)
        self.assertIn("is NOT the key", refused.stderr)

    def test_the_ssh_agent_authenticates_and_secrets_are_masked(self):
        agent = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, check=True).stdout
        env = dict(kv.split("=", 1) for kv in
                   (part.strip() for part in agent.replace("\n", ";").split(";")) if "=" in kv)
        try:
            subprocess.run(["ssh-add", "-q", self.rig.path("user_key")], env=dict(os.environ, **env),
                           check=True, capture_output=True)
            steps = """  - id: secret
    run: {on: web, command: ["sh", "-c", "echo token=$TOKEN"], env: {TOKEN: "${secrets.api}"}}
"""
            with open(self.runbook(steps)) as f:
                text = f.read()
            text = text.replace(f"      identity: {self.rig.path('user_key')}\n", "")
            text = text.replace("steps:\n", "secrets:\n  api: {env: SSH_TEST_SECRET}\nsteps:\n", 1)
            rb = self.rig.write("agent.yaml", text)
            saved = dict(os.environ)
            os.environ.update(env)
            os.environ["SSH_TEST_SECRET"] = "s3cr3t-value"
            try:
                code, out, records = self.run_to_end(rb, self.rig.path("agent.db"))
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self.assertEqual(code, 0, out)
            result = [r for r in records if r["type"] == "result"][0]["payload"]
            self.assertIn("token=***", result["stdout"])
            with open(self.rig.path("agent.db"), "rb") as f:
                self.assertNotIn(b"s3cr3t-value", f.read())
        finally:
            subprocess.run(["ssh-agent", "-k"], env=dict(os.environ, **env), capture_output=True)

    def test_a_key_the_servers_do_not_accept_is_refused(self):
        steps = """  - {id: hello, run: {on: web, command: ["true"]}}
"""
        rb = self.runbook(steps, key="stranger_key")
        code, out, records = self.run_to_end(rb, self.rig.path("stranger.db"))
        self.assertEqual(code, 3, out)
        error = [r for r in records if r["type"] == "result"][0]["payload"]["error"]
        self.assertIn(f"refused {self.user}'s key", error)


if __name__ == "__main__":
    unittest.main(verbosity=2)
