"""The house rules on dependencies (DESIGN.md): kiosk/ and devices/ never import kivy, and
central/ shares no code with the kiosk."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> list[str]:
    """Every module of a package, subpackages included (found from the file tree, so this
    process imports none of them)."""
    names = []
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "migrations" not in parts and not parts[-1].startswith("_"):
            names.append(".".join(parts))
    return sorted(names)


def _imported_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('\\n'.join(sorted({n.split('.')[0] for n in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, check=True)
    return set(out.stdout.split())


def test_kiosk_and_devices_never_import_kivy() -> None:
    modules = _modules("kiosk") + _modules("devices")
    assert len(modules) > 30
    loaded = _imported_after(modules)
    assert "kiosk" in loaded and "devices" in loaded
    assert "kivy" not in loaded


def test_central_imports_nothing_of_the_kiosk() -> None:
    loaded = _imported_after(_modules("central"))
    assert "central" in loaded
    assert not {"kiosk", "devices", "screens", "kivy"} & loaded


# DESIGN.md: devices depend on kiosk.worker (the thread/status/backoff/Signal shape they share
# with the sync worker) and the data modules only: the shapes a driver produces or consumes
# (IdentityCard, Receipt, PrinterSettings) and where the kiosk keeps its cache; never the
# kiosk's state, store or network.
DEVICES_MAY_USE = {"kiosk", "kiosk.i18n", "kiosk.models", "kiosk.identity", "kiosk.receipts", "kiosk.settings",
                   "kiosk.cache", "kiosk.printer_models", "kiosk.worker"}


def test_devices_use_only_the_kiosks_data_modules() -> None:
    import ast

    used: dict[str, set[str]] = {}
    for path in (ROOT / "devices").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "kiosk":
                names = {f"{node.module}.{a.name}" if node.module == "kiosk" else node.module for a in node.names}
            elif isinstance(node, ast.Import):
                names = {a.name for a in node.names if a.name.split(".")[0] == "kiosk"}
            else:
                continue
            for name in names:
                used.setdefault(name, set()).add(path.name)
    assert used, "the scan found no kiosk imports at all"
    assert set(used) - DEVICES_MAY_USE == set(), {k: v for k, v in used.items() if k not in DEVICES_MAY_USE}


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level packages each module of `package` imports (at any depth of its code)."""
    import ast

    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.setdefault(node.module.split(".")[0], set()).add(str(path.relative_to(ROOT)))
            elif isinstance(node, ast.Import):
                for a in node.names:
                    found.setdefault(a.name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_kiosk_core_imports_neither_screens_nor_devices() -> None:
    """kiosk/ holds the visit's rules and data: the UI and the drivers are given to it (as
    Protocols, kiosk.visit.ports), never imported by it."""
    used = _imports("kiosk")
    assert "kiosk" in used
    assert {k: v for k, v in used.items() if k in ("screens", "devices", "kivy")} == {}


def test_the_worker_module_stands_alone() -> None:
    """kiosk.worker is what devices/ and the sync share: it must pull in nothing of the kiosk
    (no store, network, settings) so a driver importing it stays a driver."""
    import ast

    tree = ast.parse((ROOT / "kiosk" / "worker.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert imported, "the scan found no imports"
    assert {m for m in imported if m.split(".")[0] in ("kiosk", "devices", "screens", "kivy")} == set()


def test_one_worker_shape() -> None:
    """Every device driver and the sync worker get thread, status and backoff from kiosk.worker."""
    from devices.base import Device, DeviceStatus
    from kiosk.sync import SyncStatus, SyncWorker
    from kiosk.worker import Worker, WorkerStatus

    assert issubclass(Device, Worker) and issubclass(SyncWorker, Worker)
    assert DeviceStatus is WorkerStatus and SyncStatus is WorkerStatus
