"""scripts/bench/optuna_adapter.py runs end to end (1 seed x 25 trials, nothing written): it checks its Hartmann6
against the library's and prints both samplers' cost and regret and their ratio. The real run is 20 x 1,000."""
import os
import re
import subprocess
import sys

REPO = os.environ.get("TB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))


def test_bench_runs():
    out = subprocess.run([sys.executable, os.path.join(REPO, "scripts/bench/optuna_adapter.py"), "--seeds", "1",
                          "--trials", "25", "--no-write"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "| tunebench TPE (TunebenchSampler) |" in out.stdout and "| Optuna TPESampler |" in out.stdout
    ratio = float(re.search(r"cost per suggestion: \*\*([0-9.]+)x\*\*", out.stdout).group(1))
    assert ratio > 0
