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

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from verbund.services.access.users import Principal
from verbund.services.app.lru import LRU as LRU  # re-exported: the dashboard imports it from here

NETWORK_DATA = 256  # network pages' read models kept per process (~150 kB each)
ENTRIES = 1024  # rendered pages kept per process (network pages ~50 kB, a Land page ~100 kB: < 100 MB)
_CSRF = "csrf" + secrets.token_hex(16)  # placeholders, unguessable, replaced before a page leaves
_NAME = "name" + secrets.token_hex(16)
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


class PageCache(LRU[Page]):
    """The rendered pages (``ENTRIES`` of them)."""

    def __init__(self, size: int = ENTRIES) -> None:
        super().__init__(size)


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
        masked = dataclasses.replace(who, csrf=_CSRF, name=_NAME)
        request.state.principal = masked
        try:
            rendered = await build(masked)
        finally:
            request.state.principal = who
        if rendered.status_code != 200 or not isinstance(rendered, HTMLResponse):
            return rendered
        body = split(bytes(rendered.body).decode())
        if enabled:
            cache.put(key, body)
    page = HTMLResponse(fill(body, who.csrf, who.name))
    page.headers["ETag"] = etag
    return page
