"""The export as a readable German summary (``verbund privacy export --text``)."""

from __future__ import annotations

from typing import Any

TABLE_LABELS = {
    "analysisentry": "Analyse-Eingaben", "potential": "Potenziale", "goal": "Ziele", "attendance": "Anwesenheit",
    "protocol": "Protokolle", "protocolobjection": "Einwände zum Protokoll", "decision": "Beschlüsse",
    "decisionvote": "Stimmen", "stageevidence": "Dokumentierte Schritte", "agreement": "Vereinbarungen",
    "invitation": "Einladungen", "contactdeputy": "Vertretungen",
    "stagedeputy": "Vertretungen je Stufe", "consultation": "Beratungen",
    "recommendation": "Empfehlungen",
}


def _person(document: dict[str, Any]) -> list[str]:
    if document["kind"] == "contact":
        c, org = document["contact"], document.get("organisation") or {}
        lines = [f"Ansprechperson: {c['name']} ({'aktiv' if c['active'] else 'deaktiviert'})",
                 f"Organisation: {org.get('name', '—')}", f"E-Mail: {c.get('email') or '—'}",
                 f"Funktion: {c.get('function') or '—'}",
                 f"Kanäle: {', '.join(c['channels']) or '—'} (Zugangsdaten ausgeblendet)"]
        if document["channel_opt_outs"]:
            lines.append("Abgeschaltete Kanäle: " + ", ".join(o["channel"] for o in document["channel_opt_outs"]))
        lines.append("Mitgliedschaften der Organisation: " + (", ".join(
            f"{m['network']} ({m['role']}, seit {m['valid_from'][:10]}"
            + (f", bis {m['valid_to'][:10]})" if m["valid_to"] else ")") for m in document["memberships"]) or "—"))
        return lines
    u = document["user"]
    return [f"Benutzer: {u['name'] or u['email']} ({u['role']}, {'aktiv' if u['active'] else 'deaktiviert'})",
            f"E-Mail: {u['email']}", "Zuständigkeit: " + (", ".join(f"{s['kind']} {s['value']}"
                                                                     for s in document["scopes"]) or "—"),
            f"Anmeldesitzungen: {len(document['sessions'])}"]


def summary(document: dict[str, Any]) -> str:
    lines = ["Auskunft über gespeicherte personenbezogene Daten (Art. 15 DSGVO)",
             f"Erstellt: {document['created_at']}", "", *_person(document), ""]
    lines.append(f"Verlaufseinträge, die die Person ausgelöst hat: {len(document['audit'])}")
    for event in document["audit"][:50]:
        lines.append(f"  - {event['at'][:16]} {event['entity']} {event['action']}"
                     + (f" ({event['reason']})" if event.get("reason") else ""))
    counts: dict[str, int] = {}
    for record in document["records"]:
        counts[record["table"]] = counts.get(record["table"], 0) + 1
    lines.append("Weitere Einträge, die die Person nennen: " + (", ".join(
        f"{TABLE_LABELS.get(t, t)}: {n}" for t, n in sorted(counts.items())) or "keine"))
    messages = document["messages"]
    lines.append(f"Nachrichten an die Person: {len(messages)} (gesendet: "
                 f"{sum(m['status'] == 'sent' for m in messages)}); Kopien im lokalen Postfach: "
                 f"{len(document['mailbox']['messages'])}")
    for message in messages[:50]:
        lines.append(f"  - {message['kind']} · {message['network']} · {message['status']}"
                     + (f" · {message['sent_at'][:10]}" if message["sent_at"] else ""))
    if document["kept_protocols"]:
        lines.append(f"Genehmigte Protokolle, die die Person nennen: {len(document['kept_protocols'])}. Ihr "
                     "eingefrorener Text bleibt auch nach einer Löschung erhalten (Art. 17 Abs. 3 lit. b und e "
                     "DSGVO: öffentliche Aufgabe, Archivzwecke).")
    for erasure in document["erasures"]:
        lines.append(f"Gelöscht am {erasure['at'][:10]} (Verlaufseintrag {erasure['id']}).")
    lines += ["", f"Fundstellen in der Datenbank insgesamt: {len(document['places'])}",
              "Die vollständige, maschinenlesbare Auskunft: verbund privacy export ohne --text (JSON)."]
    return "\n".join(lines) + "\n"
