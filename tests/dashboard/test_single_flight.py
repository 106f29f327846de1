"""Simultaneous first views of one page are built once (issue 20): the others wait for that build
instead of repeating it; a waiter whose leader failed builds for itself."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from typing import Any

import pytest
from dashboard_world import World, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import pages
from verbund.dashboard.page_cache import SingleFlight


def test_concurrent_builds_of_one_key_run_once_and_share_the_result() -> None:
    async def scenario() -> tuple[list[str | None], int, int]:
        flight: SingleFlight[str] = SingleFlight()
        release = asyncio.Event()
        calls = 0

        async def build() -> str:
            nonlocal calls
            calls += 1
            await release.wait()
            return "seite"

        tasks = [asyncio.create_task(flight.run("k", build)) for _ in range(5)]
        await asyncio.sleep(0)  # every task runs up to its first await: one builds, four wait
        assert flight.waiting == 4
        release.set()
        results = await asyncio.gather(*tasks)
        return results, calls, flight.shared

    results, calls, shared = asyncio.run(scenario())
    assert results == ["seite"] * 5
    assert calls == 1 and shared == 4


def test_other_keys_build_on_their_own_and_a_failed_leader_lets_each_waiter_build() -> None:
    async def scenario() -> tuple[list[Any], int]:
        flight: SingleFlight[str] = SingleFlight()
        release = asyncio.Event()
        calls = 0

        async def failing() -> str:
            nonlocal calls
            calls += 1
            await release.wait()
            raise RuntimeError("kaputt")

        async def fine() -> str:
            nonlocal calls
            calls += 1
            return "eigene"

        leader = asyncio.create_task(flight.run("k", failing))
        await asyncio.sleep(0)
        waiters = [asyncio.create_task(flight.run("k", fine)) for _ in range(2)]
        other = asyncio.create_task(flight.run("anderer", fine))
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(leader, *waiters, other, return_exceptions=True)
        return results, calls

    results, calls = asyncio.run(scenario())
    assert isinstance(results[0], RuntimeError)
    assert results[1:] == ["eigene", "eigene", "eigene"]
    assert calls == 4  # the failed leader, each waiter for itself, the other key


@pytest.mark.slow
def test_simultaneous_first_views_of_the_land_overview_are_built_once(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, world.users["po_land"])
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    original = pages.overview

    def blocking_overview(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        started.set()
        assert release.wait(120), "nie freigegeben"
        return original(*args, **kwargs)

    monkeypatch.setattr(pages, "overview", blocking_overview)
    building = client.app.state.page_cache.building  # type: ignore[attr-defined]
    shared = building.shared
    responses: list[Any] = []

    def ask() -> None:
        responses.append(client.get("/uebersicht?land=SN"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert started.wait(120), "kein Aufbau begonnen"
        deadline = time.monotonic() + 120  # a condition, bounded: the three others wait for the build
        while building.waiting < 3:
            assert time.monotonic() < deadline, f"nur {building.waiting} warten"
            time.sleep(0.01)
    finally:
        release.set()
        for thread in threads:
            thread.join(120)
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.text for r in responses}) == 1
    assert len(calls) == 1, "the page was built once"
    assert building.shared == shared + 3
