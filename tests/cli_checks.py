"""The command-line tests' way of checking: run `tminus`, count every check instead of
stopping at the first, print each failure with what was seen, and exit 1 if any failed.

    from cli_checks import Checks
    checks = Checks(TMINUS)
    code, out, err = checks.run("validate", path)
    checks.check("valid runbook exits 0", code == 0, err)
    checks.finish()
"""
import subprocess
import sys


class Checks:
    def __init__(self, tminus, timeout=60, detail_limit=2000):
        self.tminus = tminus
        self.timeout = timeout
        self.detail_limit = detail_limit
        self.passed = 0
        self.failed = 0

    def run(self, *args):
        """`tminus ARGS` to its end: (exit code, stdout, stderr) as text."""
        p = subprocess.run([self.tminus, *args], capture_output=True, text=True, timeout=self.timeout)
        return p.returncode, p.stdout, p.stderr

    def run_bytes(self, *args):
        """As run(), with stdout as bytes (a byte order mark, CRLF)."""
        p = subprocess.run([self.tminus, *args], capture_output=True, timeout=self.timeout)
        return p.returncode, p.stdout, p.stderr.decode()

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {str(detail)[:self.detail_limit]}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
