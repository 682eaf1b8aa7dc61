import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def with_display(cmd: list[str]) -> list[str]:
    """cmd as is when there is a display, else wrapped in xvfb-run."""
    if os.environ.get("DISPLAY"):
        return cmd
    if not shutil.which("xvfb-run"):
        pytest.fail("UI tests need a display: install xvfb (deploy/setup-system.sh)")
    return ["xvfb-run", "-a", "-s", "-screen 0 1280x1400x24", *cmd]


def run_python(code: str, timeout: float = 120) -> list[str]:
    """Run a snippet of Python in a fresh process (with a display) from the repository root;
    its printed words. Kivy's classes are tried there, never in the test process."""
    root = HERE.parents[1]
    proc = subprocess.run(with_display([sys.executable, "-c", code]), capture_output=True, text=True,
                          timeout=timeout, cwd=root)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.split()


def run_scenario(name: str, out: Path, timeout: float = 120) -> dict:
    """Run one scenario in a fresh process (a real Kivy window; under Xvfb when no DISPLAY)."""
    cmd = with_display([sys.executable, str(HERE / "scenarios.py"), name, str(out)])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    result_file = out / "result.json"
    if proc.returncode != 0 or not result_file.exists():
        raise AssertionError(f"scenario {name} failed (rc {proc.returncode}):\n{proc.stderr[-4000:]}")
    result = json.loads(result_file.read_text())
    result["log"] = proc.stdout + proc.stderr
    if "error" in result:
        raise AssertionError(f"scenario {name}: {result['error']}")
    return result


@pytest.fixture
def scenario(tmp_path: Path):
    return lambda name, timeout=120: run_scenario(name, tmp_path / name, timeout)
