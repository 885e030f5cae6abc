#!/usr/bin/python3
"""`tminus certs init` and `tminus certs add-agent` as a user runs them: the files and their
modes, certificates that `openssl verify` accepts (when the openssl command is installed),
and the exit codes for an existing CA (2), a bad agent id (1) and an existing agent (2).

Usage: certs_cli_test.py TMINUS
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_checks import Checks  # noqa: E402

TMINUS = sys.argv[1]
checks = Checks(TMINUS, timeout=120)
run, run_bytes, check = checks.run, checks.run_bytes, checks.check


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None


def files_under(root):
    found = []
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            found.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(found)


def openssl_verify(ca, cert, purpose):
    p = subprocess.run(["openssl", "verify", "-purpose", purpose, "-CAfile", ca, cert],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def openssl_text(cert):
    p = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", cert],
                       capture_output=True, text=True, timeout=60)
    return p.stdout


os.umask(0o022)
with tempfile.TemporaryDirectory() as tmp:
    certs = os.path.join(tmp, "certs")

    # init: the layout, the modes, what to copy where.
    code, out, err = run("certs", "init", certs, "--agent", "agent-a", "--agent", "db-1",
                         "--host", "coord.example.com", "--host", "10.9.8.7")
    check("init exits 0", code == 0, f"{code}: {err}")
    expected = ["agents", "agents/agent-a", "agents/agent-a/agent.crt", "agents/agent-a/agent.key",
                "agents/agent-a/ca.crt", "agents/db-1", "agents/db-1/agent.crt",
                "agents/db-1/agent.key", "agents/db-1/ca.crt", "ca.crt", "ca.key",
                "coordinator.crt", "coordinator.key"]
    check("init writes the layout and nothing else", files_under(certs) == expected,
          files_under(certs))
    check("the folder is private", mode(certs) == 0o700, oct(mode(certs) or 0))
    for key in ["ca.key", "coordinator.key", "agents/agent-a/agent.key", "agents/db-1/agent.key"]:
        check(f"{key} is 0600", mode(os.path.join(certs, key)) == 0o600,
              oct(mode(os.path.join(certs, key)) or 0))
    for cert in ["ca.crt", "coordinator.crt", "agents/agent-a/agent.crt"]:
        check(f"{cert} is 0644", mode(os.path.join(certs, cert)) == 0o644)
    for created in ["ca.crt", "ca.key", "coordinator.crt", "agents/db-1/agent.key"]:
        check(f"init lists {created}", os.path.join(certs, created) in out, out)
    check("init says what to copy where",
          f"copy {certs}/agents/agent-a/ to the host of agent-a" in out
          and "tminus-agent --coordinator HOST:PORT --tls-dir DIR" in out, out)
    check("init names the coordinator's names",
          "names localhost, coord.example.com, 127.0.0.1, ::1, 10.9.8.7:" in out, out)
    with open(os.path.join(certs, "ca.crt")) as f:
        ca_text = f.read()
    with open(os.path.join(certs, "agents/agent-a/ca.crt")) as f:
        check("each agent folder holds the CA certificate", f.read() == ca_text)

    # A second init into the same folder: refused, naming the file, nothing changed.
    with open(os.path.join(certs, "ca.key")) as f:
        ca_key = f.read()
    code, out, err = run("certs", "init", certs, "--agent", "agent-z")
    check("a second init exits 2", code == 2, f"{code}: {err}")
    check("a second init names ca.key", os.path.join(certs, "ca.key") in err, err)
    with open(os.path.join(certs, "ca.key")) as f:
        check("a second init leaves ca.key alone", f.read() == ca_key)
    check("a second init adds no agent", not os.path.exists(os.path.join(certs, "agents/agent-z")))

    # A bad agent id: exit 1, naming it, nothing created.
    fresh = os.path.join(tmp, "fresh")
    code, out, err = run("certs", "init", fresh, "--agent", "ok", "--agent", "no spaces")
    check("a bad id exits 1", code == 1, f"{code}: {err}")
    check("a bad id is named", "agent id 'no spaces'" in err, err)
    check("a bad id creates nothing", not os.path.exists(fresh))
    code, out, err = run("certs", "init", fresh, "--host", "bad_host")
    check("a bad host exits 1", code == 1 and "host 'bad_host'" in err, f"{code}: {err}")

    # add-agent: more agents from the same CA; an existing id is refused.
    code, out, err = run("certs", "add-agent", certs + "/", "web-1", "web-2")  # as completed
    check("add-agent exits 0", code == 0, f"{code}: {err}")
    check("add-agent writes the folders",
          all(os.path.exists(os.path.join(certs, "agents", a, f))
              for a in ["web-1", "web-2"] for f in ["ca.crt", "agent.crt", "agent.key"]),
          files_under(certs))
    check("add-agent keys are 0600", mode(os.path.join(certs, "agents/web-2/agent.key")) == 0o600)
    check("add-agent says what to copy",
          f"copy {certs}/agents/web-1/ to the host of web-1" in out, out)
    code, out, err = run("certs", "add-agent", certs, "agent-a")
    check("add-agent of an existing id exits 2", code == 2, f"{code}: {err}")
    check("add-agent names the existing folder", os.path.join(certs, "agents/agent-a") in err, err)
    code, out, err = run("certs", "add-agent", certs, ".hidden")
    check("add-agent of a bad id exits 1", code == 1 and "'.hidden'" in err, f"{code}: {err}")
    code, out, err = run("certs", "add-agent", os.path.join(tmp, "nothing"), "x")
    check("add-agent without a CA exits 2", code == 2 and "ca.crt: no such file" in err,
          f"{code}: {err}")

    # openssl's own view of the certificates.
    if shutil.which("openssl"):
        ca = os.path.join(certs, "ca.crt")
        for agent in ["agent-a", "db-1", "web-2"]:
            code, text = openssl_verify(ca, os.path.join(certs, "agents", agent, "agent.crt"),
                                        "sslclient")
            check(f"openssl verifies {agent} as a client", code == 0, text)
            subject = openssl_text(os.path.join(certs, "agents", agent, "agent.crt"))
            check(f"{agent}'s common name is its id", f"CN = {agent}" in subject, subject)
        code, text = openssl_verify(ca, os.path.join(certs, "coordinator.crt"), "sslserver")
        check("openssl verifies the coordinator as a server", code == 0, text)
        code, text = openssl_verify(ca, os.path.join(certs, "agents/agent-a/agent.crt"),
                                    "sslserver")
        check("openssl refuses an agent as a server", code != 0, text)
        coordinator = openssl_text(os.path.join(certs, "coordinator.crt"))
        check("the coordinator's names are in its certificate",
              "DNS:localhost, DNS:coord.example.com, IP Address:127.0.0.1, "
              "IP Address:0:0:0:0:0:0:0:1, IP Address:10.9.8.7" in coordinator, coordinator)
        other = os.path.join(tmp, "other")
        code, out, err = run("certs", "init", other)
        check("init without agents exits 0",
              code == 0 and f"tminus certs add-agent {other} ID" in out, f"{code}: {err}")
        code, text = openssl_verify(os.path.join(other, "ca.crt"),
                                    os.path.join(certs, "agents/agent-a/agent.crt"), "sslclient")
        check("openssl refuses an agent of another CA", code != 0, text)
    else:
        print("openssl not installed: skipped the openssl verify checks")

checks.finish()
