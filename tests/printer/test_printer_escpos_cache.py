"""python-escpos's parsed printer database is kept in our cache, built once, never half-written."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD = "import os, devices.printer.render; print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])"


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCPOS_")}
    return env | {"XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}


def _start(cache: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD], env=_env(cache), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_first_process_builds_the_pickle_and_the_next_reuses_it(tmp_path: Path) -> None:
    shared = tmp_path / "gig-kiosk" / "escpos"
    first = _start(tmp_path)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert out.strip() == str(shared)  # also what child processes inherit
    [made] = list(shared.iterdir())  # one pickle, no private build folder left behind
    assert made.name.endswith(".capabilities.pickle")
    assert "default" in pickle.loads(made.read_bytes())["profiles"]
    stamp = made.stat().st_mtime_ns

    second = _start(tmp_path)
    assert second.communicate(timeout=60)[0].strip() == str(shared)
    assert second.returncode == 0
    assert made.stat().st_mtime_ns == stamp  # read, not rebuilt


def test_processes_starting_together_never_read_half_a_pickle(tmp_path: Path) -> None:
    procs = [_start(tmp_path) for _ in range(6)]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    files = list((tmp_path / "gig-kiosk" / "escpos").iterdir())
    assert len(files) == 1
    assert "profiles" in pickle.loads(files[0].read_bytes())


def test_a_stale_pickle_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    shared = tmp_path / "gig-kiosk" / "escpos"
    assert _start(tmp_path).wait(timeout=60) == 0
    [made] = list(shared.iterdir())
    made.write_bytes(b"")  # as if cut short, and older than the database
    os.utime(made, (0, 0))
    p = _start(tmp_path)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "profiles" in pickle.loads(made.read_bytes())
