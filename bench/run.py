"""Runs every benchmark module in bench/ and prints one table (and JSON with --json).

A benchmark module is `bench/bench_<name>.py` with `run(quick: bool) -> list[Row]`. Each
row compares the measured value with its goal; goals are ratios against a baseline measured
in the same run wherever the machine's speed would otherwise decide the outcome.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Row:
    bench: str
    metric: str
    value: float
    unit: str
    goal: str = ""  # human-readable, e.g. "<= 5 ms"
    ok: bool | None = None  # None: informational


def discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def run_all(names: list[str] | None = None, quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    for name in names or discover():
        module = importlib.import_module(f"bench.{name}")
        t0 = time.perf_counter()
        try:
            rows.extend(module.run(quick=quick))
        except Exception as exc:  # one broken benchmark must not hide the others
            rows.append(Row(name, f"FAILED: {type(exc).__name__}: {exc}", 0, "", ok=False))
        print(f"# {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return rows


def format_table(rows: list[Row]) -> str:
    head = ("bench", "metric", "value", "unit", "goal", "ok")
    body = [
        (r.bench, r.metric, f"{r.value:.4g}", r.unit, r.goal, "" if r.ok is None else ("yes" if r.ok else "NO"))
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=False)) for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="bench modules (default: all), e.g. bench_search")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for smoke tests")
    parser.add_argument("--visits", type=int, default=10_000, help="`bench soak` only: visits (--quick: 1,000)")
    parser.add_argument("--every", type=int, default=500, help="`bench soak` only: report every N visits")


def run(args: argparse.Namespace) -> int:
    if args.names == ["soak"]:  # `gig-kiosk bench soak --visits N`: the soak alone, its own report
        from bench import soak

        return soak.run(args)
    rows = run_all(args.names or None, quick=args.quick)
    print(format_table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="bench")
    configure(parser)
    sys.exit(run(parser.parse_args()))
