"""The network page's actions: each goes through the service layer, which commits and triggers the flow.

``ACTIONS`` maps the URL name to (who may do it, the handler). ``decide``: process owners only
(sign off, waive, reopen); ``act``: process owners and coordinators of the network.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from verbund.dashboard import actions_build as build
from verbund.domain.dates import parse_instant, parse_optional_day
from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import count
from verbund.domain.formatting import local_date as german_date
from verbund.domain.stages import STATE_LABELS
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.directory.setup import add_member_by_slug
from verbund.services.inputs import consultation, protocol, work
from verbund.services.inputs.links import partner_link
from verbund.services.readmodels.network_page import end_membership
from verbund.services.stages import lifecycle as stages

Handler = Callable[[App, str, dict[str, str], Principal], str]


@dataclass(frozen=True)
class Action:
    permission: str  # "act" | "decide"
    handler: Handler


def _required(data: dict[str, str], key: str, label: str) -> str:
    value = (data.get(key) or "").strip()
    if not value:
        raise InvalidInput(f"{label} fehlt")
    return value


def _local(value: str, label: str) -> dt.datetime:
    return parse_instant(value, label)


def waive(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    stage = _required(data, "stage", "Stufe")
    report = stages.waive_stage(app, slug, stage, reason=_required(data, "reason", "Begründung"), by=who.email)
    return f"Stufe „{report.title}“ erlassen"


def reopen(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    stage = _required(data, "stage", "Stufe")
    stages.reopen_stage(app, slug, stage, reason=_required(data, "reason", "Begründung"), by=who.email)
    return f"Stufe „{stage}“ wiedereröffnet"


def sign_off(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    stage = _required(data, "stage", "Stufe")
    report = stages.advance_stage(app, slug, stage, by=who.email)
    return f"Stufe „{report.title}“ ist jetzt {STATE_LABELS[report.state]}"


def add_member(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    try:
        key = uuid.UUID(_required(data, "organisation_id", "Organisation"))
    except ValueError as error:
        raise InvalidInput("Organisation: keine gültige Kennung") from error
    add_member_by_slug(app, slug, key, data.get("role") or "member", actor=who.email)
    return "Mitglied aufgenommen"


def remove_member(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    name = end_membership(app, slug, _required(data, "organisation_id", "Organisation"), by=who.email)
    return f"Mitgliedschaft von {name} beendet"


def analysis(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    item = work.AnalysisInput(_required(data, "organisation_id", "Organisation"), _required(data, "category",
                              "Kategorie"), data.get("text", ""), data.get("no_information") == "1",
                              data.get("reason") or None)
    return count(work.record_analysis(app, slug, [item], by=who.email), "Eintrag", "Einträge") + " gespeichert"


def potential(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    raised = [data["organisation_id"]] if data.get("organisation_id") else []
    item = work.PotentialInput(_required(data, "area", "Bereich"), _required(data, "title", "Titel"),
                               data.get("description", ""), raised)
    return count(work.record_potentials(app, slug, [item], by=who.email), "Potenzial", "Potenziale") + " gespeichert"


def goal(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    target = parse_optional_day(data.get("target_date"), "Zieldatum")
    item = work.GoalInput(_required(data, "title", "Titel"), [_required(data, "potential", "Potenzial")],
                          data.get("kind") or "development", data.get("owner_organisation_id") or None,
                          data.get("indicator") or None, target)
    return count(work.record_goals(app, slug, [item], by=who.email), "Ziel", "Ziele") + " gespeichert"


def schedule(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    starts = _local(_required(data, "starts_at", "Beginn"), "Beginn")
    consultation.schedule_consultation(app, slug, starts_at=starts, place=_required(data, "place", "Ort"),
                                       by=who.email)
    return "Beratung angesetzt"


def invitations(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    consultation.record_invitations_sent(app, slug, by=who.email)
    return "Versand der Einladungen vermerkt"


def hold(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    present = {key.removeprefix("present-") for key, value in data.items() if key.startswith("present-") and value}
    everyone = [key.removeprefix("member-") for key in data if key.startswith("member-")]
    attendance = [consultation.AttendanceInput(oid, oid in present) for oid in everyone]
    decisions = [line.strip() for line in data.get("decisions", "").splitlines() if line.strip()]
    consultation.hold_consultation(app, slug, consultation.HoldInput(attendance, decisions), by=who.email)
    return f"Beratung mit {len(present)} Anwesenden erfasst"


def draft(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    protocol.draft_protocol(app, slug, body=_required(data, "body", "Protokolltext"), by=who.email)
    return "Protokollentwurf gespeichert"


def circulate(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    try:
        days = int(data.get("days") or "10")
    except ValueError as error:
        raise InvalidInput("Einspruchsfrist: ganze Zahl von Werktagen") from error
    deadline = protocol.circulate_protocol(app, slug, objection_business_days=days, by=who.email)
    return f"Entwurf versandt, Einspruchsfrist bis {german_date(deadline)}"


def resolve(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    done = protocol.resolve_objections(app, slug, resolution=_required(data, "resolution", "Lösung"), by=who.email)
    return count(done, "Einspruch", "Einsprüche") + " erledigt"


def approve(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    return f"Protokoll genehmigt (SHA-256 {protocol.approve_protocol(app, slug, by=who.email)[:16]}…)"


def publish(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    protocol.publish_protocol(app, slug, by=who.email)
    return "Protokoll veröffentlicht"


def recommendations(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    titles = [line.strip() for line in data.get("titles", "").splitlines() if line.strip()]
    recorded = protocol.record_recommendations(app, slug, titles, by=who.email)
    return count(recorded, "Empfehlung", "Empfehlungen") + " erfasst"


class ShownOnce(str):
    """A result that is shown once on the answering page, never carried in a redirect URL (a minted
    partner link would land in the browser history and proxy logs)."""

    __slots__ = ()


def link(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.inputs.partners import check_contact_in_network

    contact = check_contact_in_network(app, slug, _required(data, "contact_id", "Ansprechperson"))
    return ShownOnce(partner_link(app, contact, slug, _required(data, "stage", "Stufe")))


ACTIONS: dict[str, Action] = {
    "erlassen": Action("decide", waive),
    "abnehmen": Action("decide", sign_off),
    "wiedereroeffnen": Action("decide", reopen),
    "mitglied-aufnehmen": Action("act", add_member),
    "mitglied-entfernen": Action("act", remove_member),
    "analyse": Action("act", analysis),
    "potenzial": Action("act", potential),
    "ziel": Action("act", goal),
    "beratung-ansetzen": Action("act", schedule),
    "einladungen-versandt": Action("act", invitations),
    "beratung-abhalten": Action("act", hold),
    "protokoll-entwurf": Action("act", draft),
    "protokoll-versenden": Action("act", circulate),
    "einsprueche-erledigt": Action("act", resolve),
    "protokoll-genehmigen": Action("act", approve),
    "protokoll-veroeffentlichen": Action("act", publish),
    "empfehlungen": Action("act", recommendations),
    "partnerlink": Action("act", link),
    # issue 13: what only the CLI could do, and the deadline extension (process owners)
    "beschluss-eroeffnen": Action("act", build.open_decision),
    "stimme": Action("act", build.vote),
    "vereinbarung": Action("act", build.agreement),
    "schritt": Action("act", build.step),
    "mitteilung": Action("act", build.announce),
    "beratung-absagen": Action("act", build.cancel_consultation),
    "frist-verlaengern": Action("decide", build.extend),
}
