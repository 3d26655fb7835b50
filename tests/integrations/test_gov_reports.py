"""Step reports to 12345 platforms (办理情况回传): the steps of an order filed through a
government platform (channel ``gov_api``) go back to the platform's report URL through
the relay, signed with the platform's own key and algorithm in the canonical form of
signed requests, retried on the webhook schedule, each report recorded.

The platform is a real HTTP server on loopback that verifies every signature with
``tests.support.signing`` (written from the README, not the server's code). Each test
runs inside its rolled-back transaction; time is moved by editing ``next_attempt_at``."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

import app.integrations.gov.handlers  # noqa: F401  (registers the relay consumer)
from app.auth.models import ApiClient
from app.hierarchy.models import OrgUnit
from app.integrations.gov import outbound
from app.integrations.gov.models import GovReport
from app.integrations.relay import service as relay
from app.integrations.webhooks import sender
from app.orders import service as orders_service
from app.orders.models import ServiceOrder
from tests.integrations.conftest import hooks_settings
from tests.support import signing
from tests.support.factory import make_order
from tests.support.receiver import WebhookReceiver
from tests.support.world import World

CASE = "12345-20261127-000042"


@pytest.fixture
async def clients() -> AsyncIterator[sender.Clients]:
    pool = sender.Clients(5.0)
    yield pool
    await pool.aclose()


async def platform(
    db: AsyncSession,
    unit: OrgUnit,
    url: str,
    *,
    algorithm: str = "hmac-sha256",
    scopes: tuple[str, ...] = ("orders.read",),
) -> ApiClient:
    client = ApiClient(
        client_id=f"cli_gov_{uuid.uuid4().hex[:10]}",
        name="区 12345 热线",
        secret_hash="x",
        scopes=list(scopes),
        org_unit_id=unit.id,
        signing_algorithm=algorithm,
        signing_secret=uuid.uuid4().hex * 2,
        report_url=url,
    )
    db.add(client)
    await db.flush()
    return client


def verifying(receiver: WebhookReceiver, client: ApiClient) -> None:
    """The platform answers 200 to a report it can verify, 401 to any other."""
    assert client.signing_algorithm and client.signing_secret

    def answer(path: str, headers: dict[str, str], body: bytes) -> int:
        ok = headers.get("x-redgrid-key") == client.client_id and signing.verifies(
            client.signing_algorithm or "",
            client.signing_secret or "",
            "POST",
            path,
            headers,
            body,
        )
        return 200 if ok else 401

    receiver.behaviour = answer


async def steps(db: AsyncSession, order: ServiceOrder, *names: str) -> None:
    """Each step as the orders service records it (history, outbox event, audit)."""
    previous = order.status
    for name in names:
        order.status = {"triage": "triaged", "claim": "in_progress", "resolve": "resolved"}[name]
        await orders_service.record(
            db, orders_service.SYSTEM, order, name, previous, now=datetime.now(UTC)
        )
        previous = order.status


async def relay_all(db: AsyncSession) -> None:
    while (await relay.relay_batch(db, 500)).events:
        pass


async def deliver_all(db: AsyncSession, clients: sender.Clients) -> None:
    while (await outbound.deliver_due(db, hooks_settings(), clients, limit=50)).reports:
        pass


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hmac-sm3"])
async def test_each_step_is_reported_signed_in_order(
    db: AsyncSession,
    world: World,
    receiver: WebhookReceiver,
    clients: sender.Clients,
    algorithm: str,
) -> None:
    gov = await platform(db, world.units["town"], receiver.url_for("gov"), algorithm=algorithm)
    verifying(receiver, gov)
    order = await make_order(db, world.units["h1"], channel="gov_api", external_ref=CASE)
    walk_in = await make_order(db, world.units["h1"], channel="walk_in")
    await steps(db, order, "triage", "claim", "resolve")
    await steps(db, walk_in, "triage")
    await relay_all(db)

    assert await outbound.reports_of_order(db, walk_in.id) == []
    reports = await outbound.reports_of_order(db, order.id)
    assert [r.status for r in reports] == ["pending"] * 3
    await deliver_all(db, clients)

    received = receiver.accepted()
    assert len(received) == len(receiver.snapshot()) == 3  # every signature verified
    bodies = [json.loads(r.body) for r in received]
    assert [b["step"] for b in bodies] == ["triage", "claim", "resolve"]
    assert [b["status"] for b in bodies] == ["triaged", "in_progress", "resolved"]
    assert {b["case_number"] for b in bodies} == {CASE}
    assert {b["order_number"] for b in bodies} == {order.number}
    assert "contact_phone" not in received[0].body.decode()
    assert [r.headers["x-redgrid-report-id"] for r in received] == [b["report_id"] for b in bodies]
    for report in await outbound.reports_of_order(db, order.id):
        await db.refresh(report)
        assert (report.status, report.attempts, report.last_status_code) == ("succeeded", 1, 200)


async def test_only_platforms_whose_node_and_scopes_cover_the_order(
    db: AsyncSession, world: World, receiver: WebhookReceiver, clients: sender.Clients
) -> None:
    town = await platform(db, world.units["town"], receiver.url_for("town"))
    await platform(db, world.units["c2"], receiver.url_for("sibling"))
    await platform(db, world.units["town"], receiver.url_for("blind"), scopes=("org.read",))
    verifying(receiver, town)
    order = await make_order(db, world.units["h1"], channel="gov_api", external_ref=CASE)
    await steps(db, order, "triage")
    await relay_all(db)
    await deliver_all(db, clients)
    assert [r.path for r in receiver.snapshot()] == ["/town"]


async def test_a_refused_report_is_retried_with_a_fresh_signature(
    db: AsyncSession, world: World, receiver: WebhookReceiver, clients: sender.Clients
) -> None:
    gov = await platform(db, world.units["town"], receiver.url_for("gov"), algorithm="hmac-sm3")
    answers = iter([503, 200])
    assert gov.signing_secret

    def answer(path: str, headers: dict[str, str], body: bytes) -> int:
        assert signing.verifies("hmac-sm3", gov.signing_secret or "", "POST", path, headers, body)
        return next(answers)

    receiver.behaviour = answer
    order = await make_order(db, world.units["g1"], channel="gov_api", external_ref=CASE)
    await steps(db, order, "triage")
    await relay_all(db)
    await deliver_all(db, clients)

    (report,) = await outbound.reports_of_order(db, order.id)
    await db.refresh(report)
    assert (report.status, report.attempts, report.last_status_code) == ("pending", 1, 503)
    assert report.last_outcome == "http_error"
    assert report.next_attempt_at > datetime.now(UTC)  # backoff: not due yet
    assert (await outbound.deliver_due(db, hooks_settings(), clients, limit=50)).reports == 0

    await db.execute(
        update(GovReport)
        .where(GovReport.id == report.id)
        .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await deliver_all(db, clients)
    await db.refresh(report)
    assert (report.status, report.attempts, report.last_status_code) == ("succeeded", 2, 200)
    first, second = receiver.snapshot()
    assert first.body == second.body
    assert first.headers["x-redgrid-report-id"] == second.headers["x-redgrid-report-id"]
    assert first.headers["x-redgrid-nonce"] != second.headers["x-redgrid-nonce"]


async def test_a_platform_without_a_key_holds_its_reports(
    db: AsyncSession, world: World, receiver: WebhookReceiver, clients: sender.Clients
) -> None:
    gov = await platform(db, world.units["town"], receiver.url_for("gov"))
    order = await make_order(db, world.units["g1"], channel="gov_api", external_ref=CASE)
    await steps(db, order, "triage")
    await relay_all(db)
    gov.signing_secret = None  # withdrawn after the report was made
    await db.flush()
    await deliver_all(db, clients)
    (report,) = await outbound.reports_of_order(db, order.id)
    await db.refresh(report)
    assert (report.status, report.last_outcome, report.attempts) == ("pending", "no_key", 1)
    assert receiver.snapshot() == []


async def test_a_platform_files_by_signed_request_and_hears_the_steps(
    hooks_client: httpx.AsyncClient,
    db: AsyncSession,
    world: World,
    receiver: WebhookReceiver,
    clients: sender.Clients,
) -> None:
    """End to end: the 12345 platform files a case with a signed POST (SM3), triages it
    with another, and each step comes back to its report URL, signed."""
    gov = await platform(
        db,
        world.units["c1"],
        receiver.url_for("gov"),
        algorithm="hmac-sm3",
        scopes=("orders.submit_for", "orders.read", "orders.dispatch"),
    )
    verifying(receiver, gov)
    assert gov.signing_secret

    async def signed_post(path: str, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = signing.signed(
            "hmac-sm3", gov.client_id, gov.signing_secret or "", "POST", path, body
        )
        headers["content-type"] = "application/json"
        return await hooks_client.post(path, content=body, headers=headers)

    filed = await signed_post(
        "/api/v1/orders",
        {
            "category": "repair",
            "title": "路灯不亮",
            "description": "12345 转办：小区门口路灯不亮",
            "channel": "gov_api",
            "location_unit_id": world.units["g1"].id,
            "external_ref": CASE,
        },
    )
    assert filed.status_code == 201, filed.text
    order_id = filed.json()["id"]
    triaged = await signed_post(f"/api/v1/orders/{order_id}/triage", {"priority": 2})
    assert triaged.status_code == 200, triaged.text

    await relay_all(db)
    await deliver_all(db, clients)
    bodies = [json.loads(r.body) for r in receiver.accepted()]
    assert len(bodies) == len(receiver.snapshot()) == 2
    assert [(b["type"], b["case_number"]) for b in bodies] == [
        ("order.submitted", CASE),
        ("order.triaged", CASE),
    ]


async def test_finished_reports_are_purged_after_the_retention(
    db: AsyncSession, world: World, receiver: WebhookReceiver, clients: sender.Clients
) -> None:
    gov = await platform(db, world.units["town"], receiver.url_for("gov"))
    verifying(receiver, gov)
    order = await make_order(db, world.units["g1"], channel="gov_api", external_ref=CASE)
    await steps(db, order, "triage", "claim")
    await relay_all(db)
    await deliver_all(db, clients)
    old, recent = await outbound.reports_of_order(db, order.id)
    await db.execute(
        update(GovReport)
        .where(GovReport.id == old.id)
        .values(finished_at=datetime.now(UTC) - timedelta(days=31))
    )
    assert await outbound.purge_finished(db, 30, limit=100) == 1
    assert [r.id for r in await outbound.reports_of_order(db, order.id)] == [recent.id]
