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
    assert "4 kept, 0 broken" in result.stdout


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


def test_no_module_of_ours_is_loaded_under_two_names() -> None:
    """``domain.models`` beside ``verbund.domain.models`` would define every table twice."""
    code = (
        "import sys, verbund.cli.main, verbund.dashboard.app, verbund.flows.registry, verbund.flows.template_stages\n"
        "import verbund.deployments.specs, verbund.services.app.bootstrap\n"
        f"generic = {PACKAGES!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in generic))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    for package in PACKAGES:
        probe = subprocess.run([sys.executable, "-c", f"import {package}"], cwd="/", capture_output=True, check=False)
        assert probe.returncode != 0, f"'{package}' is importable as a top-level name"


def test_a_wheel_installs_exactly_one_top_level_package_of_ours(tmp_path: Path) -> None:
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("verbund-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"verbund"}
    for data in ("verbund/domain/templates/sachsen-inklusion.toml", "verbund/dashboard/templates/base.html",
                 "verbund/notifications/templates/reminder.txt.j2", "verbund/services/migrations/env.py",
                 "verbund/py.typed"):
        assert data in names
