"""Real sinks on loopback for the notification tests: a JSON webhook receiver and an SMTP server."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        return [k for k in self.headers.get("X-Verbund-Key", "").split(",") if k]


@dataclass
class WebhookSink:
    """``json://127.0.0.1:PORT`` receiver; ``status`` is what it answers, ``delay`` slows each request."""

    status: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if sink.delay:
                    time.sleep(sink.delay)
                if sink.status == 200:
                    with sink.lock:
                        sink.received.append(Received(dict(self.headers.items()), json.loads(body)))
                self.send_response(sink.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.sink.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that can be taken down and brought back on its port."""

    port: int = field(default_factory=free_port)
    messages: list[Message] = field(default_factory=list)

    def start(self) -> SmtpSink:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=verbund@example.org&to={to}&mode=insecure"
