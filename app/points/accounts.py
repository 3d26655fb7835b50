"""Points accounts, created on first use: one per person who earns, plus an issuance
and a redemption account per town.

Get-or-create is race-safe without locks: ``INSERT … ON CONFLICT DO NOTHING`` (a
concurrent insert of the same account waits on the unique index and then does
nothing), then a SELECT, which under READ COMMITTED sees whichever row won.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.points import repository
from app.points.errors import PersonNotFound
from app.points.repository import AccountRow


@dataclass(frozen=True)
class TownAccounts:
    town_id: int
    issuance_id: int
    """镇发放账户: debited by every award, so its balance is minus what was issued."""
    redemption_id: int
    """镇兑换账户: credited by every redemption."""


async def member_account(session: AsyncSession, person_id: int) -> AccountRow:
    """The person's account in the town where they live, created on first use.

    Accounts are keyed (town, person) — the shop finds them the same way — so a
    person who moves to another town starts a new account there."""
    person = await repository.get_person_any(session, person_id)
    if person is None:
        raise PersonNotFound()
    account = await repository.member_account(session, person.town_id, person_id)
    if account is not None:
        return account
    await repository.insert_account(
        session, kind="member", town_id=person.town_id, person_id=person_id
    )
    account = await repository.member_account(session, person.town_id, person_id)
    assert account is not None
    return account


async def existing_member_account(
    session: AsyncSession, town_id: int, person_id: int
) -> AccountRow | None:
    """Reads never create accounts: no account yet means nothing earned yet."""
    return await repository.member_account(session, town_id, person_id)


async def town_accounts(session: AsyncSession, town_id: int) -> TownAccounts:
    """The town's issuance and redemption accounts, created on first use. They are
    never updated afterwards: their balances are derived from postings."""
    ids = await repository.system_account_ids(session, town_id)
    if len(ids) < 2:
        for kind in ("issuance", "redemption"):
            if kind not in ids:
                await repository.insert_account(session, kind=kind, town_id=town_id, person_id=None)
        ids = await repository.system_account_ids(session, town_id)
    return TownAccounts(
        town_id=town_id, issuance_id=ids["issuance"], redemption_id=ids["redemption"]
    )
