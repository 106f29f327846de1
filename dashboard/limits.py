"""Request bodies are refused as soon as they pass the limit, before they are read whole.

An ASGI middleware around the whole app: a declared ``Content-Length`` over the limit is answered
413 at once, without reading anything; a body without one (chunked) is counted while the app
reads it, and reading stops at the limit with 413. So one anonymous 600 MiB POST costs the server
at most the limit plus a chunk, not the body's size.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TEXT = "Anfrage zu groß: höchstens {limit} KiB.".encode()


class BodyTooLarge(Exception):
    """Raised inside the app's ``receive`` when the counted body passes the limit."""


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        # more digits than any limit has (and than int() converts: over 4,300) is refused unparsed
        if declared is not None and (not declared.isdigit() or len(declared) > 18 or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = TEXT.replace(b"{limit}", str(self.limit // 1024).encode())
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
