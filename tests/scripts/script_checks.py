"""What the script tests share: numbered checks that print ok/FAIL and are
tallied, and running a script of scripts/ with this Python."""

import subprocess
import sys


class Checks:
    def __init__(self, name):
        self.name = name
        self.failures = []

    def check(self, ok, what):
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            self.failures.append(what)

    def finish(self):
        """Prints the tally and exits: 1 when a check failed."""
        print("%s: %s" % (self.name, "%d failed" % len(self.failures) if self.failures else "all passed"))
        sys.exit(1 if self.failures else 0)


def run_script(script, *args):
    """(exit code, stdout, stderr) of `python script args...`."""
    p = subprocess.run([sys.executable, script, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr
