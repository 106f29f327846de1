"""Imports point one way (entry points → flows → services → domain) and nothing shadows the stdlib."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["domain", "services", "flows", "cli", "notifications", "deployments", "dashboard"]


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_no_package_or_module_shadows_the_standard_library() -> None:
    stdlib = set(sys.stdlib_module_names)
    clashes = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if path.stem in stdlib
    ] + [package for package in PACKAGES if package in stdlib]
    assert clashes == []


def test_the_domain_never_reads_the_wall_clock() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "domain").rglob("*.py")
        if any(call in path.read_text(encoding="utf-8") for call in ("datetime.now(", "date.today(", "time.time("))
    ]
    assert offenders == []
