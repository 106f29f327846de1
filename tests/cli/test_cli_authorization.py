"""Authorization matrix of the CLI actions that need a role (issue 13, docs/cli.md "--by"): the
deadline extension, waiving, reopening and signing a stage off, each × every kind of ``--by``.

The expected outcome is derived from the one rule, not written per cell: ``--by`` must name an
existing, active user who is a process owner of the network's region or of its Land. A refusal
exits 1 with a German message about ``--by`` and changes nothing (the stage's state, due date and
history stay); the first permitted principal then does it. The dashboard's routes × roles are in
``tests/dashboard/test_authorization.py`` and ``test_region_page.py``; the other CLI actions keep
the documented default ``--by system`` and check no role (the operator's tool).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cli_world import NOW, Cli

from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
from verbund.services.inputs.work import PotentialInput, record_potentials

NET = "kv-auental-nord"
REGION, LAND = "sn-muldenland", "SN"
PASSWORD = "ein-langes-Passwort-42"


@dataclass(frozen=True)
class Principal:
    email: str
    role: str | None  # None: no such user
    scope: str | None = None  # region or Land (process owners), network (coordinators)
    active: bool = True

    @property
    def may_decide(self) -> bool:
        return self.active and self.role == "process_owner" and self.scope in (REGION, LAND)


PRINCIPALS = (
    Principal("system", None),
    Principal("niemand@example.org", None),
    Principal("ministerium@example.org", "ministry"),
    Principal("ko@example.org", "coordinator", NET),
    Principal("po-nrw@example.org", "process_owner", "NW"),
    Principal("po-frueher@example.org", "process_owner", REGION, active=False),
    Principal("po-land@example.org", "process_owner", LAND),
    Principal("po-region@example.org", "process_owner", REGION),
)


def _users(cli: Cli) -> None:
    app = bootstrap(Settings())
    for principal in PRINCIPALS:
        if principal.role == "coordinator":
            add_user(app, email=principal.email, role="coordinator", password=PASSWORD, network=principal.scope)
        elif principal.role == "ministry":
            add_user(app, email=principal.email, role="ministry", password=PASSWORD)
        elif principal.role:
            add_user(app, email=principal.email, role=principal.role, password=PASSWORD, region=principal.scope)
    app.engine.dispose()
    for principal in PRINCIPALS:
        if principal.role and not principal.active:
            cli.ok("user", "deactivate", "--email", principal.email)


def _stage(cli: Cli, stage: str) -> tuple[Any, ...]:
    shown = cli.ok("stage", "show", NET, stage, "--json")
    return shown["state"], shown["due"], len(shown["events"])


def _matrix(cli: Cli, stage: str, *command: str, acting: int = 0) -> str:
    """Every refused principal in turn changes nothing; then the ``acting``-th permitted one acts."""
    refused = [p for p in PRINCIPALS if not p.may_decide]
    permitted = [p for p in PRINCIPALS if p.may_decide]
    for principal in refused:
        before = _stage(cli, stage)
        result = cli.invoke((*command, "--by", principal.email))
        message = " ".join(result.output.split())
        assert result.exit_code == 1 and "--by" in message, (command, principal, message)
        assert _stage(cli, stage) == before, (command, principal)
    before = _stage(cli, stage)
    actor = permitted[acting % len(permitted)]
    result = cli.invoke((*command, "--by", actor.email))
    assert result.exit_code == 0, (command, actor, result.output)
    assert _stage(cli, stage) != before
    return actor.email


def test_only_an_active_process_owner_of_the_region_or_land_extends_waives_reopens_and_signs_off(cli: Cli) -> None:
    _users(cli)
    cli.ok("stage", "advance", NET, "analysis", "--at", NOW)  # the analysis opens
    due = dt.date.fromisoformat(cli.ok("stage", "show", NET, "analysis", "--json")["due"])
    acted = [_matrix(cli, "analysis", "stage", "extend", NET, "analysis", "--until",
                     (due + dt.timedelta(days=14)).isoformat(), "--reason", "Ferien")]
    acted.append(_matrix(cli, "analysis", "stage", "waive", NET, "analysis", "--reason", "Analyse auf Papier",
                         acting=1))
    assert _stage(cli, "analysis")[0] == "waived"

    from verbund.cli.main import _app

    app = _app()  # the potentials are the partners' (links): entered here as in test_stage_actions
    record_potentials(app, NET, [PotentialInput(area, f"Potenzial {area}", raised_by=[_first_member(app)])
                                 for area in ("communication", "special_offers", "process_steering")],
                      by="system", at=cli.now + dt.timedelta(seconds=30))
    assert _stage(cli, "potentials")[0] == "completed"
    acted.append(_matrix(cli, "potentials", "stage", "reopen", NET, "potentials", "--reason", "Korrektur", acting=1))
    assert _stage(cli, "potentials")[0] == "ready"  # reopened: it waits for a new sign-off
    acted.append(_matrix(cli, "potentials", "stage", "advance", NET, "potentials"))
    assert _stage(cli, "potentials")[0] == "completed"
    events = cli.ok("stage", "show", NET, "potentials", "--json")["events"]
    assert events[-1]["actor"] == acted[-1]
    assert set(acted) == {p.email for p in PRINCIPALS if p.may_decide}


def _first_member(app: Any) -> str:
    from verbund.services.readmodels.network_page import network_page

    return str(network_page(app, NET)["members"][0]["organisation_id"])
