"""``verbund remind`` and ``verbund outbox`` through the CLI: the JSON shapes of CONTRACTS.md, no secrets.

``remind`` runs in a subprocess (its sweep flow reports to the session's Prefect harness through
``PREFECT_API_URL``, and everything the process prints is checked for the webhook's secret); the
read-only ``outbox`` runs in this process. The domain database is prepared through the service layer (the sample
region with one network's analysis stage open).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from support_cli import clean_env, invoke

from verbund.domain.models import Contact, Organisation
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.stages.lifecycle import reconcile_stage

NETWORK = "kv-auental-nord"
MESSAGE_FIELDS = {"key", "delivery", "contact", "network", "stage", "kind", "status", "attempts", "sent_at"}


VERBUND = str(Path(sys.executable).with_name("verbund"))


@pytest.fixture
def cli_env(prefect_api: str, tmp_path: Path) -> dict[str, str]:
    import datetime as dt

    database_url = f"sqlite:///{tmp_path / 'verbund.db'}"
    start = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
    app = bootstrap(Settings(database_url=database_url))
    build_sample_region(app, at=start)
    reconcile_stage(app, NETWORK, "analysis", start)
    with app.uow(write=True) as uow:  # one partner with a secret in a (refused) webhook URL
        contact = uow.session.exec(
            select(Contact).join(Organisation).where(Organisation.kind == "youth_welfare")).first()
        assert contact is not None
        contact.channels = ["json://verbund:streng-geheim@127.0.0.1:9/"]
        contact.email = None  # only the webhook (an e-mail address would reach it through the sender, issue 12)
        uow.session.add(contact)
        uow.commit()
    app.engine.dispose()
    env = clean_env()
    env.update(VERBUND_DATABASE_URL=database_url, VERBUND_NOW="2019-09-02T10:00:00",
               VERBUND_MAILBOX_DIR=str(tmp_path / "postfach"), PREFECT_API_URL=prefect_api,
               PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false", COLUMNS="200")
    return env


IN_PROCESS = ("VERBUND_DATABASE_URL", "VERBUND_NOW", "VERBUND_MAILBOX_DIR", "COLUMNS")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    if args[0] == "outbox":
        result = invoke(*args, **{key: env[key] for key in IN_PROCESS})
        return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)
    return subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def _json(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = _run(env, *args)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "streng-geheim" not in result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_remind_and_outbox_speak_the_json_of_the_contract(cli_env: dict[str, str]) -> None:
    dry = _json(cli_env, "remind", "--dry-run", "--json")
    assert {"planned", "sent", "failed", "suppressed"} <= set(dry)
    assert dry["planned"] > 20 and dry["sent"] == 0
    assert _json(cli_env, "outbox", "--json") == {"messages": []}  # a dry run stores nothing

    done = _json(cli_env, "remind", "--json")
    assert done["planned"] == dry["planned"]
    # The partner behind the unreachable webhook is retried later; everybody else has the message.
    assert done["failed"] == 0 and done["retrying"] == 1
    assert done["sent"] + done["retrying"] == done["planned"]
    messages = _json(cli_env, "outbox", "--json", "--network", NETWORK)["messages"]
    assert len(messages) == done["planned"]
    for row in messages:
        assert set(row) >= MESSAGE_FIELDS
        assert row["network"] == NETWORK and row["stage"] == "analysis" and row["kind"] == "stage_opened"
    sent = [row for row in messages if row["status"] == "sent"]
    assert len(sent) == done["sent"] and all(row["sent_at"].startswith("2019-09-02T") for row in sent)
    mailboxes = [p for p in Path(cli_env["VERBUND_MAILBOX_DIR"]).iterdir() if p.is_dir()]
    assert len(mailboxes) == len(sent)  # one local mailbox per reachable partner, one message each

    only_sent = _json(cli_env, "outbox", "--json", "--status", "sent")["messages"]
    assert {row["status"] for row in only_sent} == {"sent"}
    assert _json(cli_env, "outbox", "--json", "--network", "kv-gibt-es-nicht") == {"messages": []}
    table = _run(cli_env, "outbox", "--status", "pending")
    assert table.returncode == 0 and "json://127.0.0.1:9" in table.stdout  # scheme and host only
    assert "streng-geheim" not in table.stdout and "verbund:" not in table.stdout

    again = _json(cli_env, "remind", "--json")
    assert (again["planned"], again["sent"]) == (0, 0)


def test_an_unknown_status_is_refused_in_german(cli_env: dict[str, str]) -> None:
    result = _run(cli_env, "outbox", "--json", "--status", "verschickt")
    assert result.returncode == 1
    assert "unbekannter Status 'verschickt'" in result.stderr
