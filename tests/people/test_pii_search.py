"""Personal data behind exact search (issue 15): searching by phone or ID number needs
``pii`` over the result and is audited; a duplicate ID number never tells whether its
holder is in sight, and is audited where the holder lives; exports are filed where
their auditors look."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from tests.people.conftest import create_person, id_number
from tests.support.problems import assert_problem
from tests.support.world import World

MOBILE = "13800110002"


async def _events(db: AsyncSession, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list((await db.scalars(query)).all())


class TestExactSearch:
    async def test_without_pii_exact_search_is_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        number = id_number()
        await create_person(
            client, world["admin"], world.unit("h1"), mobile=MOBILE, id_number=number
        )
        for params in ({"mobile": MOBILE}, {"id_number": number}):
            response = await client.get(
                "/api/v1/people", params=params, headers=world["dispatcher"]
            )
            assert_problem(response, 403, "person.pii_search_forbidden")
            export = await client.get(
                "/api/v1/people/export", params=params, headers=world["dispatcher"]
            )
            assert_problem(export, 403, "person.pii_search_forbidden")
        # Browsing by name still works, numbers masked.
        listed = await client.get("/api/v1/people", headers=world["dispatcher"])
        assert [p["mobile"] for p in listed.json()["items"]] == ["138****0002"]

    async def test_with_pii_it_finds_and_is_audited_without_the_number(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"), mobile=MOBILE)
        found = await client.get(
            "/api/v1/people", params={"mobile": MOBILE}, headers=world["admin"]
        )
        assert [p["id"] for p in found.json()["items"]] == [person["id"]]
        (event,) = await _events(db, "person.search_pii")
        assert MOBILE not in event.summary and "手机号" in event.summary
        assert event.target_id == str(person["id"])
        assert event.community_id == world.id("c1")

    async def test_pii_elsewhere_does_not_reach_this_person(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await create_person(client, world["admin"], world.unit("h1"), mobile=MOBILE)
        # The sibling holds pii over c2 only: the number of a c1 resident finds nobody.
        response = await client.get(
            "/api/v1/people", params={"mobile": MOBILE}, headers=world["sibling"]
        )
        assert response.status_code == 200 and response.json()["items"] == []


class TestDuplicateIdNumber:
    async def test_out_of_scope_duplicate_answers_like_any_duplicate_and_is_audited(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        number = id_number()
        holder = await create_person(client, world["admin"], world.unit("h1"), id_number=number)
        body = {"name": "李四", "id_number": number}
        inside = await client.post(
            "/api/v1/people", json={**body, "home_unit_id": world.id("h1")}, headers=world["admin"]
        )
        outside = await client.post(
            "/api/v1/people",
            json={**body, "home_unit_id": world.id("b2")},
            headers=world["sibling"],
        )
        strip = ("request_id", "instance")
        answers = [
            {
                k: v
                for k, v in assert_problem(r, 409, "person.id_number_taken").items()
                if k not in strip
            }
            for r in (inside, outside)
        ]
        assert answers[0] == answers[1]
        assert set(answers[1]) == {"type", "title", "status", "detail", "code"}
        events = await _events(db, "person.id_number_conflict")
        assert [(e.outcome, e.target_id, e.community_id) for e in events] == [
            ("failure", str(holder["id"]), world.id("c1"))
        ] * 2
        assert "不在" in events[1].summary and number not in events[1].summary
        # The holder's community auditor sees the attempt made from c2.
        log = await client.get(
            "/api/v1/audit-log",
            params={"action": "person.id_number_conflict"},
            headers=world["auditor"],
        )
        assert log.status_code == 200, log.text
        assert len(log.json()["items"]) == 2


class TestExportAudit:
    async def test_exports_are_filed_where_their_auditors_look(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        for caller, node in (("admin", "c1"), ("town_admin", "town")):
            assert (
                await client.get("/api/v1/people/export", headers=world[caller])
            ).status_code == 200
            units = await client.get("/api/v1/org-units/export", headers=world[caller])
            assert units.status_code == 200
            for action in ("person.export", "org_unit.export"):
                event = (await _events(db, action))[-1]
                assert event.town_id == world.id("town"), action
                assert event.target_id == str(world.id(node)), action
