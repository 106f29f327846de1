"""Process templates: stages, their order, due offsets, sign-off and exit checks, read from TOML.

A template is data (``domain/templates/<key>.toml``); adding a process needs no code, only checks
from the declared set in ``domain.criteria.CHECKS``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from domain.errors import TemplateError

DEFAULT_TEMPLATE = "sachsen-inklusion"


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


@dataclass(frozen=True)
class ProcessTemplate:
    key: str
    name: str
    state: str
    description: str
    stages: tuple[StageTemplate, ...]

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

    def predecessor(self, name: str) -> StageTemplate | None:
        index = self.position(name)
        return self.stages[index - 1] if index > 0 else None

    def successor(self, name: str) -> StageTemplate | None:
        index = self.position(name)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None


def _require(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise TemplateError(f"{where}: Schlüssel '{key}' fehlt")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TemplateError(f"{where}: '{key}' muss {kind.__name__} sein, ist {value!r}")
    return value


def _optional_bool(table: dict[str, Any], key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise TemplateError(f"{where}: '{key}' muss true oder false sein, ist {value!r}")
    return value


def _parse_stage(raw: Any, where: str, known_checks: frozenset[str]) -> StageTemplate:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: muss eine Tabelle ([[stages]]) sein, ist {raw!r}")
    name = _require(raw, "name", str, where)
    where = f"{where} (Stufe '{name}')"
    due = _require(raw, "due_business_days", int, where)
    if due < 1:
        raise TemplateError(f"{where}: 'due_business_days' muss ≥ 1 sein, ist {due}")
    reminders = raw.get("reminders_business_days", [])
    if not isinstance(reminders, list) or not all(
        isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in reminders
    ):
        raise TemplateError(f"{where}: 'reminders_business_days' muss eine Liste von Zahlen ≥ 0 sein")
    checks = []
    for index, raw_check in enumerate(raw.get("checks", [])):
        check_where = f"{where}, checks[{index}]"
        if not isinstance(raw_check, dict):
            raise TemplateError(f"{check_where}: muss eine Tabelle ([[stages.checks]]) sein, ist {raw_check!r}")
        check_name = _require(raw_check, "check", str, check_where)
        if check_name not in known_checks:
            raise TemplateError(
                f"{check_where}: unbekannte Prüfung '{check_name}' "
                f"(bekannt: {', '.join(sorted(known_checks))})"
            )
        params = {k: v for k, v in raw_check.items() if k != "check"}
        checks.append(CheckSpec(check_name, params))
    return StageTemplate(
        name=name,
        title=_require(raw, "title", str, where),
        description=raw.get("description", ""),
        due_business_days=due,
        sign_off=_optional_bool(raw, "sign_off", where),
        reminders_business_days=tuple(sorted(reminders, reverse=True)),
        checks=tuple(checks),
    )


def parse_template(data: dict[str, Any], where: str) -> ProcessTemplate:
    """Build a template from parsed TOML; ``where`` names the source in errors."""
    from domain.criteria import CHECKS

    known = frozenset(CHECKS)
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise TemplateError(f"{where}: keine Stufen ([[stages]]) definiert")
    stages = tuple(
        _parse_stage(raw, f"{where}, stages[{index}]", known) for index, raw in enumerate(raw_stages)
    )
    names = [stage.name for stage in stages]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TemplateError(f"{where}: Stufen doppelt: {', '.join(duplicates)}")
    return ProcessTemplate(
        key=_require(data, "key", str, where),
        name=_require(data, "name", str, where),
        state=_require(data, "state", str, where),
        description=data.get("description", ""),
        stages=stages,
    )


def load_template_file(path: Path) -> ProcessTemplate:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(f"{path}: kein gültiges TOML: {error}") from error
    return parse_template(data, str(path))


@lru_cache(maxsize=16)
def load_template(key: str) -> ProcessTemplate:
    """The bundled template ``key`` (e.g. ``sachsen-inklusion``)."""
    resource = resources.files("domain").joinpath("templates", f"{key}.toml")
    if not resource.is_file():
        raise TemplateError(f"unbekannte Prozessvorlage '{key}' (bekannt: {', '.join(template_keys())})")
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    template = parse_template(data, f"{key}.toml")
    if template.key != key:
        raise TemplateError(f"{key}.toml: 'key' ist '{template.key}', erwartet '{key}'")
    return template


def template_keys() -> list[str]:
    folder = resources.files("domain").joinpath("templates")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
