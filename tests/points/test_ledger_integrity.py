"""The ledger cannot be edited, and ``verify-ledger`` sees when it was anyway."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db.session import create_engine
from app.points import verify
from app.points.models import PointsPosting
from tests.points.ledger_support import API, World, build_world, make_closed_order, world
from tests.points.test_earning import close
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix

__all__ = ["world"]
ROOT = Path(__file__).resolve().parents[2]


async def busy_ledger(client: httpx.AsyncClient, db: AsyncSession, world: World) -> int:
    """Awards, a deduction, an order award and a reversal; returns a member posting id."""
    for person, amount in (("p1", 40), ("p4", 25), ("p2", 10), ("p1", -15)):
        response = await client.post(
            f"{API}/adjustments",
            json={"person_id": world.people[person].id, "amount": amount, "reason": "测试"},
            headers=world.with_key("town_admin"),
        )
        assert response.status_code == 201, response.text
    order = await make_closed_order(db, world.units["g1"], assignee=world.people["p4"])
    await close(db, order.id)
    reversed_ = await client.post(
        f"{API}/transactions/{response.json()['id']}/reverse",
        json={"reason": "扣错了"},
        headers=world["town_admin"],
    )
    assert reversed_.status_code == 201, reversed_.text
    member_leg = next(leg for leg in reversed_.json()["legs"] if leg["account_kind"] == "member")
    posting = await db.scalar(
        select(PointsPosting.id).where(
            PointsPosting.transaction_id == reversed_.json()["id"],
            PointsPosting.account_id == member_leg["account_id"],
        )
    )
    assert posting is not None
    return posting


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE points_posting SET amount = amount + 1",
            "DELETE FROM points_posting",
            "UPDATE points_transaction SET reason = 'changed'",
            "DELETE FROM points_transaction",
            "TRUNCATE points_posting CASCADE",
        ],
    )
    async def test_raw_sql_cannot_change_the_ledger(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World, statement: str
    ) -> None:
        await busy_ledger(client, db, world)
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.begin_nested():
                await db.execute(text(statement))
        report = await verify.verify_ledger(db)
        assert report.clean, report.differences


class TestVerify:
    async def test_a_busy_ledger_is_clean(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        await busy_ledger(client, db, world)
        report = await verify.verify_ledger(db, batch=2)
        assert report.clean, report.differences
        assert report.postings >= 12 and report.chains >= 3
        assert "clean" in report.summary()

    async def test_tampering_below_the_application_shows(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        posting = await busy_ledger(client, db, world)
        # Bypass the guard inside this test's (rolled-back) transaction, as someone
        # with direct database access could.
        await db.execute(
            text("ALTER TABLE points_posting DISABLE TRIGGER points_posting_append_only")
        )
        await db.execute(
            text("UPDATE points_posting SET amount = amount + 100 WHERE id = :id"), {"id": posting}
        )
        report = await verify.verify_ledger(db)
        found = "\n".join(report.differences)
        assert "balance" in found and "postings sum to" in found
        assert "not 0" in found  # the transaction no longer balances
        assert "hash does not match" in found
        assert "period total" in found
        assert not report.clean

    async def test_a_rewritten_chain_breaks_the_link(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        await busy_ledger(client, db, world)
        await db.execute(
            text("ALTER TABLE points_posting DISABLE TRIGGER points_posting_append_only")
        )
        # Recompute a posting's hash after changing it: its successor no longer links.
        first = (
            await db.execute(
                text(
                    "SELECT p.id, p.account_id FROM points_posting p"
                    " JOIN points_account a ON a.id = p.account_id"
                    " WHERE a.kind = 'member' AND p.seq = 1 AND a.last_seq > 1 LIMIT 1"
                )
            )
        ).one()
        await db.execute(
            text("UPDATE points_posting SET hash = repeat('f', 64) WHERE id = :id"),
            {"id": first.id},
        )
        report = await verify.verify_ledger(db)
        found = "\n".join(report.differences)
        assert f"account {first.account_id} seq 2" in found
        assert "prev_hash does not link" in found


# ---------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def ledger_database(server_url: str) -> Iterator[str]:
    from app.cli import migrate

    name = f"{base_name(server_url)}_{worker_suffix()}_ledger"
    url = recreate_database(server_url, name)
    migrate(url)
    yield url
    drop_database(server_url, name)


def redgrid(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDGRID_")}
    env["DATABASE_URL"] = database_url
    env["REDGRID_LOG_LEVEL"] = "WARNING"
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _seed(settings: Settings, url: str, *, unbalanced: bool) -> None:
    from app.authz.principal import Principal
    from app.points import service
    from app.points.schemas import AdjustmentCreate

    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            if not unbalanced:
                built = await build_world(session, settings)
                root = Principal(
                    kind="user", subject="user:cli", display_name="cli", is_superuser=True
                )
                for amount in (30, -10):
                    body = AdjustmentCreate(
                        person_id=built.people["p1"].id, amount=amount, reason="cli"
                    )
                    await service.adjust(session, root, body, f"cli-{amount}", threshold=10_000)
            else:
                # INSERT is allowed (the ledger is append-only), so a bad row can be added.
                await session.execute(
                    text(
                        "INSERT INTO points_transaction (txn_key, kind, town_id)"
                        " VALUES ('cli-bad', 'manual_award', 1)"
                    )
                )
            await session.commit()
    finally:
        await engine.dispose()


def test_verify_ledger_command(ledger_database: str, settings: Settings) -> None:
    asyncio.run(_seed(settings, ledger_database, unbalanced=False))
    clean = redgrid("verify-ledger", database_url=ledger_database)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip().splitlines()[-1].startswith("verify-ledger: clean")

    asyncio.run(_seed(settings, ledger_database, unbalanced=True))
    dirty = redgrid("verify-ledger", database_url=ledger_database)
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert "0 posting(s), at least 2 expected" in dirty.stdout
    assert "1 difference(s)" in dirty.stdout
