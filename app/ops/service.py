import asyncio
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.integrations.relay import service as relay_service
from app.integrations.webhooks import outbound as webhooks
from app.integrations.wechat import outbound as wechat
from app.observability import DELIVERY_COLLECTOR

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


@lru_cache
def expected_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def check_readiness(engine: AsyncEngine) -> dict[str, Any]:
    expected = expected_revision()
    try:
        async with asyncio.timeout(3):
            async with engine.connect() as conn:
                exists = (
                    await conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
                ).scalar_one()
                revision = (
                    (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
                    if exists
                    else None
                )
    except Exception as exc:  # any failure to reach the database means not ready
        logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        return {
            "status": "not_ready",
            "database": "unreachable",
            "migrations": "unknown",
            "revision": None,
            "expected_revision": expected,
        }
    migrations = "ok" if revision == expected else "behind"
    return {
        "status": "ready" if migrations == "ok" else "not_ready",
        "database": "ok",
        "migrations": migrations,
        "revision": revision,
        "expected_revision": expected,
    }


async def refresh_delivery_metrics(engine: AsyncEngine) -> None:
    """Reads the outbox backlog and the delivery counters for ``/metrics``; a database
    that does not answer within two seconds leaves the last figures in place."""
    try:
        async with asyncio.timeout(2), AsyncSession(engine) as session:
            stats = await relay_service.stats(session)
            pending = {
                "webhook": await webhooks.pending_count(session),
                "wechat": await wechat.pending_count(session),
            }
    except Exception as exc:  # metrics must render even when the database is away
        logger.warning("metrics: delivery figures unavailable: %s", type(exc).__name__)
        return
    DELIVERY_COLLECTOR.update(
        backlog=stats.backlog,
        oldest_age_seconds=stats.oldest_age_seconds,
        pending=pending,
        totals=stats.counts,
    )
