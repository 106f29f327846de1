"""One rule of when a stand-in acts: the dashboard's reader (``services.access.page_view``, plain rows
read on every request) and ``principal_of`` (the CLI's ``--by`` checks) give a stand-in the absent
coordinator's networks at exactly the same instants — from the start on, until the end of the last
day in Europe/Berlin (docs/dashboard.md: "until the end of DATE"), never open-ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dashboard_world import PASSWORD, World
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from verbund.domain.access import DashboardUser, StandIn, stand_in_end
from verbund.services.access.users import login, principal_of, session_principal, set_stand_in
from verbund.services.app.clock import BERLIN

US = dt.timedelta(microseconds=1)


def _both_ways(world: World, email: str, token: str) -> tuple[frozenset[str], frozenset[str]]:
    """The networks of ``email`` as the dashboard reads them (the session) and as ``principal_of`` does."""
    read = session_principal(world.app, token)
    assert read is not None, "the session is valid throughout"
    with world.app.uow(read_only=True) as uow:
        user = uow.session.exec(select(DashboardUser).where(DashboardUser.email == email)).one()
        built = principal_of(uow.session, user, world.app.now())
    return read.networks, built.networks


@pytest.mark.parametrize("last_day", [dt.date(2019, 9, 10), dt.date(2019, 12, 10), dt.date(2020, 3, 28),
                                      dt.date(2020, 10, 24)], ids=["summer", "winter", "eve-of-cest", "eve-of-cet"])
def test_the_dashboard_and_principal_of_agree_at_the_boundaries_of_a_stand_in(world: World, last_day: dt.date) -> None:
    absent, deputy = world.users["coordinator"], world.users["coordinator_other"]
    own, stood_for = "kv-anderland", world.own[0]
    start = dt.datetime.combine(last_day, dt.time(22, 0), tzinfo=BERLIN)
    end = stand_in_end(last_day)
    assert end == dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=BERLIN)
    assert (end - US).astimezone(BERLIN).date() == last_day and end.astimezone(BERLIN).time() == dt.time()
    clock: Any = world.app.clock
    clock.set(start - dt.timedelta(hours=1))
    set_stand_in(world.app, coordinator=absent, stand_in=deputy, start=start, until=end, by="test")
    token = login(world.app, deputy, PASSWORD)
    for at, active in [(start - US, False), (start, True), (end - US, True), (end, False)]:
        clock.set(at.astimezone(dt.UTC))
        expected = frozenset({own, stood_for} if active else {own})
        assert _both_ways(world, deputy, token) == (expected, expected), (at.isoformat(), active)


def test_a_stand_in_is_never_open_ended(world: World) -> None:
    with world.app.uow(write=True) as uow:
        ids = {user.email: user.id for user in uow.session.exec(select(DashboardUser))}
        uow.session.add(StandIn(coordinator_id=ids[world.users["coordinator"]], valid_from=world.app.now(),
                                stand_in_id=ids[world.users["coordinator_other"]], valid_to=None, created_by="test"))
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_the_account_form_s_stand_in_ends_with_the_last_day_in_berlin_like_the_cli_s(world: World,
                                                                                     client: Any) -> None:
    """``/konto`` "bis einschließlich DATE": the end of DATE in Europe/Berlin (it stored 23:59 UTC,
    so the stand-in acted until 00:59 or 01:59 of the next day)."""
    from dashboard_world import login as form_login

    from verbund.services.access.users import stand_ins

    absent, deputy = world.users["coordinator"], world.users["coordinator_other"]
    last_day = world.app.now().date() + dt.timedelta(days=3)
    csrf = form_login(client, absent)
    response = client.post("/konto/vertretung", data={"csrf": csrf, "email": deputy, "until": last_day.isoformat()},
                           follow_redirects=False)
    assert response.status_code == 303 and "meldung=" in response.headers["location"], response.headers
    [row] = stand_ins(world.app, absent)
    assert dt.datetime.fromisoformat(row["to"]) == stand_in_end(last_day)
    clock: Any = world.app.clock
    for at, active in [(stand_in_end(last_day) - dt.timedelta(minutes=1), True),
                       (stand_in_end(last_day) + dt.timedelta(minutes=30), False)]:
        clock.set(at - dt.timedelta(hours=1))
        token = login(world.app, deputy, PASSWORD)
        clock.set(at)
        networks = _both_ways(world, deputy, token)
        assert networks[0] == networks[1] and (world.own[0] in networks[0]) is active, (at.isoformat(), active)
