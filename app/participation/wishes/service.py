"""Use cases of 微心愿: post, board, claim (alone or as a group), fulfil, thank, cancel.

- Staff with ``wishes.manage`` over a resident post a wish on their behalf; it is
  placed at the resident's home, so the community (and the grid, the building) sees it.
- Participants (``participation.join``) see the board of their community and town;
  the wisher's name is masked for them (张*丰), the phone never shown, and so are the
  names of the volunteers taking part (but their own). Staff with
  ``participation.read`` or ``wishes.manage`` over the wish see the name, and the phone
  under the ``pii`` rule; the wisher sees their own wish.
- A party member claims for themself; a team's leader (or staff) for the team, a unit
  by staff, each naming the people taking part. One claim wins: the wish row is locked.
- Fulfilment brings photos and a story and pays each participant the ``micro_wish``
  rule once (``wish:<id>:<person>``), under the caps; the wisher (or staff) thanks.
Services flush, never commit; every write records one audit event.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import (
    PARTICIPATION_READ,
    PEOPLE_READ,
    PII,
    WISHES_MANAGE,
)
from app.authz.principal import Principal
from app.authz.reach import reach
from app.authz.scope import Scope, Visibility
from app.db.base import ANCESTOR_COLUMNS
from app.kit.calendar import BUSINESS_TZ
from app.kit.masking import mask_mobile, mask_name
from app.kit.pagination import BY_ID, paginate
from app.orders.config import teams
from app.participation.shared import (
    about,
    own_person,
    participant_reach,
    utcnow,
)
from app.participation.units import service as units_service
from app.participation.wishes import repository
from app.participation.wishes.errors import (
    AlreadyThanked,
    ClaimantNotFound,
    Closed,
    InvalidParticipants,
    NotAllowed,
    NotAPartyMember,
    NotClaimed,
    NotFulfilled,
    NotOpen,
    NotTheirLeader,
    NotTheWisher,
    PledgeInPast,
    StaffOnly,
    WisherNotFound,
    WishNotFound,
)
from app.participation.wishes.models import MicroWish
from app.participation.wishes.schemas import (
    ClaimantKind,
    ClaimIn,
    FulfilIn,
    ParticipantRead,
    WishCreate,
    WishPage,
    WishQuery,
    WishRead,
    WishStatus,
)
from app.points import service as points_service

Found = tuple[MicroWish, str, str | None]


def _staff(principal: Principal) -> tuple[Scope, Scope]:
    return principal.scope(PARTICIPATION_READ), principal.scope(WISHES_MANAGE)


def present(principal: Principal, found: Found, participants: list[Any]) -> WishRead:
    wish, name, mobile = found
    staff = any(scope.covers(wish) for scope in _staff(principal))
    own = principal.person_id is not None and wish.wisher_person_id == principal.person_id
    shown_mobile = None
    if staff:
        shown_mobile = mobile if principal.scope(PII).covers(wish) else mask_mobile(mobile)
    columns = {
        f: getattr(wish, f)
        for f in WishRead.model_fields
        if f not in ("wisher_name", "wisher_mobile", "wisher_masked", "participants")
    }
    return WishRead(
        **columns,
        wisher_name=name if staff or own else mask_name(name),
        wisher_mobile=shown_mobile,
        wisher_masked=not (staff or own),
        participants=[
            ParticipantRead(
                person_id=p.person_id,
                name=n if staff or p.person_id == principal.person_id else mask_name(n),
                awarded_points=p.awarded_points,
            )
            for p, n in participants
        ],
    )


async def _read(session: AsyncSession, principal: Principal, found: Found) -> WishRead:
    people = await repository.participants(session, [found[0].id])
    return present(principal, found, people[found[0].id])


async def _seen(session: AsyncSession, principal: Principal) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [s.clause(MicroWish) for s in _staff(principal)]
    parts.append((await participant_reach(session, principal)).clause(MicroWish))
    if principal.person_id is not None:
        parts.append(MicroWish.wisher_person_id == principal.person_id)
    return or_(*parts)


async def _wish(
    session: AsyncSession, where: ColumnElement[bool], wish_id: int, *, lock: bool = False
) -> Found:
    found = await repository.get(session, wish_id, where, lock=lock)
    if found is None:
        raise WishNotFound()
    return found


async def post_wish(session: AsyncSession, principal: Principal, data: WishCreate) -> WishRead:
    """代为发布: for a resident the caller sees (``people.read``) and manages wishes of."""
    wisher = await repository.visible_person(
        session, data.wisher_person_id, principal.scope(PEOPLE_READ)
    )
    if wisher is None or not principal.scope(WISHES_MANAGE).covers(wisher):
        raise WisherNotFound()
    wish = MicroWish(
        org_unit_id=wisher.home_unit_id,
        wisher_person_id=wisher.id,
        posted_by_user_id=principal.user_id,
        title=data.title,
        description=data.description,
        status=WishStatus.open.value,
        **{c: getattr(wisher, c) for c in ANCESTOR_COLUMNS},
    )
    await repository.add(session, wish)
    await audit_service.record(
        session,
        principal,
        "micro_wish.create",
        summary=f"发布微心愿「{wish.title}」",
        **about(wish),
    )
    return present(principal, (wish, wisher.name, wisher.mobile), [])


async def get_wish(session: AsyncSession, principal: Principal, wish_id: int) -> WishRead:
    return await _read(
        session, principal, await _wish(session, await _seen(session, principal), wish_id)
    )


async def list_wishes(
    session: AsyncSession, principal: Principal, query: WishQuery, *, board: bool = False
) -> WishPage:
    """Newest first. The board (``board``) is the open wishes only."""
    under = None
    if query.org_unit_id is not None:
        node = await repository.get_node(session, query.org_unit_id)
        under = Scope.of([(node.level, node.id)]) if node else Scope.of([])
    status = WishStatus.open.value if board else (query.status.value if query.status else None)
    seen = await _seen(session, principal)
    items, cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda before, n: repository.page(
            session, seen, status=status, under=under, before=before, limit=n
        ),
        key=lambda row: row[0].id,
    )
    people = await repository.participants(session, [r[0].id for r in items])
    return WishPage(
        items=[present(principal, (w, n, m), people[w.id]) for w, n, m in items],
        next_cursor=cursor,
    )


def _business_today(now: datetime) -> Any:
    return now.astimezone(BUSINESS_TZ).date()


async def claim(
    session: AsyncSession,
    principal: Principal,
    wish_id: int,
    data: ClaimIn,
    *,
    now: datetime | None = None,
) -> WishRead:
    """认领: the wish row is locked, so of concurrent claims one wins, the others 409."""
    now = now or utcnow()
    found = await _wish(session, await _seen(session, principal), wish_id, lock=True)
    wish = found[0]
    if wish.status != WishStatus.open:
        raise NotOpen()
    if data.pledge_date < _business_today(now):
        raise PledgeInPast()
    staff = principal.scope(WISHES_MANAGE).covers(wish)
    claimant, people = await _claimant(session, principal, data, staff)
    wish.status, wish.claimant_kind = WishStatus.claimed.value, data.claimant_kind.value
    wish.claimant_person_id = claimant.get("person")
    wish.claimant_team_id = claimant.get("team")
    wish.claimant_work_unit_id = claimant.get("work_unit")
    wish.pledge_date, wish.claimed_at, wish.claimed_by_user_id = (
        data.pledge_date,
        now,
        principal.user_id,
    )
    wish.version += 1
    await repository.set_participants(session, wish.id, people)
    await repository.save(session, wish)
    summary = f"微心愿「{wish.title}」由{data.claimant_kind.value}认领，{len(people)} 人参与"
    await audit_service.record(
        session, principal, "micro_wish.claim", summary=summary, **about(wish)
    )
    return await _read(session, principal, found)


async def _claimant(
    session: AsyncSession, principal: Principal, data: ClaimIn, staff: bool
) -> tuple[dict[str, int], list[int]]:
    """Who claims (person, team or unit) and who takes part."""
    if data.claimant_kind is ClaimantKind.member:
        person_id = own_person(principal)
        if not await repository.is_party_member(session, person_id):
            raise NotAPartyMember()
        return {"person": person_id}, [person_id]
    around: Visibility = (
        await reach(session, principal, WISHES_MANAGE)
        if staff
        else await participant_reach(session, principal)
    )
    if data.claimant_kind is ClaimantKind.team:
        assert data.team_id is not None
        team = await teams.team_in(session, around, data.team_id)
        if team is None:
            raise ClaimantNotFound()
        if not staff and (
            principal.person_id is None or team.leader_person_id != principal.person_id
        ):
            raise NotTheirLeader()
        for person_id in data.participant_ids:
            if not await teams.is_member(session, team.id, person_id):
                raise InvalidParticipants()
        return {"team": team.id}, data.participant_ids
    if not staff:
        raise StaffOnly()
    assert data.work_unit_id is not None
    unit = await units_service.unit_in(session, around, data.work_unit_id)
    if unit is None:
        raise ClaimantNotFound()
    roster = await repository.roster_of(session, unit.id, data.participant_ids)
    if roster != set(data.participant_ids):
        raise InvalidParticipants()
    return {"work_unit": unit.id}, data.participant_ids


async def _acts_for_claim(session: AsyncSession, principal: Principal, wish: MicroWish) -> bool:
    """Staff over the wish, a participant, or the claiming team's leader."""
    if principal.scope(WISHES_MANAGE).covers(wish):
        return True
    person_id = principal.person_id
    if person_id is None:
        return False
    people = await repository.participants(session, [wish.id])
    if any(p.person_id == person_id for p, _ in people[wish.id]):
        return True
    if wish.claimant_team_id is not None:
        team = await teams.team_in(session, Scope.everything(), wish.claimant_team_id)
        return team is not None and team.leader_person_id == person_id
    return False


async def withdraw_claim(session: AsyncSession, principal: Principal, wish_id: int) -> WishRead:
    """The claim is given up: the wish goes back on the board."""
    found = await _wish(session, await _seen(session, principal), wish_id, lock=True)
    wish = found[0]
    if wish.status != WishStatus.claimed:
        raise NotClaimed()
    if not await _acts_for_claim(session, principal, wish):
        raise NotAllowed()
    wish.status, wish.claimant_kind = WishStatus.open.value, None
    wish.claimant_person_id = wish.claimant_team_id = wish.claimant_work_unit_id = None
    wish.pledge_date = wish.claimed_at = wish.claimed_by_user_id = None
    wish.version += 1
    await repository.set_participants(session, wish.id, [])
    await repository.save(session, wish)
    await audit_service.record(
        session,
        principal,
        "micro_wish.withdraw_claim",
        summary=f"撤回认领「{wish.title}」",
        **about(wish),
    )
    return await _read(session, principal, found)


async def fulfil(
    session: AsyncSession, principal: Principal, wish_id: int, data: FulfilIn
) -> WishRead:
    """圆梦: photos and a story; each participant earns the ``micro_wish`` points once."""
    found = await _wish(session, await _seen(session, principal), wish_id, lock=True)
    wish = found[0]
    if wish.status != WishStatus.claimed:
        raise NotClaimed()
    if not await _acts_for_claim(session, principal, wish):
        raise NotAllowed()
    wish.status, wish.fulfilled_at = WishStatus.fulfilled.value, utcnow()
    wish.photos, wish.story = list(data.photos), data.story
    wish.version += 1
    await repository.save(session, wish)
    people = await repository.participants(session, [wish.id])
    for participant, _ in people[wish.id]:
        earned = await points_service.award_wish(
            session,
            wish_id=wish.id,
            title=wish.title,
            person_id=participant.person_id,
            actor_user_id=principal.user_id,
        )
        participant.award_transaction_id, participant.awarded_points = (
            earned.transaction_id,
            earned.points,
        )
    await repository.flush(session)
    await audit_service.record(
        session,
        principal,
        "micro_wish.fulfil",
        summary=f"微心愿「{wish.title}」已圆梦",
        **about(wish),
    )
    return await _read(session, principal, found)


async def thank(
    session: AsyncSession, principal: Principal, wish_id: int, message: str
) -> WishRead:
    """致谢: by the wisher, or by staff on their behalf; once."""
    found = await _wish(session, await _seen(session, principal), wish_id, lock=True)
    wish = found[0]
    own = principal.person_id is not None and wish.wisher_person_id == principal.person_id
    if not own and not principal.scope(WISHES_MANAGE).covers(wish):
        raise NotTheWisher()
    if wish.status != WishStatus.fulfilled:
        raise NotFulfilled()
    if wish.thanks is not None:
        raise AlreadyThanked()
    wish.thanks, wish.thanked_at = message, utcnow()
    wish.version += 1
    await repository.save(session, wish)
    await audit_service.record(
        session,
        principal,
        "micro_wish.thank",
        summary=f"微心愿「{wish.title}」收到致谢",
        **about(wish),
    )
    return await _read(session, principal, found)


async def cancel(
    session: AsyncSession, principal: Principal, wish_id: int, reason: str
) -> WishRead:
    found = await _wish(
        session, principal.scope(WISHES_MANAGE).clause(MicroWish), wish_id, lock=True
    )
    wish = found[0]
    if wish.status not in (WishStatus.open, WishStatus.claimed):
        raise Closed()
    wish.status, wish.cancel_reason = WishStatus.cancelled.value, reason
    wish.version += 1
    await repository.save(session, wish)
    await audit_service.record(
        session,
        principal,
        "micro_wish.cancel",
        summary=f"取消微心愿「{wish.title}」",
        **about(wish),
    )
    return await _read(session, principal, found)
