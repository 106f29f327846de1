"""Rendered pages cached by data version, and conditional GETs (``ETag`` / 304) (issue 20).

A page is rendered once per (path and query, the reader's role and visible set, data versions) and
kept in a small in-process LRU; the reader's own strings (CSRF token, name) are put in afterwards,
so people with the same role and scope share an entry. The data versions are read from the database
on every request (``services.app.versions.stamps``, one small query): a commit by any process — a
worker, the CLI, the reminder sweep — raises them in its own transaction, so the next request
renders afresh and nothing stale is ever served. ``VERBUND_DASHBOARD_CACHE=0`` turns the cache off
(the ETag stays, so conditional requests still get 304).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import secrets
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from verbund.services.access.users import Principal
from verbund.services.app.lru import LRU as LRU  # re-exported: the dashboard imports it from here

NETWORK_DATA = 256  # network pages' read models kept per process (~150 kB each)
ENTRIES = 1024  # rendered pages kept per process (network pages ~50 kB, a Land page ~100 kB: < 100 MB)
_CSRF = "csrf" + secrets.token_hex(16)  # placeholders, unguessable, replaced before a page leaves
_NAME = "name" + secrets.token_hex(16)
T = TypeVar("T")
_PERSONAL = ("meldung", "fehler")  # a notice after an action: rendered for this one request


Page = tuple[bytes | int, ...]  # the page's bytes, split where the reader's token (0) and name (1) go
_SPLIT = re.compile(f"({_CSRF}|{_NAME})")


def split(body: str) -> Page:
    """``body`` as encoded pieces and the places of the placeholders, so a hit only joins bytes."""
    return tuple(0 if piece == _CSRF else 1 if piece == _NAME else piece.encode()
                 for piece in _SPLIT.split(body) if piece)


def fill(page: Page, csrf: str, name: str) -> bytes:
    own = (csrf.encode(), str(escape(name)).encode())
    return b"".join(own[piece] if isinstance(piece, int) else piece for piece in page)


class SingleFlight(Generic[T]):
    """Concurrent misses of one key in this process: the first builds, the others wait for its result
    instead of building the same thing again (issue 20: a Land's people open the same pages at the same
    moments, the morning after a reminder sweep; ten simultaneous first views of a Land overview were ten
    builds of ~60 ms). A waiter whose leader produced nothing shareable (an error, another status, a
    cancelled request) builds for itself. Futures belong to an event loop, so they are kept per loop."""

    def __init__(self) -> None:
        self._pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                 dict[Hashable, asyncio.Future[T | None]]] = weakref.WeakKeyDictionary()
        self.shared = 0  # results handed to waiters (tests, figures)
        self.waiting = 0  # requests waiting for a build right now

    async def run(self, key: Hashable, build: Callable[[], Awaitable[T | None]]) -> T | None:
        """``build()``'s result, or that of an identical build already in progress (None: not shareable)."""
        loop = asyncio.get_running_loop()
        pending = self._pending.setdefault(loop, {})
        running = pending.get(key)
        if running is not None:
            self.waiting += 1
            try:
                found = await asyncio.shield(running)
            finally:
                self.waiting -= 1
            if found is not None:
                self.shared += 1
                return found
            return await build()
        future: asyncio.Future[T | None] = loop.create_future()
        pending[key] = future
        result: T | None = None
        try:
            result = await build()
            return result
        finally:
            del pending[key]
            future.set_result(result)


class PageCache(LRU[Page]):
    """The rendered pages (``ENTRIES`` of them), and the builds in progress."""

    def __init__(self, size: int = ENTRIES) -> None:
        super().__init__(size)
        self.building: SingleFlight[Page] = SingleFlight()


def _key(request: Request, who: Principal, stamp: str) -> str:
    query = sorted((k, v) for k, v in request.query_params.multi_items())
    visible = (who.role, sorted(who.lands), sorted(who.regions), sorted(who.networks))
    return hashlib.sha256(repr((request.url.path, query, visible, stamp)).encode()).hexdigest()


async def cached_page(request: Request, who: Principal, stamp: str, enabled: bool,
                      build: Callable[[Principal], Awaitable[Response]]) -> Response:
    """The page ``build`` renders for ``who`` (given a masked principal), from the cache when its data
    versions (``stamp``) are unchanged; 304 when the client's ``If-None-Match`` is current."""
    if any(name in request.query_params for name in _PERSONAL):
        return await build(who)
    key = _key(request, who, stamp)
    etag = '"' + hashlib.sha256(f"{key}|{who.csrf}|{who.name}".encode()).hexdigest()[:32] + '"'
    if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    cache: PageCache = request.app.state.page_cache
    body = cache.get(key) if enabled else None
    if body is None:
        other: list[Response] = []  # what the build answered when it was not a page to keep

        async def render() -> Page | None:
            masked = dataclasses.replace(who, csrf=_CSRF, name=_NAME)
            request.state.principal = masked
            try:
                rendered = await build(masked)
            finally:
                request.state.principal = who
            if rendered.status_code != 200 or not isinstance(rendered, HTMLResponse):
                other.append(rendered)
                return None
            page = split(bytes(rendered.body).decode())
            if enabled:
                cache.put(key, page)
            return page

        # with the cache off (the benchmark's baseline) every request builds its own page
        body = await (cache.building.run(key, render) if enabled else render())
        if body is None:
            return other[0]
    page = HTMLResponse(fill(body, who.csrf, who.name))
    page.headers["ETag"] = etag
    return page
