"""Every date a person enters on the command line or in VERBUND_NOW, fuzzed (issue 16): 0 tracebacks;
each refusal names the option. And the report's date rules: no future --as-of without
--allow-future ("Vorausschau"), no --compare-to after --as-of."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from verbund.cli.main import app as cli
from verbund.services.app.bootstrap import App

DATES = st.one_of(
    st.text(max_size=30).filter(lambda t: "\x00" not in t),
    st.sampled_from(["2021-02-30", "30.02.2021", "31.04.2026 10:00", "2026-13-01", "16.12.2026 24:00",
                     "0000-01-01", "9999-12-31T23:59+14:00", "16.12.2026", "2026-12-16T14:00"]),
    st.from_regex(r"[0-3]?\d\.[01]?\d\.(19|20|99)\d\d( [0-2]\d:[0-5]\d)?", fullmatch=True),
)
# (arguments before the date, the option, arguments after it): commands that fail on the date first
COMMANDS = [
    (["report"], "--as-of", ["-o", "{tmp}/r.md", "--format", "md"]),
    (["report", "--as-of", "2019-09-30"], "--compare-to", ["-o", "{tmp}/r.md", "--format", "md"]),
    (["forecast"], "--as-of", ["--json"]),
    (["stage", "advance", "kv-x", "analysis"], "--at", []),
    (["stage", "extend", "kv-x", "analysis", "--reason", "r", "--by", "a@b.de"], "--until", []),
]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])


def _run(app: App, args: list[str], now: str | None = None) -> tuple[int, str, BaseException | None]:
    env = {"VERBUND_DATABASE_URL": app.settings.database_url, "COLUMNS": "200"}
    env["VERBUND_NOW"] = now if now is not None else app.now().isoformat()
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output, result.exception


@SETTINGS
@given(value=DATES, which=st.integers(min_value=0, max_value=len(COMMANDS) - 1))
def test_a_fuzzed_date_option_never_gives_a_traceback_and_a_refusal_names_the_option(
    app: App, tmp_path: Path, value: str, which: int
) -> None:
    before, option, after = COMMANDS[which]
    args = [*before, option, value, *(a.format(tmp=tmp_path) for a in after)]
    code, output, exception = _run(app, args)
    assert exception is None or isinstance(exception, SystemExit), (args, exception)
    assert "Traceback" not in output
    assert code in (0, 1, 2), (args, output)
    if code == 1 and "ist kein gültiges Datum" in output:
        assert option in output and "TT.MM.JJJJ" in output


@SETTINGS
@given(value=DATES)
def test_a_fuzzed_verbund_now_never_gives_a_traceback(app: App, value: str) -> None:
    code, output, exception = _run(app, ["coverage", "--json"], now=value)
    assert exception is None or isinstance(exception, SystemExit), (value, exception)
    assert "Traceback" not in output and code in (0, 1)
    if code == 1:
        assert "VERBUND_NOW" in output


def test_verbund_now_2021_02_30_is_refused_in_one_german_line(app: App) -> None:
    code, output, _ = _run(app, ["coverage"], now="2021-02-30")
    assert code == 1 and "VERBUND_NOW: '2021-02-30' ist kein gültiges Datum" in output


def test_a_report_date_after_today_needs_allow_future_and_is_then_a_vorausschau(app: App, tmp_path: Path) -> None:
    today = app.now().date()
    future = (today + dt.timedelta(days=10)).strftime("%d.%m.%Y")
    code, output, _ = _run(app, ["report", "--as-of", future, "--format", "md", "-o", str(tmp_path / "r.md")])
    assert code == 1 and "--as-of" in output and "--allow-future" in output
    assert not (tmp_path / "r.md").exists()

    code, output, _ = _run(app, ["report", "--as-of", future, "--allow-future", "--format", "md",
                                 "-o", str(tmp_path / "r.md")])
    assert code == 0, output
    assert "Vorausschau" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_a_comparison_date_after_the_report_date_is_refused(app: App, tmp_path: Path) -> None:
    code, output, _ = _run(app, ["report", "--as-of", "2019-09-01", "--compare-to", "2019-09-02", "--format", "md",
                                 "-o", str(tmp_path / "r.md")])
    assert code == 1 and "--compare-to" in output and "nach dem Stichtag" in output
    code, output, _ = _run(app, ["report", "--as-of", "01.09.2019", "--compare-to", "2019-08-01", "--format", "md",
                                 "-o", str(tmp_path / "r.md")])
    assert code == 0, output
