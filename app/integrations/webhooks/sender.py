"""Sending one attempt of a delivery, so that no receiver can hold a worker: the whole
attempt (DNS, a free connection, connect, TLS, request, response) is bounded by one
deadline, the
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
    another that happens to share its address. At most ``PER_HOST_CONNECTIONS``
    requests to a host are under way at once; the others wait their turn here, within
    their deadline (httpcore's own queue costs a scan of its pool per request)."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._clients: dict[str, tuple[httpx.AsyncClient, asyncio.Semaphore]] = {}

    def for_host(self, host: str) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        found = self._clients.get(host)
        if found is None:
            client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(self._timeout),
                limits=httpx.Limits(
                    max_connections=PER_HOST_CONNECTIONS,
                    max_keepalive_connections=PER_HOST_CONNECTIONS,
                ),
            )
            found = self._clients[host] = (client, asyncio.Semaphore(PER_HOST_CONNECTIONS))
        return found

    async def aclose(self) -> None:
        clients, self._clients = [c for c, _ in self._clients.values()], {}
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

    sending = False
    try:
        async with asyncio.timeout(timeout_seconds):
            target = await targets.resolve(url, allow_private=allow_private)
            http, slots = clients.for_host(target.host)
            async with slots:
                sending = True
                status, raw = await _post(http, target, body, signature_headers)
    except targets.UnsafeUrl as unsafe:
        return AttemptResult(attempted_at, "refused_address", elapsed(), error=unsafe.reason)
    except TimeoutError:
        # Not sent at all if the host's connections stayed busy the whole time.
        error = "timeout" if sending else "no free connection to the host"
        return AttemptResult(attempted_at, "timeout", elapsed(), error=error)
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
    http: httpx.AsyncClient, target: targets.Target, body: str, signature_headers: dict[str, str]
) -> tuple[int, bytes]:
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
