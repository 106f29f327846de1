"""The report's section "Prognose zum <Zieldatum>" (issue 19): counts per region and risk, the
networks at risk by name, and the method in two sentences; as tables, so every format has it.

The forecast is computed as of the report's date (seed 0, 2,000 draws), so a past date's report
stays the same; networks whose template names no report date are left out (and counted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from verbund.domain.forecast import RISKS, STALLED
from verbund.domain.labels import stage_title

METHOD = (
    "Für jede noch nicht beendete Stufe wird 2.000-mal eine Dauer in Werktagen des Landes gezogen, aus den bis "
    "zum Stichtag beobachteten Dauern derselben Stufe (in der Region ab 5 abgeschlossenen Beobachtungen, sonst im "
    "Land, sonst aus der Soll-Dauer der Vorlage); laufende Stufen zählen als noch nicht beendet, und für die "
    "gerade offene Stufe kommen nur Dauern über der schon verstrichenen Zeit in Frage.",
    "P80 ist das Datum, bis zu dem 80 % der Läufe fertig sind: „gefährdet“ heißt P80 nach dem Zieldatum, "
    "„verfehlt“ P50 nach dem Zieldatum, „stockt“ eine offene Stufe, die länger läuft als jede beobachtete und "
    "doppelt so lang wie vorgesehen.",
)


@dataclass(frozen=True)
class ForecastSection:
    target: dt.date
    regions: tuple[tuple[str, dict[str, int]], ...]  # region slug → risk word → networks
    at_risk: tuple[dict[str, Any], ...]  # networks not "im Plan", as ``verbund forecast --json``
    left_out: int = 0  # networks without a report date in their template


def forecast_sections(networks: list[dict[str, Any]], total: int) -> tuple[ForecastSection, ...]:
    """One section per target date, from the forecast's networks (``total``: networks in the report)."""
    sections = []
    for target in sorted({n["target"] for n in networks}):
        chosen = [n for n in networks if n["target"] == target]
        regions: dict[str, dict[str, int]] = {}
        for network in chosen:
            counts = regions.setdefault(network["region"], dict.fromkeys(RISKS, 0))
            counts[network["risk"]] += 1
        at_risk = tuple(n for n in chosen if n["risk"] != RISKS[0])
        sections.append(ForecastSection(dt.date.fromisoformat(target), tuple(sorted(regions.items())), at_risk,
                                        total - len(networks)))
    return tuple(sections)


def _date(value: str | None) -> dt.date | str:
    return dt.date.fromisoformat(value) if value else "nicht absehbar"


def forecast_tables(sections: tuple[ForecastSection, ...]) -> list[Any]:
    from verbund.services.report.tables import Table

    tables = []
    for index, section in enumerate(sections, start=1):
        suffix = "" if len(sections) == 1 else f"-{index}"
        title = f"Prognose zum {section.target:%d.%m.%Y}"
        short = f"Prognose {section.target:%d.%m.%Y}"  # sheet names: at most 31 characters
        tables.append(Table(f"prognose-regionen{suffix}", f"{title}: Verbünde nach Region und Risiko",
                            ("Region", *RISKS, "Verbünde"),
                            tuple((region, *(counts[r] for r in RISKS), sum(counts.values()))
                                  for region, counts in section.regions), f"{short} – Regionen"))
        tables.append(Table(
            f"prognose-risiko{suffix}", f"{title}: Verbünde mit Risiko",
            ("Verbund", "Region", "Risiko", "P50", "P80", "P(bis Zieldatum)", "verzögert vor allem"),
            tuple((n["name"], n["region"], n["risk"], _date(n["p50"]), _date(n["p80"]),
                   round(100 * n["p_done_by_target"]), stage_title(n["delay_stage"]) if n["delay_stage"] else "—")
                  for n in sorted(section.at_risk, key=lambda n: (n["risk"] != STALLED, n["p_done_by_target"],
                                                                  n["slug"]))),
            f"{short} – Risiko",
        ))
        method = [(sentence,) for sentence in METHOD]
        if section.left_out:
            method.append((f"{section.left_out} Verbünde ohne Berichtsdatum in ihrer Vorlage sind nicht enthalten.",))
        tables.append(Table(f"prognose-methode{suffix}", f"{title}: Methode", ("Methode",), tuple(method),
                            f"{short} – Methode"))
    return tables
