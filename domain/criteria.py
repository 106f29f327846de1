"""Exit criteria: a small set of declared checks over a snapshot of a network (pure).

Each check takes the network's ``NetworkFacts`` and its parameters from the template and returns
the unmet criteria as German sentences (empty when met). A check is declared once, beside its
function, with ``@criterion(...)``: its parameters and their types, its description (for
``verbund templates show`` and docs/templates.md) and the facts sections it reads, so the service
layer loads only those (``services/stages/facts.py`` has one loader per section). Template parsing, the
facts loader, ``templates show`` and the docs table all read ``REGISTRY``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from verbund.domain.business_days import BusinessCalendar, local_date
from verbund.domain.formatting import count
from verbund.domain.models import KIND_LABELS

if TYPE_CHECKING:  # the template model imports this registry to validate checks; no cycle at run time
    from verbund.domain.process import StageTemplate


@dataclass(frozen=True)
class MemberFact:
    organisation_id: str
    name: str
    kind: str
    reachable: bool = True  # an active contact with an e-mail address or a channel (issue 12)


@dataclass(frozen=True)
class PotentialFact:
    area: str
    title: str
    raised_by: tuple[str, ...]


@dataclass(frozen=True)
class GoalFact:
    title: str
    potentials: int
    owner: str | None
    indicator: str | None
    target_date: dt.date | None
    confirmed: bool


@dataclass(frozen=True)
class ConsultationFact:
    status: str
    starts_at: dt.datetime
    invitations_sent_at: dt.datetime | None
    held_at: dt.datetime | None
    present_kinds: frozenset[str]


@dataclass(frozen=True)
class ProtocolFact:
    status: str
    objection_deadline: dt.date | None
    open_objections: int
    content_hash: str | None
    published_at: dt.datetime | None


@dataclass(frozen=True)
class CoverageFact:
    schools_in_scope: int
    unassigned: tuple[str, ...]
    multiply_assigned: tuple[str, ...]


@dataclass(frozen=True)
class RoleFact:
    name: str
    kind: str
    role: str


@dataclass(frozen=True)
class AgreementFact:
    title: str
    parties: tuple[str, ...]
    signed_on: dt.date | None
    fields_of_action: tuple[str, ...]
    responsibilities: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class DecisionFact:
    kind: str
    title: str
    adopted: bool
    reason: str


@dataclass
class NetworkFacts:
    """What the checks may read; sections a stage does not need stay ``None``."""

    network: str
    state: str
    at: dt.datetime
    members: list[MemberFact] | None = None
    coverage: CoverageFact | None = None
    analysis: dict[str, set[str]] | None = None  # organisation id → categories answered
    potentials: list[PotentialFact] | None = None
    goals: list[GoalFact] | None = None
    consultation: ConsultationFact | None = None
    protocol: ProtocolFact | None = None
    recommendations: int | None = None
    stage: str | None = None  # the stage and cycle being checked (decisions, evidence)
    cycle: int = 1
    roles: list[RoleFact] | None = None
    agreements: list[AgreementFact] | None = None
    decisions: list[DecisionFact] | None = None
    evidence: dict[str, str] | None = None  # step → text, for this stage and cycle
    extra: dict[str, Any] = field(default_factory=dict)


Check = Callable[[NetworkFacts, dict[str, Any]], list[str]]

# Facts sections a check may read (each has one loader in services/stages/facts.py).
SECTIONS = ("members", "coverage", "analysis", "potentials", "goals", "consultation", "protocol",
            "recommendations", "roles", "agreements", "decisions", "evidence")


@dataclass(frozen=True)
class Criterion:
    """One declared check: the function, its parameters (name → type; ``list`` means a list of
    texts), what it checks in German, and the facts sections it reads."""

    name: str
    function: Check
    params: dict[str, type]
    description: str
    sections: tuple[str, ...]

    def param_error(self, key: str, value: Any) -> str | None:
        """Why ``key = value`` is not a valid parameter of this check, or ``None``."""
        if key not in self.params:
            allowed = ", ".join(sorted(self.params)) or "keine"
            return f"Prüfung '{self.name}' kennt den Parameter '{key}' nicht (erlaubt: {allowed})"
        expected = self.params[key]
        if expected is list:
            ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        else:
            ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if not ok or (expected is int and value < 0):
            kind = "Liste von Texten" if expected is list else expected.__name__
            return f"'{key}' muss {kind} sein, ist {value!r}"
        return None


REGISTRY: dict[str, Criterion] = {}


def criterion(*, description: str, sections: tuple[str, ...], **params: type) -> Callable[[Check], Check]:
    """Declare the decorated function as the check of its own name."""

    def register(function: Check) -> Check:
        unknown = [section for section in sections if section not in SECTIONS]
        if unknown or function.__name__ in REGISTRY:
            raise ValueError(f"check {function.__name__}: unknown sections {unknown} or declared twice")
        REGISTRY[function.__name__] = Criterion(function.__name__, function, dict(params), description, sections)
        return function

    return register


def _names(items: Iterable[str], limit: int = 5) -> str:
    items = sorted(items)
    shown = ", ".join(items[:limit])
    return shown + (f" und {len(items) - limit} weitere" if len(items) > limit else "")


def _need(value: Any, section: str) -> Any:
    if value is None:
        raise ValueError(f"facts section '{section}' was not loaded")
    return value


@criterion(
    description="jede öffentliche Schule der Region genau einem Verbund zugeordnet",
    sections=("coverage",),
)
def schools_covered(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    coverage: CoverageFact = _need(facts.coverage, "coverage")
    unmet = []
    if coverage.unassigned:
        unmet.append(
            f"{len(coverage.unassigned)} von {coverage.schools_in_scope} öffentlichen Schulen der "
            f"Region keinem Verbund zugeordnet ({_names(coverage.unassigned)})"
        )
    if coverage.multiply_assigned:
        unmet.append(
            f"{count(len(coverage.multiply_assigned), 'Schule', 'Schulen')} mehreren Verbünden zugeordnet "
            f"({_names(coverage.multiply_assigned)})"
        )
    return unmet


@criterion(
    description="Pflichtpartner (kinds) sind Mitglieder",
    sections=("members",),
    kinds=list,
)
def required_partners(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    members: list[MemberFact] = _need(facts.members, "members")
    present = {member.kind for member in members}
    missing = [kind for kind in params.get("kinds", []) if kind not in present]
    if not missing:
        return []
    return ["Pflichtpartner fehlen: " + ", ".join(KIND_LABELS.get(k, k) for k in missing)]


@criterion(
    description="jedes Mitglied hat je Kategorie einen Eintrag oder „keine Angaben“ mit Grund",
    sections=("members", "analysis"),
    categories=list,
)
def analysis_complete(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    members: list[MemberFact] = _need(facts.members, "members")
    answered: dict[str, set[str]] = _need(facts.analysis, "analysis")
    from verbund.domain.work import CATEGORY_LABELS  # the work tables only where a check needs them

    categories = params.get("categories", list(CATEGORY_LABELS))
    lacking = [
        member.name
        for member in members
        if not set(categories) <= answered.get(member.organisation_id, set())
    ]
    if not members:
        return ["der Verbund hat keine Mitglieder"]
    if not lacking:
        return []
    unmet = [
        f"Analyse unvollständig für {len(lacking)} von {count(len(members), 'Mitglied', 'Mitgliedern')} "
        f"({_names(lacking)}): je Kategorie ein Eintrag oder „keine Angaben“ mit Begründung"
    ]
    unreachable = [m.name for m in members if not m.reachable and m.name in lacking]
    if unreachable:
        # "no message reaches them": the members are the object, so the verb stays singular
        which = "eines" if len(unreachable) == 1 else str(len(unreachable))
        unmet.append(f"Keine Nachricht erreicht {which} dieser Mitglieder (keine aktive "
                     f"Ansprechperson mit E-Mail-Adresse oder Kanal): {_names(unreachable)}")
    return unmet


@criterion(
    description="mindestens ein Potenzial je Bereich, mit einbringenden Partnern",
    sections=("potentials",),
    areas=list,
)
def potentials_per_area(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    potentials: list[PotentialFact] = _need(facts.potentials, "potentials")
    unmet = []
    from verbund.domain.work import AREA_LABELS

    for area in params.get("areas", list(AREA_LABELS)):
        if not any(p.area == area for p in potentials):
            unmet.append(f"kein Potenzial im Bereich {AREA_LABELS.get(area, area)}")
    anonymous = [p.title for p in potentials if not p.raised_by]
    if anonymous:
        unmet.append(f"Potenziale ohne einbringende Partner: {_names(anonymous)}")
    return unmet


@criterion(
    description="jedes Ziel mit Potenzial, Verantwortlichen, Indikator und Zieltermin",
    sections=("goals",),
)
def goals_well_formed(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    goals: list[GoalFact] = _need(facts.goals, "goals")
    if not goals:
        return ["noch kein Ziel erfasst"]
    unmet = []
    for label, test in (
        ("ohne abgeleitetes Potenzial", lambda g: g.potentials < 1),
        ("ohne Verantwortliche", lambda g: not g.owner),
        ("ohne Indikator", lambda g: not g.indicator),
        ("ohne Zieltermin", lambda g: g.target_date is None),
    ):
        bad = [g.title for g in goals if test(g)]
        if bad:
            unmet.append(f"Ziele {label}: {_names(bad)}")
    return unmet


@criterion(
    description="Einladung mindestens business_days Werktage vor der Beratung",
    sections=("consultation",),
    business_days=int,
)
def consultation_invited_ahead(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    consultation = facts.consultation
    if consultation is None or consultation.status == "cancelled":
        return ["keine konstituierende Beratung angesetzt"]
    if consultation.invitations_sent_at is None:
        return ["Einladungen zur Beratung noch nicht versandt"]
    needed = int(params.get("business_days", 0))
    calendar = BusinessCalendar(facts.state)
    ahead = calendar.business_days_between(
        local_date(consultation.invitations_sent_at), local_date(consultation.starts_at)
    )
    if ahead < needed:
        return [f"Einladungen nur {ahead} statt {count(needed, 'Werktag', 'Werktage')} vor der Beratung versandt"]
    return []


@criterion(
    description="Beratung gehalten, Partnerarten (kinds) anwesend",
    sections=("consultation",),
    kinds=list,
)
def consultation_held_with_quorum(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    consultation = facts.consultation
    if consultation is None or consultation.held_at is None:
        return ["die Beratung hat noch nicht stattgefunden"]
    missing = [k for k in params.get("kinds", []) if k not in consultation.present_kinds]
    if missing:
        return ["Quorum nicht erreicht, es fehlten: " + ", ".join(KIND_LABELS.get(k, k) for k in missing)]
    return []


@criterion(
    description="alle Ziele bestätigt",
    sections=("goals",),
)
def goals_confirmed(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    goals: list[GoalFact] = _need(facts.goals, "goals")
    if not goals:
        return ["keine Ziele zu bestätigen"]
    open_goals = [g.title for g in goals if not g.confirmed]
    return [f"Ziele nicht bestätigt: {_names(open_goals)}"] if open_goals else []


@criterion(
    description="Protokoll ohne offene Einsprüche genehmigt, eingefroren, veröffentlicht",
    sections=("protocol",),
)
def protocol_published(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    protocol = facts.protocol
    if protocol is None:
        return ["noch kein Protokollentwurf"]
    unmet = []
    if protocol.objection_deadline is None:
        unmet.append("Protokoll nicht mit Einspruchsfrist versandt")
    if protocol.open_objections:
        unmet.append(f"{protocol.open_objections} offene Einsprüche zum Protokoll")
    if protocol.content_hash is None:
        unmet.append("Protokoll nicht genehmigt und eingefroren")
    if protocol.published_at is None:
        unmet.append("Protokoll nicht veröffentlicht")
    return unmet


@criterion(
    description="mindestens minimum Empfehlungen erfasst",
    sections=("recommendations",),
    minimum=int,
)
def recommendations_tracked(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    count = _need(facts.recommendations, "recommendations")
    return [] if count >= int(params.get("minimum", 1)) else ["keine Empfehlungen für die Weiterarbeit erfasst"]


@criterion(
    description="mindestens minimum Mitglieder in der Rolle role, alle Partnerarten (kinds) vertreten",
    sections=("roles",),
    role=str, title=str, kinds=list, minimum=int,
)
def roles_filled(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    """Members in ``role``: at least ``minimum``, covering every partner kind in ``kinds``."""
    roles: list[RoleFact] = _need(facts.roles, "roles")
    role = params["role"]
    holders = [r for r in roles if r.role == role]
    unmet = []
    minimum = int(params.get("minimum", 1))
    if len(holders) < minimum:
        needed = count(minimum, "Mitglied", "Mitglieder")
        unmet.append(f"Rolle {params.get('title', role)}: {len(holders)} statt mindestens {needed}")
    present = {r.kind for r in holders}
    missing = [k for k in params.get("kinds", []) if k not in present]
    if missing:
        labels = ", ".join(KIND_LABELS.get(k, k) for k in missing)
        unmet.append(f"Rolle {params.get('title', role)}: es fehlen {labels}")
    return unmet


@criterion(
    description="Vereinbarung unterzeichnet (min_parties Parteien; ggf. Handlungsfelder, Zuständigkeiten)",
    sections=("agreements",),
    title=str, min_parties=int, with_fields_of_action=bool, with_responsibilities=bool,
)
def agreement_signed(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    """A signed agreement with enough parties; optionally with fields of action and responsibilities
    (each naming who implements and who checks quality)."""
    agreements: list[AgreementFact] = _need(facts.agreements, "agreements")
    title = params.get("title", "Vereinbarung")
    signed = [a for a in agreements if a.signed_on is not None and a.signed_on <= local_date(facts.at)]
    if not signed:
        return [f"{title}: noch keine unterzeichnete Vereinbarung"]
    minimum = int(params.get("min_parties", 2))
    unmet = []
    for agreement in signed:
        parties = len(set(agreement.parties))
        if parties < minimum:
            unmet.append(f"{agreement.title}: {parties} statt mindestens {minimum} Vertragsparteien")
        if params.get("with_fields_of_action") and not agreement.fields_of_action:
            unmet.append(f"{agreement.title}: keine vereinbarten Handlungsfelder")
        if params.get("with_responsibilities"):
            if not agreement.responsibilities:
                unmet.append(f"{agreement.title}: keine Zuständigkeiten geklärt")
            lacking = [
                str(item.get("task") or "?") for item in agreement.responsibilities
                if not (item.get("task") and item.get("implements") and item.get("checks_quality"))
            ]
            if lacking:
                unmet.append(f"{agreement.title}: ohne Umsetzung und Qualitätssicherung: {_names(lacking)}")
    return unmet


@criterion(
    description="mindestens minimum Beschlüsse der Art kind im Konsens gefasst (je Durchlauf)",
    sections=("decisions",),
    kind=str, title=str, minimum=int,
)
def decisions_adopted(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    """At least ``minimum`` decisions of ``kind`` adopted by consensus in this stage and cycle."""
    decisions: list[DecisionFact] = _need(facts.decisions, "decisions")
    kind = params.get("kind")
    relevant = [d for d in decisions if kind is None or d.kind == kind]
    adopted = [d for d in relevant if d.adopted]
    minimum = int(params.get("minimum", 1))
    if len(adopted) >= minimum:
        return []
    what = params.get("title", "Beschlüsse")
    text = f"{what}: {len(adopted)} von mindestens {minimum} im Konsens beschlossen"
    refused = [f"{d.title} ({d.reason})" for d in relevant if not d.adopted]
    if refused:
        text += "; nicht beschlossen: " + "; ".join(refused)
    return [text]


@criterion(
    description="alle Schritte (steps) dieser Stufe dokumentiert (je Durchlauf)",
    sections=("evidence",),
    steps=list, titles=list,
)
def steps_documented(facts: NetworkFacts, params: dict[str, Any]) -> list[str]:
    """Every step in ``steps`` documented for this stage and cycle (``titles`` names them)."""
    evidence: dict[str, str] = _need(facts.evidence, "evidence")
    steps = list(params.get("steps", []))
    titles = list(params.get("titles", []))
    label = {step: titles[i] if i < len(titles) else step for i, step in enumerate(steps)}
    missing = [label[step] for step in steps if step not in evidence]
    if not missing:
        return []
    cycle = f" (Durchlauf {facts.cycle})" if facts.cycle > 1 else ""
    return [f"noch nicht dokumentiert{cycle}: " + ", ".join(missing)]


def sections_for(stage: StageTemplate) -> set[str]:
    return {section for spec in stage.checks for section in REGISTRY[spec.check].sections}


def unmet_criteria(stage: StageTemplate, facts: NetworkFacts) -> list[str]:
    """Every unmet exit criterion of ``stage``, in template order."""
    unmet: list[str] = []
    for spec in stage.checks:
        unmet.extend(REGISTRY[spec.check].function(facts, spec.params))
    return unmet


def check_names(stage: StageTemplate) -> Sequence[str]:
    return [spec.check for spec in stage.checks]
