"""The plain-language summary paragraph and the changes between two dates, in German.

Template-aware: the summary names each process template's stages and how far its networks are;
the Förderschwerpunkte are stated only where networks of a template that is about them exist
(``SPECIAL_NEEDS_TEMPLATES``, the Saxon Kooperationsverbünde Inklusion), the consultations and
protocols only where a template's stages check them (``consultation_held_with_quorum``,
``protocol_published``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from verbund.domain.errors import TemplateError
from verbund.domain.process import ProcessTemplate, load_template
from verbund.domain.stages import STATE_LABELS
from verbund.services.report.model import FINISHED, NOT_STARTED, AreaFigures, Change, Figures, NetworkRow

# Templates whose report states the Förderschwerpunkte (inclusion: every focus represented by schools).
SPECIAL_NEEDS_TEMPLATES = frozenset({"sachsen-inklusion"})
MEETING_CHECKS = frozenset({"consultation_held_with_quorum", "consultation_invited_ahead", "protocol_published"})
STAGE_GROUPS = (("beendet", ("completed", "waived")), ("in Arbeit", ("open", "ready")), ("ausstehend", ("pending",)))


def _template(key: str) -> ProcessTemplate | None:
    try:
        return load_template(key)
    except TemplateError:  # a network of a template no longer shipped: named by its key only
        return None


def special_needs_apply(templates: Iterable[str]) -> bool:
    """Whether the Förderschwerpunkte belong in a report on networks of these templates."""
    return any(key in SPECIAL_NEEDS_TEMPLATES for key in templates)


def meetings_apply(templates: Iterable[str]) -> bool:
    """Whether consultations and protocols belong in the report (a template's stages check them)."""
    for key in templates:
        template = _template(key)
        if template is None or any(spec.check in MEETING_CHECKS for st in template.stages for spec in st.checks):
            return True
    return False


def german_date(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "—"


def german_number(value: float | int) -> str:
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def plural(count: int, one: str, many: str) -> str:
    return f"{german_number(count)} {one if count == 1 else many}"


def summarise(figures: Figures, previous: Figures | None = None) -> str:
    total = figures.total
    labels = dict(figures.categories)
    scope = f"in der Region {figures.regions[0].name}" if figures.region and figures.regions else (
        f"in {plural(len(figures.regions), 'Region', 'Regionen')} und {plural(len(figures.lands), 'Land', 'Ländern')}")
    if not total.networks:
        where = f" {scope}" if figures.regions else ""
        parts = [f"Zum Stichtag {german_date(figures.as_of)} bestehen{where} noch keine Kooperationsverbünde.",
                 _coverage_sentence(total)]
        if previous is not None:
            parts.append(_since_sentence(total, previous))
        return "\n".join(parts)
    parts = [f"Zum Stichtag {german_date(figures.as_of)} bestehen {scope} "
             f"{plural(total.networks, 'Kooperationsverbund', 'Kooperationsverbünde')}.",
             _stages_sentence(total, labels), _coverage_sentence(total)]
    parts.append(
        f"{plural(total.completed, 'Stufe wurde', 'Stufen wurden')} abgeschlossen, davon "
        f"{german_number(total.on_time)} fristgerecht und {german_number(total.late)} verspätet"
        + (f"; {plural(total.waived, 'Stufe wurde', 'Stufen wurden')} erlassen" if total.waived else "")
        + f". {_overdue(total.overdue)}"
    )
    templates = sorted({row.template for row in figures.networks})
    if meetings_apply(templates):
        parts.append(
            f"{plural(total.consultations_held, 'konstituierende Beratung hat', 'konstituierende Beratungen haben')} "
            f"stattgefunden, {plural(total.protocols_published, 'Protokoll wurde', 'Protokolle wurden')} "
            "veröffentlicht."
        )
    if special_needs_apply(templates):
        parts.append(_needs_sentence(total))
    parts += [_template_sentence(key, [row for row in figures.networks if row.template == key]) for key in templates]
    parts.append(_messages_sentence(total))
    if previous is not None:
        parts.append(_since_sentence(total, previous))
    return "\n".join(part for part in parts if part)  # one point per line


def _stages_sentence(total: AreaFigures, labels: dict[str, str]) -> str:
    finished = total.count(FINISHED)
    working = [(count, category) for category, count in total.by_stage
               if count and category not in (FINISHED, NOT_STARTED)]
    text = f"{plural(finished, 'Verbund hat', 'Verbünde haben')} alle Stufen beendet"
    if working:
        count, category = max(working)
        text += f"; die meisten übrigen arbeiten in der Stufe „{labels[category]}“ ({german_number(count)})"
    not_started = total.count(NOT_STARTED)
    if not_started:
        text += f"; {plural(not_started, 'Verbund hat', 'Verbünde haben')} noch nicht begonnen"
    return text + "."


def _template_sentence(key: str, rows: list[NetworkRow]) -> str:
    """The template's stages in its order, each with how many of its networks ended, work on, await it."""
    template = _template(key)
    titles = {cell.stage: cell.title for row in rows for cell in row.stages}
    order = [stage.name for stage in template.stages] if template else list(titles)
    latest: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        cells = {cell.stage: cell for cell in row.stages}  # the latest occurrence of each stage
        for name in order:
            cell = cells.get(name)
            latest.setdefault(name, []).append((cell.state, cell.cycle) if cell else ("pending", 1))
    described = []
    for name in order:
        states = Counter(state for state, _cycle in latest.get(name, []))
        counts = ", ".join(f"{german_number(sum(states[s] for s in group))} {label}"
                           for label, group in STAGE_GROUPS if sum(states[s] for s in group))
        stage = template.stage(name) if template else None
        title = stage.title if stage else titles.get(name, name)
        if stage is not None and stage.recurs_every_months:
            title += " (jährlich)" if stage.recurs_every_months == 12 else f" (alle {stage.recurs_every_months} Monate)"
        cycle = max((number for _state, number in latest.get(name, [])), default=1)
        described.append(f"{title}: {counts}" + (f", zuletzt Durchlauf {cycle}" if cycle > 1 else ""))
    name = template.name if template else key
    return f"{name} ({plural(len(rows), 'Verbund', 'Verbünde')}), Stufen: {'; '.join(described)}."


def _coverage_sentence(total: AreaFigures) -> str:
    if not total.schools_in_scope:
        return "Öffentliche Schulen im Zuständigkeitsbereich sind nicht erfasst."
    percent = total.coverage_percent or 0.0
    sentence = (f"Von {plural(total.schools_in_scope, 'öffentlichen Schule', 'öffentlichen Schulen')} sind "
                f"{german_number(total.schools_assigned)} einem Verbund zugeordnet ({german_number(percent)} %).")
    if total.schools_not_imported:
        sentence += (f" Nicht importiert und daher nicht mitgezählt: "
                     f"{plural(total.schools_not_imported, 'Schule', 'Schulen')} im Geltungsbereich, deren "
                     "Datensatz der Schuldatenimport ablehnen musste (Gründe: verbund coverage).")
    return sentence


def _overdue(count: int) -> str:
    if not count:
        return "Keine Stufe ist überfällig."
    return f"{plural(count, 'Stufe ist', 'Stufen sind')} überfällig."


def _needs_sentence(total: AreaFigures) -> str:
    missing = total.missing_special_needs
    if not missing:
        return "Alle sieben Förderschwerpunkte sind in den Verbünden durch Förderschulen vertreten."
    present = len(total.special_needs)
    return (f"{german_number(present)} von 7 Förderschwerpunkten {'ist' if present == 1 else 'sind'} vertreten; "
            f"es fehlen: {', '.join(missing)}.")


def _messages_sentence(total: AreaFigures) -> str:
    if total.messages is None:
        return "Zum Nachrichtenversand liegen keine Daten vor."
    return (f"{plural(total.messages.sent, 'Nachricht wurde', 'Nachrichten wurden')} versandt, "
            f"{german_number(total.messages.failed)} {'scheiterte' if total.messages.failed == 1 else 'scheiterten'}.")


def _since_sentence(total: AreaFigures, previous: Figures) -> str:
    before = previous.total
    deltas = [
        (total.networks - before.networks, "Verbund", "Verbünde"),
        (total.completed - before.completed, "abgeschlossene Stufe", "abgeschlossene Stufen"),
        (total.schools_assigned - before.schools_assigned, "zugeordnete Schule", "zugeordnete Schulen"),
        (total.consultations_held - before.consultations_held, "Beratung", "Beratungen"),
        (total.protocols_published - before.protocols_published, "veröffentlichtes Protokoll",
         "veröffentlichte Protokolle"),
        (total.overdue - before.overdue, "überfällige Stufe", "überfällige Stufen"),
    ]
    moved = [f"{'+' if delta > 0 else '−'}{plural(abs(delta), one, many)}" for delta, one, many in deltas if delta]
    since = german_date(previous.as_of)
    if not moved:
        return f"Gegenüber dem {since} hat sich nichts verändert."
    return f"Gegenüber dem {since}: {', '.join(moved)}."


def changes(previous: Figures, current: Figures) -> tuple[Change, ...]:
    """Figures of regions and stage states of networks that differ between the two dates."""
    found: list[Change] = []
    before_regions = {area.key: area for area in previous.regions}
    templates = {row.template for row in current.networks} | {row.template for row in previous.networks}
    for area in current.regions:
        old = before_regions.get(area.key)
        if old is not None:
            found.extend(Change(area.name, what, a, b) for what, a, b in _area_pairs(old, area, templates)
                         if a != b)
    before_networks = {row.slug: row for row in previous.networks}
    for row in current.networks:
        old_row = before_networks.get(row.slug)
        if old_row is None:
            found.append(Change(row.name, "Verbund", "—", "gegründet"))
            continue
        old_cells = {(cell.stage, cell.cycle): cell for cell in old_row.stages}
        for cell in row.stages:
            old_cell = old_cells.get((cell.stage, cell.cycle))
            before_state = old_cell.state if old_cell else "pending"
            if before_state != cell.state:
                found.append(Change(row.name, f"Stufe {cell.title}", _state(before_state), _state(cell.state)))
    return tuple(found)


def _area_pairs(old: AreaFigures, new: AreaFigures, templates: set[str]) -> list[tuple[str, int, int]]:
    pairs: list[tuple[str, int, int]] = [
        ("Verbünde", old.networks, new.networks),
        ("Stufen fristgerecht abgeschlossen", old.on_time, new.on_time),
        ("Stufen verspätet abgeschlossen", old.late, new.late),
        ("Stufen überfällig", old.overdue, new.overdue),
        ("Schulen zugeordnet", old.schools_assigned, new.schools_assigned),
    ]
    if meetings_apply(templates):
        pairs.append(("Beratungen durchgeführt", old.consultations_held, new.consultations_held))
        pairs.append(("Protokolle veröffentlicht", old.protocols_published, new.protocols_published))
    if special_needs_apply(templates):
        pairs.append(("Förderschwerpunkte vertreten", len(old.special_needs), len(new.special_needs)))
    if old.messages is not None and new.messages is not None:
        pairs.append(("Nachrichten versandt", old.messages.sent, new.messages.sent))
        pairs.append(("Nachrichten fehlgeschlagen", old.messages.failed, new.messages.failed))
    return pairs


def _state(state: str) -> str:
    return STATE_LABELS.get(state, state)
