"""/api/v1/matters: 五议 — 提议, 动议, 商议, 公议 (one secret vote per household, quorum
and threshold), 评议 — every step in the history, results published to the compound."""

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.governance.deliberation.models import Matter, MatterBallot, MatterVote
from app.integrations.models import OutboxEvent
from tests.governance.conftest import World, assert_problem, created, ok
from tests.governance.test_bodies import make_body

URL = "/api/v1/matters"


async def propose(
    client: httpx.AsyncClient, world: World, who: str = "resident", **fields: Any
) -> dict[str, Any]:
    body = {
        "org_unit_id": world.unit("g1").id,
        "title": "增设电动自行车充电棚",
        "description": "楼道充电有火灾隐患，建议在3号楼北侧增设集中充电棚。",
    } | fields
    return await created(await client.post(URL, json=body, headers=world[who]))


async def step(
    client: httpx.AsyncClient,
    world: World,
    matter_id: int,
    name: str,
    body: dict[str, Any] | None = None,
    who: str = "admin",
    **headers: str,
) -> httpx.Response:
    return await client.post(f"{URL}/{matter_id}/{name}", json=body, headers=world[who] | headers)


async def to_voting(
    client: httpx.AsyncClient, world: World, quorum: int = 50, threshold: int = 50
) -> dict[str, Any]:
    matter = await propose(client, world)
    await ok(await step(client, world, matter["id"], "take-up"))
    closes = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    return await ok(
        await step(
            client,
            world,
            matter["id"],
            "open-vote",
            {"quorum_percent": quorum, "threshold_percent": threshold, "closes_at": closes},
        )
    )


async def vote(
    client: httpx.AsyncClient, world: World, matter_id: int, who: str, choice: str, secret: str = ""
) -> httpx.Response:
    body = {"choice": choice, "ballot_secret": secret or secrets.token_hex(16)}
    return await client.post(f"{URL}/{matter_id}/votes", json=body, headers=world[who])


class TestPropose:
    async def test_residents_and_members_in_their_compound(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        by_resident = await propose(client, world)
        assert (by_resident["status"], by_resident["stage"]) == ("proposed", "提议")
        assert by_resident["proposer"] == {
            "kind": "resident",
            "person_id": world.person("resident").id,
            "body_id": None,
        }
        assert by_resident["allowed_steps"] == ["take_up", "decline", "withdraw"]
        by_member = await propose(client, world, "member")
        assert by_member["proposer"]["kind"] == "member"
        events = await db.scalars(
            select(OutboxEvent.event_type).where(OutboxEvent.aggregate_type == "matter")
        )
        assert list(events) == ["matter.propose", "matter.propose"]

    async def test_not_in_another_compound(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"org_unit_id": world.unit("g2").id, "title": "t", "description": "d"}
        response = await client.post(URL, json=body, headers=world["resident"])
        assert_problem(response, 404, "governance.unit_not_found")
        assert_problem(await client.post(URL, json=body), 401, "auth.unauthenticated")
        response = await client.post(URL, json=body, headers=world["dispatcher"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_staff_for_a_body(self, client: httpx.AsyncClient, world: World) -> None:
        committee = await make_body(
            client, world, kind="owners_committee", name="业委会", org_unit_id=world.unit("g1").id
        )
        matter = await propose(client, world, "admin", proposer_body_id=committee["id"])
        assert matter["proposer"] == {"kind": "body", "person_id": None, "body_id": committee["id"]}

    async def test_visibility(self, client: httpx.AsyncClient, world: World) -> None:
        matter = await propose(client, world)
        for caller in ("far_resident", "sibling"):
            response = await client.get(f"{URL}/{matter['id']}", headers=world[caller])
            assert_problem(response, 404, "matter.not_found")
        listed = await ok(await client.get(URL, headers=world["neighbour"]))
        assert [m["id"] for m in listed["items"]] == [matter["id"]]


class TestFiveSteps:
    async def test_a_matter_through_all_five_steps(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        committee = await make_body(
            client, world, kind="owners_committee", name="业委会", org_unit_id=world.unit("g1").id
        )
        matter = await propose(client, world)
        mid = matter["id"]
        taken = await ok(await step(client, world, mid, "take-up", **{"If-Match": 'W/"1"'}))
        assert (taken["status"], taken["stage"]) == ("consulting", "商议")
        for position in (
            {"party": "branch", "stance": "support", "statement": "支部同意"},
            {
                "party": "owners_committee",
                "body_id": committee["id"],
                "stance": "support",
                "statement": "业委会同意",
            },
            {"party": "property_company", "stance": "conditional", "statement": "电费按表计收"},
        ):
            await ok(await step(client, world, mid, "positions", position))
        closes = (datetime.now(UTC) + timedelta(days=7)).isoformat()
        opened = await ok(
            await step(
                client,
                world,
                mid,
                "open-vote",
                {"quorum_percent": 67, "threshold_percent": 50, "closes_at": closes},
            )
        )
        # Households of g1: the 中心户 h1 (resident, housemate), rooms 101 and 102 of b1;
        # member2 has no room, so no household of their own.
        assert opened["vote"]["eligible_households"] == 3
        assert [p["party"] for p in opened["positions"]] == [
            "branch",
            "owners_committee",
            "property_company",
        ]

        secret = secrets.token_hex(16)
        first = await vote(client, world, mid, "resident", "yes", secret)
        receipt = (await created(first))["receipt"]
        retry = await vote(client, world, mid, "resident", "yes", secret)
        assert retry.status_code == 200 and retry.json()["receipt"] == receipt
        assert_problem(
            await vote(client, world, mid, "housemate", "no"), 409, "matter.already_voted"
        )
        assert_problem(
            await vote(client, world, mid, "member2", "no"), 422, "governance.no_household"
        )
        assert_problem(
            await vote(client, world, mid, "far_resident", "no"), 404, "matter.not_found"
        )
        await created(await vote(client, world, mid, "neighbour", "no"))
        running = await ok(await client.get(f"{URL}/{mid}", headers=world["admin"]))
        assert running["vote"] | {"opens_at": None, "closes_at": None} == {
            "quorum_percent": 67,
            "threshold_percent": 50,
            "opens_at": None,
            "closes_at": None,
            "eligible_households": 3,
            "ballots": 2,
            "yes": None,
            "no": None,
            "abstain": None,
            "result": None,
            "decided_at": None,
        }
        assert_problem(
            await client.get(f"{URL}/{mid}/votes", headers=world["admin"]),
            409,
            "matter.vote_sealed",
        )
        assert_problem(await step(client, world, mid, "close-vote"), 409, "matter.vote_still_open")
        await created(await vote(client, world, mid, "member", "yes"))

        decided = await ok(await step(client, world, mid, "close-vote"))  # every household voted
        assert decided["status"] == "passed"
        assert {k: decided["vote"][k] for k in ("ballots", "yes", "no", "abstain", "result")} == {
            "ballots": 3,
            "yes": 2,
            "no": 1,
            "abstain": 0,
            "result": "passed",
        }
        published = await ok(await client.get(f"{URL}/{mid}/votes", headers=world["neighbour"]))
        assert sorted(v["choice"] for v in published["items"]) == ["no", "yes", "yes"]
        assert receipt in {v["receipt"] for v in published["items"]}
        mine = await ok(await client.get(f"{URL}/{mid}/votes/{receipt}", headers=world["resident"]))
        assert mine == {"receipt": receipt, "choice": "yes"}

        reviewing = await ok(
            await step(client, world, mid, "implement", {"report": "充电棚已建成，20个车位。"})
        )
        assert (reviewing["status"], reviewing["stage"]) == ("reviewing", "评议")
        for who, score in (("resident", 5), ("neighbour", 4)):
            await created(
                await client.post(f"{URL}/{mid}/ratings", json={"score": score}, headers=world[who])
            )
        again = await client.post(
            f"{URL}/{mid}/ratings", json={"score": 1}, headers=world["housemate"]
        )
        assert_problem(again, 409, "matter.already_rated")
        closed = await ok(await step(client, world, mid, "close"))
        assert closed["status"] == "closed"
        assert closed["review"] == {"ratings": 2, "average": "4.50"}

        history = await ok(await client.get(f"{URL}/{mid}/events", headers=world["resident"]))
        assert [e["step"] for e in history["items"]] == [
            "propose",
            "take_up",
            "position",
            "position",
            "position",
            "open_vote",
            "pass_vote",
            "implement",
            "close",
        ]

    async def test_who_voted_and_what_is_kept_apart(self) -> None:
        ballot = {c.key for c in inspect(MatterBallot).columns}
        counted = {c.key for c in inspect(MatterVote).columns}
        assert ballot == {"matter_id", "household_key", "voter_person_id", "cast_at"}
        assert counted == {"receipt", "matter_id", "choice"}

    async def test_too_few_households_is_no_quorum(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        matter = await to_voting(client, world, quorum=67)
        await created(await vote(client, world, matter["id"], "resident", "yes"))
        row = await db.get(Matter, matter["id"])
        assert row is not None
        row.vote_closes_at = datetime.now(UTC) - timedelta(minutes=1)
        await db.flush()
        assert_problem(
            await vote(client, world, matter["id"], "neighbour", "yes"), 409, "matter.vote_not_open"
        )
        decided = await ok(await step(client, world, matter["id"], "close-vote"))
        assert (decided["status"], decided["vote"]["result"], decided["vote"]["yes"]) == (
            "rejected",
            "no_quorum",
            1,
        )


class TestSteps:
    async def test_illegal_step_is_409_with_allowed_steps(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        matter = await propose(client, world)
        body = assert_problem(
            await step(client, world, matter["id"], "close-vote"), 409, "matter.invalid_transition"
        )
        assert body["allowed_steps"] == ["take_up", "decline", "withdraw"]
        response = await client.post(
            f"{URL}/{matter['id']}/votes",
            json={"choice": "yes", "ballot_secret": secrets.token_hex(16)},
            headers=world["resident"],
        )
        assert_problem(response, 409, "matter.invalid_transition")

    async def test_stale_if_match_is_412(self, client: httpx.AsyncClient, world: World) -> None:
        matter = await propose(client, world)
        response = await step(client, world, matter["id"], "take-up", **{"If-Match": 'W/"9"'})
        assert_problem(response, 412, "resource.version_mismatch")

    async def test_staff_steps_need_manage_over_the_compound(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        matter = await propose(client, world)
        assert_problem(
            await step(client, world, matter["id"], "take-up", who="resident"),
            403,
            "auth.forbidden",
        )
        assert_problem(
            await step(client, world, matter["id"], "take-up", who="sibling"),
            404,
            "matter.not_found",
        )

    async def test_proposer_withdraws_others_may_not(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        matter = await propose(client, world)
        reason = {"reason": "已自行解决"}
        response = await step(client, world, matter["id"], "withdraw", reason, who="neighbour")
        assert_problem(response, 404, "matter.not_found")
        withdrawn = await ok(
            await step(client, world, matter["id"], "withdraw", reason, who="resident")
        )
        assert withdrawn["status"] == "withdrawn" and withdrawn["allowed_steps"] == []

    async def test_declined(self, client: httpx.AsyncClient, world: World) -> None:
        matter = await propose(client, world)
        declined = await ok(
            await step(client, world, matter["id"], "decline", {"reason": "不属于小区公共事务"})
        )
        assert (declined["status"], declined["stage"]) == ("declined", "动议")

    async def test_vote_window_must_be_in_the_future(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        matter = await propose(client, world)
        await ok(await step(client, world, matter["id"], "take-up"))
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        response = await step(
            client,
            world,
            matter["id"],
            "open-vote",
            {"quorum_percent": 50, "threshold_percent": 50, "closes_at": past},
        )
        assert_problem(response, 422, "matter.vote_window")

    async def test_ballot_secret_must_be_random_looking(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        matter = await to_voting(client, world)
        response = await vote(client, world, matter["id"], "resident", "yes", "1234")
        assert response.status_code == 422
