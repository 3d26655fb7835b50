"""What each step does beyond the scope matrix: transitions, refusals, side effects."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import DepartmentArrival, OrderSecond
from tests.orders.conftest import (
    URL,
    World,
    load_order,
    ok,
    order_in,
    outbox,
    snapshot,
    step,
    submit,
)
from tests.support.problems import assert_problem

FEEDBACK_HAPPY = {"resolved": "yes", "satisfied": "satisfied"}


class TestIllegalTransitions:
    @pytest.mark.parametrize(
        ("status", "who", "name", "body"),
        [
            ("closed", "member", "accept", None),  # accepting a closed order
            ("closed", "dispatcher", "triage", {}),
            ("closed", "resident", "feedback", FEEDBACK_HAPPY),
            ("in_progress", "resident", "cancel", {"reason": "不要了"}),
            ("in_progress", "resident", "feedback", FEEDBACK_HAPPY),
            ("resolved", "member", "resolve", {"result": "再次办结"}),
            ("submitted", "dispatcher", "pool", None),
            ("triaged", "dispatcher", "triage", {}),
            ("dispatched", "member", "claim", None),
            ("in_progress", "member", "accept", None),
        ],
    )
    async def test_is_409_and_changes_nothing(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        status: str,
        who: str,
        name: str,
        body: dict[str, Any] | None,
    ) -> None:
        order = await order_in(client, world, status)
        before = await snapshot(db, order["id"])
        response = await step(client, world, who, order["id"], name, body)
        problem = assert_problem(response, 409, "order.invalid_transition")
        assert problem["current_status"] == status
        assert await snapshot(db, order["id"]) == before

    async def test_english_message_on_request(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "closed")
        response = await step(
            client, world, "member", order["id"], "accept", **{"Accept-Language": "en"}
        )
        assert "not allowed" in assert_problem(response, 409, "order.invalid_transition")["title"]


class TestIfMatch:
    async def test_stale_version_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await submit(client, world)
        before = await snapshot(db, order["id"])
        response = await step(
            client, world, "dispatcher", order["id"], "triage", {}, **{"If-Match": 'W/"7"'}
        )
        assert_problem(response, 412, "resource.version_mismatch")
        assert await snapshot(db, order["id"]) == before

    async def test_current_version_passes(self, client: httpx.AsyncClient, world: World) -> None:
        order = await submit(client, world)
        read = await client.get(f"{URL}/{order['id']}", headers=world["dispatcher"])
        response = await step(
            client,
            world,
            "dispatcher",
            order["id"],
            "triage",
            {},
            **{"If-Match": read.headers["ETag"]},
        )
        assert response.status_code == 200
        assert response.headers["ETag"] == 'W/"2"'


class TestTriage:
    async def test_explicit_class_sets_calendar_hour_deadlines(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await submit(client, world, category="elderly_help")
        await ok(
            client,
            world,
            "dispatcher",
            order["id"],
            "triage",
            {"priority": 1, "time_limit": "emergency", "is_excluded": True},
        )
        stored = await load_order(db, order["id"])
        assert (stored.priority, stored.time_limit, stored.is_excluded) == (1, "emergency", True)
        assert stored.response_due_at == stored.received_at + timedelta(minutes=30)
        assert stored.resolve_due_at == stored.received_at + timedelta(hours=24)
        assert stored.triaged_at is not None

    async def test_unknown_class_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        order = await submit(client, world)
        response = await step(
            client, world, "dispatcher", order["id"], "triage", {"time_limit": "someday"}
        )
        assert_problem(response, 422, "order.time_limit_unknown")

    @pytest.mark.parametrize("priority", [0, 5])
    async def test_priority_out_of_range_is_422(
        self, client: httpx.AsyncClient, world: World, priority: int
    ) -> None:
        order = await submit(client, world)
        response = await step(
            client, world, "dispatcher", order["id"], "triage", {"priority": priority}
        )
        assert_problem(response, 422, "request.validation_failed")


class TestRejectAndCancel:
    async def test_reject_keeps_the_reason(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await submit(client, world)
        rejected = await ok(
            client, world, "dispatcher", order["id"], "reject", {"reason": "不属于受理范围"}
        )
        assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "不属于受理范围")
        history = await client.get(f"{URL}/{order['id']}/events", headers=world["resident"])
        assert history.json()["items"][-1]["note"] == "不属于受理范围"

    @pytest.mark.parametrize("status", ["submitted", "triaged", "pooled", "dispatched"])
    async def test_resident_cancels_before_acceptance(
        self, client: httpx.AsyncClient, world: World, status: str
    ) -> None:
        order = await order_in(client, world, status)
        cancelled = await ok(client, world, "resident", order["id"], "cancel", {"reason": "已解决"})
        assert cancelled["status"] == "cancelled"


class TestSecond:
    async def test_neighbour_seconds_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "triaged")
        first = await ok(client, world, "neighbour", order["id"], "second")
        assert first == {"order_id": order["id"], "number": order["number"], "seconds_count": 1}
        before = await snapshot(db, order["id"])
        again = await step(client, world, "neighbour", order["id"], "second")
        assert_problem(again, 409, "order.already_seconded")
        assert await snapshot(db, order["id"]) == before
        assert (await load_order(db, order["id"])).seconds_count == 1

    async def test_own_order_cannot_be_seconded(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "submitted")
        response = await step(client, world, "resident", order["id"], "second")
        assert_problem(response, 422, "order.second_own")

    async def test_closed_order_cannot_be_seconded(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "closed")
        response = await step(client, world, "neighbour", order["id"], "second")
        assert_problem(response, 409, "order.invalid_transition")


class TestMerge:
    async def test_duplicate_joins_the_open_order_with_its_seconds(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        target = await order_in(client, world, "triaged")
        duplicate = await submit(client, world, "neighbour")
        await ok(client, world, "resident", duplicate["id"], "second")
        merged = await ok(
            client, world, "dispatcher", duplicate["id"], "merge", {"into_order_id": target["id"]}
        )
        assert (merged["status"], merged["merged_into_id"]) == ("merged", target["id"])
        survivor = await load_order(db, target["id"])
        # the duplicate's resident seconds; the survivor's own resident is not counted
        assert survivor.seconds_count == 1
        seconders = await db.scalars(
            select(OrderSecond.person_id).where(OrderSecond.order_id == target["id"])
        )
        assert list(seconders) == [world.person("neighbour").id]
        assert [e.event_type for e in await outbox(db, target["id"])][-1] == "order.seconded"

    async def test_into_a_closed_order_is_409(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        target = await order_in(client, world, "closed")
        duplicate = await submit(client, world)
        before = await snapshot(db, duplicate["id"])
        response = await step(
            client, world, "dispatcher", duplicate["id"], "merge", {"into_order_id": target["id"]}
        )
        assert_problem(response, 409, "order.merge_target_closed")
        assert await snapshot(db, duplicate["id"]) == before

    async def test_into_itself_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        duplicate = await submit(client, world)
        response = await step(
            client,
            world,
            "dispatcher",
            duplicate["id"],
            "merge",
            {"into_order_id": duplicate["id"]},
        )
        assert_problem(response, 422, "order.merge_into_itself")

    async def test_into_an_order_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        duplicate = await submit(client, world)
        other = await submit(client, world, "far_resident")
        before = await snapshot(db, duplicate["id"])
        response = await step(
            client, world, "dispatcher", duplicate["id"], "merge", {"into_order_id": other["id"]}
        )
        assert_problem(response, 404, "order.merge_target_not_found")
        assert await snapshot(db, duplicate["id"]) == before


class TestDispatch:
    async def test_member_outside_the_dispatchers_scope_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "triaged")
        body = {"kind": "member", "member_person_id": world.person("far_member").id}
        response = await step(client, world, "dispatcher", order["id"], "dispatch", body)
        assert_problem(response, 404, "order.assignee_not_found")

    async def test_a_resident_who_is_no_member_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "triaged")
        body = {"kind": "member", "member_person_id": world.person("neighbour").id}
        response = await step(client, world, "dispatcher", order["id"], "dispatch", body)
        assert_problem(response, 404, "order.assignee_not_found")

    async def test_kind_and_id_must_match(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "triaged")
        body = {"kind": "team", "member_person_id": world.person("member").id}
        response = await step(client, world, "dispatcher", order["id"], "dispatch", body)
        assert_problem(response, 422, "request.validation_failed")

    async def test_any_team_member_accepts_and_then_holds_it(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.team is not None
        order = await order_in(client, world, "triaged")
        body = {"kind": "team", "team_id": world.team.id}
        await ok(client, world, "dispatcher", order["id"], "dispatch", body)
        # member is not in the team; member2 is
        assert_problem(
            await step(client, world, "member", order["id"], "accept"), 404, "resource.not_found"
        )
        accepted = await ok(client, world, "member2", order["id"], "accept")
        assert accepted["assignee"] == {
            "kind": "team",
            "person_id": world.person("member2").id,
            "team_id": world.team.id,
            "department_id": None,
        }
        assert (await ok(client, world, "member2", order["id"], "contact"))["first_contact_at"]

    async def test_department_of_another_town_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.other_department is not None
        order = await order_in(client, world, "triaged")
        body = {"kind": "department", "department_id": world.other_department.id}
        response = await step(client, world, "dispatcher", order["id"], "dispatch", body)
        assert_problem(response, 404, "order.assignee_not_found")

    async def test_re_dispatch_moves_the_order(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "dispatched")
        body = {"kind": "member", "member_person_id": world.person("member2").id}
        moved = await ok(client, world, "dispatcher", order["id"], "dispatch", body)
        assert moved["assignee"]["person_id"] == world.person("member2").id
        gone = await client.get(f"{URL}/{order['id']}", headers=world["member"])
        assert_problem(gone, 404, "resource.not_found")


class TestDepartment:
    async def dispatch_to_department(
        self, client: httpx.AsyncClient, world: World
    ) -> dict[str, Any]:
        assert world.department is not None
        order = await order_in(client, world, "triaged")
        body = {"kind": "department", "department_id": world.department.id}
        return await ok(client, world, "dispatcher", order["id"], "dispatch", body)

    async def test_whistle_records_the_arrival_limit(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await self.dispatch_to_department(client, world)
        arrival = await db.scalar(
            select(DepartmentArrival).where(DepartmentArrival.order_id == order["id"])
        )
        assert arrival is not None and arrival.arrived_at is None
        assert arrival.due_at - arrival.whistled_at == timedelta(minutes=30)

    async def test_staff_report_in_once_and_handle_it(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await self.dispatch_to_department(client, world)
        seen = await client.get(URL, headers=world["department"])
        assert [o["id"] for o in seen.json()["items"]] == [order["id"]]
        arrived = await ok(client, world, "department", order["id"], "arrive")
        assert arrived["arrived_at"] is not None and arrived["is_late"] is False
        again = await step(client, world, "department", order["id"], "arrive")
        assert_problem(again, 409, "order.already_arrived")
        assert (await ok(client, world, "department", order["id"], "accept"))[
            "status"
        ] == "in_progress"
        await ok(client, world, "department", order["id"], "resolve", {"result": "已清理"})
        types = [e.event_type for e in await outbox(db, order["id"])]
        assert "order.department_arrived" in types

    async def test_late_arrival_is_flagged(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await self.dispatch_to_department(client, world)
        arrival = await db.scalar(
            select(DepartmentArrival).where(DepartmentArrival.order_id == order["id"])
        )
        assert arrival is not None
        arrival.due_at = arrival.whistled_at - timedelta(minutes=1)
        await db.flush()
        assert (await ok(client, world, "department", order["id"], "arrive"))["is_late"] is True

    @pytest.mark.parametrize(("who", "status"), [("outsider_department", 404), ("member", 403)])
    async def test_others_cannot_report_in(
        self, client: httpx.AsyncClient, world: World, who: str, status: int
    ) -> None:
        order = await self.dispatch_to_department(client, world)
        response = await step(client, world, who, order["id"], "arrive")
        assert response.status_code == status
        assert_problem(
            await step(client, world, "none", order["id"], "arrive"), 401, "auth.unauthenticated"
        )


class TestAcceptDeclineWork:
    async def test_decline_returns_it_unassigned_to_triage(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "dispatched")
        declined = await ok(client, world, "member", order["id"], "decline", {"reason": "外出"})
        assert (declined["status"], declined["assignee"]) == ("triaged", None)
        gone = await client.get(f"{URL}/{order['id']}", headers=world["member"])
        assert_problem(gone, 404, "resource.not_found")

    async def test_first_contact_is_kept(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "in_progress")
        first = (await ok(client, world, "member", order["id"], "contact"))["first_contact_at"]
        again = await ok(client, world, "member", order["id"], "contact", {"note": "再次联系"})
        assert again["first_contact_at"] == first
        assert again["version"] == order["version"] + 2


class TestFeedback:
    @pytest.mark.parametrize(
        ("resolved", "satisfied"), [("yes", "not"), ("partly", "satisfied"), ("no", "basically")]
    )
    async def test_unhappy_answer_reopens_to_the_same_member(
        self, client: httpx.AsyncClient, world: World, resolved: str, satisfied: str
    ) -> None:
        order = await order_in(client, world, "resolved")
        answer = {"resolved": resolved, "satisfied": satisfied, "comment": "还是不亮"}
        reopened = await ok(client, world, "resident", order["id"], "feedback", answer)
        assert (reopened["status"], reopened["rework_count"]) == ("in_progress", 1)
        assert reopened["assignee"]["person_id"] == world.person("member").id
        assert reopened["feedback"]["comment"] == "还是不亮"
        await ok(client, world, "member", order["id"], "resolve", {"result": "换了线路"})
        closed = await ok(client, world, "resident", order["id"], "feedback", FEEDBACK_HAPPY)
        assert closed["status"] == "closed"

    async def test_basically_satisfied_closes(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "resolved")
        answer = {"resolved": "yes", "satisfied": "basically"}
        assert (await ok(client, world, "resident", order["id"], "feedback", answer))[
            "status"
        ] == "closed"

    async def test_someone_elses_order_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "resolved")
        before = await snapshot(db, order["id"])
        response = await step(client, world, "neighbour", order["id"], "feedback", FEEDBACK_HAPPY)
        assert_problem(response, 404, "resource.not_found")
        assert await snapshot(db, order["id"]) == before


class TestPoolAndClaim:
    async def test_member_in_scope_sees_and_claims(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(client, world, "pooled")
        pool = await client.get(URL, params={"pool": "true"}, headers=world["member"])
        assert [o["id"] for o in pool.json()["items"]] == [order["id"]]
        claimed = await ok(client, world, "member", order["id"], "claim")
        assert claimed["status"] == "in_progress"
        assert claimed["assignee"]["person_id"] == world.person("member").id
        assert claimed["accepted_at"] is not None
        late = await step(client, world, "member2", order["id"], "claim")
        assert_problem(late, 409, "order.already_claimed")
