"""/api/v1/people: create, read, list, update, archive — scope matrix, masking, PII at rest."""

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.kit.crypto import DecryptionError, derive_key, keyed_hash
from app.kit.idcard import compute_check_char
from app.people.models import Person
from app.people.pii import PiiCodec
from tests.people.conftest import World, create_member, create_person, id_number
from tests.support.factory import bearer, make_unit, make_user
from tests.support.problems import assert_problem

URL = "/api/v1/people"


async def load(db: AsyncSession, person_id: int) -> Person:
    row = await db.execute(
        select(Person).where(Person.id == person_id).execution_options(populate_existing=True)
    )
    return row.scalar_one()


async def audit_events(db: AsyncSession, action: str, target_id: int) -> list[AuditEvent]:
    rows = await db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.target_id == str(target_id)
        )
    )
    return list(rows)


class TestCreatePerson:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"name": "张三", "home_unit_id": world.unit("h1").id}
        assert_problem(await client.post(URL, json=body), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident", "dispatcher"])
    async def test_without_people_write_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, role: str
    ) -> None:
        body = {"name": "张三", "home_unit_id": world.unit("h1").id}
        assert_problem(
            await client.post(URL, json=body, headers=world[role]), 403, "auth.forbidden"
        )
        assert (await db.scalars(select(Person))).all() == []

    async def test_home_in_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {"name": "张三", "home_unit_id": world.unit("h1").id}
        response = await client.post(URL, json=body, headers=world["sibling"])
        assert_problem(response, 404, "person.home_unit_not_found")

    async def test_creates_at_household_with_derived_fields(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        number = id_number(date(1985, 12, 31))
        home = world.unit("h1")
        body = {
            "name": "李四",
            "home_unit_id": home.id,
            "mobile": "+86 138-1234-5678",
            "id_number": number.lower(),
            "address_building": "1号楼",
            "address_unit": "2单元",
            "address_room": "301",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == 'W/"1"'
        assert response.headers["location"] == f"/api/v1/people/{created['id']}"
        # community_admin holds pii over c1: full numbers, normalised.
        assert created["mobile"] == "13812345678"
        assert created["id_number"] == number
        assert created["pii_masked"] is False
        assert created["birth_date"] == "1985-12-31"
        assert created["gender"] == ("male" if int(number[16]) % 2 else "female")
        row = await load(db, created["id"])
        assert (row.town_id, row.community_id, row.grid_id, row.building_id, row.household_id) == (
            home.town_id,
            home.community_id,
            home.grid_id,
            home.building_id,
            home.id,
        )
        assert row.mobile == "13812345678"
        assert row.id_number_last4 == number[-4:]
        assert (row.address_building, row.address_unit, row.address_room) == (
            "1号楼",
            "2单元",
            "301",
        )

    async def test_building_is_a_home_too(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await create_person(client, world["admin"], world.unit("b1"))
        row = await load(db, created["id"])
        assert (row.building_id, row.household_id) == (world.unit("b1").id, None)
        assert created["mobile"] is None and created["id_number"] is None

    @pytest.mark.parametrize("level_key", ["g1", "c1", "town"])
    async def test_home_above_building_is_refused(
        self, client: httpx.AsyncClient, world: World, level_key: str
    ) -> None:
        body = {"name": "张三", "home_unit_id": world.unit(level_key).id}
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert_problem(response, 422, "person.invalid_home_unit")

    async def test_archived_home_is_refused(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        archived = await make_unit(db, "household", world.unit("b1"), is_archived=True)
        body = {"name": "张三", "home_unit_id": archived.id}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 422, "person.invalid_home_unit")

    async def test_unknown_home_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"name": "张三", "home_unit_id": 987654321}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 404, "person.home_unit_not_found")

    async def test_id_number_is_encrypted_and_indexed(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        number = id_number()
        created = await create_person(client, world["admin"], world.unit("h1"), id_number=number)
        row = await load(db, created["id"])
        assert row.id_number_cipher is not None
        cipher = bytes(row.id_number_cipher)
        assert number.encode() not in cipher and number[:14].encode() not in cipher
        expected_hash = keyed_hash(derive_key(settings.pii_key, "pii-index"), number)
        assert row.id_number_hash == expected_hash
        found = await db.scalar(select(Person.id).where(Person.id_number_hash == expected_hash))
        assert found == created["id"]
        codec = PiiCodec(settings.pii_key)
        assert codec.open(cipher) == number
        # Bound to its column: the same token does not decrypt under another purpose.
        from app.kit.crypto import FieldCipher

        other_column = FieldCipher(derive_key(settings.pii_key, "pii-encryption"))
        with pytest.raises(DecryptionError):
            other_column.decrypt(cipher, associated_data=b"person.mobile")

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("11010119900307", "format"),
            ("A1010119900307123X", "format"),
            ("110101199003071230", "checksum"),
            ("110101" + "19901332" + "123", "birth_date"),
            ("future", "birth_date"),
        ],
    )
    async def test_invalid_id_number_is_reported_on_its_field(
        self, client: httpx.AsyncClient, world: World, raw: str, reason: str
    ) -> None:
        if raw == "future":
            raw = id_number(date.today() + timedelta(days=400))
        elif len(raw) == 17:
            raw += compute_check_char(raw)
        if reason == "checksum":
            raw = raw[:17] + ("1" if compute_check_char(raw[:17]) != "1" else "2")
        body = {"name": "张三", "home_unit_id": world.unit("h1").id, "id_number": raw}
        en = await client.post(URL, json=body, headers={**world["admin"], "Accept-Language": "en"})
        problem = assert_problem(en, 422, "request.validation_failed")
        [error] = problem["errors"]
        assert error["field"] == "id_number"
        assert error["type"] == "person.invalid_id_number"
        assert f"({reason})" in error["message"]
        assert raw not in en.text
        zh = await client.post(URL, json=body, headers=world["admin"])
        [error_zh] = assert_problem(zh, 422, "request.validation_failed")["errors"]
        assert error_zh["message"].startswith("身份证号无效") and reason in error_zh["message"]

    @pytest.mark.parametrize(
        "mobile", ["12812345678", "1381234567", "１３８１２３４５６７８", "phone"]
    )
    async def test_invalid_mobile_is_422(
        self, client: httpx.AsyncClient, world: World, mobile: str
    ) -> None:
        body = {"name": "张三", "home_unit_id": world.unit("h1").id, "mobile": mobile}
        response = await client.post(URL, json=body, headers=world["admin"])
        [error] = assert_problem(response, 422, "request.validation_failed")["errors"]
        assert (error["field"], error["type"]) == ("mobile", "person.invalid_mobile")

    async def test_duplicate_id_number_is_409_even_across_communities(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        number = id_number()
        await create_person(client, world["admin"], world.unit("h1"), id_number=number)
        body = {"name": "王五", "home_unit_id": world.unit("b2").id, "id_number": number}
        response = await client.post(URL, json=body, headers=world["sibling"])
        assert_problem(response, 409, "person.id_number_taken")
        assert len((await db.scalars(select(Person))).all()) == 1

    async def test_unknown_field_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"name": "张三", "home_unit_id": world.unit("h1").id, "town_id": 1}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")

    async def test_grid_worker_creates_but_sees_masked_numbers(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        number = id_number()
        created = await create_person(
            client, world["grid_worker"], world.unit("h1"), mobile="13812345678", id_number=number
        )
        assert created["mobile"] == "138****5678"
        assert created["id_number"] == "*" * 14 + number[-4:]
        assert created["pii_masked"] is True and created["birth_date"] is None

    async def test_audit_event_without_personal_numbers(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        number = id_number()
        created = await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", id_number=number
        )
        [event] = await audit_events(db, "person.create", created["id"])
        assert event.community_id == world.unit("c1").id
        assert event.household_id == world.unit("h1").id
        assert "13812345678" not in event.summary and number not in event.summary
        assert number[-4:] not in event.summary and "张三" not in event.summary


class TestGetPerson:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        assert_problem(await client.get(f"{URL}/{person['id']}"), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.get(f"{URL}/{person['id']}", headers=world[role])
        assert_problem(response, 403, "auth.forbidden")

    @pytest.mark.parametrize("role", ["sibling", "other_town_admin"])
    async def test_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.get(f"{URL}/{person['id']}", headers=world[role])
        assert_problem(response, 404, "person.not_found")

    async def test_unknown_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{URL}/987654321", headers=world["admin"])
        assert_problem(response, 404, "person.not_found")

    @pytest.mark.parametrize(
        ("role", "masked"),
        [
            ("dispatcher", True),
            ("grid_worker", True),
            ("admin", False),
            ("town_admin", False),
            ("superuser", False),
        ],
    )
    async def test_masking_follows_pii(
        self, client: httpx.AsyncClient, world: World, role: str, masked: bool
    ) -> None:
        number = id_number(date(1970, 1, 2))
        person = await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", id_number=number
        )
        response = await client.get(f"{URL}/{person['id']}", headers=world[role])
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"1"'
        body = response.json()
        assert body["name"] == "张三"  # names are not masked
        assert body["pii_masked"] is masked
        if masked:
            assert body["mobile"] == "138****5678"
            assert body["id_number"] == "**************" + number[-4:]
            assert body["birth_date"] is None
        else:
            assert body["mobile"] == "13812345678"
            assert body["id_number"] == number
            assert body["birth_date"] == "1970-01-02"

    async def test_pii_is_judged_per_person(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        """people.read over the town, pii only over c2: c1's numbers stay masked."""
        mixed = bearer(
            settings,
            await make_user(
                db, ("dispatcher", world.unit("town")), ("community_admin", world.unit("c2"))
            ),
        )
        in_c1 = await create_person(client, world["admin"], world.unit("h1"), mobile="13800000001")
        in_c2 = await create_person(
            client, world["sibling"], world.unit("b2"), mobile="13800000002"
        )
        first = (await client.get(f"{URL}/{in_c1['id']}", headers=mixed)).json()
        second = (await client.get(f"{URL}/{in_c2['id']}", headers=mixed)).json()
        assert first["mobile"] == "138****0001"
        assert second["mobile"] == "13800000002"


class TestListPeople:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        assert_problem(await client.get(URL, headers=world[role]), 403, "auth.forbidden")

    async def test_lists_only_the_callers_subtree(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        in_c1 = await create_person(client, world["admin"], world.unit("h1"))
        in_c2 = await create_person(client, world["sibling"], world.unit("b2"))

        async def ids(role: str) -> set[int]:
            response = await client.get(URL, headers=world[role])
            assert response.status_code == 200, response.text
            return {p["id"] for p in response.json()["items"]}

        assert await ids("admin") == {in_c1["id"]}
        assert await ids("sibling") == {in_c2["id"]}
        assert await ids("grid_worker") == {in_c1["id"]}
        assert await ids("town_admin") == {in_c1["id"], in_c2["id"]}
        assert await ids("other_town_admin") == set()

    async def test_masks_numbers_without_pii(self, client: httpx.AsyncClient, world: World) -> None:
        number = id_number()
        await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", id_number=number
        )
        [masked] = (await client.get(URL, headers=world["dispatcher"])).json()["items"]
        [full] = (await client.get(URL, headers=world["admin"])).json()["items"]
        assert (masked["mobile"], masked["id_number"]) == ("138****5678", "*" * 14 + number[-4:])
        assert (full["mobile"], full["id_number"]) == ("13812345678", number)

    async def test_filters(self, client: httpx.AsyncClient, world: World) -> None:
        number = id_number()
        a = await create_person(
            client, world["admin"], world.unit("h1"), name="赵小明", mobile="13811112222"
        )
        b = await create_person(
            client, world["admin"], world.unit("b1"), name="钱小红", id_number=number
        )
        c = await create_person(client, world["admin"], world.unit("h1"), name="孙100%")

        async def ids(caller: str = "dispatcher", **params: object) -> list[int]:
            response = await client.get(URL, params=params, headers=world[caller])
            assert response.status_code == 200, response.text
            return [p["id"] for p in response.json()["items"]]

        assert await ids(q="小") == [b["id"], a["id"]]
        assert await ids(q="100%") == [c["id"]]
        assert await ids(q="%") == [c["id"]]
        # Exact search by number needs pii (tests/people/test_pii_search.py).
        assert await ids("admin", mobile="+86 138-1111-2222") == [a["id"]]
        assert await ids("admin", id_number=number.lower()) == [b["id"]]
        assert await ids(home_unit_id=world.unit("h1").id) == [c["id"], a["id"]]
        assert await ids("admin", mobile="13899999999") == []

    async def test_invalid_number_filters_are_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            URL, params={"id_number": "110101199003071230"}, headers=world["admin"]
        )
        [error] = assert_problem(response, 422, "request.validation_failed")["errors"]
        assert (error["field"], error["type"]) == ("id_number", "person.invalid_id_number")
        response = await client.get(URL, params={"mobile": "123"}, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")

    async def test_archived_only_on_request(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        archive = await client.post(
            f"{URL}/{person['id']}/archive", headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        assert archive.status_code == 200, archive.text
        default = (await client.get(URL, headers=world["admin"])).json()["items"]
        everything = (
            await client.get(URL, params={"include_archived": True}, headers=world["admin"])
        ).json()["items"]
        assert default == []
        assert [p["id"] for p in everything] == [person["id"]]

    async def test_keyset_pages(self, client: httpx.AsyncClient, world: World) -> None:
        created = [
            (await create_person(client, world["admin"], world.unit("h1"), name=f"人{i}"))["id"]
            for i in range(5)
        ]
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, object] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = (await client.get(URL, params=params, headers=world["admin"])).json()
            seen += [p["id"] for p in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(created, reverse=True)
        assert pages == 3

    async def test_bad_cursor_and_limit(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params={"cursor": "!!"}, headers=world["admin"])
        assert_problem(response, 400, "request.invalid_cursor")
        response = await client.get(URL, params={"limit": 201}, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestUpdatePerson:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}", json={"name": "x"}, headers={"If-Match": 'W/"1"'}
        )
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["dispatcher", "member", "resident"])
    async def test_without_people_write_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"name": "x"},
            headers={**world[role], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"name": "x"},
            headers={**world["sibling"], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 404, "person.not_found")

    async def test_visible_but_not_writable_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        reader_writer = bearer(
            settings,
            await make_user(
                db, ("dispatcher", world.unit("town")), ("grid_worker", world.unit("g1"))
            ),
        )
        person = await create_person(client, world["sibling"], world.unit("b2"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"name": "x"},
            headers={**reader_writer, "If-Match": 'W/"1"'},
        )
        assert_problem(response, 403, "person.read_only")

    async def test_if_match_required_and_checked(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        url = f"{URL}/{person['id']}"
        missing = await client.patch(url, json={"name": "x"}, headers=world["admin"])
        assert_problem(missing, 428, "resource.version_required")
        stale = await client.patch(
            url, json={"name": "x"}, headers={**world["admin"], "If-Match": 'W/"7"'}
        )
        assert stale.json()["current_etag"] == 'W/"1"'
        assert_problem(stale, 412, "resource.version_mismatch")
        assert (await load(db, person["id"])).name == "张三"

    async def test_updates_fields_and_bumps_version(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", address_room="101"
        )
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"name": "张三丰", "mobile": "139 0000 1111", "address_room": None},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"2"'
        body = response.json()
        assert (body["name"], body["mobile"], body["address_room"]) == (
            "张三丰",
            "13900001111",
            None,
        )
        row = await load(db, person["id"])
        assert (row.name, row.mobile, row.address_room, row.version) == (
            "张三丰",
            "13900001111",
            None,
            2,
        )
        [event] = await audit_events(db, "person.update", person["id"])
        assert "address_room" in event.summary and "mobile" in event.summary
        assert "13900001111" not in event.summary and "张三丰" not in event.summary

    async def test_moving_home_rewrites_ancestors(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(client, world["town_admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"home_unit_id": world.unit("b2").id},
            headers={**world["town_admin"], "If-Match": 'W/"1"'},
        )
        assert response.status_code == 200, response.text
        row = await load(db, person["id"])
        b2 = world.unit("b2")
        assert (row.home_unit_id, row.community_id, row.grid_id, row.building_id) == (
            b2.id,
            b2.community_id,
            b2.grid_id,
            b2.id,
        )
        assert row.household_id is None
        # The former community no longer sees them.
        response = await client.get(f"{URL}/{person['id']}", headers=world["admin"])
        assert_problem(response, 404, "person.not_found")

    async def test_moving_home_out_of_scope_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"home_unit_id": world.unit("b2").id},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 404, "person.home_unit_not_found")
        assert (await load(db, person["id"])).home_unit_id == world.unit("h1").id

    async def test_changing_and_clearing_the_id_number(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        person = await create_person(
            client, world["admin"], world.unit("h1"), id_number=id_number()
        )
        new = id_number(date(2001, 2, 3))
        url = f"{URL}/{person['id']}"
        changed = await client.patch(
            url, json={"id_number": new}, headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        assert changed.json()["id_number"] == new
        row = await load(db, person["id"])
        assert row.birth_date == date(2001, 2, 3)
        assert row.id_number_hash == PiiCodec(settings.pii_key).index(new)
        cleared = await client.patch(
            url, json={"id_number": None}, headers={**world["admin"], "If-Match": 'W/"2"'}
        )
        assert cleared.status_code == 200, cleared.text
        row = await load(db, person["id"])
        assert (row.id_number_cipher, row.id_number_hash, row.id_number_last4) == (None, None, None)
        assert (row.birth_date, row.gender) == (None, None)

    async def test_keeping_ones_own_id_number_is_fine(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        number = id_number()
        person = await create_person(client, world["admin"], world.unit("h1"), id_number=number)
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"id_number": number},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert response.status_code == 200, response.text

    async def test_taking_anothers_id_number_is_409(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        number = id_number()
        await create_person(client, world["admin"], world.unit("h1"), id_number=number)
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"id_number": number},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 409, "person.id_number_taken")

    async def test_name_cannot_be_cleared(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.patch(
            f"{URL}/{person['id']}",
            json={"name": None},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        [error] = assert_problem(response, 422, "request.validation_failed")["errors"]
        assert error["field"] == "name"

    async def test_archived_person_is_409(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        url = f"{URL}/{person['id']}"
        await client.post(f"{url}/archive", headers={**world["admin"], "If-Match": 'W/"1"'})
        response = await client.patch(
            url, json={"name": "x"}, headers={**world["admin"], "If-Match": 'W/"2"'}
        )
        assert_problem(response, 409, "person.archived")


class TestArchivePerson:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.post(f"{URL}/{person['id']}/archive", headers={"If-Match": 'W/"1"'})
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["dispatcher", "member"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.post(
            f"{URL}/{person['id']}/archive", headers={**world[role], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        response = await client.post(
            f"{URL}/{person['id']}/archive", headers={**world["sibling"], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 404, "person.not_found")

    async def test_if_match(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        url = f"{URL}/{person['id']}/archive"
        assert_problem(
            await client.post(url, headers=world["admin"]), 428, "resource.version_required"
        )
        assert_problem(
            await client.post(url, headers={**world["admin"], "If-Match": 'W/"0"'}),
            412,
            "resource.version_mismatch",
        )

    async def test_archives_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(client, world["grid_worker"], world.unit("h1"))
        url = f"{URL}/{person['id']}/archive"
        response = await client.post(url, headers={**world["grid_worker"], "If-Match": 'W/"1"'})
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"2"'
        assert response.json()["is_archived"] is True
        row = await load(db, person["id"])
        assert (row.is_archived, row.version) == (True, 2)
        assert len(await audit_events(db, "person.archive", person["id"])) == 1
        again = await client.post(url, headers={**world["grid_worker"], "If-Match": 'W/"2"'})
        assert_problem(again, 409, "person.archived")

    async def test_live_membership_blocks_archiving(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        await create_member(client, world["admin"], person["id"], world.unit("g1"))
        response = await client.post(
            f"{URL}/{person['id']}/archive", headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 409, "person.has_live_membership")
        assert (await load(db, person["id"])).is_archived is False
