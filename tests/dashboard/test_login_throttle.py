"""Login throttling per account and client address, stored in the database: growing delays after
five failures, a German lockout notice, the same answer for unknown accounts, and a bounded load
test of 200 wrong passwords through the login form."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from dashboard_world import PASSWORD, World

from verbund.services.access import users
from verbund.services.access.throttle import LoginThrottled, delay


def test_delays_grow_after_five_failures_and_stop_at_fifteen_minutes() -> None:
    assert [delay(n).total_seconds() for n in range(1, 9)] == [0, 0, 0, 0, 2, 4, 8, 16]
    assert delay(40) == dt.timedelta(minutes=15)


def _fail(world: World, email: str, times: int, client: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert users.login(world.app, email, "falsch", client) is None


def test_an_account_waits_after_five_failures_even_with_the_right_password_then_logs_in(world: World) -> None:
    email = world.users["po_region"]
    _fail(world, email, 5)
    with pytest.raises(LoginThrottled) as refused:
        users.login(world.app, email, PASSWORD, "10.0.0.2")  # another address: the account itself waits
    assert "Zu viele fehlgeschlagene Anmeldungen" in str(refused.value) and refused.value.seconds == 2
    world.app.clock.advance(dt.timedelta(seconds=3))  # type: ignore[attr-defined]
    assert users.login(world.app, email, PASSWORD, "10.0.0.2") is not None
    _fail(world, email, 1, "10.0.0.2")  # the count started again: one failure does not block
    assert users.login(world.app, email, PASSWORD, "10.0.0.2") is not None


def test_an_unknown_account_is_throttled_exactly_like_an_existing_one(world: World) -> None:
    messages = []
    for email, client in ((world.users["po_region"], "10.0.1.1"), ("niemand@example.org", "10.0.1.2")):
        _fail(world, email, 5, client)
        with pytest.raises(LoginThrottled) as refused:
            users.login(world.app, email, "falsch", client)
        messages.append((str(refused.value), refused.value.seconds))
    assert messages[0] == messages[1]


def test_one_address_trying_many_accounts_is_throttled(world: World) -> None:
    for number in range(5):
        _fail(world, f"raten-{number}@example.org", 1, "10.0.2.1")
    with pytest.raises(LoginThrottled):
        users.login(world.app, world.users["po_region"], PASSWORD, "10.0.2.1")


def test_two_hundred_wrong_passwords_through_the_form_check_only_five(world: World, client: Any) -> None:
    page = client.get("/login")
    nonce = page.text.split('name="csrf" value="')[1].split('"')[0]
    started = time.monotonic()
    statuses = [client.post("/login", data={"csrf": nonce, "email": world.users["po_region"], "password": f"x{n}"},
                            follow_redirects=False).status_code for n in range(200)]
    assert statuses.count(401) == 5 and statuses.count(429) == 195
    assert time.monotonic() - started < 120  # refusals cost no password hashing
    last = client.post("/login", data={"csrf": nonce, "email": world.users["po_region"], "password": "x"},
                       follow_redirects=False)
    assert last.status_code == 429 and "Zu viele fehlgeschlagene Anmeldungen" in last.text
    assert int(last.headers["Retry-After"]) > 0
