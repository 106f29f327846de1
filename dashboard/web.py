"""Request helpers shared by the pages: templates, form bodies, the signed-in principal, CSRF."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import os
import secrets
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from anyio import CapacityLimiter, to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from verbund.domain import formatting
from verbund.domain.access import ROLE_LABELS
from verbund.domain.labels import (
    DECISION_STATUS_LABELS,
    MESSAGE_KIND_LABELS,
    STATUS_LABELS,
    audit_sentence,
    stage_title,
)
from verbund.domain.process import load_template
from verbund.domain.stages import STATE_LABELS
from verbund.services.access.users import Principal, session_principal
from verbund.services.app.bootstrap import App
from verbund.services.app.usecase import once_more_on_conflict
from verbund.services.inputs.links import signing_key

SESSION_COOKIE = "verbund_session"
LOGIN_COOKIE = "verbund_login"
MAX_BODY = 256 * 1024
T = TypeVar("T")

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
DEFAULT_LOADER = templates.env.loader
templates.env.globals.update(STATE_LABELS=STATE_LABELS, ROLE_LABELS=ROLE_LABELS)
templates.env.globals.update(MESSAGE_KINDS=MESSAGE_KIND_LABELS, STATUS_LABELS=STATUS_LABELS,
                             DECISION_STATUS=DECISION_STATUS_LABELS, audit_sentence=audit_sentence)
templates.env.filters["role_label"] = lambda role, template: load_template(template).role_label(role)
templates.env.filters.update(when=formatting.local_time, day=formatting.local_date, percent=formatting.percent,
                             decimal=formatting.decimal, count=formatting.count)  # n|count("Mitglied", "Mitglieder")


templates.env.filters["stage_title"] = stage_title


def _function(function: str | None) -> str:
    return f" ({escape(function)})" if function else ""


def member_rows(members: list[dict[str, Any]], template: str) -> Markup:
    """The network page's member table rows, built here rather than in a Jinja loop (issue 20): a
    network has about a hundred members, and at ~15 template outputs a row the loop was most of the
    page's rendering. Every value goes through ``escape`` (markupsafe's C escaping, as autoescape does)."""
    roles = load_template(template).role_label
    no_channel = ' <span class="muted">ohne Kanal</span>'
    rows = []
    for m in members:
        # f-strings only: ``Markup + str`` would escape the already built markup a second time
        contacts = ", ".join(
            f"{escape(c['name'])}{_function(c['function'])}{'' if c['channels'] else no_channel}"
            for c in m["contacts"])
        rows.append(f"<tr><td>{escape(m['name'])}</td><td>{escape(m['kind_label'])}</td>"
                    f"<td>{escape(roles(m['role']))}</td>\n<td>{contacts}</td>\n</tr>")
    return Markup("".join(rows))  # noqa: S704  (every value above went through escape)


templates.env.filters["member_rows"] = member_rows
templates.env.filters["merge_network"] = lambda stage, slug: {**stage, "network": slug, "stage": stage["name"]}


def use_operator_texts(folder: Path | None) -> None:
    """Templates ``texts/NAME`` come from the operator's ``folder`` where it has that file (BITV pages)."""
    assert DEFAULT_LOADER is not None
    templates.env.loader = DEFAULT_LOADER if folder is None else ChoiceLoader(
        [PrefixLoader({"texts": FileSystemLoader(str(folder))}), DEFAULT_LOADER])


class Forbidden(Exception):
    """The signed-in person may not do this (403)."""


class Hidden(Exception):
    """Not found, or not the principal's to see (404: existence is not revealed)."""


class BadForm(Exception):
    """The form is malformed or its CSRF token is wrong (400)."""


def app_of(request: Request) -> App:
    built: App = request.app.state.verbund
    return built


READERS = max(2, os.cpu_count() or 2)  # page reads in threads at once, per process (issue 20)
_readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = weakref.WeakKeyDictionary()


async def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a page's read (the session check, a read model) off the event loop, but at most ``READERS``
    at a time: the reads are CPU-bound Python, so more threads than cores only contend for the GIL
    (with 10 concurrent clients the server's CPU per page was 11 ms with Starlette's 40 threads and
    6.6 ms with 2). Actions keep ``call`` and its larger pool, so a long write never holds up a page."""
    loop = asyncio.get_running_loop()
    limiter = _readers.get(loop)
    if limiter is None:
        limiter = _readers[loop] = CapacityLimiter(READERS)
    return await to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking service code (database, triggered flows) off the event loop; a use case that lost
    a race with its identical twin on a unique constraint runs once more (``once_more_on_conflict``)."""
    return await run_in_threadpool(once_more_on_conflict, fn, *args, **kwargs)


async def form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (no python-multipart needed); last value wins."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadForm("Formular zu groß")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=400)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadForm("Formular nicht lesbar") from error
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in parsed.items()):
        # PostgreSQL refuses a NUL byte where SQLite would store it: refused alike on every backend
        raise BadForm("Formular enthält ein NUL-Zeichen (Byte 0); bitte ohne Steuerzeichen senden")
    return {key: values[-1] for key, values in parsed.items()}


def form_list(request_body: dict[str, str], prefix: str) -> list[str]:
    return [value for key, value in request_body.items() if key.startswith(prefix) and value]


async def principal(request: Request) -> Principal | None:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is None:
        cached = await read(session_principal, app_of(request), request.cookies.get(SESSION_COOKIE))
        request.state.principal = cached
    return cached


def check_csrf(expected: str, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise BadForm("Sicherheitsprüfung fehlgeschlagen (Formular abgelaufen?). Bitte Seite neu laden.")


def partner_csrf(app: App, token: str) -> str:
    return hmac.new(signing_key(app), b"partner-form|" + token.encode(), hashlib.sha256).hexdigest()[:32]


def login_nonce() -> str:
    return secrets.token_urlsafe(24)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "principal", None))
    context.setdefault("notice", request.query_params.get("meldung"))
    context.setdefault("error", request.query_params.get("fehler"))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def back(path: str, *, notice: str | None = None, error: str | None = None) -> RedirectResponse:
    query = {k: v for k, v in (("meldung", notice), ("fehler", error)) if v}
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(path + (joiner + urlencode(query) if query else ""), status_code=303)
