"""find_person_by_mobile: the service function WeChat phone matching calls."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.people.models import Person
from app.people.service import find_person_by_mobile
from tests.support.factory import make_person, make_tree


async def test_finds_the_one_live_holder_whatever_the_spelling(
    db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    person = await make_person(db, tree["h1"], mobile="13800110002")
    for spelling in ("13800110002", "+86 138-0011-0002", "8613800110002"):
        found = await find_person_by_mobile(db, spelling)
        assert found is not None and found.id == person.id
    assert await find_person_by_mobile(db, "13900000000") is None
    assert await find_person_by_mobile(db, "not a number") is None


async def test_an_ambiguous_or_archived_number_matches_nobody(
    db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    first = await make_person(db, tree["h1"], mobile="13800110003")
    await make_person(db, tree["b2"], mobile="13800110003")
    assert await find_person_by_mobile(db, "13800110003") is None
    await db.execute(update(Person).where(Person.id == first.id).values(is_archived=True))
    found = await find_person_by_mobile(db, "13800110003")
    assert found is not None and found.id != first.id
