"""Schemathesis fuzz of every operation in ``/openapi.json``, anonymous and as every role: no 5xx.

Path parameters are drawn from the schema and, half the time, replaced by a real network slug and
stage name, so the read models behind the routes run on real data, not only on 404s.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[dev]')")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from verbund.dashboard import create_app  # noqa: E402
from verbund.services.app.bootstrap import bootstrap  # noqa: E402
from verbund.services.app.clock import BERLIN, ManualClock  # noqa: E402
from verbund.services.app.ports import RecordingTrigger  # noqa: E402
from verbund.services.app.settings import Settings  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

from dashboard_world import World, build_world, login  # noqa: E402

pytestmark = pytest.mark.slow  # long: fuzzes every API route

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
ROLES = ["anonymous", "ministry", "po_region", "po_land", "po_other", "coordinator", "coordinator_other"]
STAGES = ["analysis", "potentials", "goals", "consultation", "protocol"]
EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, FastAPI]]:
    """One world for the whole module (read-only routes: the fuzz changes nothing)."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    app = bootstrap(Settings(database_url=f"sqlite:///{folder / 'verbund.db'}"), clock=ManualClock(START),
                    trigger=RecordingTrigger())
    world = build_world(app)
    yield world, create_app(app)
    app.engine.dispose()


def _cookies(web: FastAPI, world: World, role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    with TestClient(web, base_url="http://testserver") as client:
        login(client, world.users[role])
        return dict(client.cookies.items())


def _fuzz(operation: Any, cookies: dict[str, str], slugs: list[str], seen: dict[str, set[int]]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        case = data.draw(operation.as_strategy())
        params = case.path_parameters or {}
        if "slug" in params and data.draw(st.booleans()):
            params["slug"] = data.draw(st.sampled_from(slugs))
        if "stage" in params and data.draw(st.booleans()):
            params["stage"] = data.draw(st.sampled_from(STAGES))
        response = case.call(cookies=cookies)
        seen.setdefault(operation.path, set()).add(response.status_code)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}"
        _conforms(case, response)

    fuzz()


def _every_network_and_stage(operation: Any, cookies: dict[str, str], slugs: list[str],
                             seen: dict[str, set[int]]) -> None:
    """Besides the random draws: every known network and stage, once each."""
    if "{slug}" not in operation.path:
        return
    stages = STAGES if "{stage}" in operation.path else [None]
    for slug in slugs:
        for stage in stages:
            params = {"slug": slug} | ({"stage": stage} if stage else {})
            case = operation.Case(path_parameters=params)
            response = case.call(cookies=cookies)
            seen[operation.path].add(response.status_code)
            assert response.status_code < 500, f"{operation.path} {params} → {response.status_code}"
            _conforms(case, response)


def _conforms(case: Any, response: Any) -> None:
    """A 200 answer matches the response schema that /openapi.json documents for the route."""
    if response.status_code == 200 and case.operation.path.startswith("/api"):
        from schemathesis.specs.openapi.checks import response_schema_conformance

        case.validate_response(response, checks=[response_schema_conformance])


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_of_the_openapi_schema_answers_5xx(fuzzed: tuple[World, FastAPI], role: str) -> None:
    world, web = fuzzed
    cookies = _cookies(web, world, role)
    schema = schemathesis.openapi.from_asgi("/openapi.json", web)
    slugs = [*world.own, world.other, world.foreign]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/healthz", "/api/me", "/api/overview", "/api/networks/{slug}",
                                              "/api/networks/{slug}/stages/{stage}"}
    seen: dict[str, set[int]] = {}
    for operation in operations:
        _fuzz(operation, cookies, slugs, seen)
        _every_network_and_stage(operation, cookies, slugs, seen)
    assert set(seen) == {op.path for op in operations}
    documented = {op.path: op.definition.raw["responses"]["200"]["content"]["application/json"]["schema"]
                  for op in operations if op.path.startswith("/api")}
    assert all("$ref" in schema or schema.get("properties") for schema in documented.values()), documented
    if role == "anonymous":
        assert all(codes <= {401, 422} for path, codes in seen.items() if path.startswith("/api")), seen
    else:
        assert any(200 in codes for path, codes in seen.items() if path.startswith("/api/networks")), seen


PAGES = ["/verbund/{slug}", "/berichte/{token}", "/verbund/{slug}/stufe/{stage}", "/eingabe/{slug}/{stage}?t={token}",
         "/uebersicht?region={slug}&land={land}&zustand={stage}&sortierung={stage}&seite={page}"]
segment = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#%"), max_size=30)


@pytest.mark.parametrize("role", ["anonymous", "po_land", "coordinator"])
def test_no_page_outside_the_schema_answers_5xx_on_random_parameters(fuzzed: tuple[World, FastAPI], role: str) -> None:
    """The HTML pages are not in ``/openapi.json``: the same fuzz with Hypothesis, on their parameters."""
    world, web = fuzzed
    slugs = [*world.own, world.other, world.foreign]
    with TestClient(web, base_url="http://testserver") as client:
        if role != "anonymous":
            login(client, world.users[role])

        @settings(max_examples=60, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(page=st.sampled_from(PAGES), slug=st.sampled_from(slugs) | segment,
               stage=st.sampled_from(STAGES) | segment, token=segment, land=segment, number=st.integers())
        def fuzz(page: str, slug: str, stage: str, token: str, land: str, number: int) -> None:
            url = page.format(slug=quote(slug, safe=""), stage=quote(stage, safe=""), token=quote(token, safe=""),
                              land=quote(land, safe=""), page=number)
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, f"GET {url} → {response.status_code}"

        fuzz()
