"""Count string literals holding Chinese in the kiosk's code (issue 15: "from ~200 to <= 30").

What counts: every str constant in screens/, kiosk/, devices/ *.py (f-string pieces
included) with a CJK ideograph, CJK punctuation or a fullwidth form in it; docstrings are
not counted, comments are not literals. Words a person reads belong in the catalogue
(assets/locale/*/LC_MESSAGES/kiosk.po) or a data file, not here.

    .venv/bin/python bench/zh_literals.py            # total, then per file
    .venv/bin/python bench/zh_literals.py --rev REV  # the same at a git revision
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("screens", "kiosk", "devices")
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def count_source(source: str) -> list[tuple[int, str]]:
    """(line, literal) for each string literal with Chinese in it, docstrings aside."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docs and CHINESE.search(node.value)
    ]


def sources(rev: str | None = None) -> dict[str, str]:
    if rev is None:
        return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
                for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, *PACKAGES], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    return {n: subprocess.run(["git", "show", f"{rev}:{n}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout for n in names if n.endswith(".py")}


def count(rev: str | None = None) -> Counter[str]:
    return Counter({name: len(hits) for name, src in sources(rev).items() if (hits := count_source(src))})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", help="a git revision instead of the work tree")
    args = ap.parse_args(argv)
    per_file = count(args.rev)
    print(f"{sum(per_file.values())} string literals with Chinese in {', '.join(PACKAGES)}")
    for name, n in per_file.most_common():
        print(f"{n:4d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
