"""No English key where a person reads (WCAG 3.1.2, issue 17): every rendered page of a world with every
stage state, and the Markdown report, shows stage titles, roles, kinds and statuses by their German
names. The keys come from the templates and enums; text inside <code> and URLs is exempt (keys are
typed there), and so are attributes (values for programs)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from a11y_world import every_state
from dashboard_world import World, login

from verbund.domain.governance import DecisionStatus
from verbund.domain.outbox import OutboxKind, OutboxStatus
from verbund.domain.process import all_templates
from verbund.domain.stages import StageState
from verbund.domain.work import (
    AnalysisCategory,
    ConsultationStatus,
    PotentialArea,
    ProtocolStatus,
    RecommendationStatus,
)
from verbund.services.app.clock import ManualClock
from verbund.services.inputs.links import sign
from verbund.services.report import build_report, render


def english_keys() -> set[str]:
    keys: set[str] = set()
    for template in all_templates():
        keys |= set(template.stage_names) | set(template.roles) | set(template.partner_kinds)
    for enum in (StageState, OutboxKind, OutboxStatus, ConsultationStatus, ProtocolStatus, RecommendationStatus,
                 DecisionStatus, AnalysisCategory, PotentialArea):
        keys |= {member.value for member in enum}
    keys |= {"transition", "recorded", "analysis_entry", "drafted", "circulated", "ready→completed"}
    return {key for key in keys if key.isascii()} - {"verbund"}  # the product's name


def readable_text(html: str) -> str:
    """What a person reads: no <code>/<script>/<style>, no tags (attributes), no URLs."""
    text = re.sub(r"<(code|script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"https?://\S+", " ", text)


def english_in(text: str, keys: set[str]) -> list[str]:
    """Each key found, with the words around it."""
    found = []
    for key in sorted(keys):
        hit = re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text)
        if hit:
            found.append(f"{key} (…{' '.join(text[max(0, hit.start() - 40):hit.end() + 20].split())}…)")
    return found


def pages(world: World, states: dict[str, tuple[str, str]]) -> list[str]:
    paths = ["/uebersicht", "/konto", "/berichte", "/verzeichnis", "/barrierefreiheit", "/leichte-sprache"]
    networks = [*world.own, world.other, world.foreign]
    paths += [f"/verbund/{n}" for n in networks]
    paths += [f"/verbund/{n}/stufe/{s}" for n in networks for s in ("analysis", "potentials", "goals",
                                                                     "consultation", "protocol")]
    return paths


def test_no_page_and_no_report_shows_an_english_key(world: World, clock: ManualClock, client: Any) -> None:
    states = every_state(world, clock)
    keys = english_keys()
    assert {"analysis", "steering_committee", "stage_opened", "sent", "draft", "scheduled"} <= keys
    found: dict[str, list[str]] = {}
    for network, stage, purpose in ((world.own[1], "analysis", "analysis"), (world.own[0], "potentials",
                                                                              "potentials"),
                                    (world.own[1], "consultation", "rsvp"), (world.own[1], "protocol", "objection")):
        token = sign(world.app, world.contact_of(network), network, stage, purpose)
        response = client.get(f"/eingabe/{network}/{stage}?t={token}")
        found[f"Partnerseite {stage}"] = english_in(readable_text(response.text), keys)
    login(client, world.users["ministry"])
    for path in pages(world, states):
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = english_in(readable_text(response.text), keys)
    report = render(build_report(world.app, world.app.now().date() + dt.timedelta(days=1)), "md").decode()
    found["Bericht (Markdown)"] = english_in(re.sub(r"`[^`]*`", " ", report), keys)
    leaks = {where: words for where, words in found.items() if words}
    assert not leaks, "\n".join(f"{where}: {', '.join(words)}" for where, words in leaks.items())
