"""German display names for keys a person would otherwise read: message kinds and statuses, the
statuses of consultations, protocols and recommendations, and audit entries as German sentences.

Stage titles, membership roles and partner kinds come from the process template (``title``,
``[roles]``, ``[partner_kinds]``); stage states are ``stages.STATE_LABELS``.
"""

from __future__ import annotations

from functools import lru_cache

from verbund.domain.process import all_templates
from verbund.domain.stages import STATE_LABELS

MESSAGE_KIND_LABELS = {
    "stage_opened": "Stufe eröffnet", "reminder": "Erinnerung", "overdue": "Frist überschritten",
    "escalation": "Eskalation", "invitation": "Einladung", "consultation_changed": "Beratung geändert",
    "protocol_circulated": "Protokoll zum Einspruch", "protocol_published": "Protokoll veröffentlicht",
    "announcement": "Mitteilung",
}
MESSAGE_STATUS_LABELS = {"pending": "geplant", "claimed": "in Zustellung", "sent": "gesendet",
                         "failed": "fehlgeschlagen", "suppressed": "unterdrückt"}
CONSULTATION_STATUS_LABELS = {"scheduled": "angesetzt", "held": "abgehalten", "cancelled": "abgesagt"}
PROTOCOL_STATUS_LABELS = {"draft": "Entwurf", "circulated": "zum Einspruch versandt", "approved": "genehmigt",
                          "published": "veröffentlicht"}
RECOMMENDATION_STATUS_LABELS = {"open": "offen", "in_progress": "in Arbeit", "done": "erledigt"}
DECISION_STATUS_LABELS = {"open": "offen", "adopted": "beschlossen", "not_agreed": "nicht beschlossen"}
STATUS_LABELS = {**MESSAGE_STATUS_LABELS, **CONSULTATION_STATUS_LABELS, **PROTOCOL_STATUS_LABELS,
                 **RECOMMENDATION_STATUS_LABELS}

AUDIT_SENTENCES: dict[tuple[str, str], str] = {
    ("stage", "transition"): "Stufe von „{from}“ auf „{to}“ gesetzt.",
    ("stage", "deadline_extended"): "Frist verlängert.",
    ("analysis_entry", "recorded"): "Angaben zur Analyse erfasst.",
    ("potential", "recorded"): "Potenziale erfasst.",
    ("goal", "recorded"): "Ziele erfasst.",
    ("goal", "confirmed"): "Ziele bestätigt.",
    ("consultation", "scheduled"): "Beratung angesetzt.",
    ("consultation", "moved"): "Beratung verlegt.",
    ("consultation", "invited"): "Einladungen zur Beratung versandt.",
    ("consultation", "cancelled"): "Beratung abgesagt.",
    ("consultation", "held"): "Beratung abgehalten.",
    ("rsvp", "accepted"): "Teilnahme an der Beratung zugesagt.",
    ("rsvp", "declined"): "Teilnahme an der Beratung abgesagt.",
    ("protocol", "drafted"): "Protokollentwurf gespeichert.",
    ("protocol", "circulated"): "Protokollentwurf zum Einspruch versandt.",
    ("protocol", "objection"): "Einspruch zum Protokoll erhoben.",
    ("protocol", "objections_resolved"): "Einsprüche zum Protokoll erledigt.",
    ("protocol", "approved"): "Protokoll genehmigt.",
    ("protocol", "published"): "Protokoll veröffentlicht.",
    ("recommendation", "recorded"): "Empfehlungen für die Weiterarbeit erfasst.",
    ("membership", "added"): "Mitglied aufgenommen.",
    ("membership", "removed"): "Mitgliedschaft beendet.",
    ("membership", "ended"): "Mitgliedschaft beendet.",
    ("membership", "assigned"): "Schule dem Verbund zugeordnet.",
    ("contact", "deputy_named"): "Vertretung benannt.",
    ("agreement", "recorded"): "Vereinbarung erfasst.",
    ("step", "documented"): "Schritt dokumentiert.",
    ("decision", "opened"): "Beschluss zur Abstimmung gestellt.",
    ("decision", "adopted"): "Beschluss gefasst.",
    ("decision", "not_agreed"): "Beschluss nicht zustande gekommen.",
    ("decision_vote", "consent"): "Zustimmung abgegeben.",
    ("decision_vote", "objection"): "Einwand erhoben.",
    ("decision_vote", "reservation"): "Zustimmung mit Vorbehalt abgegeben.",
    ("announcement", "announced"): "Mitteilung versandt.",
    ("network", "created"): "Verbund angelegt.",
    ("network", "renamed"): "Verbund umbenannt.",
    ("network", "closed"): "Verbund aufgelöst.",
}


def audit_sentence(entity: str | None, action: str | None, from_state: str | None = None,
                   to_state: str | None = None) -> str:
    """An audit entry as a German sentence ("Stufe von „offen“ auf „bereit“ gesetzt.")."""
    pattern = AUDIT_SENTENCES.get((entity or "", action or ""))
    if pattern is None:
        return "Änderung vermerkt."
    return pattern.format_map({"from": STATE_LABELS.get(from_state or "", from_state or "—"),
                               "to": STATE_LABELS.get(to_state or "", to_state or "—")})


@lru_cache(maxsize=256)
def stage_title(name: str) -> str:
    """A stage's German title from the first template that has a stage of that name (else the name)."""
    for template in all_templates():
        if name in template.stage_names:
            return template.stage(name).title
    return name
