"""/api/v1/points: balances, statements, leaderboards, the 公示 list, manual awards
and deductions, activity awards, reversals and rule changes.

Each endpoint: 401 without a token, 403 with a role too weak, 404 outside the
caller's subtree, and the allowed case with its real effect on the database.
"""

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.integrations.models import OutboxEvent
from app.points.models import PointsPeriodTotal, PointsRule, PointsTransaction
from tests.points.ledger_support import API, World, balance_of, key, posting_sum_of, world
from tests.support.problems import assert_problem, assert_same_problem

__all__ = ["world"]


async def award(client: httpx.AsyncClient, world: World, person: str, amount: int) -> int:
    response = await client.post(
        f"{API}/adjustments",
        json={"person_id": world.people[person].id, "amount": amount, "reason": "测试发放"},
        headers=world.with_key("town_admin"),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def events_of(db: AsyncSession, event_type: str, transaction_id: int) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(OutboxEvent)
        .where(
            OutboxEvent.event_type == event_type,
            OutboxEvent.aggregate_id == str(transaction_id),
        )
    )
    return int(count or 0)


async def audits_of(db: AsyncSession, action: str, target_id: int) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.target_id == str(target_id))
    )
    return int(count or 0)


# ---------------------------------------------------------------- manual adjustments


class TestAdjustments:
    def body(self, world: World, person: str = "p1", amount: int = 20) -> dict[str, object]:
        return {"person_id": world.people[person].id, "amount": amount, "reason": "抗洪抢险"}

    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(f"{API}/adjustments", json=self.body(world), headers=key())
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_read_only_role_is_403(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{API}/adjustments", json=self.body(world), headers=world.with_key("dispatcher")
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_person_in_a_sibling_community_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(
            f"{API}/adjustments",
            json=self.body(world, "p2"),
            headers=world.with_key("admin"),
        )
        assert_problem(response, 404, "points.person_not_found")
        assert await balance_of(db, world.people["p2"].id) == 0

    async def test_award_posts_audits_and_announces(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(
            f"{API}/adjustments", json=self.body(world), headers=world.with_key("admin")
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["kind"] == "manual_award"
        assert body["reason"] == "抗洪抢险"
        legs = {leg["account_kind"]: leg for leg in body["legs"]}
        assert legs["member"]["amount"] == 20 and legs["member"]["balance_after"] == 20
        assert legs["issuance"]["amount"] == -20
        assert await balance_of(db, world.people["p1"].id) == 20
        assert await events_of(db, "points.awarded", body["id"]) == 1
        assert await audits_of(db, "points.award", body["id"]) == 1
        summary = await db.scalar(
            select(AuditEvent.summary).where(AuditEvent.target_id == str(body["id"]))
        )
        assert summary is not None and "张三丰" not in summary

    async def test_deduction_lowers_the_balance(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await award(client, world, "p1", 30)
        response = await client.post(
            f"{API}/adjustments",
            json=self.body(world, amount=-12),
            headers=world.with_key("town_admin"),
        )
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == "manual_deduction"
        assert await balance_of(db, world.people["p1"].id) == 18
        assert await events_of(db, "points.deducted", response.json()["id"]) == 1

    async def test_deduction_beyond_the_balance_is_409(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await award(client, world, "p1", 10)
        response = await client.post(
            f"{API}/adjustments",
            json=self.body(world, amount=-11),
            headers=world.with_key("town_admin"),
        )
        assert_problem(response, 409, "points.insufficient_balance")
        assert await balance_of(db, world.people["p1"].id) == 10

    async def test_idempotency_key_is_required(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            f"{API}/adjustments", json=self.body(world), headers=world["town_admin"]
        )
        assert_problem(response, 400, "idempotency.key_required")

    async def test_replay_returns_the_first_transaction_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        headers = world.with_key("town_admin")
        first = await client.post(f"{API}/adjustments", json=self.body(world), headers=headers)
        again = await client.post(f"{API}/adjustments", json=self.body(world), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await balance_of(db, world.people["p1"].id) == 20
        other = await client.post(
            f"{API}/adjustments", json=self.body(world, amount=5), headers=headers
        )
        assert_problem(other, 422, "idempotency.key_reused")

    async def test_zero_and_missing_reason_are_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        zero = await client.post(
            f"{API}/adjustments",
            json=self.body(world, amount=0),
            headers=world.with_key("town_admin"),
        )
        assert zero.status_code == 422
        no_reason = await client.post(
            f"{API}/adjustments",
            json={"person_id": world.people["p1"].id, "amount": 5},
            headers=world.with_key("town_admin"),
        )
        assert no_reason.status_code == 422


# ---------------------------------------------------------------- activity awards


class TestActivityAwards:
    def body(self, world: World, person: str = "p1", ref: str = "ACT-1") -> dict[str, object]:
        return {
            "person_id": world.people[person].id,
            "activity_type": "volunteer_service",
            "activity_ref": ref,
        }

    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(f"{API}/activity-awards", json=self.body(world))
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_read_only_role_is_403(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{API}/activity-awards", json=self.body(world), headers=world["grid_worker"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_other_town_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{API}/activity-awards", json=self.body(world), headers=world["other_town_admin"]
        )
        assert_problem(response, 404, "points.person_not_found")

    async def test_awards_by_rule_once_per_activity_and_person(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        first = await client.post(
            f"{API}/activity-awards", json=self.body(world), headers=world["admin"]
        )
        assert first.status_code == 201, first.text
        assert first.json()["kind"] == "activity_award"
        assert first.json()["data"]["awarded"] == 10
        again = await client.post(
            f"{API}/activity-awards", json=self.body(world), headers=world["town_admin"]
        )
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert await balance_of(db, world.people["p1"].id) == 10
        another = await client.post(
            f"{API}/activity-awards",
            json=self.body(world, ref="ACT-2"),
            headers=world["admin"],
        )
        assert another.status_code == 201
        assert await balance_of(db, world.people["p1"].id) == 20

    async def test_unknown_activity_type_is_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {**self.body(world), "activity_type": "karaoke"}
        response = await client.post(f"{API}/activity-awards", json=body, headers=world["admin"])
        assert_problem(response, 422, "points.unknown_activity_type")

    async def test_nothing_left_under_the_cap_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await award(client, world, "p1", 100)  # the default daily cap is 100
        response = await client.post(
            f"{API}/activity-awards", json=self.body(world), headers=world["admin"]
        )
        assert_problem(response, 422, "points.cap_reached")
        assert await balance_of(db, world.people["p1"].id) == 100


# ---------------------------------------------------------------- reversal


class TestReversal:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(f"{API}/transactions/1/reverse", json={"reason": "x"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_read_only_role_is_403(self, client: httpx.AsyncClient, world: World) -> None:
        txn = await award(client, world, "p1", 10)
        response = await client.post(
            f"{API}/transactions/{txn}/reverse", json={"reason": "x"}, headers=world["dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        txn = await award(client, world, "p1", 10)
        response = await client.post(
            f"{API}/transactions/{txn}/reverse",
            json={"reason": "x"},
            headers=world["other_town_admin"],
        )
        assert_problem(response, 404, "points.transaction_not_found")
        assert await balance_of(db, world.people["p1"].id) == 10

    async def test_reverses_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        txn = await award(client, world, "p1", 10)
        url = f"{API}/transactions/{txn}/reverse"
        first = await client.post(url, json={"reason": "误发"}, headers=world["admin"])
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["kind"] == "reversal" and body["reversal_of_id"] == txn
        assert {leg["amount"] for leg in body["legs"]} == {10, -10}
        assert await balance_of(db, world.people["p1"].id) == 0
        assert await posting_sum_of(db, world.people["p1"].id) == 0
        assert await events_of(db, "points.reversed", body["id"]) == 1
        assert await audits_of(db, "points.reverse", body["id"]) == 1
        earned = await db.scalar(
            select(PointsPeriodTotal.earned).where(PointsPeriodTotal.period == "month")
        )
        assert earned == 0
        again = await client.post(url, json={"reason": "误发"}, headers=world["town_admin"])
        assert_problem(again, 409, "points.already_reversed")
        of_reversal = await client.post(
            f"{API}/transactions/{body['id']}/reverse",
            json={"reason": "x"},
            headers=world["town_admin"],
        )
        assert_problem(of_reversal, 409, "points.not_reversible")

    async def test_replay_with_the_same_key_returns_the_reversal(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        txn = await award(client, world, "p1", 10)
        headers = world.with_key("town_admin")
        url = f"{API}/transactions/{txn}/reverse"
        first = await client.post(url, json={"reason": "误发"}, headers=headers)
        again = await client.post(url, json={"reason": "误发"}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]

    async def test_refused_when_the_points_are_gone(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        txn = await award(client, world, "p1", 10)
        await award(client, world, "p1", -8)
        response = await client.post(
            f"{API}/transactions/{txn}/reverse", json={"reason": "x"}, headers=world["town_admin"]
        )
        assert_problem(response, 409, "points.insufficient_balance")
        assert await balance_of(db, world.people["p1"].id) == 2
        reversals = await db.scalar(
            select(func.count())
            .select_from(PointsTransaction)
            .where(PointsTransaction.reversal_of_id == txn)
        )
        assert reversals == 0

    async def test_unknown_transaction_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            f"{API}/transactions/999999999/reverse",
            json={"reason": "x"},
            headers=world["superuser"],
        )
        assert_problem(response, 404, "points.transaction_not_found")


# ---------------------------------------------------------------- reading


class TestAccount:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{API}/accounts/{world.people['p1'].id}")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_points_read_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{API}/accounts/{world.people['p1'].id}", headers=world["resident"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        for caller, person in (("admin", "p2"), ("grid_worker", "p2")):
            response = await client.get(
                f"{API}/accounts/{world.people[person].id}", headers=world[caller]
            )
            assert_problem(response, 404, "points.person_not_found")

    async def test_balance_and_totals(self, client: httpx.AsyncClient, world: World) -> None:
        await award(client, world, "p1", 30)
        await award(client, world, "p1", -5)
        response = await client.get(
            f"{API}/accounts/{world.people['p1'].id}", headers=world["grid_worker"]
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["balance"] == 25
        for period in ("month", "quarter", "year"):
            assert body[period]["earned"] == 25 and body[period]["spent"] == 0
        assert body["all_time"] == {"earned": 25, "spent": 0}
        assert body["month"]["period_start"].endswith("-01")

    async def test_person_without_account_reads_zero(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{API}/accounts/{world.people['p4'].id}", headers=world["admin"]
        )
        assert response.status_code == 200
        assert response.json()["account_id"] is None
        assert response.json()["balance"] == 0

    async def test_member_reads_own_account_without_points_read(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await award(client, world, "p1", 7)
        own = await client.get(f"{API}/accounts/{world.people['p1'].id}", headers=world["member"])
        assert own.status_code == 200 and own.json()["balance"] == 7
        me = await client.get(f"{API}/me", headers=world["member"])
        assert me.status_code == 200 and me.json() == own.json()
        other = await client.get(f"{API}/accounts/{world.people['p4'].id}", headers=world["member"])
        assert_problem(other, 403, "auth.forbidden")


class TestMe:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        for path in ("/me", "/me/statement"):
            assert_problem(await client.get(f"{API}{path}"), 401, "auth.unauthenticated")

    async def test_account_without_person_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for path in ("/me", "/me/statement"):
            response = await client.get(f"{API}{path}", headers=world["unlinked"])
            assert_problem(response, 404, "points.no_linked_person")

    async def test_own_statement(self, client: httpx.AsyncClient, world: World) -> None:
        await award(client, world, "p1", 7)
        response = await client.get(f"{API}/me/statement", headers=world["member"])
        assert response.status_code == 200
        assert [item["amount"] for item in response.json()["items"]] == [7]


class TestStatement:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{API}/accounts/{world.people['p1'].id}/statement")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_points_read_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{API}/accounts/{world.people['p1'].id}/statement", headers=world["resident"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_other_town_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            f"{API}/accounts/{world.people['p1'].id}/statement", headers=world["other_town_admin"]
        )
        assert_problem(response, 404, "points.person_not_found")

    async def test_pages_newest_first_with_running_balance(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        amounts = [10, 5, -3, 20, -7]
        for amount in amounts:
            await award(client, world, "p1", amount)
        url = f"{API}/accounts/{world.people['p1'].id}/statement"
        seen: list[dict[str, object]] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            response = await client.get(url, params=params, headers=world["dispatcher"])
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 2
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [item["amount"] for item in seen] == list(reversed(amounts))
        running, expected = 0, []
        for amount in amounts:
            running += amount
            expected.append(running)
        assert [item["balance_after"] for item in seen] == list(reversed(expected))
        assert page["balance"] == 25
        kinds = {item["kind"] for item in seen}
        assert kinds == {"manual_award", "manual_deduction"}

    async def test_bad_cursor_is_400(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            f"{API}/accounts/{world.people['p1'].id}/statement",
            params={"cursor": "not-a-cursor"},
            headers=world["town_admin"],
        )
        assert_problem(response, 400, "request.invalid_cursor")


class TestTransaction:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(f"{API}/transactions/1"), 401, "auth.unauthenticated")

    async def test_others_transaction_without_points_read_reads_like_a_missing_one(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        txn = await award(client, world, "p1", 5)
        theirs, missing = [
            await client.get(f"{API}/transactions/{txn_id}", headers=world["resident"])
            for txn_id in (txn, txn + 1_000_000)
        ]
        assert_same_problem(theirs, missing, 404, "points.transaction_not_found")

    async def test_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        txn = await award(client, world, "p1", 5)
        response = await client.get(f"{API}/transactions/{txn}", headers=world["other_town_admin"])
        assert_problem(response, 404, "points.transaction_not_found")

    async def test_owner_and_staff_read_it(self, client: httpx.AsyncClient, world: World) -> None:
        txn = await award(client, world, "p1", 5)
        for caller in ("member", "grid_worker"):
            response = await client.get(f"{API}/transactions/{txn}", headers=world[caller])
            assert response.status_code == 200, response.text
            assert response.json()["id"] == txn


class TestLeaderboard:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{API}/leaderboard", params={"unit_id": 1})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_points_read_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{API}/leaderboard",
            params={"unit_id": world.units["c1"].id},
            headers=world["member"],
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_unit_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        for caller, unit in (("grid_worker", "c1"), ("admin", "c2")):
            response = await client.get(
                f"{API}/leaderboard",
                params={"unit_id": world.units[unit].id},
                headers=world[caller],
            )
            assert_problem(response, 404, "points.unit_not_found")

    async def test_ranks_the_subtree_by_earned(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await award(client, world, "p1", 30)
        await award(client, world, "p4", 50)
        await award(client, world, "p2", 70)  # community c2: not in c1's board
        board = await client.get(
            f"{API}/leaderboard",
            params={"unit_id": world.units["c1"].id, "period": "month", "limit": 1},
            headers=world["admin"],
        )
        assert board.status_code == 200, board.text
        first = board.json()
        assert [(i["person_id"], i["earned"], i["position"]) for i in first["items"]] == [
            (world.people["p4"].id, 50, 1)
        ]
        second = await client.get(
            f"{API}/leaderboard",
            params={"unit_id": world.units["c1"].id, "cursor": first["next_cursor"], "limit": 1},
            headers=world["admin"],
        )
        assert [(i["person_id"], i["position"]) for i in second.json()["items"]] == [
            (world.people["p1"].id, 2)
        ]
        assert second.json()["next_cursor"] is None
        town = await client.get(
            f"{API}/leaderboard",
            params={"unit_id": world.units["town"].id, "period": "year"},
            headers=world["town_admin"],
        )
        assert [i["earned"] for i in town.json()["items"]] == [70, 50, 30]

    async def test_another_period_is_empty(self, client: httpx.AsyncClient, world: World) -> None:
        await award(client, world, "p1", 30)
        response = await client.get(
            f"{API}/leaderboard",
            params={"unit_id": world.units["town"].id, "date": "2001-05-05"},
            headers=world["town_admin"],
        )
        assert response.status_code == 200
        assert response.json()["period_start"] == "2001-05-01"
        assert response.json()["items"] == []


class TestPublicList:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{API}/public-list", params={"unit_id": 1})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_points_read_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{API}/public-list", params={"unit_id": world.units["c1"].id}, headers=world["member"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_other_town_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            f"{API}/public-list",
            params={"unit_id": world.units["c1"].id},
            headers=world["other_town_admin"],
        )
        assert_problem(response, 404, "points.unit_not_found")

    async def test_masks_names(self, client: httpx.AsyncClient, world: World) -> None:
        await award(client, world, "p1", 30)
        await award(client, world, "p1", -10)
        response = await client.get(
            f"{API}/public-list",
            params={"unit_id": world.units["c1"].id, "period": "quarter"},
            headers=world["admin"],
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["unit_name"] == "红星社区"
        assert body["items"] == [
            {"position": 1, "name": "张*丰", "earned": 20, "spent": 0, "balance": 20}
        ]
        assert body["period_start"] < body["period_end"]
        assert "张三丰" not in response.text


# ---------------------------------------------------------------- rules


class TestRules:
    async def test_no_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{API}/rules", json={"kind": "cap_daily", "points": 50, "town_id": 1}
        )
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_points_rules_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            f"{API}/rules",
            json={"kind": "cap_daily", "points": 50, "town_id": world.units["town"].id},
            headers=world["admin"],
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_other_town_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{API}/rules",
            json={"kind": "cap_daily", "points": 50, "town_id": world.units["town"].id},
            headers=world["other_town_admin"],
        )
        assert_problem(response, 404, "points.town_not_found")

    async def test_default_rules_need_a_superuser(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            f"{API}/rules", json={"kind": "cap_daily", "points": 50}, headers=world["town_admin"]
        )
        assert_problem(response, 403, "points.default_rules_superuser_only")
        allowed = await client.post(
            f"{API}/rules", json={"kind": "cap_daily", "points": 50}, headers=world["superuser"]
        )
        assert allowed.status_code == 201, allowed.text
        assert allowed.json()["previous"]["points"] == 100

    async def test_change_closes_the_version_in_force(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        town = world.units["town"].id
        body = {"kind": "activity_type", "key": "training", "points": 8, "town_id": town}
        first = await client.post(f"{API}/rules", json=body, headers=world["town_admin"])
        assert first.status_code == 201, first.text
        assert first.json()["previous"] is None  # the default stays for other towns
        second = await client.post(
            f"{API}/rules", json={**body, "points": 9}, headers=world["town_admin"]
        )
        assert second.json()["previous"]["id"] == first.json()["current"]["id"]
        assert second.json()["previous"]["valid_to"] is not None
        open_versions = await db.scalar(
            select(func.count())
            .select_from(PointsRule)
            .where(
                PointsRule.kind == "activity_type",
                PointsRule.key == "training",
                PointsRule.valid_to.is_(None),
            )
        )
        assert open_versions == 2  # the town's newest and the default
        awarded = await client.post(
            f"{API}/activity-awards",
            json={
                "person_id": world.people["p1"].id,
                "activity_type": "training",
                "activity_ref": "T-1",
            },
            headers=world["town_admin"],
        )
        assert awarded.json()["data"]["awarded"] == 9
        audit = await db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "points.rule_change")
        )
        assert audit == 2

    async def test_keyed_rule_needs_a_key(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{API}/rules",
            json={"kind": "order_category", "points": 3, "town_id": world.units["town"].id},
            headers=world["town_admin"],
        )
        assert_problem(response, 422, "points.rule_key_required")
