"""A resident, a dispatcher and a member take an order from 点单 to 办结 over HTTP alone."""

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.orders.conftest import URL, World, load_order, ok, outbox, submit


async def test_submit_triage_dispatch_accept_contact_resolve_confirm(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    member = world.person("member")
    order = await submit(client, world, title="楼道灯不亮", channel="miniprogram")
    assert re.fullmatch(r"GD\d{8}-\d{6}", order["number"])
    assert order["status"] == "submitted"
    order_id = order["id"]

    triaged = await ok(client, world, "dispatcher", order_id, "triage", {"priority": 2})
    assert triaged["time_limit"] == "utility"  # the repair category's default
    assert triaged["response_due_at"] and triaged["resolve_due_at"]
    dispatched = await ok(
        client,
        world,
        "dispatcher",
        order_id,
        "dispatch",
        {"kind": "member", "member_person_id": member.id},
    )
    assert dispatched["assignee"]["person_id"] == member.id

    mine = await client.get(URL, params={"assignee": "me"}, headers=world["member"])
    assert [o["id"] for o in mine.json()["items"]] == [order_id]
    accepted = await ok(client, world, "member", order_id, "accept")
    assert accepted["status"] == "in_progress"
    assert accepted["contact_phone"] == "13812345678"  # the holder calls the resident
    contacted = await ok(client, world, "member", order_id, "contact", {"note": "已电话联系"})
    assert contacted["first_contact_at"] is not None
    await ok(client, world, "member", order_id, "note", {"text": "已购买灯泡"})
    resolved = await ok(
        client,
        world,
        "member",
        order_id,
        "resolve",
        {"result": "更换灯泡", "photos": ["https://files.example.cn/r/1.jpg"]},
    )
    assert resolved["status"] == "resolved"

    closed = await ok(
        client,
        world,
        "resident",
        order_id,
        "feedback",
        {"resolved": "yes", "satisfied": "satisfied", "comment": "很及时"},
    )
    assert closed["status"] == "closed"
    assert closed["allowed_steps"] == []
    assert closed["feedback"]["satisfied"] == "satisfied"

    stored = await load_order(db, order_id)
    assert stored.status == "closed"
    assert stored.closed_at is not None and stored.feedback_at is not None
    assert stored.version == 8  # 1 + seven steps
    history = await client.get(f"{URL}/{order_id}/events", headers=world["resident"])
    assert [e["step"] for e in history.json()["items"]] == [
        "submit",
        "triage",
        "dispatch",
        "accept",
        "contact",
        "note",
        "resolve",
        "confirm",
    ]
    assert [e.event_type for e in await outbox(db, order_id)] == [
        "order.submitted",
        "order.triaged",
        "order.dispatched",
        "order.accepted",
        "order.contacted",
        "order.noted",
        "order.resolved",
        "order.confirmed",
    ]
