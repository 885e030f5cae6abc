"""Real coordinator and agent processes on loopback, for the live tests.

Every process is started here with a free port and stopped by PID (SIGTERM, then SIGKILL)
when the test ends, whatever happened. Nothing is mocked: `tminus run`, `tminus resume`
and `tminus-agent` are the binaries users run.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process whose output is collected line by line in the background."""

    def __init__(self, argv, cwd, name, env=None):
        self.name = name
        self.argv = argv
        self.lines = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def pid(self):
        return self.proc.pid

    def output(self):
        with self._cond:
            return "\n".join(self.lines)

    def wait_for(self, text, timeout=20):
        """Waits until a line containing `text` appears; returns it, or raises."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(
                        f"{self.name}: no line with {text!r} within {timeout}s; output:\n"
                        + "\n".join(self.lines[-60:]))
                self._cond.wait(min(left, 0.2))

    def wait(self, timeout=60):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{self.name} did not exit within {timeout}s; output:\n"
                                 + self.output()[-4000:])
        self._reader.join(timeout=5)
        self._close_output()
        return rc

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        self._close_output()

    def _close_output(self):
        if not self._reader.is_alive() and not self.proc.stdout.closed:
            self.proc.stdout.close()


class LiveRig:
    """A temporary directory, the binaries, and every process started for one test."""

    def __init__(self, tminus, agent):
        self.tminus = tminus
        self.agent_bin = agent
        self.dir = tempfile.mkdtemp(prefix="tminus-live-")
        self.procs = []

    def close(self):
        for p in reversed(self.procs):
            p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        return p

    def coordinator(self, args, name="coordinator"):
        p = Process([self.tminus] + args, cwd=self.dir, name=name)
        self.procs.append(p)
        return p

    def agent(self, agent_id, port, labels, workdir=None, tls_dir=None, extra=()):
        workdir = workdir or self.path("agents", agent_id)
        os.makedirs(workdir, exist_ok=True)
        argv = [self.agent_bin, "--coordinator", f"127.0.0.1:{port}"]
        if tls_dir:
            argv += ["--tls-dir", tls_dir]
        else:
            argv += ["--insecure", "--id", agent_id]
        for k, v in labels.items():
            argv += ["--label", f"{k}={v}"]
        argv += list(extra)
        p = Process(argv, cwd=workdir, name=f"agent {agent_id}")
        self.procs.append(p)
        return p

    def run_tminus(self, args, timeout=60, token=None):
        """Runs `tminus ARGS` to completion; `token` goes in TMINUS_TOKEN."""
        env = dict(os.environ)
        env.pop("TMINUS_TOKEN", None)
        if token is not None:
            env["TMINUS_TOKEN"] = token
        r = subprocess.run([self.tminus] + args, cwd=self.dir, capture_output=True, text=True,
                           timeout=timeout, env=env)
        return r

    def journal(self, path):
        """The journal's records as dicts (type, actor, payload)."""
        r = self.run_tminus(["audit", "export", path, "--format", "jsonl"])
        if r.returncode != 0:
            raise AssertionError(f"audit export failed: {r.stderr}")
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


SSH_ACCOUNT = "tminus-ssh"


def ssh_account():
    """The account SSH tests log in as: a dedicated one with a plain /bin/sh when running
    as root (created here; its password is '*', unlocked for key logins), else ours."""
    import pwd
    if os.getuid() != 0:
        return pwd.getpwuid(os.getuid()).pw_name
    try:
        pwd.getpwnam(SSH_ACCOUNT)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", SSH_ACCOUNT], check=True)
    subprocess.run(["usermod", "-p", "*", SSH_ACCOUNT], check=True)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    return SSH_ACCOUNT


class Sshd:
    """A real OpenSSH server on one loopback address, with its own host key, accepting
    `user_pub` (a public key file) for every user; started with /usr/sbin/sshd -D and
    stopped by PID through the rig."""

    def __init__(self, rig, address, port, name, user_pub):
        self.address, self.port = address, port
        self.dir = rig.path("sshd-" + name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        key = os.path.join(self.dir, "host_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        with open(key + ".pub") as f:
            kind, blob = f.read().split()[:2]
        self.known_hosts_line = f"[{address}]:{port} {kind} {blob}\n"
        auth = os.path.join(self.dir, "authorized_keys")
        shutil.copy(user_pub, auth)
        os.chmod(auth, 0o644)
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as f:
            f.write(f"ListenAddress {address}\nPort {port}\nHostKey {key}\n"
                    f"AuthorizedKeysFile {auth}\nUsePAM no\nStrictModes no\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    f"PidFile {self.dir}/sshd.pid\nMaxStartups 100:30:200\nMaxSessions 100\n"
                    "LogLevel ERROR\nSubsystem sftp /usr/lib/openssh/sftp-server\n")
        self.proc = Process(["/usr/sbin/sshd", "-D", "-e", "-f", config], cwd=self.dir,
                            name=f"sshd {name}")
        rig.procs.append(self.proc)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((address, port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"sshd {name} does not listen: {self.proc.output()}")
                time.sleep(0.05)
