"""Past one process: three API processes (``redgrid serve --workers 3``) and two job
workers (``redgrid worker``) on one database, driven over real parallel HTTP
connections. Claims, redemptions, idempotent retries and the event relay stay correct
when the racers are processes, not coroutines of one event loop.

Everything is committed for real; each test builds its own towns and removes every row
placed in them (``purge_world``) at its end.
"""

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.integrations.models import OutboxEvent
from app.integrations.webhooks import signing
from app.integrations.webhooks.models import WebhookSubscription
from app.orders.models import ServiceOrder, ServiceOrderEvent
from app.points.models import PointsAccount, Redemption, Reward
from tests.conftest import make_settings
from tests.integrations.live import wait_until
from tests.support.cli import redgrid
from tests.support.cluster import ApiCluster
from tests.support.factory import make_order
from tests.support.receiver import WebhookReceiver
from tests.support.town import World, committed_world
from tests.support.workers import WorkerProcess

PRICE = 7
_keys = itertools.count(1)
ORDER = {"category": "repair", "title": "水管漏水", "description": "厨房水管漏水", "channel": "app"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiCluster]:
    """Three API processes and two job workers, for the whole module."""
    logs = tmp_path_factory.mktemp("cluster")
    api = ApiCluster(database_url, logs / "api.log", workers=3)
    workers = [WorkerProcess(database_url, logs / f"worker-{n}.log") for n in range(2)]
    try:
        api.start()
        for process in workers:
            process.start()
        yield api
    finally:
        for process in workers:
            process.stop()
        api.stop()


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> AsyncIterator[World]:
    async with committed_world(engine, settings) as built:
        yield built


def http(cluster: ApiCluster, connections: int) -> httpx.AsyncClient:
    """A client opening up to ``connections`` TCP connections at once to the cluster."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=cluster.url, limits=limits, timeout=120)


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    return Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses
    )


async def test_every_api_process_serves(cluster: ApiCluster) -> None:
    """The kernel spreads connections over the three processes: each ends up holding
    connections of its own to the database (the test waits for it, bounded)."""
    assert len(cluster.children()) == 3
    async with http(cluster, 24) as client:
        for _ in range(100):
            answers = await asyncio.gather(*(client.get("/readyz") for _ in range(24)))
            assert {a.status_code for a in answers} == {200}
            held = await asyncio.to_thread(cluster.database_connections)
            if all(held.values()):
                break
    assert len(held) == 3 and all(held.values()), held


async def test_members_of_three_processes_claim_one_order_exactly_one_wins(
    cluster: ApiCluster, world: World
) -> None:
    members = await world.callers("member", 30, at="c1")
    async with world.session() as session:
        order = await make_order(session, world.units["h1"], status="pooled", assignee_kind="pool")
        await session.commit()

    async with http(cluster, len(members)) as client:
        responses = await asyncio.gather(
            *(client.post(f"/api/v1/orders/{order.id}/claim", headers=h) for h in members)
        )

    assert outcomes(list(responses)) == {(200, None): 1, (409, "order.already_claimed"): 29}
    winner = next(r for r in responses if r.status_code == 200).json()
    async with world.session() as session:
        stored = await session.get(ServiceOrder, order.id)
        assert stored is not None
        assert (stored.status, stored.assignee_person_id) == (
            "in_progress",
            winner["assignee"]["person_id"],
        )
        claims = await session.scalar(
            select(func.count()).where(
                ServiceOrderEvent.order_id == order.id, ServiceOrderEvent.step == "claim"
            )
        )
    assert claims == 1


async def test_redemptions_across_processes_never_oversell_or_overdraw(
    cluster: ApiCluster, world: World, database_url: str
) -> None:
    scarce = await world.reward(stock=8, price=PRICE)
    plenty = await world.reward(stock=100, price=PRICE)
    crowd = await world.callers("member", 24, points=PRICE, at="c1")  # one unit each, 8 in stock
    [rich] = await world.callers("member", 1, points=5 * PRICE, at="c1")  # five units, 15 tries

    def redeem(client: httpx.AsyncClient, reward: int, headers: dict[str, str]) -> Any:
        key = {"Idempotency-Key": f"multiprocess-{next(_keys)}"}
        return client.post(f"/api/v1/rewards/{reward}/redeem", headers=headers | key)

    async with http(cluster, 39) as client:
        responses = await asyncio.gather(
            *(redeem(client, scarce, h) for h in crowd),
            *(redeem(client, plenty, rich) for _ in range(15)),
        )

    assert outcomes(list(responses[:24])) == {(201, None): 8, (409, "reward.out_of_stock"): 16}
    assert outcomes(list(responses[24:])) == {
        (201, None): 5,
        (409, "points.insufficient_balance"): 10,
    }
    assert await world.scalar(select(Reward.stock).where(Reward.id == scarce)) == 0
    assert await world.scalar(select(Reward.stock).where(Reward.id == plenty)) == 95
    town_id = world.units["town"].id
    assert await world.scalar(select(func.count()).where(Redemption.town_id == town_id)) == 13
    negative = select(func.count()).where(
        PointsAccount.town_id == town_id, PointsAccount.kind == "member", PointsAccount.balance < 0
    )
    assert await world.scalar(negative) == 0
    spent = select(func.count()).where(
        PointsAccount.town_id == town_id, PointsAccount.kind == "member", PointsAccount.balance == 0
    )
    assert await world.scalar(spent) == 8 + 1

    verified = await asyncio.to_thread(redgrid, "verify-ledger", database_url=database_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_one_key_retried_in_parallel_across_processes_files_one_order(
    cluster: ApiCluster, world: World
) -> None:
    [resident] = await world.callers("resident", 1)
    headers = resident | {"Idempotency-Key": f"multiprocess-same-{next(_keys)}"}

    async with http(cluster, 12) as client:
        responses = await asyncio.gather(
            *(client.post("/api/v1/orders", json=ORDER, headers=headers) for _ in range(12))
        )
        again = await client.post("/api/v1/orders", json=ORDER, headers=headers)

    firsts = [
        r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    ]
    replays = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    busy = [r for r in responses if r.status_code == 409]
    assert len(firsts) == 1
    assert len(firsts) + len(replays) + len(busy) == 12
    assert {r.json()["code"] for r in busy} <= {"idempotency.in_progress"}
    assert all(r.json() == firsts[0].json() for r in replays)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert again.json() == firsts[0].json()
    filed = select(func.count()).where(ServiceOrder.submitted_by_user_id == world.users[0])
    assert await world.scalar(filed) == 1


async def test_two_job_workers_relay_each_event_once(
    cluster: ApiCluster, world: World, receiver: WebhookReceiver
) -> None:
    """Orders filed through three API processes; the two job workers relay their
    events and deliver each to the subscriber exactly once, signed."""
    secret = signing.new_secret()
    community = world.units["c1"]
    await world.callers("community_admin", 1, at="c1")
    async with world.session() as session:
        subscription = WebhookSubscription(
            org_unit_id=community.id,
            owner_subject=f"user:{world.users[0]}",
            url=receiver.url_for(f"multiprocess-{community.id}"),
            event_types=["order.*"],
            secret=signing.SecretBox(make_settings().pii_key).seal(secret),
            town_id=community.town_id,
            community_id=community.id,
        )
        session.add(subscription)
        await session.commit()
    residents = await world.callers("resident", 30)

    async with http(cluster, len(residents)) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/orders",
                    json=ORDER,
                    headers=h | {"Idempotency-Key": f"multiprocess-{next(_keys)}"},
                )
                for h in residents
            )
        )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]

    async with world.session() as session:
        published = (
            await session.scalars(
                select(OutboxEvent.id).where(
                    OutboxEvent.community_id == community.id,
                    OutboxEvent.event_type.like("order.%"),
                )
            )
        ).all()
    expected = {f"msg_{event_id}" for event_id in published}
    assert len(expected) >= len(residents)  # at least each order's order.submitted

    def arrived() -> list[Any]:
        return [r for r in receiver.to(f"multiprocess-{community.id}") if 200 <= r.status < 300]

    await wait_until(
        lambda: {r.message_id for r in arrived()} >= expected, within=120, what="every event"
    )
    await asyncio.sleep(2)  # a second delivery of anything would land by now
    delivered = arrived()
    assert sorted(r.message_id for r in delivered) == sorted(expected)  # each exactly once
    orders = {str(json.loads(r.body)["data"]["order_id"]) for r in delivered}
    assert orders == {str(r.json()["id"]) for r in responses}


def test_workers_and_an_in_process_job_worker_are_refused_together() -> None:
    """``--with-worker`` runs the job worker inside the one API process; with several
    API processes the job workers are processes of their own."""
    refused = redgrid("serve", "--port", "0", "--workers", "2", "--with-worker")
    assert refused.returncode == 1
    assert "redgrid worker" in refused.stderr
    assert redgrid("serve", "--workers", "0").returncode == 2  # argparse: at least 1
