"""/api/v1/departments: 职能部门 of a town, seen and changed through the town node."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.hierarchy.models import OrgUnit
from app.orders.models import Department, DepartmentMember
from tests.order_config.conftest import World, audit_events
from tests.support.factory import make_unit, make_user
from tests.support.problems import assert_problem

URL = "/api/v1/departments"


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], town: OrgUnit, **fields: Any
) -> dict[str, Any]:
    body = {"town_id": town.id, "code": f"D-{town.id}-CG", "name": "城管执法队", **fields}
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def load(db: AsyncSession, department_id: int) -> Department | None:
    query = select(Department).where(Department.id == department_id)
    row = await db.execute(query.execution_options(populate_existing=True))
    return row.scalar_one_or_none()


async def member_ids(db: AsyncSession, department_id: int) -> list[int]:
    rows = await db.scalars(
        select(DepartmentMember.user_id)
        .where(DepartmentMember.department_id == department_id)
        .order_by(DepartmentMember.user_id)
    )
    return list(rows)


@pytest.fixture
async def department(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """A department of 石龙镇 (the town of c1, c2)."""
    return await create(client, world["town_admin"], world.unit("town"), code="SL-CG")


@pytest.fixture
async def staff(db: AsyncSession, world: World) -> int:
    """An account with a department_staff grant at 石龙镇."""
    return (await make_user(db, ("department_staff", world.unit("town")))).id


class TestCreateDepartment:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"town_id": world.unit("town").id, "code": "X", "name": "城管"}
        assert_problem(await client.post(URL, json=body), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["town_dispatcher", "department_staff", "member"])
    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, caller: str
    ) -> None:
        body = {"town_id": world.unit("town").id, "code": "X", "name": "城管"}
        assert_problem(
            await client.post(URL, json=body, headers=world[caller]), 403, "auth.forbidden"
        )
        assert (await db.scalars(select(Department))).all() == []

    @pytest.mark.parametrize("caller", ["other_town_admin", "admin"])
    async def test_town_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        # Another town's admin, and a community admin below the town: neither reaches it.
        body = {"town_id": world.unit("town").id, "code": "X", "name": "城管"}
        response = await client.post(URL, json=body, headers=world[caller])
        assert_problem(response, 404, "department.town_not_found")

    async def test_creates_in_the_town(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        town = world.unit("town")
        body = {"town_id": town.id, "code": "SL-SCJG", "name": "市场监管所"}
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["location"] == f"/api/v1/departments/{created['id']}"
        assert (created["town_id"], created["code"], created["name"], created["member_count"]) == (
            town.id,
            "SL-SCJG",
            "市场监管所",
            0,
        )
        row = await load(db, created["id"])
        assert row is not None and (row.town_id, row.code) == (town.id, "SL-SCJG")
        [event] = await audit_events(db, "department.create")
        assert (event.target_id, event.town_id) == (str(created["id"]), town.id)

    @pytest.mark.parametrize(("caller", "unit"), [("town_admin", "c1"), ("admin", "c1")])
    async def test_below_a_town_is_422(
        self, client: httpx.AsyncClient, world: World, caller: str, unit: str
    ) -> None:
        body = {"town_id": world.unit(unit).id, "code": "X", "name": "城管"}
        response = await client.post(URL, json=body, headers=world[caller])
        assert_problem(response, 422, "department.not_a_town")

    async def test_archived_town_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        town = await make_unit(db, "town", is_archived=True)
        body = {"town_id": town.id, "code": "X", "name": "城管"}
        response = await client.post(URL, json=body, headers=world["superuser"])
        assert_problem(response, 422, "order_config.unit_archived")

    async def test_taken_code_is_409(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        # Codes are unique across towns: government systems key on them.
        body = {"town_id": world.unit("other_town").id, "code": "SL-CG", "name": "城管"}
        response = await client.post(URL, json=body, headers=world["other_town_admin"])
        assert_problem(response, 409, "department.code_taken")

    @pytest.mark.parametrize(
        ("field", "value"),
        [("code", "两字"), ("code", ""), ("name", "n" * 101), ("town_id", "one"), ("x", 1)],
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, field: str, value: object
    ) -> None:
        body = {"town_id": world.unit("town").id, "code": "X", "name": "城管", field: value}
        response = await client.post(URL, json=body, headers=world["town_admin"])
        problem = assert_problem(response, 422, "request.validation_failed")
        assert any(field in e["field"] for e in problem["errors"])


class TestListDepartments:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["member", "resident", "department_staff"])
    async def test_without_orders_read_or_config_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        assert_problem(await client.get(URL, headers=world[caller]), 403, "auth.forbidden")

    async def test_each_town_sees_its_own(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        other = await create(client, world["other_town_admin"], world.unit("other_town"))
        mine = await client.get(URL, headers=world["town_dispatcher"])
        assert [d["id"] for d in mine.json()["items"]] == [department["id"]]
        theirs = await client.get(URL, headers=world["other_town_admin"])
        assert [d["id"] for d in theirs.json()["items"]] == [other["id"]]
        everything = await client.get(URL, headers=world["superuser"])
        assert [d["id"] for d in everything.json()["items"]] == [department["id"], other["id"]]

    async def test_grants_below_the_town_do_not_reach_it(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        response = await client.get(URL, headers=world["dispatcher"])
        assert response.status_code == 200
        assert response.json()["items"] == []

    async def test_filters_and_pages(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        town = world.unit("town")
        second = await create(client, world["town_admin"], town, code="SL-PCS", name="派出所")
        await create(client, world["other_town_admin"], world.unit("other_town"))
        by_town = await client.get(URL, params={"town_id": town.id}, headers=world["superuser"])
        assert [d["id"] for d in by_town.json()["items"]] == [department["id"], second["id"]]
        by_name = await client.get(URL, params={"q": "派出"}, headers=world["town_admin"])
        assert [d["id"] for d in by_name.json()["items"]] == [second["id"]]
        by_code = await client.get(URL, params={"q": "sl-cg"}, headers=world["town_admin"])
        assert [d["id"] for d in by_code.json()["items"]] == [department["id"]]
        first = (await client.get(URL, params={"limit": 1}, headers=world["town_admin"])).json()
        assert [d["id"] for d in first["items"]] == [department["id"]]
        rest = await client.get(
            URL, params={"limit": 1, "cursor": first["next_cursor"]}, headers=world["town_admin"]
        )
        assert [d["id"] for d in rest.json()["items"]] == [second["id"]]
        assert rest.json()["next_cursor"] is None


class TestGetDepartment:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, department: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{department['id']}")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_read_or_config_is_403(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{department['id']}", headers=world["member"])
        assert_problem(response, 403, "auth.forbidden")

    @pytest.mark.parametrize("caller", ["other_town_admin", "sibling"])
    async def test_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any], caller: str
    ) -> None:
        response = await client.get(f"{URL}/{department['id']}", headers=world[caller])
        assert_problem(response, 404, "department.not_found")

    async def test_reads_with_orders_read(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{department['id']}", headers=world["town_dispatcher"])
        assert response.status_code == 200
        assert response.json() == department


class TestUpdateDepartment:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, department: dict[str, Any]
    ) -> None:
        response = await client.patch(f"{URL}/{department['id']}", json={"name": "综合执法"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        response = await client.patch(
            f"{URL}/{department['id']}", json={"name": "综合执法"}, headers=world["town_dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    @pytest.mark.parametrize("caller", ["other_town_admin", "admin"])
    async def test_outside_scope_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
        caller: str,
    ) -> None:
        response = await client.patch(
            f"{URL}/{department['id']}", json={"name": "综合执法"}, headers=world[caller]
        )
        assert_problem(response, 404, "department.not_found")
        row = await load(db, department["id"])
        assert row is not None and row.name == "城管执法队"

    async def test_renames_and_recodes(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
    ) -> None:
        body = {"name": "综合行政执法办", "code": "SL-ZHZF"}
        response = await client.patch(
            f"{URL}/{department['id']}", json=body, headers=world["town_admin"]
        )
        assert response.status_code == 200, response.text
        assert (response.json()["name"], response.json()["code"]) == ("综合行政执法办", "SL-ZHZF")
        row = await load(db, department["id"])
        assert row is not None and (row.name, row.code) == ("综合行政执法办", "SL-ZHZF")
        [event] = await audit_events(db, "department.update")
        assert event.town_id == world.unit("town").id
        assert "code" in event.summary and "name" in event.summary

    async def test_taken_code_is_409(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        await create(client, world["town_admin"], world.unit("town"), code="SL-PCS")
        response = await client.patch(
            f"{URL}/{department['id']}", json={"code": "SL-PCS"}, headers=world["town_admin"]
        )
        assert_problem(response, 409, "department.code_taken")

    @pytest.mark.parametrize("body", [{"name": None}, {"town_id": 1}, {"code": "a b"}])
    async def test_invalid_body_is_422(
        self,
        client: httpx.AsyncClient,
        world: World,
        department: dict[str, Any],
        body: dict[str, Any],
    ) -> None:
        response = await client.patch(
            f"{URL}/{department['id']}", json=body, headers=world["town_admin"]
        )
        assert_problem(response, 422, "request.validation_failed")


class TestAddDepartmentMember:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, department: dict[str, Any], staff: int
    ) -> None:
        response = await client.post(f"{URL}/{department['id']}/members", json={"user_id": staff})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any], staff: int
    ) -> None:
        response = await client.post(
            f"{URL}/{department['id']}/members",
            json={"user_id": staff},
            headers=world["town_dispatcher"],
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_department_outside_scope_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
        staff: int,
    ) -> None:
        response = await client.post(
            f"{URL}/{department['id']}/members",
            json={"user_id": staff},
            headers=world["other_town_admin"],
        )
        assert_problem(response, 404, "department.not_found")
        assert await member_ids(db, department["id"]) == []

    async def test_adds_a_member(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
        staff: int,
    ) -> None:
        response = await client.post(
            f"{URL}/{department['id']}/members",
            json={"user_id": staff},
            headers=world["town_admin"],
        )
        assert response.status_code == 201, response.text
        assert response.json()["user_id"] == staff
        assert response.json()["is_active"] is True
        assert await member_ids(db, department["id"]) == [staff]
        [event] = await audit_events(db, "department.member_add")
        assert event.target_id == str(department["id"])
        read = await client.get(f"{URL}/{department['id']}", headers=world["town_admin"])
        assert read.json()["member_count"] == 1

    async def test_twice_is_409(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any], staff: int
    ) -> None:
        url = f"{URL}/{department['id']}/members"
        first = await client.post(url, json={"user_id": staff}, headers=world["town_admin"])
        assert first.status_code == 201
        again = await client.post(url, json={"user_id": staff}, headers=world["town_admin"])
        assert_problem(again, 409, "department.already_member")

    async def test_user_outside_scope_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
    ) -> None:
        stranger = await make_user(db, ("department_staff", world.unit("other_town")))
        response = await client.post(
            f"{URL}/{department['id']}/members",
            json={"user_id": stranger.id},
            headers=world["town_admin"],
        )
        assert_problem(response, 404, "department.user_not_found")
        assert await member_ids(db, department["id"]) == []

    async def test_inactive_user_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
    ) -> None:
        retired = await make_user(db, ("department_staff", world.unit("town")))
        retired.is_active = False
        await db.flush()
        response = await client.post(
            f"{URL}/{department['id']}/members",
            json={"user_id": retired.id},
            headers=world["town_admin"],
        )
        assert_problem(response, 404, "department.user_not_found")

    @pytest.mark.parametrize("body", [{}, {"user_id": "me"}, {"user_id": 1, "role": "boss"}])
    async def test_invalid_body_is_422(
        self,
        client: httpx.AsyncClient,
        world: World,
        department: dict[str, Any],
        body: dict[str, Any],
    ) -> None:
        response = await client.post(
            f"{URL}/{department['id']}/members", json=body, headers=world["town_admin"]
        )
        assert_problem(response, 422, "request.validation_failed")


class TestDepartmentMembers:
    @pytest.fixture
    async def joined(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any], staff: int
    ) -> int:
        response = await client.post(
            f"{URL}/{department['id']}/members",
            json={"user_id": staff},
            headers=world["town_admin"],
        )
        assert response.status_code == 201
        return staff

    async def test_list_without_token_is_401(
        self, client: httpx.AsyncClient, department: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{department['id']}/members")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_list_without_orders_read_is_403(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"{URL}/{department['id']}/members", headers=world["department_staff"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_list_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"{URL}/{department['id']}/members", headers=world["other_town_admin"]
        )
        assert_problem(response, 404, "department.not_found")

    async def test_lists_members(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
        joined: int,
    ) -> None:
        second = (await make_user(db, ("department_staff", world.unit("town")))).id
        url = f"{URL}/{department['id']}/members"
        await client.post(url, json={"user_id": second}, headers=world["town_admin"])
        first = (
            await client.get(url, params={"limit": 1}, headers=world["town_dispatcher"])
        ).json()
        assert [m["user_id"] for m in first["items"]] == [joined]
        rest = await client.get(
            url,
            params={"limit": 1, "cursor": first["next_cursor"]},
            headers=world["town_dispatcher"],
        )
        assert [m["user_id"] for m in rest.json()["items"]] == [second]

    async def test_remove_without_token_is_401(
        self, client: httpx.AsyncClient, department: dict[str, Any], joined: int
    ) -> None:
        response = await client.delete(f"{URL}/{department['id']}/members/{joined}")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_remove_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, department: dict[str, Any], joined: int
    ) -> None:
        response = await client.delete(
            f"{URL}/{department['id']}/members/{joined}", headers=world["town_dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_remove_outside_scope_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
        joined: int,
    ) -> None:
        response = await client.delete(
            f"{URL}/{department['id']}/members/{joined}", headers=world["other_town_admin"]
        )
        assert_problem(response, 404, "department.not_found")
        assert await member_ids(db, department["id"]) == [joined]

    async def test_removes(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        department: dict[str, Any],
        joined: int,
    ) -> None:
        response = await client.delete(
            f"{URL}/{department['id']}/members/{joined}", headers=world["town_admin"]
        )
        assert response.status_code == 204
        assert await member_ids(db, department["id"]) == []
        [event] = await audit_events(db, "department.member_remove")
        assert event.target_id == str(department["id"])
        again = await client.delete(
            f"{URL}/{department['id']}/members/{joined}", headers=world["town_admin"]
        )
        assert_problem(again, 404, "department.member_not_found")
