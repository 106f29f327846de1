"""Process templates: stages, their order, due offsets, sign-off and exit checks, read from TOML.

A template is data (``domain/templates/<key>.toml``); adding a process needs no code, only checks
from the declared set in ``domain.criteria.REGISTRY``. Besides the stages a template declares:

- ``after = ["a", "b"]`` per stage: the stages that must be done (completed or waived) before it
  opens. Default: the stage before it in the file (a fixed order); ``after = []`` opens it at
  once. Stages named in ``after`` must come earlier in the file, so there are no cycles.
- ``recurs_every_months = 12`` per stage: a recurring stage. Each occurrence is a ``StageRun``
  with its ``cycle``; when an occurrence is done, the next opens that many months after the
  previous one opened (the NRW Bildungskonferenz every year).
- ``[roles]`` and ``[partner_kinds]``: the membership roles and organisation kinds the process
  knows, with this template's German labels (keys from ``domain.models``).
- ``[decisions] voters = "steering_committee"``: which role votes in consensus decisions.
- ``report_date = 2021-09-30``: the date the ministry reports by; the forecast's default target.
- ``minimum_business_days = 10`` per stage: the least it can take (e.g. an objection period);
  the forecast never samples less (the consultation's invitation lead time counts by itself).

A malformed file fails at load with the file, the line and the problem.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from verbund.domain.business_days import LAENDER
from verbund.domain.criteria import REGISTRY
from verbund.domain.errors import TemplateError
from verbund.domain.models import KIND_LABELS, MembershipRole

DEFAULT_TEMPLATE = "sachsen-inklusion"

ROLE_LABELS: dict[str, str] = {
    "member": "Mitglied",
    "coordinator": "Koordination",
    "steering_committee": "Steuergruppe",
    "guest": "Gast",
}


class TemplateLocationError(TemplateError):
    """A template error that knows where in the file it is: ``(stage, check, key)`` indexes."""

    def __init__(self, message: str, location: tuple[int | None, int | None, str | None]) -> None:
        super().__init__(message)
        self.location = location


@dataclass(frozen=True)
class CheckSpec:
    """One declared exit check and its parameters."""

    check: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageTemplate:
    name: str
    title: str
    description: str
    due_business_days: int
    sign_off: bool
    reminders_business_days: tuple[int, ...]
    checks: tuple[CheckSpec, ...]
    after: tuple[str, ...] = ()
    recurs_every_months: int | None = None
    minimum_business_days: int = 0
    waits_for_schools: bool = False  # due date out of the Land's Schulferien (domain.ferien, issue 16)

    @property
    def recurring(self) -> bool:
        return self.recurs_every_months is not None


@dataclass(frozen=True)
class ProcessTemplate:
    key: str
    name: str
    state: str
    description: str
    stages: tuple[StageTemplate, ...]
    roles: dict[str, str] = field(default_factory=lambda: dict(ROLE_LABELS))
    partner_kinds: dict[str, str] = field(default_factory=lambda: dict(KIND_LABELS))
    voters: str = MembershipRole.member.value
    sources: tuple[str, ...] = ()
    report_date: dt.date | None = None

    @property
    def stage_names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def stage(self, name: str) -> StageTemplate:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise TemplateError(
            f"Vorlage '{self.key}' hat keine Stufe '{name}' (Stufen: {', '.join(self.stage_names)})"
        )

    def position(self, name: str) -> int:
        return self.stage_names.index(self.stage(name).name)

    def prerequisites(self, name: str) -> tuple[StageTemplate, ...]:
        """The stages that must be done before ``name`` opens."""
        return tuple(self.stage(other) for other in self.stage(name).after)

    def successors(self, name: str) -> tuple[StageTemplate, ...]:
        """The stages that wait for ``name`` (among other stages, maybe), in file order."""
        self.stage(name)
        return tuple(stage for stage in self.stages if name in stage.after)

    def predecessor(self, name: str) -> StageTemplate | None:
        """The last prerequisite (in a fixed order: the stage before)."""
        before = self.prerequisites(name)
        return before[-1] if before else None

    def successor(self, name: str) -> StageTemplate | None:
        """The first stage that waits for ``name`` (in a fixed order: the stage after)."""
        after = self.successors(name)
        return after[0] if after else None

    @property
    def fixed_order(self) -> bool:
        return all(stage.after == ((self.stages[i - 1].name,) if i else ()) for i, stage in enumerate(self.stages))

    def role_label(self, role: str) -> str:
        return self.roles.get(role, ROLE_LABELS.get(role, role))

    def kind_label(self, kind: str) -> str:
        return self.partner_kinds.get(kind, KIND_LABELS.get(kind, kind))


def _fail(message: str, stage: int | None = None, check: int | None = None, key: str | None = None) -> TemplateError:
    return TemplateLocationError(message, (stage, check, key))


def _require(table: dict[str, Any], key: str, kind: type, where: str,
             stage: int | None = None, check: int | None = None) -> Any:
    if key not in table:
        raise _fail(f"{where}: Schlüssel '{key}' fehlt", stage, check, None)
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(f"{where}: '{key}' muss {kind.__name__} sein, ist {value!r}", stage, check, key)
    return value


def _optional_bool(table: dict[str, Any], key: str, where: str, stage: int) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise _fail(f"{where}: '{key}' muss true oder false sein, ist {value!r}", stage, None, key)
    return value


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


STAGE_KEYS = frozenset({"name", "title", "description", "due_business_days", "sign_off",
                        "reminders_business_days", "checks", "after", "recurs_every_months",
                        "minimum_business_days", "waits_for_schools"})
TOP_KEYS = frozenset({"key", "name", "state", "description", "stages", "roles", "partner_kinds",
                      "decisions", "sources", "report_date"})


def _parse_check(raw_check: Any, where: str, index: int, check_index: int) -> CheckSpec:
    if not isinstance(raw_check, dict):
        raise _fail(f"{where}: muss eine Tabelle ([[stages.checks]]) sein, ist {raw_check!r}", index, check_index)
    check_name = _require(raw_check, "check", str, where, index, check_index)
    if check_name not in REGISTRY:
        raise _fail(
            f"{where}: unbekannte Prüfung '{check_name}' (bekannt: {', '.join(sorted(REGISTRY))})",
            index, check_index, "check",
        )
    params = {k: v for k, v in raw_check.items() if k != "check"}
    for key, value in params.items():
        error = REGISTRY[check_name].param_error(key, value)
        if error:
            raise _fail(f"{where}: {error}", index, check_index, key)
    return CheckSpec(check_name, params)


def _parse_stage(raw: Any, where: str, index: int, earlier: list[str]) -> StageTemplate:
    if not isinstance(raw, dict):
        raise _fail(f"{where}: muss eine Tabelle ([[stages]]) sein, ist {raw!r}", index)
    name = _require(raw, "name", str, where, index)
    where = f"{where} (Stufe '{name}')"
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise _fail(f"{where}: Stufenname muss [a-z][a-z0-9_-]* sein", index, None, "name")
    unknown = sorted(set(raw) - STAGE_KEYS)
    if unknown:
        raise _fail(f"{where}: unbekannter Schlüssel '{unknown[0]}' (erlaubt: {', '.join(sorted(STAGE_KEYS))})",
                    index, None, unknown[0])
    due = _require(raw, "due_business_days", int, where, index)
    if due < 1:
        raise _fail(f"{where}: 'due_business_days' muss ≥ 1 sein, ist {due}", index, None, "due_business_days")
    reminders = raw.get("reminders_business_days", [])
    if not isinstance(reminders, list) or not all(
        isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in reminders
    ):
        raise _fail(f"{where}: 'reminders_business_days' muss eine Liste von Zahlen ≥ 0 sein",
                    index, None, "reminders_business_days")
    after = raw.get("after", earlier[-1:])
    if not _str_list(after):
        raise _fail(f"{where}: 'after' muss eine Liste von Stufennamen sein, ist {after!r}", index, None, "after")
    for other in after:
        if other not in earlier:
            raise _fail(f"{where}: 'after' nennt '{other}', das ist keine frühere Stufe "
                        f"(frühere: {', '.join(earlier) or 'keine'})", index, None, "after")
    months = raw.get("recurs_every_months")
    if months is not None and (not isinstance(months, int) or isinstance(months, bool) or months < 1):
        raise _fail(f"{where}: 'recurs_every_months' muss eine ganze Zahl ≥ 1 sein, ist {months!r}",
                    index, None, "recurs_every_months")
    minimum = raw.get("minimum_business_days", 0)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
        raise _fail(f"{where}: 'minimum_business_days' muss eine ganze Zahl ≥ 0 sein, ist {minimum!r}",
                    index, None, "minimum_business_days")
    raw_checks = raw.get("checks", [])
    if not isinstance(raw_checks, list):
        raise _fail(f"{where}: 'checks' muss eine Liste von Tabellen sein", index, None, "checks")
    checks = [_parse_check(c, f"{where}, checks[{i}]", index, i) for i, c in enumerate(raw_checks)]
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _fail(f"{where}: 'description' muss str sein, ist {description!r}", index, None, "description")
    return StageTemplate(
        name=name,
        title=_require(raw, "title", str, where, index),
        description=description,
        due_business_days=due,
        sign_off=_optional_bool(raw, "sign_off", where, index),
        reminders_business_days=tuple(sorted(reminders, reverse=True)),
        checks=tuple(checks),
        after=tuple(dict.fromkeys(after)),
        recurs_every_months=months,
        minimum_business_days=minimum,
        waits_for_schools=_optional_bool(raw, "waits_for_schools", where, index),
    )


def _labels(data: dict[str, Any], key: str, allowed: dict[str, str], what: str, where: str) -> dict[str, str]:
    raw = data.get(key)
    if raw is None:
        return dict(allowed)
    if not isinstance(raw, dict) or not raw:
        raise _fail(f"{where}: '[{key}]' muss eine Tabelle Schlüssel = \"Bezeichnung\" sein", None, None, key)
    for name, label in raw.items():
        if name not in allowed:
            raise _fail(f"{where}: [{key}] '{name}' ist keine bekannte {what} (bekannt: {', '.join(allowed)})",
                        None, None, name)
        if not isinstance(label, str) or not label.strip():
            raise _fail(f"{where}: [{key}] '{name}' braucht eine Bezeichnung (Text), ist {label!r}", None, None, name)
    return dict(raw)


def parse_template(data: dict[str, Any], where: str) -> ProcessTemplate:
    """Build a template from parsed TOML; ``where`` names the source in errors."""
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise _fail(f"{where}: keine Stufen ([[stages]]) definiert", None, None, "stages")
    key = _require(data, "key", str, where)
    name = _require(data, "name", str, where)
    state = _require(data, "state", str, where)
    if state not in LAENDER:
        raise _fail(f"{where}: 'state' muss ein Land sein ({', '.join(sorted(LAENDER))}), ist {state!r}",
                    None, None, "state")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise _fail(f"{where}: unbekannter Schlüssel '{unknown[0]}' (erlaubt: {', '.join(sorted(TOP_KEYS))})",
                    None, None, unknown[0])
    stages: list[StageTemplate] = []
    for index, raw in enumerate(raw_stages):
        earlier = [stage.name for stage in stages]
        stage = _parse_stage(raw, f"{where}, stages[{index}]", index, earlier)
        if stage.name in earlier:
            raise _fail(f"{where}: Stufen doppelt: {stage.name}", index, None, "name")
        stages.append(stage)
    roles = _labels(data, "roles", ROLE_LABELS, "Rolle", where)
    kinds = _labels(data, "partner_kinds", KIND_LABELS, "Partnerart", where)
    for index, stage in enumerate(stages):
        for check_index, spec in enumerate(stage.checks):
            for kind in spec.params.get("kinds", []):
                if kind not in kinds:
                    raise _fail(f"{where}, stages[{index}] (Stufe '{stage.name}'), checks[{check_index}]: "
                                f"Partnerart '{kind}' steht nicht in [partner_kinds] ({', '.join(kinds)})",
                                index, check_index, "kinds")
            role = spec.params.get("role")
            if role is not None and role not in roles:
                raise _fail(f"{where}, stages[{index}] (Stufe '{stage.name}'), checks[{check_index}]: "
                            f"Rolle '{role}' steht nicht in [roles] ({', '.join(roles)})", index, check_index, "role")
    decisions = data.get("decisions", {})
    if not isinstance(decisions, dict) or set(decisions) - {"voters"}:
        raise _fail(f"{where}: '[decisions]' kennt nur 'voters'", None, None, "decisions")
    voters = decisions.get("voters", MembershipRole.member.value)
    if voters not in roles:
        raise _fail(f"{where}: [decisions] voters '{voters}' steht nicht in [roles] ({', '.join(roles)})",
                    None, None, "voters")
    sources = data.get("sources", [])
    if not _str_list(sources):
        raise _fail(f"{where}: 'sources' muss eine Liste von Texten sein", None, None, "sources")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _fail(f"{where}: 'description' muss str sein, ist {description!r}", None, None, "description")
    report_date = data.get("report_date")
    if report_date is not None and (not isinstance(report_date, dt.date) or isinstance(report_date, dt.datetime)):
        raise _fail(f"{where}: 'report_date' muss ein Datum sein (z. B. 2021-09-30), ist {report_date!r}",
                    None, None, "report_date")
    return ProcessTemplate(
        key=key, name=name, state=state, description=description, stages=tuple(stages),
        roles=roles, partner_kinds=kinds, voters=voters, sources=tuple(sources), report_date=report_date,
    )


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")


def line_of(text: str, location: tuple[int | None, int | None, str | None]) -> int | None:
    """The 1-based line of a template file that ``location`` (stage, check, key) points at."""
    stage, check, key = location
    stage_no, check_no, table = -1, -1, ""
    block_start: int | None = None
    assign = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=') if key else None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = header.group(1)
            if table == "stages":
                stage_no, check_no = stage_no + 1, -1
            elif table == "stages.checks":
                check_no += 1
            if stage is None and key is not None and table == key:
                return number
            if stage is not None:
                if check is None:
                    inside = table == "stages" and stage_no == stage
                else:
                    inside = table == "stages.checks" and stage_no == stage and check_no == check
                if inside:
                    block_start = number
                elif block_start is not None:
                    return block_start  # the block ended without the key
            continue
        if assign is None or not assign.match(line):
            continue
        if stage is None and table in ("", "roles", "partner_kinds", "decisions"):
            return number
        if stage is not None and block_start is not None:
            return number
    return block_start


def _with_line(error: TemplateError, text: str, source: str) -> TemplateError:
    location = getattr(error, "location", None)
    line = line_of(text, location) if location else None
    message = str(error)
    if line is None:
        return error
    rest = message[len(source):] if message.startswith(source) else ": " + message
    if rest.startswith(", "):
        rest = ": " + rest[2:]
    located = TemplateLocationError(f"{source}:{line}{rest}", location or (None, None, None))
    located.line = line  # type: ignore[attr-defined]
    return located


def _parse_text(text: str, source: str) -> ProcessTemplate:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(f"{source}: kein gültiges TOML: {error}") from error
    try:
        return parse_template(data, source)
    except TemplateError as error:
        located = _with_line(error, text, source)
        if located is error:
            raise
        raise located from error


def load_template_file(path: Path) -> ProcessTemplate:
    """A template from a file; errors read ``<file>:<line>: <where>: <problem>``."""
    return _parse_text(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=16)
def load_template(key: str) -> ProcessTemplate:
    """The bundled template ``key`` (e.g. ``sachsen-inklusion``)."""
    resource = resources.files("verbund.domain").joinpath("templates", f"{key}.toml")
    if not resource.is_file():
        raise TemplateError(f"unbekannte Prozessvorlage '{key}' (bekannt: {', '.join(template_keys())})")
    template = _parse_text(resource.read_text(encoding="utf-8"), f"{key}.toml")
    if template.key != key:
        raise TemplateError(f"{key}.toml: 'key' ist '{template.key}', erwartet '{key}'")
    return template


def template_keys() -> list[str]:
    folder = resources.files("verbund.domain").joinpath("templates")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def all_templates() -> list[ProcessTemplate]:
    return [load_template(key) for key in template_keys()]
