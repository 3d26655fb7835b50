"""Accounts: listing and filters, creation with the password policy, reads with ETag,
updates with If-Match (password reset, deactivation, person link), all audited."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import RefreshToken
from app.authz.models import RoleGrant
from app.authz.permissions import ROLES
from app.kit.hashing import verify_password
from app.users.models import UserAccount
from app.users.schemas import RoleCode
from tests.support.factory import PASSWORD, make_person, make_user
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events

NEW_USER = {
    "username": "wang.fang",
    "display_name": "王芳",
    "password": "Hongxing#2026",
}


async def _account(db: AsyncSession, user_id: int) -> UserAccount:
    return (
        await db.execute(
            select(UserAccount)
            .where(UserAccount.id == user_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


class TestList:
    async def test_filters(self, client: httpx.AsyncClient, world: World) -> None:
        headers = world.as_("admin")
        by_role = await client.get("/api/v1/users?role=grid_worker", headers=headers)
        assert [u["id"] for u in by_role.json()["items"]] == [world.target.id]
        at_node = await client.get(
            f"/api/v1/users?org_unit_id={world.tree['g1'].id}", headers=headers
        )
        assert [u["id"] for u in at_node.json()["items"]] == [world.target.id]
        by_name = await client.get(
            "/api/v1/users", params={"q": world.target.display_name}, headers=headers
        )
        assert [u["id"] for u in by_name.json()["items"]] == [world.target.id]
        outside = await client.get(
            f"/api/v1/users?org_unit_id={world.tree['c2'].id}", headers=headers
        )
        assert outside.json()["items"] == []

    async def test_keyset_pages_cover_everyone_once(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        ids: list[int] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = await client.get("/api/v1/users", params=params, headers=world.as_("admin"))
            body = page.json()
            assert len(body["items"]) <= 2
            ids += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert ids == sorted(set(ids))
        assert {world.admin.id, world.weak.id, world.auditor.id, world.target.id} <= set(ids)

    async def test_bad_cursor(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get("/api/v1/users?cursor=bm9wZQ", headers=world.as_("admin"))
        assert_problem(response, 400, "request.invalid_cursor")

    async def test_account_of_a_person_in_scope_is_visible(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        person = await make_person(db, world.tree["h1"])
        resident = await make_user(db, person_id=person.id)
        admin = await client.get(f"/api/v1/users/{resident.id}", headers=world.as_("admin"))
        assert admin.status_code == 200
        assert admin.json()["person_id"] == person.id
        sibling = await client.get(f"/api/v1/users/{resident.id}", headers=world.as_("sibling"))
        assert sibling.status_code == 404


class TestCreate:
    async def test_creates_with_grants_and_audit(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        g1 = world.tree["g1"]
        body = {**NEW_USER, "grants": [{"role": "dispatcher", "org_unit_id": g1.id}]}
        response = await client.post("/api/v1/users", json=body, headers=world.as_("admin"))
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == 'W/"1"'
        assert response.headers["location"] == f"/api/v1/users/{created['id']}"
        assert created["username"] == "wang.fang" and created["version"] == 1
        assert [(g["role"], g["org_unit_id"], g["org_unit_name"]) for g in created["grants"]] == [
            ("dispatcher", g1.id, g1.name)
        ]
        account = await _account(db, created["id"])
        assert account.password_hash and account.password_hash.startswith("$argon2id$")
        assert verify_password(account.password_hash, NEW_USER["password"])
        (event,) = await audit_events(db, action="user.create", target_id=str(created["id"]))
        assert event.actor_user_id == world.admin.id
        assert (event.community_id, event.grid_id) == (world.tree["c1"].id, g1.id)
        assert NEW_USER["password"] not in event.summary

    async def test_weak_password_lists_violations(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {
            **NEW_USER,
            "password": "short",
            "grants": [{"role": "resident", "org_unit_id": world.tree["h1"].id}],
        }
        response = await client.post(
            "/api/v1/users", json=body, headers={**world.as_("admin"), "Accept-Language": "en"}
        )
        problem = assert_problem(response, 422, "user.weak_password")
        assert problem["violations"] == ["too_short", "too_few_classes"]
        assert "three of" in str(problem["detail"])

    async def test_username_taken(self, client: httpx.AsyncClient, world: World) -> None:
        body = {
            **NEW_USER,
            "username": world.target.username,
            "grants": [{"role": "resident", "org_unit_id": world.tree["h1"].id}],
        }
        response = await client.post("/api/v1/users", json=body, headers=world.as_("admin"))
        assert_problem(response, 409, "user.username_taken")

    async def test_grant_or_person_required_unless_superuser(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        admin = await client.post("/api/v1/users", json=NEW_USER, headers=world.as_("admin"))
        assert_problem(admin, 422, "user.grant_required")
        person = await make_person(db, world.tree["h1"])
        body = {**NEW_USER, "person_id": person.id}
        linked = await client.post("/api/v1/users", json=body, headers=world.as_("admin"))
        assert linked.status_code == 201, linked.text
        seen = await client.get(f"/api/v1/users/{linked.json()['id']}", headers=world.as_("admin"))
        assert seen.status_code == 200
        root_body = {**NEW_USER, "username": "root.made"}
        root = await client.post("/api/v1/users", json=root_body, headers=world.as_("root"))
        assert root.status_code == 201

    async def test_links_a_person_in_scope_once(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        person = await make_person(db, world.tree["h1"])
        grants = [{"role": "resident", "org_unit_id": world.tree["h1"].id}]
        body = {**NEW_USER, "person_id": person.id, "grants": grants}
        first = await client.post("/api/v1/users", json=body, headers=world.as_("admin"))
        assert first.status_code == 201 and first.json()["person_id"] == person.id
        again = {**body, "username": "someone.else"}
        second = await client.post("/api/v1/users", json=again, headers=world.as_("admin"))
        assert_problem(second, 409, "user.person_already_linked")
        elsewhere = await make_person(db, world.tree["b2"])
        outside = {**again, "person_id": elsewhere.id}
        third = await client.post("/api/v1/users", json=outside, headers=world.as_("admin"))
        assert_problem(third, 404, "resource.not_found")

    async def test_unknown_fields_and_bad_usernames_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for body in ({**NEW_USER, "is_superuser": True}, {**NEW_USER, "username": "空 格"}):
            response = await client.post("/api/v1/users", json=body, headers=world.as_("root"))
            assert_problem(response, 422, "request.validation_failed")


class TestRead:
    async def test_etag_and_grants_within_scope_only(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        db.add(RoleGrant(user_id=world.target.id, role="resident", org_unit_id=world.tree["oc"].id))
        await db.flush()
        response = await client.get(f"/api/v1/users/{world.target.id}", headers=world.as_("admin"))
        assert response.status_code == 200
        assert response.headers["etag"] == 'W/"1"'
        assert [g["org_unit_id"] for g in response.json()["grants"]] == [world.tree["g1"].id]
        root = await client.get(f"/api/v1/users/{world.target.id}", headers=world.as_("root"))
        assert len(root.json()["grants"]) == 2


class TestUpdate:
    async def test_if_match_required_and_checked(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        url = f"/api/v1/users/{world.target.id}"
        body = {"display_name": "新名字"}
        missing = await client.patch(url, json=body, headers=world.as_("admin"))
        assert_problem(missing, 428, "resource.version_required")
        stale = await client.patch(
            url, json=body, headers={**world.as_("admin"), "If-Match": 'W/"7"'}
        )
        assert_problem(stale, 412, "resource.version_mismatch")
        ok = await client.patch(url, json=body, headers={**world.as_("admin"), "If-Match": 'W/"1"'})
        assert ok.status_code == 200
        assert ok.json()["display_name"] == "新名字" and ok.json()["version"] == 2
        assert ok.headers["etag"] == 'W/"2"'
        again = await client.patch(
            url, json=body, headers={**world.as_("admin"), "If-Match": 'W/"1"'}
        )
        assert_problem(again, 412, "resource.version_mismatch")

    async def test_password_reset_signs_out(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        login = await client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": world.target.username,
                "password": PASSWORD,
            },
        )
        refresh_token = login.json()["refresh_token"]
        url = f"/api/v1/users/{world.target.id}"
        headers = {**world.as_("admin"), "If-Match": 'W/"1"'}
        weak = await client.patch(url, json={"password": "weakweak"}, headers=headers)
        assert_problem(weak, 422, "user.weak_password")
        response = await client.patch(url, json={"password": "Brand#New2026"}, headers=headers)
        assert response.status_code == 200, response.text
        tokens = (
            (
                await db.execute(
                    select(RefreshToken.revoked_at).where(RefreshToken.user_id == world.target.id)
                )
            )
            .scalars()
            .all()
        )
        assert tokens and all(revoked is not None for revoked in tokens)
        refresh = await client.post(
            "/api/v1/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        )
        assert_problem(refresh, 400, "auth.invalid_grant")
        relogin = await client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": world.target.username,
                "password": "Brand#New2026",
            },
        )
        assert relogin.status_code == 200
        (event,) = await audit_events(db, action="user.update", target_id=str(world.target.id))
        assert "password" in event.summary and "Brand#New2026" not in event.summary

    async def test_deactivated_account_loses_access(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        me = await client.get("/api/v1/me", headers=world.as_("target"))
        assert me.status_code == 200
        response = await client.patch(
            f"/api/v1/users/{world.target.id}",
            json={"is_active": False},
            headers={**world.as_("admin"), "If-Match": 'W/"1"'},
        )
        assert response.status_code == 200 and response.json()["is_active"] is False
        after = await client.get("/api/v1/me", headers=world.as_("target"))
        assert_problem(after, 401, "auth.unauthenticated")

    async def test_person_link_and_unlink(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        person = await make_person(db, world.tree["h1"], mobile="13812345678")
        url = f"/api/v1/users/{world.target.id}"
        linked = await client.patch(
            url, json={"person_id": person.id}, headers={**world.as_("admin"), "If-Match": 'W/"1"'}
        )
        assert linked.json()["person_id"] == person.id
        me = (await client.get("/api/v1/me", headers=world.as_("target"))).json()
        assert me["person"] == {"id": person.id, "name": person.name, "mobile": "138****5678"}
        unlinked = await client.patch(
            url, json={"person_id": None}, headers={**world.as_("admin"), "If-Match": 'W/"2"'}
        )
        assert unlinked.json()["person_id"] is None

    async def test_cannot_touch_an_account_that_outranks_the_caller(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        # The target is also a town administrator: a community admin must not reset it.
        db.add(
            RoleGrant(user_id=world.target.id, role="town_admin", org_unit_id=world.tree["town"].id)
        )
        await db.flush()
        headers = {**world.as_("admin"), "If-Match": 'W/"1"'}
        url = f"/api/v1/users/{world.target.id}"
        response = await client.patch(url, json={"password": "Takeover#2026"}, headers=headers)
        assert_problem(response, 403, "user.outranks_caller")
        root_target = await make_user(db, ("resident", world.tree["h1"]), superuser=True)
        response = await client.patch(
            f"/api/v1/users/{root_target.id}", json={"display_name": "x"}, headers=headers
        )
        assert_problem(response, 403, "user.outranks_caller")
        account = await _account(db, world.target.id)
        assert account.password_hash and verify_password(account.password_hash, PASSWORD)


async def test_password_is_kept_exactly_as_typed(client: httpx.AsyncClient, world: World) -> None:
    body = {**NEW_USER, "password": " Spaced#Pass1 "}
    created = await client.post("/api/v1/users", json=body, headers=world.as_("root"))
    assert created.status_code == 201, created.text
    form = {"grant_type": "password", "username": NEW_USER["username"]}
    ok = await client.post("/api/v1/auth/token", data={**form, "password": " Spaced#Pass1 "})
    assert ok.status_code == 200, ok.text
    stripped = await client.post("/api/v1/auth/token", data={**form, "password": "Spaced#Pass1"})
    assert_problem(stripped, 400, "auth.invalid_grant")


def test_role_codes_match_the_catalogue() -> None:
    assert tuple(RoleCode) == ROLES
