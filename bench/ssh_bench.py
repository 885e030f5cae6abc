#!/usr/bin/env python3
"""Fan-out over SSH: a trivial command on N loopback SSH hosts (one OpenSSH server each,
started here), 1 and then 10 commands per host, run by `tminus run`, by Ansible (default
forks, then forks=N) and by OpenSSH's ssh client in a loop, all in the same run against
the same servers, key and known_hosts. Prints the times and the ratios, then runs
tminus_bench_ssh_session (a command on a reused session against a fresh connection).

Targets: tminus at least 5x faster than Ansible for 1 command and 20x for 10 commands.

Usage: ssh_bench.py BUILD_DIR [--hosts N] [--quick]"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "live"))
from harness import LiveRig, Sshd, ssh_account  # noqa: E402


def free_port_on(addresses):
    for _ in range(100):
        s = socket.socket()
        s.bind((addresses[0], 0))
        port = s.getsockname()[1]
        s.close()
        try:
            for a in addresses[1:]:
                t = socket.socket()
                t.bind((a, port))
                t.close()
            return port
        except OSError:
            continue
    raise SystemExit("no port free on every loopback address")


def timed(argv, env=None, cwd=None):
    started = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.monotonic() - started
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 hosts, no Ansible when it is missing")
    args = parser.parse_args()
    n = 3 if args.quick else args.hosts
    tminus = os.path.join(args.build, "tminus")
    ansible = shutil.which("ansible")
    if ansible is None and not args.quick:
        raise SystemExit("ansible is not installed (apt-get install ansible-core)")

    user = ssh_account()
    rig = LiveRig(tminus, "")
    try:
        os.chmod(rig.dir, 0o755)
        key = rig.path("user_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        addresses = [f"127.0.0.{i + 1}" for i in range(n)]
        port = free_port_on(addresses)
        servers = [Sshd(rig, a, port, f"h{i}", key + ".pub") for i, a in enumerate(addresses)]
        known_hosts = rig.write("known_hosts", "".join(s.known_hosts_line for s in servers))

        def runbook(commands):
            steps = ""
            for i in range(commands):
                needs = f", needs: [c{i - 1}]" if i else ""
                steps += f"  - {{id: c{i}{needs}, run: {{on: fleet, command: [\"true\"]}}}}\n"
            return rig.write(f"fanout-{commands}.yaml", f"""runbook: 1
name: ssh-fanout
defaults: {{duration: 1m, timeout: 1m, on_failure: abort}}
targets:
  fleet:
    ssh:
      hosts: [{", ".join(addresses)}]
      port: {port}
      user: {user}
      identity: {key}
      known_hosts: {known_hosts}
steps:
{steps}""")

        inventory = rig.write("inventory.ini", "[fleet]\n" + "".join(
            f"h{i} ansible_host={a}\n" for i, a in enumerate(addresses)) + f"""[fleet:vars]
ansible_port={port}
ansible_user={user}
ansible_ssh_private_key_file={key}
ansible_ssh_common_args='-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes'
ansible_python_interpreter=/usr/bin/python3
""")
        playbook = rig.write("ten.yml", "- hosts: fleet\n  gather_facts: false\n  tasks:\n" + "".join(
            f"    - command: \"true\"\n" for _ in range(10)))
        # Ansible's defaults, but for an empty configuration file (no user's or system's
        # settings leak in) and host-key checking on, as for the others.
        config = rig.write("ansible.cfg", "[defaults]\nhost_key_checking = True\n")
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=rig.path("ansible-local"),
                   ANSIBLE_CONFIG=config)

        def ssh_loop(commands):
            started = time.monotonic()
            for a in addresses:
                for _ in range(commands):
                    subprocess.run(["ssh", "-q", "-i", key, "-p", str(port), "-o", f"UserKnownHostsFile={known_hosts}",
                                    "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                                    f"{user}@{a}", "true"], check=True)
            return time.monotonic() - started

        results = {}
        for commands in (1, 10):
            rb = runbook(commands)
            timed([tminus, "validate", rb])
            results[("tminus", commands)] = timed([tminus, "run", rb, "--journal", rig.path(f"j{commands}-{time.time()}.db")],
                                                  cwd=rig.dir)
            results[("ssh loop", commands)] = ssh_loop(commands)
            if ansible:
                for label, forks in (("ansible (forks 5)", []), (f"ansible (forks {n})", ["-f", str(n)])):
                    if commands == 1:
                        argv = [ansible, "fleet", "-i", inventory, "-m", "command", "-a", "true"] + forks
                    else:
                        argv = [shutil.which("ansible-playbook"), "-i", inventory, playbook] + forks
                    results[(label, commands)] = timed(argv, env=env, cwd=rig.dir)

        print(f"SSH fan-out to {n} loopback hosts (one sshd each), 'true' as {user}; seconds, wall clock")
        labels = ["tminus", "ssh loop"] + ([ "ansible (forks 5)", f"ansible (forks {n})"] if ansible else [])
        print(f"  {'':22s} {'1 command':>12s} {'10 commands':>12s}")
        for label in labels:
            print(f"  {label:22s} {results[(label, 1)]:12.2f} {results[(label, 10)]:12.2f}")
        for label in labels[1:]:
            print(f"  {label} / tminus: {results[(label, 1)] / results[('tminus', 1)]:.1f}x for 1 command, "
                  f"{results[(label, 10)] / results[('tminus', 10)]:.1f}x for 10")
        if ansible:
            print("  targets: >= 5x Ansible for 1 command, >= 20x for 10 commands")
    finally:
        rig.close()
    session = os.path.join(args.build, "tminus_bench_ssh_session")
    subprocess.run([session] + (["--quick"] if args.quick else []), check=True)


if __name__ == "__main__":
    main()
