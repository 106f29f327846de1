"""On a Prefect server all workers' mail shares the global rate limit ``mail``."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.utilities.asyncutils import run_coro_as_sync

from verbund.flows.reminders import RateLimitedNotifier, rate_limited
from verbund.notifications import FakeNotifier, OutgoingMessage
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings


def _message(number: int) -> OutgoingMessage:
    return OutgoingMessage(delivery=f"d{number}", keys=(f"k{number}",), channels=("json://127.0.0.1:9/",),
                           subject="Erinnerung", body="Bitte ergänzen.")


async def _create_limit(name: str, per_second: float) -> None:
    async with get_client() as client:
        await client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=1, slot_decay_per_second=per_second))


def test_messages_wait_for_the_servers_mail_rate_limit_and_all_arrive(prefect_api: str) -> None:
    run_coro_as_sync(_create_limit("mail-test", 4.0))
    inner = FakeNotifier()
    notifier = RateLimitedNotifier(inner, limit="mail-test")
    started = time.monotonic()
    for number in range(5):
        notifier.send(_message(number))
    elapsed = time.monotonic() - started
    assert inner.keys() == [f"k{number}" for number in range(5)]
    # one slot, given back at 4 per second: the 4 messages after the first each wait ~0.25 s
    assert elapsed >= 0.75, elapsed


def test_only_deployments_mode_puts_the_notifier_behind_the_limit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    embedded = bootstrap(Settings(database_url=url, execution="embedded"), notifier=FakeNotifier())
    assert isinstance(rate_limited(embedded).notifier, FakeNotifier)
    served = bootstrap(Settings(database_url=url, execution="deployments"), notifier=FakeNotifier())
    wrapped = rate_limited(served).notifier
    assert isinstance(wrapped, RateLimitedNotifier) and isinstance(wrapped.inner, FakeNotifier)
    assert rate_limited(served).notifier is wrapped  # wrapped once, not per sweep
    for app in (embedded, served):
        app.engine.dispose()
