"""A webhook receiver: a real HTTP server on loopback, in a thread, that records what it
is sent and answers as the test tells it (succeed, fail, hang, answer slowly, send a
huge body), to check deliveries from the outside as a subscriber would."""

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    """What the receiver answered."""

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Behaviour = Callable[[str, dict[str, str], bytes], "int | str"]
"""Decides the answer to one request (path, headers, body): a status code, or
``"hang"`` (hold the request until ``release()``), ``"slow"`` (trickle a byte a
second), ``"huge"`` (stream an endless body) or ``"redirect"`` (302)."""


@dataclass
class WebhookReceiver:
    status: int = 200
    behaviour: Behaviour | None = None
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    """Set while a request is held (``"hang"``)."""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def url_for(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def to(self, name: str) -> list["Received"]:
        return [r for r in self.snapshot() if r.path == f"/{name}"]

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def accepted(self) -> list[Received]:
        """Requests answered 2xx, in the order they arrived."""
        return [r for r in self.snapshot() if 200 <= r.status < 300]

    def release(self) -> None:
        self._released.set()

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer: int | str = (
            self.status if self.behaviour is None else self.behaviour(path, headers, body)
        )
        if answer == "hang":
            self._released.clear()
            self.holding.set()
            await asyncio.to_thread(self._released.wait, 600)
            self.holding.clear()
            answer = 200
        if answer in ("slow", "huge"):
            with self._lock:
                self.received.append(Received(path, headers, body, 200))
            stream = _trickle() if answer == "slow" else _endless()
            return StreamingResponse(stream, status_code=200)
        if answer == "redirect":
            answer = 302
        assert isinstance(answer, int)
        with self._lock:
            self.received.append(Received(path, headers, body, answer))
        if answer == 302:
            return Response(status_code=302, headers={"location": self.url_for("elsewhere")})
        return Response("ok" if answer < 300 else "unavailable", status_code=answer)

    def start(self) -> "WebhookReceiver":
        app = Starlette(routes=[Route("/{path:path}", self._hook, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=30,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("webhook receiver did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)


async def _trickle():  # type: ignore[no-untyped-def]
    for _ in range(600):
        yield b"."
        await asyncio.sleep(1.0)


async def _endless():  # type: ignore[no-untyped-def]
    chunk = b"x" * 65536
    while True:
        yield chunk
        await asyncio.sleep(0)
