"""The ``verbund`` CLI in this process (typer's runner) on a fresh database, fast: stage flows are
replaced by the same reconcile use case run inline (carrying on into the following stages as the
flows do), so no Prefect harness is needed. The commands themselves run unchanged."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from typer.testing import CliRunner

from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.settings import Settings
from verbund.services.stages.lifecycle import Outcome, reconcile_stage

runner = CliRunner()
NOW = "2019-09-02T09:00:00"  # VERBUND_NOW of the CLI tests' world


@dataclass
class InlineReconcile:
    """A trigger port that reconciles the stage at once, and the next ones while stages end."""

    app: App | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        assert self.app is not None
        self.calls.append((network, stage))
        queue = [stage]
        while queue:
            report = reconcile_stage(self.app, network, queue.pop(0), at)
            if report.outcome in (Outcome.completed, Outcome.waived):
                queue.extend(report.next_stages)


def cli_app() -> App:
    """What ``verbund.cli.main._app`` builds, with the inline trigger (patched in by the fixtures)."""
    trigger = InlineReconcile()
    built = bootstrap(Settings(), trigger=trigger)
    trigger.app = built
    return built


class Cli:
    """Runs ``verbund`` commands one after another, each a minute after the one before
    (``VERBUND_NOW`` is "now" when a command starts, as a person would type them)."""

    def __init__(self, app: Any, start: dt.datetime) -> None:
        self.app = app
        self.now = start

    def invoke(self, args: tuple[str, ...]) -> Any:
        self.now += dt.timedelta(minutes=1)
        return runner.invoke(self.app, list(args), env={"VERBUND_NOW": self.now.isoformat()})

    def ok(self, *args: str) -> Any:
        result = self.invoke(args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def fails(self, *args: str, code: int = 1) -> str:
        result = self.invoke(args)
        assert result.exit_code == code, result.output
        return " ".join(result.output.split())

    def stages(self, network: str) -> dict[str, str]:
        found = next(n for n in self.ok("status", "--json")["networks"] if n["slug"] == network)
        return {s["name"]: s["state"] for s in found["stages"]}
