"""Sending one attempt of a delivery, so that no receiver can hold a worker: the whole
exchange (DNS, connect, TLS, request, response) is bounded by one deadline, the
response body is read up to a few kilobytes and never decompressed, redirects are
not followed, and proxies from the environment are ignored."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from app.integrations.webhooks import targets
from app.integrations.webhooks.rules import is_success

MAX_READ_BYTES = 4096
PER_HOST_CONNECTIONS = 10
"""Connections to one receiver host at a time (kept alive). Few is kind to receivers and
fast here: httpcore scans its whole pool for each request it places, so a pool of
a hundred connections sent a quarter as many deliveries a second as one of ten."""
EXCERPT_CHARS = 1000
USER_AGENT = "redgrid-webhooks/1"


@dataclass(frozen=True)
class AttemptResult:
    attempted_at: datetime
    outcome: str
    """``success``, ``http_error``, ``timeout``, ``connection_error``, ``refused_address``."""
    latency_ms: int
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "success"


class Clients:
    """One HTTP client per receiver host, for the life of a job: connections are
    pooled per host, so a TLS session made for one host name is never reused for
    another that happens to share its address."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._clients: dict[str, httpx.AsyncClient] = {}

    def for_host(self, host: str) -> httpx.AsyncClient:
        client = self._clients.get(host)
        if client is None:
            client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(self._timeout),
                limits=httpx.Limits(
                    max_connections=PER_HOST_CONNECTIONS,
                    max_keepalive_connections=PER_HOST_CONNECTIONS,
                ),
            )
            self._clients[host] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)


async def send(
    clients: Clients,
    url: str,
    body: str,
    signature_headers: dict[str, str],
    *,
    timeout_seconds: float,
    allow_private: bool,
) -> AttemptResult:
    attempted_at = datetime.now(UTC)
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        async with asyncio.timeout(timeout_seconds):
            target = await targets.resolve(url, allow_private=allow_private)
            status, raw = await _post(clients, target, body, signature_headers)
    except targets.UnsafeUrl as unsafe:
        return AttemptResult(attempted_at, "refused_address", elapsed(), error=unsafe.reason)
    except TimeoutError:
        return AttemptResult(attempted_at, "timeout", elapsed(), error="timeout")
    except httpx.HTTPError as exc:
        return AttemptResult(attempted_at, "connection_error", elapsed(), error=type(exc).__name__)
    excerpt = raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS] or None
    return AttemptResult(
        attempted_at,
        "success" if is_success(status) else "http_error",
        elapsed(),
        status_code=status,
        response_excerpt=excerpt,
    )


async def _post(
    clients: Clients, target: targets.Target, body: str, signature_headers: dict[str, str]
) -> tuple[int, bytes]:
    http = clients.for_host(target.host)
    request = http.build_request(
        "POST",
        target.request_url,
        content=body.encode(),
        headers={
            **signature_headers,
            "host": target.host_header,
            "content-type": "application/json",
            "accept-encoding": "identity",
            "user-agent": USER_AGENT,
        },
        extensions={"sni_hostname": target.host} if target.parts.scheme == "https" else {},
    )
    response = await http.send(request, stream=True)
    try:
        received = bytearray()
        async for chunk in response.aiter_raw():
            received += chunk
            if len(received) >= MAX_READ_BYTES:
                break
        return response.status_code, bytes(received[:MAX_READ_BYTES])
    finally:
        await response.aclose()
