"""The review app as a subprocess on a free port, for the tests (no pytest in here)."""
import re
import subprocess
import sys
import time

from written_kit import REPO


class ReviewServer:
    def __init__(self, out, *options):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader", "review", str(out), "--port", "0", *options],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline, lines = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            lines.append(line)
            if match := re.search(r"(http://127\.0\.0\.1:(\d+))/\?token=(\S+)", line):
                self.base, self.port, self.token = match[1], int(match[2]), match[3]
                self.url = match[0]
                return
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the review app did not start: " + "".join(lines))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
