"""The feature commands load on first use (cli/lazy.py): `verbund status` imports none of their modules,
`verbund --help` still lists every command, and the name → module table is what the modules register."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from verbund.cli.lazy import registered_commands
from verbund.cli.main import COMMANDS, FEATURE_COMMANDS, app


def test_the_table_names_exactly_the_commands_each_module_registers() -> None:
    for module, names in FEATURE_COMMANDS.items():
        assert set(registered_commands(f"verbund.cli.{module}")) == set(names), module


def test_help_lists_every_command_in_the_table_order_with_its_german_help() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    listed = [line.split()[1] for line in result.output.splitlines()
              if line.startswith("│ ") and len(line.split()) > 2 and line.split()[1].isidentifier()]
    expected = ["init", "status", "demo", "stage", *COMMANDS]
    assert [name for name in listed if name in expected] == expected
    assert "Erinnerungen" in result.output or "Erinnerung" in result.output  # a lazy command's help text


def test_a_mistyped_command_is_refused_with_a_suggestion_from_a_module_not_yet_loaded() -> None:
    result = CliRunner().invoke(app, ["ferein"], terminal_width=200)
    assert result.exit_code == 2
    assert "Unbekannter Befehl" in result.output and "ferien" in result.output


PROBE = """
import json, sys
from typer.testing import CliRunner
from verbund.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
print(json.dumps([result.exit_code, sorted(m for m in sys.modules if m.startswith("verbund.cli."))]))
"""


def _loaded(*args: str) -> tuple[int, set[str]]:
    probe = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=600,
                           check=False)
    assert probe.returncode == 0, probe.stderr
    code, modules = json.loads(probe.stdout.splitlines()[-1])
    return code, set(modules)


def test_a_command_imports_only_its_own_feature_module() -> None:
    features = set(COMMANDS.values())
    code, loaded = _loaded("templates", "list", "--json")
    assert code == 0
    assert loaded & features == {"verbund.cli.templates"}
    code, loaded = _loaded("stage", "--help")
    assert code == 0
    assert not loaded & features


def test_importing_the_cli_leaves_the_garbage_collector_as_it_was() -> None:
    """cli/main.py loads with collection deferred (issue 14) and must switch it back on, and only then."""
    probe = "import gc, sys; {} from verbund.cli.main import app; print(gc.isenabled())"
    for before, expected in (("", "True"), ("gc.disable();", "False")):
        result = subprocess.run([sys.executable, "-c", probe.format(before)], capture_output=True, text=True,
                                timeout=600, check=False)
        assert result.stdout.split() == [expected], result.stderr
