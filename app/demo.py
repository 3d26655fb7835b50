"""The demo town seeded on first start of the embedded default (``make run``).

Seeding is idempotent: it runs only into a database with no accounts yet, so a
second ``make run`` finds its data as it left it.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.users import service as users_service
from app.users.models import UserAccount

# Demo-only credentials, printed at start-up; never used outside the embedded default.
DEMO_PASSWORD = "Redgrid@2026"
DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "系统管理员 · system administrator"),
]


async def seed_demo(session: AsyncSession) -> bool:
    accounts = (await session.execute(select(func.count()).select_from(UserAccount))).scalar_one()
    if accounts:
        return False
    await users_service.create_superuser(
        session, username="admin", password=DEMO_PASSWORD, display_name="系统管理员"
    )
    return True


def print_demo_logins() -> None:
    print(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in DEMO_LOGINS:
        print(f"  {username:<16} {role}")
