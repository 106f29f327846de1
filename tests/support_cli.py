"""The environment for ``verbund`` subprocesses in tests: the caller's, minus its Prefect and verbund
settings, with a generous Prefect start-up timeout (CI runs the suite on a busy 2-core machine)."""

from __future__ import annotations

import os
from typing import Any

START_TIMEOUT = "600"  # seconds; the code's default (180 s) is for users, tests wait longer rather than fail


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VERBUND_"))}
    env.update(VERBUND_PREFECT_START_TIMEOUT=START_TIMEOUT, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=START_TIMEOUT, DO_NOT_TRACK="1")
    env.update(extra)
    return env


def invoke(*args: str, **env: str) -> Any:
    """``verbund ARGS`` in this process (Typer's CliRunner), with ``env`` set for the call only.

    For tests that need no subprocess: no interpreter start, no Prefect server of its own (a command
    that runs a flow uses the session's harness: ask for the ``prefect_api`` fixture). The app
    callback's environment changes are undone afterwards. ``result.stdout``/``result.stderr``.
    """
    from typer.testing import CliRunner

    from verbund.cli.main import app

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
