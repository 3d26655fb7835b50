"""四眼原则 (issue 15): a manual adjustment above ``points_approval_threshold`` (500 by
default) waits for a second holder of ``points.award``; the requester never decides
their own; an approval posts exactly as a direct adjustment would, once; the audit
names both users."""

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.points.models import PointsAdjustmentRequest, PointsTransaction
from tests.points.ledger_support import API, World, balance_of, key, world
from tests.points.test_points_api import award, events_of
from tests.support.problems import assert_problem

__all__ = ["world"]

REQUESTS = f"{API}/adjustment-requests"


def body(world: World, amount: int = 800, person: str = "p1") -> dict[str, object]:
    return {"person_id": world.people[person].id, "amount": amount, "reason": "抗洪抢险突出贡献"}


async def requested(
    client: httpx.AsyncClient, world: World, amount: int = 800, caller: str = "admin"
) -> dict[str, object]:
    response = await client.post(
        f"{API}/adjustments", json=body(world, amount), headers=world.with_key(caller)
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


async def audit_events(db: AsyncSession, action: str) -> list[AuditEvent]:
    rows = await db.scalars(select(AuditEvent).where(AuditEvent.action == action))
    return list(rows.all())


class TestThreshold:
    async def test_at_the_threshold_posts_at_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(
            f"{API}/adjustments", json=body(world, 500), headers=world.with_key("admin")
        )
        assert response.status_code == 201, response.text
        assert await balance_of(db, world.people["p1"].id) == 500

    async def test_above_it_is_pending_and_posts_nothing(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        pending = await requested(client, world, 501)
        assert pending["status"] == "pending"
        assert pending["requested_by"] == world.users["admin"].id
        assert pending["transaction_id"] is None and pending["decided_by"] is None
        assert await balance_of(db, world.people["p1"].id) == 0
        assert await db.scalar(select(func.count()).select_from(PointsTransaction)) == 0
        [event] = await audit_events(db, "points.adjustment_request")
        assert event.actor_user_id == world.users["admin"].id
        assert event.target_id == str(pending["id"])
        assert event.community_id == world.id("c1")
        assert f"user #{world.users['admin'].id}" in event.summary

    async def test_a_large_deduction_is_pending_too(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await award(client, world, "p1", 400)
        pending = await requested(client, world, -501)
        assert pending["amount"] == -501
        assert await balance_of(db, world.people["p1"].id) == 400

    async def test_replay_returns_the_same_request(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        headers = world.with_key("admin")
        first = await client.post(f"{API}/adjustments", json=body(world), headers=headers)
        again = await client.post(f"{API}/adjustments", json=body(world), headers=headers)
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert await db.scalar(select(func.count()).select_from(PointsAdjustmentRequest)) == 1

    async def test_out_of_scope_person_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            f"{API}/adjustments", json=body(world, person="p2"), headers=world.with_key("admin")
        )
        assert_problem(response, 404, "points.person_not_found")


class TestApprove:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        pending = await requested(client, world)
        response = await client.post(f"{REQUESTS}/{pending['id']}/approve", headers=key())
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_points_award_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        pending = await requested(client, world)
        response = await client.post(
            f"{REQUESTS}/{pending['id']}/approve", headers=world["dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_approver_out_of_scope_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        pending = await requested(client, world)
        response = await client.post(
            f"{REQUESTS}/{pending['id']}/approve", headers=world["sibling"]
        )
        assert_problem(response, 404, "points.adjustment_request_not_found")
        assert await balance_of(db, world.people["p1"].id) == 0

    async def test_requester_cannot_approve_their_own(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        pending = await requested(client, world)
        response = await client.post(f"{REQUESTS}/{pending['id']}/approve", headers=world["admin"])
        assert_problem(response, 403, "points.own_request")
        rejected = await client.post(
            f"{REQUESTS}/{pending['id']}/reject",
            json={"reason": "自己驳回"},
            headers=world["admin"],
        )
        assert_problem(rejected, 403, "points.own_request")
        assert await balance_of(db, world.people["p1"].id) == 0

    async def test_second_approver_posts_once_and_the_audit_names_both(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        pending = await requested(client, world)
        requester, approver = world.users["admin"].id, world.users["town_admin"].id
        response = await client.post(
            f"{REQUESTS}/{pending['id']}/approve", headers=world["town_admin"]
        )
        assert response.status_code == 200, response.text
        decided = response.json()
        assert decided["status"] == "approved"
        assert (decided["requested_by"], decided["decided_by"]) == (requester, approver)
        txn = await db.get(PointsTransaction, decided["transaction_id"])
        assert txn is not None and txn.kind == "manual_award"
        assert txn.actor_user_id == approver
        assert txn.data["requested_by"] == requester
        assert await balance_of(db, world.people["p1"].id) == 800
        assert await events_of(db, "points.awarded", txn.id) == 1
        [approval] = await audit_events(db, "points.adjustment_approve")
        assert approval.actor_user_id == approver
        assert f"user #{requester}" in approval.summary
        assert f"user #{approver}" in approval.summary
        assert approval.community_id == world.id("c1")
        [posting] = await audit_events(db, "points.award")
        assert posting.target_id == str(txn.id)

        again = await client.post(
            f"{REQUESTS}/{pending['id']}/approve", headers=world["town_admin"]
        )
        assert_problem(again, 409, "points.request_decided")
        assert await balance_of(db, world.people["p1"].id) == 800

    async def test_approved_deduction_beyond_the_balance_is_409_and_stays_pending(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        pending = await requested(client, world, -600)
        response = await client.post(
            f"{REQUESTS}/{pending['id']}/approve", headers=world["town_admin"]
        )
        assert_problem(response, 409, "points.insufficient_balance")
        row = await client.get(f"{REQUESTS}/{pending['id']}", headers=world["town_admin"])
        assert row.json()["status"] == "pending"


class TestReject:
    async def test_reject_posts_nothing_and_closes_the_request(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        pending = await requested(client, world)
        response = await client.post(
            f"{REQUESTS}/{pending['id']}/reject",
            json={"reason": "材料不全"},
            headers=world["town_admin"],
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected"
        assert response.json()["decision_note"] == "材料不全"
        assert response.json()["decided_by"] == world.users["town_admin"].id
        late = await client.post(f"{REQUESTS}/{pending['id']}/approve", headers=world["town_admin"])
        assert_problem(late, 409, "points.request_decided")
        assert await balance_of(db, world.people["p1"].id) == 0
        [event] = await audit_events(db, "points.adjustment_reject")
        assert event.actor_user_id == world.users["town_admin"].id


class TestList:
    async def test_pending_requests_in_scope(self, client: httpx.AsyncClient, world: World) -> None:
        first = await requested(client, world)
        second = await requested(client, world, 900, caller="town_admin")
        await client.post(f"{REQUESTS}/{second['id']}/approve", headers=world["admin"])
        mine = await client.get(REQUESTS, headers=world["admin"])
        assert mine.status_code == 200, mine.text
        assert [item["id"] for item in mine.json()["items"]] == [first["id"]]
        every = await client.get(REQUESTS, params={"status": "approved"}, headers=world["admin"])
        assert [item["id"] for item in every.json()["items"]] == [second["id"]]
        sibling = await client.get(REQUESTS, headers=world["sibling"])
        assert sibling.json()["items"] == []
        hidden = await client.get(f"{REQUESTS}/{first['id']}", headers=world["sibling"])
        assert_problem(hidden, 404, "points.adjustment_request_not_found")

    async def test_no_token_is_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(REQUESTS), 401, "auth.unauthenticated")
