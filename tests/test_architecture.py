"""The layers hold: the import contracts in .importlinter (import-linter) are kept, and a planted
violating import breaks them (so the check can fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kmzb.config import PROJECT_ROOT

PACKAGES = ("kmzb", "dashboard", "callbacks", "web")
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(root / ".importlinter")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_contracts_are_kept():
    r = lint(PROJECT_ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "4 kept, 0 broken" in r.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("house")
    for p in PACKAGES:
        shutil.copytree(PROJECT_ROOT / p, root / p, ignore=shutil.ignore_patterns("__pycache__", "locales", "spec"))
    shutil.copy(PROJECT_ROOT / ".importlinter", root)
    return root


@pytest.mark.parametrize("module, line, broken", [
    ("kmzb/stats.py", "import flask", "Core: no web or UI library"),
    ("kmzb/query/queries.py", "from web import context",
     "Layers: callbacks > web > dashboard > core|Core: no web or UI library"),
    ("dashboard/figures.py", "from callbacks import views", "Layers: callbacks > web > dashboard > core"),
    ("dashboard/layout.py", "from flask import request", "Dashboard: no web I/O"),
    ("dashboard/police.py", "from dashboard import layout", "Acyclic: no cycles between siblings"),
    ("kmzb/geo/__init__.py", "from kmzb.query import gateway", "Acyclic: no cycles between siblings"),
])
def test_a_planted_violation_breaks_a_contract(copy, module, line, broken):
    path = copy / module
    before = path.read_text(encoding="utf-8")
    path.write_text(before + f"\n{line}  # planted\n", encoding="utf-8")
    try:
        r = lint(copy)
    finally:
        path.write_text(before, encoding="utf-8")
    assert r.returncode != 0, r.stdout[-2000:]
    names = broken.split("|")
    assert all(f"{name} BROKEN" in r.stdout for name in names), r.stdout[-3000:]
    assert r.stdout.count("BROKEN") == len(names)  # those contracts only
