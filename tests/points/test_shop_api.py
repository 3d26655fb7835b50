"""/api/v1/rewards: the community shop (爱心超市) — rewards, redeeming, pickup, cancel.

Each endpoint: 401 without a token, 403 with a role too weak, 404 outside the
caller's subtree, and the allowed case with its real effect on the database.
"""

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import OutboxEvent
from app.points import accounts, ledger
from app.points.models import (
    PointsAccount,
    PointsPeriodTotal,
    PointsPosting,
    PointsTransaction,
    Redemption,
    Reward,
)
from tests.support.factory import bearer, make_person, make_user
from tests.support.problems import assert_problem
from tests.support.world import World as BaseWorld
from tests.support.world import build_world, callers

URL = "/api/v1/rewards"
PICKUP = re.compile(r"^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$")
_funding = itertools.count(1)


async def fund(db: AsyncSession, person_id: int, points: int) -> int:
    """Award ``points`` to a person through the ledger; returns their account id."""
    member = await accounts.member_account(db, person_id)
    town = await accounts.town_accounts(db, member.town_id)
    await ledger.post_transaction(
        db,
        txn_key=f"test-fund:{person_id}:{next(_funding)}",
        kind="manual_award",
        town_id=member.town_id,
        legs=[ledger.Leg(town.issuance_id, -points), ledger.Leg(member.id, points)],
        bucket="earned",
        reason="test funding",
    )
    return member.id


async def balance(db: AsyncSession, person_id: int) -> int:
    value = await db.scalar(
        select(PointsAccount.balance)
        .where(PointsAccount.person_id == person_id)
        .execution_options(populate_existing=True)
    )
    return int(value or 0)


async def stock(db: AsyncSession, reward_id: int) -> int:
    value = await db.scalar(
        select(Reward.stock).where(Reward.id == reward_id).execution_options(populate_existing=True)
    )
    assert value is not None
    return int(value)


async def audit_count(db: AsyncSession, action: str, target_id: int) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.target_id == str(target_id))
    )
    return int(count or 0)


async def make_reward(db: AsyncSession, unit: OrgUnit, **fields: Any) -> Reward:
    values: dict[str, Any] = {"name": f"奖品@{unit.name}", "price_points": 30, "stock": 5}
    values.update(fields)
    reward = Reward(
        org_unit_id=unit.id, town_id=unit.town_id, community_id=unit.community_id, **values
    )
    db.add(reward)
    await db.flush()
    return reward


@dataclass
class World(BaseWorld):
    rewards: dict[str, Reward] = field(default_factory=dict)


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    world = await build_world(db, settings, callers(without=("member",)), kind=World)
    units = world.units
    # Members hold points.redeem at their household or building, below the shops.
    for name, home in (("member", units["h1"]), ("member2", units["b2"])):
        world.people[name] = await make_person(db, home)
        await world.sign_up(db, settings, name, ("member", home), person_id=world.people[name].id)
    await world.sign_up(db, settings, "member_no_person", ("member", units["h1"]))
    world.rewards = {
        "town": await make_reward(db, units["town"], name="镇大米"),
        "c1": await make_reward(db, units["c1"], name="红星食用油"),
        "c2": await make_reward(db, units["c2"], name="东方洗衣粉"),
        "other": await make_reward(db, units["oc"], name="西湖毛巾"),
    }
    return world


def reward_body(unit: OrgUnit, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "org_unit_id": unit.id,
        "name": "大米 5kg",
        "description": "东北大米一袋",
        "price_points": 50,
        "stock": 20,
    }
    body.update(fields)
    return body


async def redeem(
    client: httpx.AsyncClient, world: World, reward: str, caller: str = "member", **headers: str
) -> httpx.Response:
    return await client.post(
        f"{URL}/{world.rewards[reward].id}/redeem", headers={**world[caller], **headers}
    )


async def redeemed(client: httpx.AsyncClient, world: World, reward: str = "c1") -> dict[str, Any]:
    response = await redeem(client, world, reward)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# ---------------------------------------------------------------- rewards


class TestCreateReward:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(URL, json=reward_body(world.units["c1"]))
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["member", "dispatcher", "grid_worker", "resident"])
    async def test_without_rewards_manage_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, caller: str
    ) -> None:
        response = await client.post(
            URL, json=reward_body(world.units["c1"]), headers=world[caller]
        )
        assert_problem(response, 403, "auth.forbidden")
        assert await db.scalar(select(func.count()).select_from(Reward)) == 4

    @pytest.mark.parametrize("caller", ["sibling", "other_town_admin"])
    async def test_unit_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        response = await client.post(
            URL, json=reward_body(world.units["c1"]), headers=world[caller]
        )
        assert_problem(response, 404, "reward.unit_not_found")

    @pytest.mark.parametrize("level", ["g1", "h1"])
    async def test_shop_below_community_is_refused(
        self, client: httpx.AsyncClient, world: World, level: str
    ) -> None:
        response = await client.post(
            URL, json=reward_body(world.units[level]), headers=world["town_admin"]
        )
        assert_problem(response, 422, "reward.invalid_unit")

    async def test_community_admin_creates_with_ancestors_and_audit(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = reward_body(
            world.units["c1"],
            active_from="2026-12-01T00:00:00+08:00",
            active_to="2027-01-01T00:00:00+08:00",
        )
        response = await client.post(URL, json=body, headers=world["admin"])
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == 'W/"1"'
        assert response.headers["location"] == f"{URL}/{created['id']}"
        assert created["stock"] == 20
        assert created["price_points"] == 50
        assert created["is_active"] is True
        row = await db.get(Reward, created["id"])
        assert row is not None
        c1 = world.units["c1"]
        assert (row.org_unit_id, row.town_id, row.community_id) == (c1.id, c1.town_id, c1.id)
        assert row.grid_id is None
        assert row.active_from == datetime(2026, 11, 30, 16, tzinfo=UTC)
        assert await audit_count(db, "reward.create", created["id"]) == 1

    async def test_town_admin_creates_at_town(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            URL, json=reward_body(world.units["town"]), headers=world["town_admin"]
        )
        assert response.status_code == 201, response.text
        assert response.json()["community_id"] is None

    @pytest.mark.parametrize(
        "fields",
        [
            {"price_points": 0},
            {"stock": -1},
            {"name": ""},
            {"name": "x" * 101},
            {"unknown": 1},
            {"active_from": "2026-12-01T00:00:00"},
            {"active_from": "2027-01-01T00:00:00+08:00", "active_to": "2026-12-01T00:00:00+08:00"},
        ],
    )
    async def test_invalid_payload_is_422(
        self, client: httpx.AsyncClient, world: World, fields: dict[str, Any]
    ) -> None:
        response = await client.post(
            URL, json=reward_body(world.units["c1"], **fields), headers=world["admin"]
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_idempotency_key_creates_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": "create-rice-1"}
        first = await client.post(URL, json=reward_body(world.units["c1"]), headers=headers)
        second = await client.post(URL, json=reward_body(world.units["c1"]), headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await db.scalar(select(func.count()).select_from(Reward)) == 5
        other = await client.post(
            URL, json=reward_body(world.units["c1"], stock=3), headers=headers
        )
        assert_problem(other, 422, "idempotency.key_reused")


class TestListRewards:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    async def test_without_any_shop_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert_problem(await client.get(URL, headers=world["resident"]), 403, "auth.forbidden")

    @pytest.mark.parametrize(
        ("caller", "expected"),
        [
            ("admin", ["c1"]),
            ("sibling", ["c2"]),
            ("dispatcher", ["c1"]),
            ("town_admin", ["town", "c1", "c2"]),
            ("other_town_admin", ["other"]),
            # A member's grant sits at the household: the shops of its community and town.
            ("member", ["town", "c1"]),
            ("member2", ["town", "c2"]),
            ("superuser", ["town", "c1", "c2", "other"]),
        ],
    )
    async def test_each_caller_sees_its_shops(
        self, client: httpx.AsyncClient, world: World, caller: str, expected: list[str]
    ) -> None:
        response = await client.get(URL, headers=world[caller])
        assert response.status_code == 200, response.text
        ids = [item["id"] for item in response.json()["items"]]
        assert ids == sorted((world.rewards[key].id for key in expected), reverse=True)

    async def test_filters_and_keyset_pages(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        c1 = world.units["c1"]
        past = datetime.now(UTC) - timedelta(days=2)
        await make_reward(db, c1, name="已下架", is_active=False)
        await make_reward(db, c1, name="已过期", active_to=past)
        await make_reward(db, c1, name="未开始", active_from=datetime.now(UTC) + timedelta(days=1))
        headers = world["town_admin"]
        shop = await client.get(URL, params={"unit_id": c1.id}, headers=headers)
        assert len(shop.json()["items"]) == 4
        offer = await client.get(
            URL, params={"unit_id": c1.id, "active_only": True}, headers=headers
        )
        assert [item["id"] for item in offer.json()["items"]] == [world.rewards["c1"].id]
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(URL, params=params, headers=headers)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 6
        assert seen == sorted(seen, reverse=True)
        bad = await client.get(URL, params={"cursor": "%%%"}, headers=headers)
        assert_problem(bad, 400, "request.invalid_cursor")


class TestGetReward:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{URL}/{world.rewards['c1'].id}")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_any_shop_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(f"{URL}/{world.rewards['c1'].id}", headers=world["resident"])
        assert_problem(response, 403, "auth.forbidden")

    @pytest.mark.parametrize(("caller", "reward"), [("sibling", "c1"), ("member", "c2")])
    async def test_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, caller: str, reward: str
    ) -> None:
        response = await client.get(f"{URL}/{world.rewards[reward].id}", headers=world[caller])
        assert_problem(response, 404, "reward.not_found")

    @pytest.mark.parametrize(("caller", "reward"), [("admin", "c1"), ("member", "town")])
    async def test_in_scope_with_etag(
        self, client: httpx.AsyncClient, world: World, caller: str, reward: str
    ) -> None:
        response = await client.get(f"{URL}/{world.rewards[reward].id}", headers=world[caller])
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"1"'
        assert response.json()["name"] == world.rewards[reward].name


class TestUpdateReward:
    def url(self, world: World, reward: str = "c1") -> str:
        return f"{URL}/{world.rewards[reward].id}"

    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(self.url(world), json={"name": "x"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_member_is_403(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            self.url(world), json={"name": "x"}, headers={**world["member"], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            self.url(world), json={"name": "x"}, headers={**world["sibling"], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 404, "reward.not_found")

    async def test_if_match_required_and_checked(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        missing = await client.patch(self.url(world), json={"name": "x"}, headers=world["admin"])
        assert_problem(missing, 428, "resource.version_required")
        stale = await client.patch(
            self.url(world), json={"name": "x"}, headers={**world["admin"], "If-Match": 'W/"7"'}
        )
        assert_problem(stale, 412, "resource.version_mismatch")

    async def test_updates_bumps_version_and_audits(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        reward = world.rewards["c1"]
        body = {"price_points": 45, "description": None, "is_active": False}
        response = await client.patch(
            self.url(world), json=body, headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"2"'
        result = response.json()
        assert (result["price_points"], result["is_active"], result["version"]) == (45, False, 2)
        await db.refresh(reward)
        assert (reward.price_points, reward.is_active, reward.stock) == (45, False, 5)
        assert await audit_count(db, "reward.update", reward.id) == 1
        again = await client.patch(
            self.url(world), json={"name": "y"}, headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        assert_problem(again, 412, "resource.version_mismatch")

    async def test_window_must_stay_ordered(self, client: httpx.AsyncClient, world: World) -> None:
        headers = {**world["admin"], "If-Match": 'W/"1"'}
        first = await client.patch(
            self.url(world), json={"active_from": "2027-01-01T00:00:00+08:00"}, headers=headers
        )
        assert first.status_code == 200, first.text
        headers["If-Match"] = 'W/"2"'
        response = await client.patch(
            self.url(world), json={"active_to": "2026-12-01T00:00:00+08:00"}, headers=headers
        )
        assert_problem(response, 422, "reward.invalid_window")

    @pytest.mark.parametrize("body", [{"name": None}, {"stock": 100}, {"price_points": -1}])
    async def test_invalid_patch_is_422(
        self, client: httpx.AsyncClient, world: World, body: dict[str, Any]
    ) -> None:
        response = await client.patch(
            self.url(world), json=body, headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 422, "request.validation_failed")


class TestRestockReward:
    def url(self, world: World, reward: str = "c1") -> str:
        return f"{URL}/{world.rewards[reward].id}/restock"

    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(self.url(world), json={"quantity": 3})
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["member", "grid_worker"])
    async def test_without_rewards_manage_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        response = await client.post(self.url(world), json={"quantity": 3}, headers=world[caller])
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(
            self.url(world), json={"quantity": 3}, headers=world["sibling"]
        )
        assert_problem(response, 404, "reward.not_found")
        assert await stock(db, world.rewards["c1"].id) == 5

    async def test_adds_stock_and_audits(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(self.url(world), json={"quantity": 3}, headers=world["admin"])
        assert response.status_code == 200, response.text
        assert response.json()["stock"] == 8
        assert await stock(db, world.rewards["c1"].id) == 8
        assert await audit_count(db, "reward.restock", world.rewards["c1"].id) == 1

    async def test_replayed_key_restocks_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": "restock-1"}
        for _ in range(2):
            response = await client.post(self.url(world), json={"quantity": 3}, headers=headers)
            assert response.status_code == 200
        assert await stock(db, world.rewards["c1"].id) == 8

    @pytest.mark.parametrize("quantity", [0, -2, 100_001])
    async def test_quantity_out_of_range_is_422(
        self, client: httpx.AsyncClient, world: World, quantity: int
    ) -> None:
        response = await client.post(
            self.url(world), json={"quantity": quantity}, headers=world["admin"]
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_stock_beyond_maximum_is_refused(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        world.rewards["c1"].stock = 999_999
        await db.flush()
        response = await client.post(self.url(world), json={"quantity": 2}, headers=world["admin"])
        assert_problem(response, 422, "reward.stock_too_large")
        assert await stock(db, world.rewards["c1"].id) == 999_999


# ---------------------------------------------------------------- redeeming


class TestRedeem:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(f"{URL}/{world.rewards['c1'].id}/redeem")
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["admin", "town_admin", "grid_worker", "resident"])
    async def test_without_points_redeem_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        assert_problem(await redeem(client, world, "c1", caller), 403, "auth.forbidden")

    @pytest.mark.parametrize("reward", ["c2", "other"])
    async def test_shop_of_another_community_or_town_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, reward: str
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        assert_problem(await redeem(client, world, reward), 404, "reward.not_found")
        assert await stock(db, world.rewards[reward].id) == 5

    async def test_account_without_person_is_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await redeem(client, world, "c1", "member_no_person")
        assert_problem(response, 404, "points.no_linked_person")

    @pytest.mark.parametrize("reward", ["c1", "town"])
    async def test_debits_points_takes_stock_and_gives_pickup_code(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, reward: str
    ) -> None:
        person_id = world.people["member"].id
        account_id = await fund(db, person_id, 100)
        response = await redeem(client, world, reward)
        assert response.status_code == 201, response.text
        body = response.json()
        assert PICKUP.match(body["pickup_code"]), body
        assert body["status"] == "pending_pickup"
        assert (body["points"], body["person_id"]) == (30, person_id)
        assert body["reward_name"] == world.rewards[reward].name
        assert response.headers["location"] == f"{URL}/redemptions/{body['id']}"
        assert await balance(db, person_id) == 70
        assert await stock(db, world.rewards[reward].id) == 4
        redemption = await db.get(Redemption, body["id"])
        assert redemption is not None
        assert (redemption.grid_id, redemption.household_id) == (
            world.units["g1"].id,
            world.units["h1"].id,
        )
        txn = await db.get(PointsTransaction, body["transaction_id"])
        assert txn is not None
        assert (txn.kind, txn.town_id) == ("redemption", world.units["town"].id)
        legs = (
            await db.execute(
                select(PointsPosting.account_id, PointsPosting.amount, PointsPosting.balance_after)
                .where(PointsPosting.transaction_id == txn.id)
                .order_by(PointsPosting.amount)
            )
        ).all()
        shop_account = (await accounts.town_accounts(db, world.units["town"].id)).redemption_id
        assert [tuple(leg) for leg in legs] == [(account_id, -30, 70), (shop_account, 30, None)]
        spent = await db.scalar(
            select(PointsPeriodTotal.spent).where(
                PointsPeriodTotal.account_id == account_id, PointsPeriodTotal.period == "month"
            )
        )
        assert spent == 30
        event = await db.scalar(
            select(OutboxEvent).where(
                OutboxEvent.event_type == "points.redeemed",
                OutboxEvent.aggregate_id == str(body["id"]),
            )
        )
        assert event is not None
        assert event.payload["transaction_id"] == txn.id
        assert event.payload["status"] == "pending_pickup"
        assert "pickup_code" not in event.payload
        assert await audit_count(db, "redemption.create", body["id"]) == 1

    async def test_insufficient_points_is_409_and_keeps_stock(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 29)
        response = await redeem(client, world, "c1")
        assert_problem(response, 409, "points.insufficient_balance")
        assert await balance(db, world.people["member"].id) == 29
        assert await stock(db, world.rewards["c1"].id) == 5
        assert await db.scalar(select(func.count()).select_from(Redemption)) == 0

    async def test_member_who_never_earned_is_409(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        assert_problem(await redeem(client, world, "c1"), 409, "points.insufficient_balance")
        assert await stock(db, world.rewards["c1"].id) == 5

    async def test_out_of_stock_is_409(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        world.rewards["c1"].stock = 0
        await db.flush()
        assert_problem(await redeem(client, world, "c1"), 409, "reward.out_of_stock")
        assert await balance(db, world.people["member"].id) == 100

    @pytest.mark.parametrize(
        "fields",
        [
            {"is_active": False},
            {"active_from": datetime.now(UTC) + timedelta(hours=1)},
            {"active_to": datetime.now(UTC) - timedelta(hours=1)},
        ],
        ids=["inactive", "not_yet", "expired"],
    )
    async def test_reward_not_on_offer_is_409(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, fields: dict[str, Any]
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        reward = world.rewards["c1"]
        for name, value in fields.items():
            setattr(reward, name, value)
        await db.flush()
        assert_problem(await redeem(client, world, "c1"), 409, "reward.inactive")
        assert await balance(db, world.people["member"].id) == 100
        assert await stock(db, reward.id) == 5

    async def test_inside_window_is_allowed(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        reward = world.rewards["c1"]
        reward.active_from = datetime.now(UTC) - timedelta(hours=1)
        reward.active_to = datetime.now(UTC) + timedelta(hours=1)
        await db.flush()
        assert (await redeem(client, world, "c1")).status_code == 201

    async def test_same_key_pays_once_and_replays(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        first = await redeem(client, world, "c1", **{"Idempotency-Key": "buy-oil-1"})
        second = await redeem(client, world, "c1", **{"Idempotency-Key": "buy-oil-1"})
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await balance(db, world.people["member"].id) == 70
        assert await stock(db, world.rewards["c1"].id) == 4
        txn = await db.get(PointsTransaction, first.json()["transaction_id"])
        assert txn is not None
        assert txn.txn_key.endswith(":buy-oil-1")
        other = await redeem(client, world, "town", **{"Idempotency-Key": "buy-oil-1"})
        assert_problem(other, 422, "idempotency.key_reused")

    async def test_without_key_each_request_is_a_purchase(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        for _ in range(3):
            assert (await redeem(client, world, "c1")).status_code == 201
        assert_problem(await redeem(client, world, "c1"), 409, "points.insufficient_balance")
        assert await balance(db, world.people["member"].id) == 10
        assert await stock(db, world.rewards["c1"].id) == 2


# ---------------------------------------------------------------- redemptions


class TestListRedemptions:
    RURL = f"{URL}/redemptions"

    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(self.RURL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["dispatcher", "resident"])
    async def test_without_handover_or_redeem_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        assert_problem(await client.get(self.RURL, headers=world[caller]), 403, "auth.forbidden")

    async def test_members_see_their_own_and_staff_their_scope(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        await fund(db, world.people["member2"].id, 100)
        mine = await redeemed(client, world, "c1")
        town_one = await redeemed(client, world, "town")
        response = await client.post(
            f"{URL}/{world.rewards['c2'].id}/redeem", headers=world["member2"]
        )
        theirs = response.json()

        async def ids(caller: str, **params: Any) -> list[int]:
            response = await client.get(self.RURL, params=params, headers=world[caller])
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await ids("member") == [town_one["id"], mine["id"]]
        assert await ids("member2") == [theirs["id"]]
        # By the member's place (h1 in c1 / g1) and by the shop (c1).
        assert await ids("admin") == [town_one["id"], mine["id"]]
        assert await ids("grid_worker") == [town_one["id"], mine["id"]]
        assert await ids("sibling") == [theirs["id"]]
        assert await ids("town_admin") == [theirs["id"], town_one["id"], mine["id"]]
        assert await ids("other_town_admin") == []
        assert await ids("admin", reward_id=world.rewards["c1"].id) == [mine["id"]]
        assert await ids("member", status="handed_over") == []
        page = (await client.get(self.RURL, params={"limit": 1}, headers=world["member"])).json()
        assert [item["id"] for item in page["items"]] == [town_one["id"]]
        rest = await client.get(
            self.RURL, params={"limit": 1, "cursor": page["next_cursor"]}, headers=world["member"]
        )
        assert [item["id"] for item in rest.json()["items"]] == [mine["id"]]
        assert rest.json()["next_cursor"] is None

    async def test_pickup_code_is_shown_only_to_the_member(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        mine = await redeemed(client, world)
        url = f"{self.RURL}/{mine['id']}"
        own = (await client.get(url, headers=world["member"])).json()
        staff = (await client.get(url, headers=world["admin"])).json()
        assert own["pickup_code"] == mine["pickup_code"]
        assert staff["pickup_code"] is None
        assert staff["person_name"] == own["person_name"]

    async def test_shop_staff_see_redemptions_of_members_living_elsewhere(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        # 双报到: a member living in c2 whose branch grant is in c1 uses c1's shop.
        person = await make_person(db, world.units["b2"])
        user = await make_user(db, ("member", world.units["g1"]), person_id=person.id)
        await fund(db, person.id, 100)
        response = await client.post(
            f"{URL}/{world.rewards['c1'].id}/redeem", headers=bearer(settings, user)
        )
        assert response.status_code == 201, response.text
        redemption_id = response.json()["id"]
        for caller in ("admin", "sibling"):
            got = await client.get(f"{self.RURL}/{redemption_id}", headers=world[caller])
            assert got.status_code == 200, (caller, got.text)


class TestGetRedemption:
    async def test_matrix(self, client: httpx.AsyncClient, world: World, db: AsyncSession) -> None:
        await fund(db, world.people["member"].id, 100)
        url = f"{URL}/redemptions/{(await redeemed(client, world))['id']}"
        assert_problem(await client.get(url), 401, "auth.unauthenticated")
        assert_problem(await client.get(url, headers=world["dispatcher"]), 403, "auth.forbidden")
        for caller in ("member2", "other_town_admin"):
            response = await client.get(url, headers=world[caller])
            assert_problem(response, 404, "redemption.not_found")
        for caller in ("member", "admin", "town_admin", "superuser"):
            response = await client.get(url, headers=world[caller])
            assert response.status_code == 200, (caller, response.text)
        missing = await client.get(f"{URL}/redemptions/999999999", headers=world["admin"])
        assert_problem(missing, 404, "redemption.not_found")


class TestHandOver:
    async def test_matrix_and_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        created = await redeemed(client, world)
        url = f"{URL}/redemptions/{created['id']}/handover"
        assert_problem(await client.post(url), 401, "auth.unauthenticated")
        assert_problem(await client.post(url, headers=world["member"]), 403, "auth.forbidden")
        assert_problem(
            await client.post(url, headers=world["sibling"]), 404, "redemption.not_found"
        )
        response = await client.post(url, headers=world["grid_worker"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "handed_over"
        assert body["handed_over_at"] is not None
        row = await db.get(Redemption, created["id"], populate_existing=True)
        assert row is not None
        assert (row.status, row.handed_over_by) == ("handed_over", body["handed_over_by"])
        assert row.handed_over_by is not None
        assert await audit_count(db, "redemption.handover", created["id"]) == 1
        again = await client.post(url, headers=world["admin"])
        problem = assert_problem(again, 409, "redemption.not_pending")
        assert problem["current_status"] == "handed_over"
        assert await balance(db, world.people["member"].id) == 70

    async def test_by_pickup_code(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        created = await redeemed(client, world)
        url = f"{URL}/redemptions/handover"
        body = {"pickup_code": created["pickup_code"].lower()}
        assert_problem(await client.post(url, json=body), 401, "auth.unauthenticated")
        assert_problem(
            await client.post(url, json=body, headers=world["member"]), 403, "auth.forbidden"
        )
        assert_problem(
            await client.post(url, json=body, headers=world["sibling"]),
            404,
            "redemption.not_found",
        )
        assert_problem(
            await client.post(url, json={"pickup_code": "ZZZZ2222"}, headers=world["admin"]),
            404,
            "redemption.not_found",
        )
        response = await client.post(url, json=body, headers=world["admin"])
        assert response.status_code == 200, response.text
        assert (response.json()["id"], response.json()["status"]) == (created["id"], "handed_over")
        assert_problem(
            await client.post(url, json=body, headers=world["admin"]), 409, "redemption.not_pending"
        )


class TestCancel:
    def url(self, redemption: dict[str, Any]) -> str:
        return f"{URL}/redemptions/{redemption['id']}/cancel"

    async def test_member_cancels_refund_by_reversal_and_restock(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person_id = world.people["member"].id
        account_id = await fund(db, person_id, 100)
        created = await redeemed(client, world)
        response = await client.post(self.url(created), headers=world["member"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "cancelled"
        assert body["cancelled_at"] is not None
        assert await balance(db, person_id) == 100
        assert await stock(db, world.rewards["c1"].id) == 5
        refund = await db.get(PointsTransaction, body["refund_transaction_id"])
        assert refund is not None
        assert (refund.kind, refund.reversal_of_id) == ("reversal", created["transaction_id"])
        amounts = await db.execute(
            select(PointsPosting.account_id, PointsPosting.amount).where(
                PointsPosting.transaction_id == refund.id
            )
        )
        assert sum(amount for _, amount in amounts) == 0
        totals = await db.execute(
            select(PointsPeriodTotal.earned, PointsPeriodTotal.spent).where(
                PointsPeriodTotal.account_id == account_id
            )
        )
        assert {tuple(row) for row in totals} == {(100, 0)}
        types = await db.scalars(
            select(OutboxEvent.event_type).where(OutboxEvent.event_type.like("points.%"))
        )
        assert {"points.redeemed", "points.redemption_cancelled", "points.reversed"} <= set(types)
        assert await audit_count(db, "redemption.cancel", created["id"]) == 1
        again = await client.post(self.url(created), headers=world["member"])
        assert_problem(again, 409, "redemption.not_pending")
        assert await balance(db, person_id) == 100
        assert await stock(db, world.rewards["c1"].id) == 5

    async def test_matrix(self, client: httpx.AsyncClient, world: World, db: AsyncSession) -> None:
        await fund(db, world.people["member"].id, 100)
        created = await redeemed(client, world)
        url = self.url(created)
        assert_problem(await client.post(url), 401, "auth.unauthenticated")
        for caller in ("dispatcher", "resident"):
            assert_problem(await client.post(url, headers=world[caller]), 403, "auth.forbidden")
        for caller in ("member2", "sibling", "other_town_admin"):
            response = await client.post(url, headers=world[caller])
            assert_problem(response, 404, "redemption.not_found")
        response = await client.post(url, headers=world["admin"])
        assert response.status_code == 200, response.text
        assert response.json()["pickup_code"] is None
        assert await balance(db, world.people["member"].id) == 100

    async def test_handed_over_cannot_be_cancelled(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        created = await redeemed(client, world)
        handover = await client.post(
            f"{URL}/redemptions/{created['id']}/handover", headers=world["admin"]
        )
        assert handover.status_code == 200
        response = await client.post(self.url(created), headers=world["member"])
        assert_problem(response, 409, "redemption.not_pending")
        assert await balance(db, world.people["member"].id) == 70
        assert await stock(db, world.rewards["c1"].id) == 4
        reversals = await db.scalar(
            select(func.count())
            .select_from(PointsTransaction)
            .where(PointsTransaction.reversal_of_id == created["transaction_id"])
        )
        assert reversals == 0

    async def test_cancel_in_english(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await fund(db, world.people["member"].id, 100)
        created = await redeemed(client, world)
        await client.post(self.url(created), headers=world["member"])
        again = await client.post(
            self.url(created), headers={**world["member"], "Accept-Language": "en"}
        )
        body = assert_problem(again, 409, "redemption.not_pending")
        assert body["title"] == "The redemption was already handed over or cancelled"
        assert body["status"] == 409
