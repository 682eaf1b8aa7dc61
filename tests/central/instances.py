"""Several real `gig-central serve` processes on one database, for the multi-instance tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from central.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def seed(database_url: str, key_file: Path, demo_dir: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "central.cli", "seed-demo", "--database", database_url,
                          "--data-key-file", str(key_file), "--demo-dir", str(demo_dir)],
                         check=True, capture_output=True, text=True, env=_env({}), cwd=ROOT)
    return json.loads(out.stdout)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE)])
    env.update(extra)
    return env


class Instance:
    def __init__(self, database_url: str, key_file: Path, log_dir: Path, name: str,
                 env: dict[str, str], args: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "central.cli", "serve", "--database", database_url,
                 "--data-key-file", str(key_file), "--port", str(self.port), "--no-migrate",
                 "--no-access-log", "--log-level", "warning", *args],
                stdout=log, stderr=subprocess.STDOUT, env=_env(env), cwd=ROOT)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"instance exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"instance not ready: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()


class Cluster:
    """`n` instances of one seeded database; `add()` starts another (e.g. after a kill)."""

    def __init__(self, database_url: str, tmp: Path, demo_dir: Path, n: int,
                 env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.database_url, self.tmp = database_url, tmp
        self.key_file = tmp / "data.key"
        self.env, self.args = env or {}, args or []
        self.seed = seed(database_url, self.key_file, demo_dir)
        self.instances: list[Instance] = []
        for _ in range(n):
            self.add(wait=False)
        for inst in self.instances:
            inst.wait_ready()

    def add(self, wait: bool = True) -> Instance:
        inst = Instance(self.database_url, self.key_file, self.tmp, f"i{len(self.instances)}",
                        self.env, self.args)
        self.instances.append(inst)
        if wait:
            inst.wait_ready()
        return inst

    def stop(self) -> None:
        for inst in self.instances:
            inst.stop()
