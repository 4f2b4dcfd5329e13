"""`frontdesk queue | head -1`: a reader that leaves early is not a failure."""

from __future__ import annotations

import subprocess
import sys


def test_closing_the_pipe_early_is_quiet_and_succeeds(tmp_path):
    run = [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path)]
    subprocess.run(run + ["config", "set", "phone.provider", "simulator"], check=True,
                   capture_output=True)
    subprocess.run(run + ["sync", "--once"], check=True, capture_output=True)
    proc = subprocess.Popen(run + ["changelog"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    proc.stdout.readline()
    proc.stdout.close()  # like `head -1` exiting
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 0, stderr
    assert "Broken pipe" not in stderr and "Traceback" not in stderr
