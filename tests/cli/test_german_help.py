"""The CLI's help frame is German (issue 17): "Aufruf", "Optionen", "Befehle", the help option's text and
the usage errors; no click/typer English is left in it."""

from __future__ import annotations

import re
from typing import Any

from typer.testing import CliRunner

from verbund.cli.main import app

ENGLISH = ("Usage:", "Options", "Commands", "Show this message and exit", "Missing argument", "No such option")


def test_help_and_usage_errors_are_german() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"], terminal_width=100)
    stage = runner.invoke(app, ["stage", "--help"], terminal_width=100)
    missing = runner.invoke(app, ["stage", "show"], terminal_width=100)
    unknown = runner.invoke(app, ["status", "--gibt-es-nicht"], terminal_width=100)
    assert top.exit_code == 0 and stage.exit_code == 0 and missing.exit_code == 2 and unknown.exit_code == 2
    for text in (top.output, stage.output):
        assert "Aufruf:" in text and "Optionen" in text and "Befehle" in text and "Diese Hilfe zeigen" in text
    assert "Fehlendes Argument" in missing.output and "Unbekannte Option" in unknown.output
    for result in (top, stage, missing, unknown):
        assert not [word for word in ENGLISH if word in result.output], result.output


def test_the_status_table_names_stages_by_their_titles_and_dates_in_german(cli: Any) -> None:
    output: str = cli.ok("status")
    assert "Analyse" in output and "Potenziale" in output
    assert not re.search(r"\b(analysis|potentials|goals|consultation|protocol)\b", output)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", output)  # dates as 16.12.2026
