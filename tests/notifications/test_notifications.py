"""Notifications: the relay fills inboxes by the rules in ``notification_rule``, and
each account reads, counts and marks its own. Orders are driven over HTTP; the relay
and the deadline jobs run inside the test's transaction."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

import app.notifications.handlers  # noqa: F401  (the inbox hears the relay)
from app.auth.models import ApiClient
from app.authz.tokens import issue_access_token
from app.config import Settings
from app.integrations.relay import service as relay
from app.notifications.models import NotificationRule
from app.orders.models import DepartmentArrival, ServiceOrder
from app.orders.steps.overdue import escalate_overdue, report_missed_arrivals
from tests.orders.conftest import World, ok, order_in, submit
from tests.support.problems import assert_problem

URL = "/api/v1/notifications"


async def relay_all(db: AsyncSession) -> None:
    while (await relay.relay_batch(db, 500)).events:
        pass


async def inbox(
    client: httpx.AsyncClient, world: World, who: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(URL, params=params, headers=world[who])
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def titles(client: httpx.AsyncClient, world: World, who: str) -> list[str]:
    return [n["title"] for n in await inbox(client, world, who)]


def member_dispatch(world: World) -> dict[str, Any]:
    return {"kind": "member", "member_person_id": world.person("member").id}


class TestFedByTheRelay:
    async def test_the_resident_hears_when_the_order_is_accepted_taken_and_resolved(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "resolved")
        await relay_all(db)
        notes = await inbox(client, world, "resident")
        assert [n["event_type"] for n in notes] == [
            "order.resolved",
            "order.accepted",
            "order.triaged",
        ]
        resolved = notes[0]
        assert resolved["title"] == "工单已办结，请评价"
        assert order["number"] in resolved["body"] and "楼道灯不亮" in resolved["body"]
        assert resolved["subject_type"] == "order" and resolved["subject_id"] == str(order["id"])
        assert resolved["data"] == {"order_id": order["id"], "number": order["number"]}
        assert resolved["reason"] == "resident" and resolved["read_at"] is None
        assert await inbox(client, world, "neighbour") == []

    async def test_the_member_hears_of_a_dispatch_and_of_points(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await order_in(client, world, "closed")
        await relay_all(db)
        member = await inbox(client, world, "member")
        kinds = [n["event_type"] for n in member]
        assert kinds == ["points.awarded", "order.dispatched"]
        assert member[0]["title"] == "红色积分到账"
        # The repair category's 10, and 5 for a top rating.
        assert member[0]["body"] == "您获得 15 红色积分，当前余额 15。"
        # The member took the steps after the dispatch: none of them tell the member.
        assert await inbox(client, world, "member2") == []

    async def test_members_in_scope_hear_of_work_in_their_pool(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await order_in(client, world, "pooled")
        await relay_all(db)
        for who in ("member", "member2"):
            assert await titles(client, world, who) == ["抢单池有新工单"]
        assert await inbox(client, world, "far_member") == []

    async def test_a_team_hears_of_a_dispatch_to_it(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "triaged")
        assert world.team is not None
        await ok(
            client,
            world,
            "dispatcher",
            order["id"],
            "dispatch",
            {"kind": "team", "team_id": world.team.id},
        )
        await relay_all(db)
        assert await titles(client, world, "member2") == ["您有新的派单"]
        assert await inbox(client, world, "member") == []


class TestEscalation:
    """吹哨: an order past its deadline tells whoever holds it and the level above."""

    async def test_the_holder_and_the_next_level_hear_of_it(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "in_progress")
        await db.execute(
            update(ServiceOrder)
            .where(ServiceOrder.id == order["id"])
            .values(resolve_due_at=datetime.now(UTC) - timedelta(hours=1))
        )
        assert await escalate_overdue(db, datetime.now(UTC)) == 1
        await relay_all(db)
        assert (await titles(client, world, "member"))[0] == "工单超时已上报"
        # The community's staff (社区吹哨): whoever dispatches by a grant at c1.
        for who in ("dispatcher", "admin"):
            notes = await inbox(client, world, who)
            assert [n["title"] for n in notes] == ["工单吹哨上报"], who
            assert notes[0]["reason"] == "escalation_unit"
        for who in ("sibling_dispatcher", "town_dispatcher", "member2"):
            assert await inbox(client, world, who) == [], who

    async def test_a_department_that_misses_its_arrival_hears_of_it_with_the_level_above(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "triaged")
        assert world.department is not None
        body = {"kind": "department", "department_id": world.department.id}
        await ok(client, world, "dispatcher", order["id"], "dispatch", body)
        await db.execute(
            update(DepartmentArrival)
            .where(DepartmentArrival.order_id == order["id"])
            .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        assert await report_missed_arrivals(db, datetime.now(UTC)) == 1
        assert await report_missed_arrivals(db, datetime.now(UTC)) == 0  # once
        await relay_all(db)
        department = await inbox(client, world, "department")
        assert [n["event_type"] for n in department] == [
            "order.arrival_overdue",
            "order.dispatched",
        ]
        assert department[0]["data"]["department_id"] == world.department.id
        assert await titles(client, world, "dispatcher") == ["部门报到超时"]
        assert await inbox(client, world, "outsider_department") == []


class TestRulesAreData:
    async def test_a_rule_switched_off_stops_its_notifications(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await db.execute(
            update(NotificationRule)
            .where(NotificationRule.event_type == "order.triaged")
            .values(is_active=False)
        )
        await order_in(client, world, "triaged")
        await relay_all(db)
        assert await inbox(client, world, "resident") == []

    async def test_nobody_hears_of_their_own_step(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        db.add(
            NotificationRule(
                event_type="order.submitted",
                recipient="resident",
                title_zh="收到您的工单",
                title_en="We got your order",
                body_zh="",
                body_en="",
            )
        )
        await db.flush()
        await submit(client, world)
        await relay_all(db)
        assert await inbox(client, world, "resident") == []

    async def test_a_new_rule_sends_new_words(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        db.add(
            NotificationRule(
                event_type="order.submitted",
                recipient="resident",
                title_zh="收到您的工单",
                title_en="We got your order",
                body_zh="工单 {number} 已提交（{nonexistent}）",
                body_en="Order {number} filed",
            )
        )
        await db.flush()
        # A grid worker files for the resident (网格员代点单): the resident hears of it.
        resident = world.person("resident").id
        order = await submit(client, world, "grid_worker", resident_person_id=resident)
        await relay_all(db)
        (note,) = await inbox(client, world, "resident")
        assert note["body"] == f"工单 {order['number']} 已提交（）"
        english = await client.get(URL, headers=world["resident"] | {"Accept-Language": "en"})
        assert english.json()["items"][0]["title"] == "We got your order"


class TestInbox:
    async def test_count_mark_read_and_read_all(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await order_in(client, world, "resolved")
        await relay_all(db)
        count = await client.get(f"{URL}/unread-count", headers=world["resident"])
        assert count.json() == {"unread": 3}
        newest, *_ = await inbox(client, world, "resident")
        read = await client.post(f"{URL}/{newest['id']}/read", headers=world["resident"])
        assert read.status_code == 200 and read.json()["read_at"] is not None
        again = await client.post(f"{URL}/{newest['id']}/read", headers=world["resident"])
        assert again.json()["read_at"] == read.json()["read_at"]
        assert [n["id"] for n in await inbox(client, world, "resident", unread="true")] != []
        assert newest["id"] not in [
            n["id"] for n in await inbox(client, world, "resident", unread="true")
        ]
        marked = await client.post(f"{URL}/read-all", headers=world["resident"])
        assert marked.json() == {"marked": 2}
        count = await client.get(f"{URL}/unread-count", headers=world["resident"])
        assert count.json() == {"unread": 0}

    async def test_pages_newest_first(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await order_in(client, world, "resolved")
        await relay_all(db)
        first = await client.get(URL, params={"limit": 2}, headers=world["resident"])
        rest = await client.get(
            URL, params={"cursor": first.json()["next_cursor"]}, headers=world["resident"]
        )
        ids = [n["id"] for n in first.json()["items"]] + [n["id"] for n in rest.json()["items"]]
        assert len(ids) == 3 and ids == sorted(ids, reverse=True)
        assert rest.json()["next_cursor"] is None

    async def test_someone_elses_notification_is_not_found(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await order_in(client, world, "triaged")
        await relay_all(db)
        (note,) = await inbox(client, world, "resident")
        response = await client.post(f"{URL}/{note['id']}/read", headers=world["neighbour"])
        assert_problem(response, 404, "notification.not_found")

    @pytest.mark.parametrize("path", ["", "/unread-count"])
    async def test_without_a_token_401(
        self, client: httpx.AsyncClient, world: World, path: str
    ) -> None:
        assert_problem(await client.get(f"{URL}{path}"), 401, "auth.unauthenticated")

    async def test_integration_clients_have_no_inbox(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        api_client = ApiClient(
            client_id="cli_inbox", name="x", secret_hash="x", scopes=[], org_unit_id=world.id("c1")
        )
        db.add(api_client)
        await db.flush()
        token, _ = issue_access_token(settings, "client:cli_inbox")
        response = await client.get(URL, headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 403, "notification.no_inbox")
