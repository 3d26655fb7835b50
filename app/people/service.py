"""Use cases of people (人员): create, read, list, update, archive, export.

Each write records one audit event in the same transaction; summaries name ids and
fields, never a phone or ID number (PIPL). Masking follows one rule everywhere:
phone and ID numbers in full only for callers with ``pii`` over the person.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import PEOPLE_READ, PEOPLE_WRITE, PII
from app.authz.principal import Principal
from app.authz.scope import Place, Scope
from app.db.base import ANCESTOR_COLUMNS
from app.db.sealed import keyring_of
from app.hierarchy.models import OrgUnit
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.kit.phone import normalize_mobile
from app.people import export, repository
from app.people.errors import (
    HomeUnitNotFound,
    IdNumberTaken,
    InvalidHomeUnit,
    PersonArchived,
    PersonHasMembership,
    PersonNotFound,
    PersonReadOnly,
    PiiSearchForbidden,
)
from app.people.members.schemas import PersonBrief
from app.people.models import Person
from app.people.pii import PiiCodec, shown_id_number, shown_mobile
from app.people.schemas import (
    Gender,
    PersonCreate,
    PersonExportQuery,
    PersonListQuery,
    PersonPage,
    PersonQuery,
    PersonRead,
    PersonUpdate,
)

HOME_LEVELS = ("building", "household")
EXPORT_BATCH = 1000


# ---------------------------------------------------------------- presentation


def present_person(person: Person, pii_scope: Scope, codec: PiiCodec) -> PersonRead:
    reveal = pii_scope.covers(person)
    return PersonRead(
        id=person.id,
        name=person.name,
        mobile=shown_mobile(person.mobile, reveal),
        id_number=shown_id_number(codec, person.id_number_cipher, person.id_number_last4, reveal),
        pii_masked=not reveal,
        gender=None if person.gender is None else Gender(person.gender),
        birth_date=person.birth_date if reveal else None,
        home_unit_id=person.home_unit_id,
        address_building=person.address_building,
        address_unit=person.address_unit,
        address_room=person.address_room,
        town_id=person.town_id,
        community_id=person.community_id,
        grid_id=person.grid_id,
        building_id=person.building_id,
        household_id=person.household_id,
        is_archived=person.is_archived,
        version=person.version,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


def brief_person(person: Person, pii_scope: Scope, codec: PiiCodec) -> PersonBrief:
    full = present_person(person, pii_scope, codec)
    return PersonBrief.model_validate(full.model_dump(include=set(PersonBrief.model_fields)))


# ---------------------------------------------------------------- helpers


async def _home_unit(session: AsyncSession, principal: Principal, unit_id: int) -> OrgUnit:
    """The home node, which the caller must reach with ``people.write``."""
    unit = await repository.get_unit_in_scope(session, unit_id, principal.scope(PEOPLE_WRITE))
    if unit is None:
        raise HomeUnitNotFound()
    if unit.level not in HOME_LEVELS or unit.is_archived:
        raise InvalidHomeUnit()
    return unit


def _place(person: Person, unit: OrgUnit) -> None:
    person.home_unit_id = unit.id
    for column in ANCESTOR_COLUMNS:
        setattr(person, column, getattr(unit, column))


def _taken(principal: Principal, holder: Person) -> IdNumberTaken:
    """One answer whether the holder is in the caller's sight or not (it never says
    who or where); the attempt is audited at the holder's place, so that place's
    administrators and auditors see someone elsewhere registering their resident."""
    error = IdNumberTaken()
    in_sight = principal.scope(PEOPLE_READ).covers(holder)
    place = Place(*(getattr(holder, column) for column in ANCESTOR_COLUMNS))
    holder_id = holder.id

    async def audit(session: AsyncSession) -> None:
        await audit_service.record(
            session,
            principal,
            "person.id_number_conflict",
            summary=f"登记的身份证号与人员 #{holder_id} 重复"
            + ("" if in_sight else "（该人员不在操作者可见范围内）"),
            target_type="person",
            target_id=holder_id,
            place=place,
            outcome="failure",
        )

    error.audit_on_refusal = audit
    return error


async def _set_id_number(
    session: AsyncSession,
    principal: Principal,
    person: Person,
    codec: PiiCodec,
    id_number: str | None,
) -> None:
    if id_number is None:
        person.id_number_cipher = person.id_number_hash = person.id_number_last4 = None
        person.birth_date = person.gender = None
        return
    sealed = codec.seal(id_number)
    holder = await repository.id_number_holder_row(session, codec.indexes(id_number))
    if holder is not None and holder.id != person.id:
        raise _taken(principal, holder)
    person.id_number_cipher, person.id_number_hash = sealed.cipher, sealed.hash
    person.id_number_last4, person.birth_date = sealed.last4, sealed.birth_date
    person.gender = sealed.gender


async def _flush_person(session: AsyncSession) -> None:
    # The SELECT in _set_id_number answers the common case; two concurrent writers
    # of the same number are separated here by the unique index.
    if not await repository.flush_unique(session, repository.ID_NUMBER_UNIQUE):
        raise IdNumberTaken()


async def _writable_person(session: AsyncSession, principal: Principal, person_id: int) -> Person:
    """The person, locked, if the caller may write it: 404 if unseen, 403 if read-only."""
    person = await repository.get_person(
        session, person_id, principal.scope(PEOPLE_WRITE), for_update=True
    )
    if person is not None:
        return person
    if await repository.get_person(session, person_id, principal.scope(PEOPLE_READ)):
        raise PersonReadOnly()
    raise PersonNotFound()


# ---------------------------------------------------------------- use cases


async def create_person(
    session: AsyncSession, principal: Principal, codec: PiiCodec, body: PersonCreate
) -> PersonRead:
    unit = await _home_unit(session, principal, body.home_unit_id)
    person = Person(
        name=body.name,
        mobile=body.mobile,
        address_building=body.address_building,
        address_unit=body.address_unit,
        address_room=body.address_room,
    )
    _place(person, unit)
    await _set_id_number(session, principal, person, codec, body.id_number)
    session.add(person)
    await _flush_person(session)
    await session.refresh(person)
    await audit_service.record(
        session,
        principal,
        "person.create",
        summary=f"created person #{person.id} at org unit #{unit.id}",
        target_type="person",
        target_id=person.id,
        place=person,
    )
    return present_person(person, principal.scope(PII), codec)


async def get_person(
    session: AsyncSession, principal: Principal, codec: PiiCodec, person_id: int
) -> PersonRead:
    person = await repository.get_person(session, person_id, principal.scope(PEOPLE_READ))
    if person is None:
        raise PersonNotFound()
    return present_person(person, principal.scope(PII), codec)


def _exact(query: PersonQuery) -> bool:
    return query.mobile is not None or query.id_number is not None


def _filter(principal: Principal, query: PersonQuery, codec: PiiCodec) -> repository.PersonFilter:
    """Exact search by phone or ID number finds only people over whom the caller holds
    ``pii``: otherwise a masked number (138****0002) is 10⁴ guesses from its owner."""
    if _exact(query) and not principal.has(PII):
        raise PiiSearchForbidden()
    return repository.PersonFilter(
        q=query.q,
        mobile_hashes=None if query.mobile is None else codec.indexes(query.mobile),
        id_number_hashes=None if query.id_number is None else codec.indexes(query.id_number),
        home_unit_id=query.home_unit_id,
        include_archived=query.include_archived,
        pii_scope=principal.scope(PII) if _exact(query) else None,
    )


async def _grant_place(
    session: AsyncSession, principal: Principal, permission: str
) -> OrgUnit | None:
    unit_id = principal.broadest_grant(permission)
    if unit_id is None:
        return None
    return await repository.get_unit_in_scope(session, unit_id, principal.scope(permission))


async def _audit_exact_search(
    session: AsyncSession, principal: Principal, query: PersonQuery, found: list[int]
) -> None:
    """Every search by number is audited (by which kind, never the number itself)."""
    by = "手机号" if query.mobile is not None else "身份证号"
    await audit_service.record(
        session,
        principal,
        "person.search_pii",
        summary=f"按{by}精确查找人员：{len(found)} 条"
        + (f"（人员 #{', #'.join(map(str, found))}）" if found else ""),
        target_type="person",
        target_id=found[0] if len(found) == 1 else None,
        place=await _grant_place(session, principal, PII),
    )


async def list_people(
    session: AsyncSession, principal: Principal, codec: PiiCodec, query: PersonListQuery
) -> PersonPage:
    scope, where = principal.scope(PEOPLE_READ), _filter(principal, query, codec)
    page, next_cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.list_people(session, scope, where, after_id=after, limit=n),
        key=lambda person: person.id,
    )
    if _exact(query):
        await _audit_exact_search(session, principal, query, [p.id for p in page])
    pii_scope = principal.scope(PII)
    return PersonPage(
        items=[present_person(p, pii_scope, codec) for p in page], next_cursor=next_cursor
    )


async def update_person(
    session: AsyncSession,
    principal: Principal,
    codec: PiiCodec,
    person_id: int,
    body: PersonUpdate,
    if_match: str | None,
) -> PersonRead:
    person = await _writable_person(session, principal, person_id)
    check_version(if_match, person.version)
    if person.is_archived:
        raise PersonArchived()
    changes = body.changes()
    if "home_unit_id" in changes:
        _place(person, await _home_unit(session, principal, changes.pop("home_unit_id")))
    if "id_number" in changes:
        await _set_id_number(session, principal, person, codec, changes.pop("id_number"))
    for field, value in changes.items():
        setattr(person, field, value)
    person.version += 1
    await _flush_person(session)
    await session.refresh(person)
    await audit_service.record(
        session,
        principal,
        "person.update",
        summary=f"updated person #{person.id}: {', '.join(sorted(body.model_fields_set))}",
        target_type="person",
        target_id=person.id,
        place=person,
    )
    return present_person(person, principal.scope(PII), codec)


async def archive_person(
    session: AsyncSession,
    principal: Principal,
    codec: PiiCodec,
    person_id: int,
    if_match: str | None,
) -> PersonRead:
    person = await _writable_person(session, principal, person_id)
    check_version(if_match, person.version)
    if person.is_archived:
        raise PersonArchived()
    if await repository.has_live_membership(session, person.id):
        raise PersonHasMembership()
    person.is_archived = True
    person.version += 1
    await session.flush()
    await session.refresh(person)
    await audit_service.record(
        session,
        principal,
        "person.archive",
        summary=f"archived person #{person.id}",
        target_type="person",
        target_id=person.id,
        place=person,
    )
    return present_person(person, principal.scope(PII), codec)


# ---------------------------------------------------------------- matching


async def find_person_by_mobile(session: AsyncSession, mobile: str) -> Person | None:
    """The one live person registered with ``mobile`` (any spelling a user types or
    WeChat gives: +86, spaces, dashes), for matching a verified phone number to a
    person (WeChat getPhoneNumber). None when nobody, or more than one person, holds
    it: an ambiguous number (a shared family phone) links nobody — the resident then
    registers and the grid worker decides. The person comes locked. No scope: the
    caller proved the number is theirs; what it may then see is decided by the grants
    of its account."""
    try:
        normal = normalize_mobile(mobile)
    except ValueError:
        return None
    ring = keyring_of(session)
    found = await repository.people_by_mobile(session, ring.indexes(normal), limit=2)
    if len(found) != 1:
        return None
    # Locked: linking the person and granting their role happen under the lock.
    return await repository.lock_person(session, found[0].id)


# ---------------------------------------------------------------- export


async def record_export(
    session: AsyncSession, principal: Principal, codec: PiiCodec, query: PersonExportQuery
) -> None:
    """Exporting personal data is itself audited (PIPL); the file streams afterwards.
    Filed at the caller's broadest node, so that town's (or community's) auditors and
    administrators see it."""
    _filter(principal, query, codec)  # refused here, before the stream starts
    full = "with full numbers where the caller holds pii" if principal.has(PII) else "masked"
    place = await _grant_place(session, principal, PEOPLE_READ)
    await audit_service.record(
        session,
        principal,
        "person.export",
        summary=f"exported people as {query.format.value} ({full})"
        + (" by exact number" if _exact(query) else ""),
        target_type="org_unit" if place else "person",
        target_id=place.id if place else None,
        place=place,
    )


def _export_row(row: Any, pii_scope: Scope, codec: PiiCodec) -> list[export.Cell]:
    reveal = pii_scope.covers(row)
    values = row._asdict()
    values["mobile"] = shown_mobile(row.mobile, reveal)
    values["id_number"] = shown_id_number(codec, row.id_number_cipher, row.id_number_last4, reveal)
    return export.cells(values)


async def export_people(
    session_factory: Callable[[], AsyncSession],
    principal: Principal,
    codec: PiiCodec,
    query: PersonExportQuery,
) -> AsyncIterator[bytes]:
    """The export file, streamed in keyset batches from its own session.

    The request's session is committed and released before a streamed body starts,
    so the stream reads through a session of its own: one connection at a time, and
    memory bounded by one batch (plus the workbook's temporary file for xlsx).
    """
    scope, pii_scope = principal.scope(PEOPLE_READ), principal.scope(PII)
    where = _filter(principal, query, codec)
    writer = export.writer_for(query.format)
    async with session_factory() as session:
        if head := await writer.header(export.PEOPLE_COLUMNS):
            yield head
        after: int | None = None
        while True:
            batch = await repository.export_people(session, scope, where, after, EXPORT_BATCH)
            if not batch:
                break
            after = batch[-1].id
            rows = [_export_row(row, pii_scope, codec) for row in batch]
            if chunk := await writer.rows(rows):
                yield chunk
    async for chunk in writer.finish():
        yield chunk


# ---------------------------------------------------------------- onboarding


async def register_resident(
    session: AsyncSession,
    unit: OrgUnit,
    *,
    name: str,
    mobile: str | None,
    address_room: str | None = None,
) -> Person:
    """A person a resident registered themself (自助登记) at their household, unverified
    until the grid worker verifies them; audited by the caller's use case."""
    if unit.level not in HOME_LEVELS or unit.is_archived:
        raise InvalidHomeUnit()
    person = Person(name=name, mobile=mobile, address_room=address_room)
    _place(person, unit)
    session.add(person)
    await session.flush()
    return person


async def archive_registered(session: AsyncSession, person_id: int) -> None:
    """A rejected self-registration: the person it made is archived (kept for the
    orders that name it)."""
    person = await repository.lock_person(session, person_id)
    if person is not None and not person.is_archived:
        person.is_archived = True
        person.version += 1
        await session.flush()
