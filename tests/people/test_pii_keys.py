"""Phone numbers encrypted at rest like ID numbers, under versioned keys (issue 15):
every ciphertext names its key id, lookups go through the keyed hash, and
``redgrid rotate-pii-key`` re-encrypts batch by batch under the active key."""

import httpx
import pytest
from sqlalchemy import LargeBinary, delete, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.cli import rotate_pii_keys
from app.config import Settings
from app.db.sealed import keyring_of
from app.hierarchy.models import OrgUnit
from app.kit.crypto import DecryptionError, FieldCipher, KeyRing, derive_key
from app.people.models import MOBILE_AAD, Person
from app.people.pii import ID_NUMBER_AAD, PiiCodec
from app.people.rotation import rotate_batch
from app.people.service import find_person_by_mobile
from tests.conftest import make_settings
from tests.people.conftest import World, create_person, id_number
from tests.support.factory import make_person, make_unit

MOBILE = "13800110002"
OLD, NEW = "o" * 40, "n" * 40


async def raw_mobile(db: AsyncSession, person_id: int) -> bytes:
    value = await db.scalar(
        select(type_coerce(Person.mobile, LargeBinary)).where(Person.id == person_id)
    )
    assert value is not None
    return bytes(value)


class TestKeyRing:
    def test_tokens_name_their_key_and_older_keys_still_open(self) -> None:
        old = KeyRing({"1": OLD}, "1")
        both = KeyRing({"1": OLD, "2": NEW}, "2")
        token = old.encrypt(MOBILE, associated_data=MOBILE_AAD)
        assert KeyRing.key_id_of(token) == "1"
        assert both.decrypt(token, associated_data=MOBILE_AAD) == MOBILE
        rotated = both.encrypt(MOBILE, associated_data=MOBILE_AAD)
        assert KeyRing.key_id_of(rotated) == "2" and MOBILE.encode() not in rotated
        with pytest.raises(DecryptionError):
            old.decrypt(rotated, associated_data=MOBILE_AAD)
        assert both.indexes(MOBILE) == [both.index(MOBILE), old.index(MOBILE)]

    def test_tokens_before_key_ids_read_as_key_1(self) -> None:
        legacy = FieldCipher(derive_key(OLD, "pii-encryption")).encrypt(
            "110101199003071234", associated_data=ID_NUMBER_AAD
        )
        ring = KeyRing({"1": OLD, "2": NEW}, "2")
        assert ring.key_id_of(legacy) == "1"
        assert ring.decrypt(legacy, associated_data=ID_NUMBER_AAD) == "110101199003071234"

    def test_a_swapped_key_id_does_not_open(self) -> None:
        ring = KeyRing({"1": OLD, "2": OLD}, "2")
        token = ring.encrypt(MOBILE, associated_data=MOBILE_AAD)
        forged = token[:2] + b"1" + token[3:]
        with pytest.raises(DecryptionError):
            ring.decrypt(forged, associated_data=MOBILE_AAD)


class TestSettings:
    def test_keys_by_id_with_the_old_single_key_as_1(self) -> None:
        settings = make_settings(pii_keys={"2": NEW}, pii_key_id="2")
        keys, active = settings.pii_keyring()
        assert keys == {"1": settings.pii_key, "2": NEW} and active == "2"

    @pytest.mark.parametrize(
        "overrides", [{"pii_keys": {"1": NEW}}, {"pii_key_id": "9"}, {"pii_keys": {"2": "short"}}]
    )
    def test_bad_key_settings_are_refused(self, overrides: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            make_settings(**overrides)


class TestMobileAtRest:
    async def test_stored_encrypted_with_a_keyed_hash(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        created = await create_person(client, world["admin"], world.unit("h1"), mobile=MOBILE)
        token = await raw_mobile(db, created["id"])
        assert MOBILE.encode() not in token and b"0002" not in token
        assert KeyRing.key_id_of(token) == "1"
        ring = keyring_of(db)
        assert await db.scalar(select(Person.mobile_hash).where(Person.id == created["id"])) == (
            ring.index(MOBILE)
        )
        assert created["mobile"] == MOBILE  # the admin holds pii
        shown = await client.get(f"/api/v1/people/{created['id']}", headers=world["dispatcher"])
        assert shown.json()["mobile"] == "138****0002"
        found = await client.get(
            "/api/v1/people", params={"mobile": MOBILE}, headers=world["admin"]
        )
        assert [p["id"] for p in found.json()["items"]] == [created["id"]]
        person = await find_person_by_mobile(db, "+86 138 0011 0002")
        assert person is not None and person.id == created["id"]


class TestRotation:
    async def test_a_batch_reencrypts_under_the_active_key_once(
        self, db: AsyncSession, world: World, settings: Settings
    ) -> None:
        codec = PiiCodec(settings.pii_key)
        number = id_number()
        person = await make_person(db, world.unit("h1"), mobile=MOBILE)
        sealed = codec.seal(number)
        person.id_number_cipher, person.id_number_hash = sealed.cipher, sealed.hash
        await db.flush()
        ring = KeyRing({"1": settings.pii_key, "2": NEW}, "2")
        # Before rotation a ring whose active key is 2 still finds the row by key 1's index.
        assert person.mobile_hash in ring.indexes(MOBILE)

        counts = await rotate_batch(db, ring, 0, 10_000)

        assert (counts.id_numbers, counts.mobiles) == (1, 1)
        token = await raw_mobile(db, person.id)
        assert ring.key_id_of(token) == "2"
        assert ring.decrypt(token, associated_data=MOBILE_AAD) == MOBILE
        row = (
            await db.execute(
                select(Person.id_number_cipher, Person.id_number_hash, Person.mobile_hash).where(
                    Person.id == person.id
                )
            )
        ).one()
        assert ring.key_id_of(row.id_number_cipher) == "2"
        assert PiiCodec(ring).open(row.id_number_cipher) == number
        assert (row.id_number_hash, row.mobile_hash) == (ring.index(number), ring.index(MOBILE))
        again = await rotate_batch(db, ring, 0, 10_000)
        assert (again.id_numbers, again.mobiles) == (0, 0)


async def test_the_command_rotates_in_committed_batches(
    engine: AsyncEngine, database_url: str, settings: Settings
) -> None:
    """Three people, batches of two: each batch commits on its own; run twice, the
    second run finds nothing left under the old key."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        town = await make_unit(session, "town", name="轮换镇")
        people = [await make_person(session, town, mobile=f"1390000000{i}") for i in range(3)]
        await session.commit()
    rotated = make_settings(pii_keys={"2": NEW}, pii_key_id="2")
    try:
        first = await rotate_pii_keys(rotated, database_url, batch_size=2)
        assert first.mobiles >= 3 and first.by_key.get("1", 0) >= 3
        second = await rotate_pii_keys(rotated, database_url, batch_size=2)
        assert (second.mobiles, second.id_numbers) == (0, 0)
        async with AsyncSession(engine) as session:
            tokens = (
                await session.scalars(
                    select(type_coerce(Person.mobile, LargeBinary)).where(
                        Person.id.in_([p.id for p in people])
                    )
                )
            ).all()
        assert {KeyRing.key_id_of(bytes(t)) for t in tokens} == {"2"}
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(delete(Person).where(Person.town_id == town.id))
            await session.execute(delete(OrgUnit).where(OrgUnit.id == town.id))
