"""Golden files of the documented ``--json`` shapes (docs/cli.md; the contract users script against).

Every command below runs on a copy of the session's demo and its JSON is reduced to its shape: each
key path with the kinds of value seen there (``str``, ``int``, ``number``, ``bool``, ``null``,
``object``, ``array``). The shape must equal ``golden/<name>.json`` exactly: a renamed, missing or
added key fails, and so does a value of a new kind (say a date that became a number). Timestamps
keep the documented ``…+00:00`` (never pydantic's ``Z``). After a deliberate, documented change of a
shape, ``VERBUND_UPDATE_GOLDEN=1`` rewrites the files; the diff then shows the change for review.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from support_cli import invoke

GOLDEN = Path(__file__).with_name("golden")
NETWORK = "kv-auental-nord"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(.*)$")

COMMANDS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "stage-show": ("stage", "show", NETWORK, "analysis"),
    "outbox": ("outbox",),
    "coverage": ("coverage",),
    "forecast": ("forecast", "--as-of", "2019-10-15", "--draws", "50"),
    "network-list": ("network", "list"),
    "network-show": ("network", "show", NETWORK),
    "school-find": ("school", "find", "Grundschule"),
    "partner-list": ("partner", "list"),
    "contact-list": ("contact", "list"),
    "goal-list": ("goal", "list", NETWORK),
    "templates-list": ("templates", "list"),
    "ferien-list": ("ferien", "list", "--land", "SN"),
}


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "str"
    return "object" if isinstance(value, dict) else "array"


def shape(value: Any, path: str = "$", into: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every key path of ``value`` (list items under ``[]``) with the kinds of value seen there."""
    found: dict[str, set[str]] = {} if into is None else into
    found.setdefault(path, set()).add(kind(value))
    if isinstance(value, dict):
        for key, item in value.items():
            shape(item, f"{path}.{key}", found)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}[]", found)
    return found


def same_kinds(expected: str, seen: str) -> bool:
    """The same kinds of value; ``null`` beside another kind is the same field, filled or not."""
    wanted, found = set(expected.split("|")) - {"null"}, set(seen.split("|")) - {"null"}
    return wanted == found or not wanted or not found


def instants(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in instants(item)]
    if isinstance(value, list):
        return [text for item in value for text in instants(item)]
    return [value] if isinstance(value, str) and INSTANT.match(value) else []


@pytest.fixture(scope="module")
def outputs(demo_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import shutil

    target = tmp_path_factory.mktemp("json-shapes") / "demo"
    shutil.copytree(demo_folder, target)
    url = f"sqlite:///{target / 'verbund.db'}"
    found: dict[str, Any] = {}
    for name, args in COMMANDS.items():
        result = invoke(*args, "--json", VERBUND_DATABASE_URL=url, VERBUND_MAILBOX_DIR=str(target / "postfach"))
        assert result.exit_code == 0, f"verbund {' '.join(args)} --json: {result.output}"
        found[name] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_json_of_each_command_has_its_documented_shape(outputs: dict[str, Any], name: str) -> None:
    seen = {path: "|".join(sorted(kinds)) for path, kinds in sorted(shape(outputs[name]).items())}
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("VERBUND_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(seen, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"{golden} fehlt (VERBUND_UPDATE_GOLDEN=1 schreibt sie)"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    missing = sorted(set(expected) - set(seen))
    added = sorted(set(seen) - set(expected))
    assert not missing and not added, f"{name}: fehlende Schlüssel {missing}, neue Schlüssel {added}"
    changed = {path: (expected[path], kinds) for path, kinds in seen.items() if not same_kinds(expected[path], kinds)}
    assert not changed, f"{name}: andere Werte-Arten {changed}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_timestamps_keep_the_documented_utc_offset(outputs: dict[str, Any], name: str) -> None:
    for text in instants(outputs[name]):
        rest = INSTANT.match(text)
        assert rest is not None and rest.group(3) in ("+00:00", ""), f"{name}: {text} (erwartet …+00:00)"


def test_the_shape_check_fails_on_a_renamed_or_retyped_key() -> None:
    before = shape({"networks": [{"slug": "a", "due": "2019-10-29"}]})
    assert shape({"networks": [{"name": "a", "due": "2019-10-29"}]}) != before
    assert shape({"networks": [{"slug": "a", "due": 20191029}]}) != before
    assert not same_kinds("str", "int") and same_kinds("str|null", "str") and same_kinds("null", "str")
